// examples/peer2peer.cpp: two peers, one connected to the other; lines typed into either
// reach the other; end of input shuts a peer down.
#include <gtest/gtest.h>

#include "child_process.hpp"

namespace ws::test {
namespace {

std::optional<std::string> listening_port(const ChildProcess& p) {
    auto port = p.wait_for_number_after("Listening on ws://127.0.0.1:");
    if (!port) return std::nullopt;
    return std::to_string(*port);
}

TEST(ExamplePeer2Peer, LinesTravelBothWaysAndEndOfInputStops) {
    ChildProcess first(example_path("peer2peer"), {"0"});
    ASSERT_TRUE(first.started());
    const auto first_port = listening_port(first);
    ASSERT_TRUE(first_port) << first.describe();

    ChildProcess second(example_path("peer2peer"), {"0", "ws://127.0.0.1:" + *first_port});
    ASSERT_TRUE(second.started());
    ASSERT_TRUE(listening_port(second)) << second.describe();
    // Each side reports the connection: the second opened it, the first accepted it.
    ASSERT_TRUE(second.wait_for_output("Connected to peer 127.0.0.1:" + *first_port)) << second.describe();
    ASSERT_TRUE(first.wait_for_output("Connected to peer 127.0.0.1:")) << first.describe();

    // The second peer's client connection carries its line to the first ...
    ASSERT_TRUE(second.write_stdin("hello from the second\n"));
    EXPECT_TRUE(first.wait_for_output("says: hello from the second")) << first.describe();
    // ... and the first peer's accepted connection carries its line back.
    ASSERT_TRUE(first.write_stdin("hello from the first\n"));
    EXPECT_TRUE(second.wait_for_output("says: hello from the first")) << second.describe();
    // Nobody hears their own lines.
    EXPECT_EQ(first.output().find("says: hello from the first"), std::string::npos);
    EXPECT_EQ(second.output().find("says: hello from the second"), std::string::npos);

    // End of input: the second peer shuts down (closing with 1001) and exits; the first
    // sees it leave and keeps running until its own input ends.
    second.close_stdin();
    EXPECT_EQ(second.wait_exit(10s), 0) << second.describe();
    EXPECT_TRUE(first.wait_for_output("left (1001)")) << first.describe();
    EXPECT_TRUE(first.running());
    first.close_stdin();
    EXPECT_EQ(first.wait_exit(10s), 0) << first.describe();
}

TEST(ExamplePeer2Peer, AMissingPeerIsReportedNotFatal) {
    ChildProcess lonely(example_path("peer2peer"), {"0", "ws://127.0.0.1:1"});
    ASSERT_TRUE(lonely.started());
    ASSERT_TRUE(listening_port(lonely)) << lonely.describe();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (lonely.errors().find("Peer connection error") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_NE(lonely.errors().find("Peer connection error"), std::string::npos) << lonely.describe();
    EXPECT_TRUE(lonely.running());
    lonely.close_stdin();
    EXPECT_EQ(lonely.wait_exit(10s), 0) << lonely.describe();
}

}  // namespace
}  // namespace ws::test

// examples/external_shutdown.cpp: another thread shuts the server down through the
// broadcaster when no client comes in time; a client that does come keeps it running.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

using Clock = std::chrono::steady_clock;

TEST(ExampleExternalShutdown, ShutsDownWhenNoClientArrives) {
    const auto start = Clock::now();
    ChildProcess server(example_path("external_shutdown"), {"0.4", "0"});
    ASSERT_TRUE(server.started());
    ASSERT_EQ(server.wait_exit(10s), 0) << server.describe();
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    EXPECT_GE(took.count(), 380);  // it waited for the time limit
    const std::string out = server.output();
    EXPECT_NE(out.find("No client arrived within 400 ms; shutting down."), std::string::npos) << out;
    EXPECT_NE(out.find("Server stopped cleanly."), std::string::npos) << out;
    EXPECT_EQ(server.errors(), "");
}

TEST(ExampleExternalShutdown, ServesAClientThatArrivesInTime) {
    ChildProcess server(example_path("external_shutdown"), {"0.5", "0"});
    ASSERT_TRUE(server.started());
    auto port = server.wait_for_number_after("Listening on ws://127.0.0.1:");
    ASSERT_TRUE(port) << server.describe();
    RawSocket peer = RawSocket::connect(static_cast<std::uint16_t>(*port));
    ASSERT_NE(peer.handshake().find("HTTP/1.1 101"), std::string::npos);
    ASSERT_TRUE(server.wait_for_output("A client connected; serving it.")) << server.describe();

    // Well past the time limit, it still runs and echoes.
    std::this_thread::sleep_for(1s);
    EXPECT_TRUE(server.running());
    ASSERT_TRUE(peer.send_frame(0x1, "still there?"));
    auto echo = peer.read_frame();
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->payload, "still there?");

    // The client leaves: the server shuts down and exits cleanly.
    ASSERT_TRUE(peer.send_frame(0x8, close_payload(1000)));
    auto reply = peer.read_frame();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->opcode, 0x8);
    EXPECT_TRUE(peer.wait_closed());
    peer.close();  // the server waits (Settings::close_timeout_ms) for our side of TCP to close
    ASSERT_EQ(server.wait_exit(10s), 0) << server.describe();
    EXPECT_NE(server.output().find("The client left; shutting down."), std::string::npos);
    EXPECT_NE(server.output().find("Server stopped cleanly."), std::string::npos);
    EXPECT_EQ(server.output().find("No client arrived"), std::string::npos);
}

}  // namespace
}  // namespace ws::test

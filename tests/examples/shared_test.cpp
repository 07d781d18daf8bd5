// examples/shared.cpp: client and server in one WebSocket; the client's shutdown ends it.
#include <gtest/gtest.h>

#include "child_process.hpp"

namespace ws::test {
namespace {

TEST(ExampleShared, ClientAndServerInOneLoopThenShutdown) {
    ChildProcess shared(example_path("shared"), {"0"});
    ASSERT_TRUE(shared.started());
    // The program ends by itself: the client's shutdown() stops the one event loop.
    ASSERT_EQ(shared.wait_exit(10s), 0) << shared.describe();
    const std::string out = shared.output();
    const auto server = out.find("Server got message 'Hello WebSocket'.");
    const auto client = out.find("Client got message 'Hello WebSocket'.");
    const auto done = out.find("All done.");
    ASSERT_NE(server, std::string::npos) << out;
    ASSERT_NE(client, std::string::npos) << out;
    ASSERT_NE(done, std::string::npos) << out;
    // The server saw the message before the client saw the echo, and run() returned last.
    EXPECT_LT(server, client);
    EXPECT_LT(client, done);
    EXPECT_EQ(shared.errors(), "");
}

}  // namespace
}  // namespace ws::test

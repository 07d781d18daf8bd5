// examples/threaded.cpp: server and client on two threads; the server stops on the first close.
#include <gtest/gtest.h>

#include "child_process.hpp"

namespace ws::test {
namespace {

TEST(ExampleThreaded, ServerShutsDownOnFirstClose) {
    ChildProcess threaded(example_path("threaded"), {"0"});
    ASSERT_TRUE(threaded.started());
    ASSERT_EQ(threaded.wait_exit(10s), 0) << threaded.describe();
    const std::string out = threaded.output();
    const auto server = out.find("Server got message 'Hello WebSocket'.");
    const auto client = out.find("Client got message 'Hello WebSocket'.");
    // The client's close code and reason reached the server's on_close.
    const auto closed = out.find("Server: the client closed the connection (1000 Normal, thanks).");
    const auto done = out.find("All done.");
    ASSERT_NE(server, std::string::npos) << out;
    ASSERT_NE(client, std::string::npos) << out;
    ASSERT_NE(closed, std::string::npos) << out;
    ASSERT_NE(done, std::string::npos) << out;
    EXPECT_LT(server, client);
    EXPECT_LT(client, closed);
    EXPECT_LT(closed, done);
    EXPECT_EQ(threaded.errors(), "");
}

}  // namespace
}  // namespace ws::test

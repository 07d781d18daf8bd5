// examples/server.cpp and examples/client.cpp: the two smallest programs.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

TEST(ExampleServer, EchoesEveryMessage) {
    std::uint16_t port = 0;
    auto server = start_on_free_port("server", [](std::uint16_t p) { return std::vector<std::string>{std::to_string(p)}; }, port);
    ASSERT_TRUE(server);

    RawSocket peer = RawSocket::connect(port);
    ASSERT_NE(peer.handshake().find("HTTP/1.1 101"), std::string::npos);
    ASSERT_TRUE(peer.send_frame(0x1, "hello"));
    auto text = peer.read_frame();
    ASSERT_TRUE(text);
    EXPECT_EQ(text->opcode, 0x1);
    EXPECT_EQ(text->payload, "hello");
    ASSERT_TRUE(peer.send_frame(0x2, std::string("\x00\x01\xff", 3)));
    auto binary = peer.read_frame();
    ASSERT_TRUE(binary);
    EXPECT_EQ(binary->opcode, 0x2);
    EXPECT_EQ(binary->payload, std::string("\x00\x01\xff", 3));

    // It serves until it is killed.
    EXPECT_TRUE(server->running());
    server->terminate();
}

TEST(ExampleClient, SendsHelloPrintsTheReplyAndCloses) {
    EventLog log;
    ServerThread echo([&log](Sender out) {
        struct Echo : Handler {
            Echo(Sender s, EventLog& l) : out(std::move(s)), log(l) {}
            Result<> on_message(const Message& msg) override {
                log.add("message " + msg.to_string());
                return out.send(msg);
            }
            void on_close(CloseCode code, std::string_view) override { log.add("close " + std::to_string(to_u16(code))); }
            Sender out;
            EventLog& log;
        };
        return Echo(std::move(out), log);
    });

    ChildProcess client(example_path("client"), {echo.url()});
    ASSERT_TRUE(client.started());
    EXPECT_EQ(client.wait_exit(10s), 0) << client.describe();
    EXPECT_NE(client.output().find("Client got message 'Hello WebSocket'."), std::string::npos) << client.describe();
    EXPECT_TRUE(log.wait_for("message Hello WebSocket"));
    EXPECT_TRUE(log.wait_for("close 1000"));
}

}  // namespace
}  // namespace ws::test

// examples/html_chat.cpp: the page at /, the WebSocket at /ws, 404 elsewhere, and a chat
// room that broadcasts every message to everyone.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

class ExampleHtmlChat : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(chat_.started());
        auto port = chat_.wait_for_number_after("open http://127.0.0.1:");
        ASSERT_TRUE(port) << chat_.describe();
        port_ = static_cast<std::uint16_t>(*port);
        EXPECT_TRUE(chat_.wait_for_output("open http://127.0.0.1:" + std::to_string(port_) + "/ in a browser"));
    }
    void TearDown() override { chat_.terminate(); }

    RawSocket join() {
        RawSocket s = RawSocket::connect(port_);
        EXPECT_NE(s.handshake("/ws").find("HTTP/1.1 101"), std::string::npos);
        return s;
    }

    ChildProcess chat_{example_path("html_chat"), {"0"}};
    std::uint16_t port_ = 0;
};

std::string body_of(const std::string& response) {
    const auto end = response.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : response.substr(end + 4);
}

TEST_F(ExampleHtmlChat, ServesThePageAtRoot) {
    const std::string response = http_get(port_, "/");
    ASSERT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    EXPECT_NE(response.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos) << response;
    const std::string body = body_of(response);
    EXPECT_NE(response.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
    EXPECT_EQ(body.rfind("<!DOCTYPE html>", 0), 0u);
    // The page's script connects back to the host that served it, at /ws.
    EXPECT_NE(body.find(R"(new WebSocket("ws://" + location.host + "/ws"))"), std::string::npos) << body;
    EXPECT_NE(body.find("</html>"), std::string::npos);
}

TEST_F(ExampleHtmlChat, AnswersOtherPathsWith404) {
    const std::string response = http_get(port_, "/favicon.ico");
    EXPECT_EQ(response.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << response;
    EXPECT_EQ(body_of(response), "404 Not Found\n");
    // A WebSocket handshake anywhere but /ws is not upgraded either.
    RawSocket s = RawSocket::connect(port_);
    EXPECT_EQ(s.handshake("/chat").rfind("HTTP/1.1 404", 0), 0u);
}

TEST_F(ExampleHtmlChat, BroadcastsEveryMessageToEveryone) {
    RawSocket alice = join();
    ASSERT_TRUE(chat_.wait_for_output("(1 online)")) << chat_.describe();
    RawSocket bob = join();
    ASSERT_TRUE(chat_.wait_for_output("(2 online)")) << chat_.describe();

    ASSERT_TRUE(alice.send_frame(0x1, "hello, everyone"));
    for (RawSocket* s : {&alice, &bob}) {
        auto f = s->read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->opcode, 0x1);
        EXPECT_EQ(f->payload, "hello, everyone");
    }
    ASSERT_TRUE(bob.send_frame(0x1, "hi Alice ☺"));
    for (RawSocket* s : {&alice, &bob}) {
        auto f = s->read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->payload, "hi Alice ☺");
    }

    // Bob leaves; Alice stays in the room.
    ASSERT_TRUE(bob.send_frame(0x8, close_payload(1001)));
    auto reply = bob.read_frame();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->opcode, 0x8);
    EXPECT_TRUE(bob.wait_closed());
    ASSERT_TRUE(chat_.wait_for_output("Someone left (1 online).")) << chat_.describe();
    ASSERT_TRUE(alice.send_frame(0x1, "anyone?"));
    auto f = alice.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "anyone?");
}

TEST(ExampleHtmlChatPort, PrintsTheAddressOfTheDefaultPort) {
    // Without an argument it serves on 3012; if something else already holds that port the
    // program must say so and fail, not hang.
    ChildProcess chat(example_path("html_chat"), {});
    ASSERT_TRUE(chat.started());
    const bool serving = chat.wait_for_output("open http://127.0.0.1:3012/ in a browser", 5s);
    if (!serving) {
        EXPECT_EQ(chat.wait_exit(5s), 1) << chat.describe();
        EXPECT_NE(chat.errors().find("cannot listen on 127.0.0.1:3012"), std::string::npos) << chat.describe();
        return;
    }
    EXPECT_EQ(http_get(3012, "/").rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    chat.terminate();
}

}  // namespace
}  // namespace ws::test

// examples/router.cpp: each path gets its own handler; unknown paths get 404.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

class ExampleRouter : public ::testing::Test {
protected:
    void SetUp() override {
        child_ = start_on_free_port("router", [](std::uint16_t p) { return std::vector<std::string>{std::to_string(p)}; }, port_);
        ASSERT_TRUE(child_);
    }
    void TearDown() override {
        if (child_) child_->terminate();
    }

    RawSocket open(const std::string& path) {
        RawSocket s = RawSocket::connect(port_);
        EXPECT_NE(s.handshake(path).find("HTTP/1.1 101"), std::string::npos) << path;
        return s;
    }

    // Reads text frames until a close frame; returns the texts and the close payload.
    static std::pair<std::vector<std::string>, std::string> read_until_close(RawSocket& s) {
        std::vector<std::string> texts;
        while (auto f = s.read_frame()) {
            if (f->opcode == 0x8) return {texts, f->payload};
            texts.push_back(f->payload);
        }
        return {texts, "(no close frame)"};
    }

    std::unique_ptr<ChildProcess> child_;
    std::uint16_t port_ = 0;
};

TEST_F(ExampleRouter, EchoRoute) {
    RawSocket s = open("/echo");
    ASSERT_TRUE(s.send_frame(0x1, "ping me back"));
    auto f = s.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "ping me back");
    // The query string does not change the route.
    RawSocket q = open("/echo?room=1");
    ASSERT_TRUE(q.send_frame(0x2, "bin"));
    auto g = q.read_frame();
    ASSERT_TRUE(g);
    EXPECT_EQ(g->opcode, 0x2);
    EXPECT_EQ(g->payload, "bin");
}

TEST_F(ExampleRouter, DataRoutesSendTheirMessagesThenClose) {
    RawSocket one = open("/data/one");
    auto [texts, closing] = read_until_close(one);
    EXPECT_EQ(texts, (std::vector<std::string>{"one", "two", "three", "four", "five"}));
    EXPECT_EQ(closing, close_payload(1000));
    ASSERT_TRUE(one.send_frame(0x8, close_payload(1000)));
    EXPECT_TRUE(one.wait_closed());

    RawSocket two = open("/data/two");
    auto [texts2, closing2] = read_until_close(two);
    EXPECT_EQ(texts2, (std::vector<std::string>{"いち", "二", "さん", "四", "ご"}));
    EXPECT_EQ(closing2, close_payload(1000));
}

TEST_F(ExampleRouter, ClosureRouteClosesWith1011) {
    RawSocket s = open("/closure");
    ASSERT_TRUE(s.send_frame(0x1, "anything"));
    auto [texts, closing] = read_until_close(s);
    EXPECT_TRUE(texts.empty());
    EXPECT_EQ(closing, close_payload(1011, "Not Implemented."));
    EXPECT_TRUE(child_->wait_for_output("The closure handler got 'anything'")) << child_->describe();
}

TEST_F(ExampleRouter, UnknownPathIs404) {
    RawSocket s = RawSocket::connect(port_);
    const std::string head = s.handshake("/nowhere");
    EXPECT_EQ(head.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << head;
    EXPECT_EQ(s.recv_until("\n"), "404 - Not Found\n");
    EXPECT_TRUE(s.wait_closed());
    EXPECT_TRUE(child_->wait_for_output("No route for /nowhere")) << child_->describe();
    // Plain HTTP clients get the same answer.
    EXPECT_EQ(http_get(port_, "/").rfind("HTTP/1.1 404", 0), 0u);
}

}  // namespace
}  // namespace ws::test

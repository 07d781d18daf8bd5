// The code shown in README.md, compiled and run, so the README cannot drift from the API.
#include <gtest/gtest.h>

#include <iostream>

#include "support/test_support.hpp"

namespace readme {

// ---- as in README.md ("The API in one page") ----
struct Chat : ws::Handler {
    explicit Chat(ws::Sender sender) : out(std::move(sender)) {}
    ws::Sender out;

    ws::Result<ws::Response> on_request(const ws::Request& req) override {
        if (req.path() == "/") return ws::Response(200, "OK", "<html>...</html>");
        if (req.path() != "/ws") return ws::Response(404, "Not Found", "no such page");
        auto res = ws::Response::from_request(req);
        if (res) res->set_protocol("chat.v1");
        return res;
    }
    ws::Result<> on_open(const ws::Handshake& shake) override {
        auto who = shake.remote_addr().value_or("?");
        return out.broadcast(who + " joined");
    }
    ws::Result<> on_message(const ws::Message& msg) override { return out.broadcast(msg); }
    void on_close(ws::CloseCode, std::string_view) override {}
    void on_error(const ws::Error&) override {}
    void on_drain() override {}
};
// ---- end ----

}  // namespace readme

namespace ws::test {
namespace {

TEST(Readme, ChatHandlerServesThePageAndBroadcasts) {
    ws::WebSocket server = ws::Builder().max_connections(1000).idle_timeout_ms(30'000).build(
        [](ws::Sender out) { return readme::Chat(out); });
    ASSERT_TRUE(server.bind("127.0.0.1:0"));
    const auto port = server.local_addr()->port;
    std::thread loop([&] { EXPECT_TRUE(server.run()); });

    RawSocket page = RawSocket::connect(port);
    page.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(page.recv_until("\r\n").rfind("HTTP/1.1 200", 0), 0u);

    RawSocket a = RawSocket::connect(port);
    const std::string head = a.handshake("/ws", "Sec-WebSocket-Protocol: chat.v1\r\n");
    EXPECT_NE(head.find("Sec-WebSocket-Protocol: chat.v1"), std::string::npos) << head;
    auto joined = a.read_frame();
    ASSERT_TRUE(joined);
    EXPECT_EQ(joined->payload, "127.0.0.1 joined");
    a.send_frame(0x1, "hi all");
    auto echo = a.read_frame();
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->payload, "hi all");

    ws::Sender all = server.broadcaster();
    EXPECT_TRUE(all.send("tick"));
    auto tick = a.read_frame();
    ASSERT_TRUE(tick);
    EXPECT_EQ(tick->payload, "tick");
    EXPECT_TRUE(all.shutdown());
    loop.join();
}

}  // namespace
}  // namespace ws::test

// shutdown(): close frames to everyone, a bounded wait for the replies, then the loop exits
// (WS-RS exited at once and never flushed its close frames).
#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

using namespace std::chrono_literals;

struct Running {
    explicit Running(const Settings& s, EventLog& log)
        : socket(
              [&log](Sender) {
                  struct H : Handler {
                      EventLog& log;
                      explicit H(EventLog& l) : log(l) {}
                      void on_shutdown() override { log.add("handler shutdown"); }
                      void on_close(CloseCode c, std::string_view) override { log.add("close " + std::to_string(to_u16(c))); }
                  };
                  return H(log);
              },
              s) {
        EXPECT_TRUE(socket.bind("127.0.0.1:0"));
        port = socket.local_addr()->port;
        thread = std::thread([this] {
            result = socket.run();
            ended_at = std::chrono::steady_clock::now();
        });
    }
    ~Running() {
        if (thread.joinable()) {
            (void)socket.broadcaster().shutdown();
            thread.join();
        }
    }
    WebSocket socket;
    std::uint16_t port = 0;
    std::thread thread;
    Result<> result;
    std::chrono::steady_clock::time_point ended_at;
};

TEST(Shutdown, SendsCloseFramesAndWaitsForTheReplies) {
    Settings s;
    s.shutdown_timeout_ms = 3000;
    s.timer_sweep_ms = 20;
    EventLog log;
    Running r(s, log);
    RawSocket a = RawSocket::connect(r.port);
    a.handshake();
    RawSocket b = RawSocket::connect(r.port);
    b.handshake();
    a.send_frame(0x9, "x");  // both open
    b.send_frame(0x9, "x");
    ASSERT_TRUE(a.read_frame());
    ASSERT_TRUE(b.read_frame());
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(r.socket.broadcaster().shutdown());
    for (RawSocket* p : {&a, &b}) {
        auto f = p->read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->opcode, 0x8);
        EXPECT_EQ(f->payload, close_payload(1001, "Shutting down"));
    }
    a.send_frame(0x8, close_payload(1001));
    EXPECT_TRUE(a.wait_closed());
    a.close();
    std::this_thread::sleep_for(300ms);  // b answers late; the loop must still be waiting
    EXPECT_TRUE(r.thread.joinable());
    b.send_frame(0x8, close_payload(1001));
    EXPECT_TRUE(b.wait_closed());
    b.close();
    r.thread.join();
    const auto took = r.ended_at - start;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 2000ms);
    EXPECT_TRUE(r.result);
    EXPECT_EQ(log.count("handler shutdown"), 2u);
    EXPECT_EQ(log.count("close 1001"), 2u);
}

TEST(Shutdown, WaitIsBoundedWhenPeersNeverAnswer) {
    Settings s;
    s.shutdown_timeout_ms = 300;
    s.close_timeout_ms = 10000;
    s.timer_sweep_ms = 20;
    EventLog log;
    Running r(s, log);
    RawSocket a = RawSocket::connect(r.port);
    a.handshake();
    a.send_frame(0x9, "x");
    ASSERT_TRUE(a.read_frame());
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(r.socket.broadcaster().shutdown());
    r.thread.join();  // `a` never answers
    const auto took = r.ended_at - start;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 1500ms);
    EXPECT_TRUE(log.wait_for("close 1006", 0ms));
}

TEST(Shutdown, BeforeAnyConnectionAndBeforeRun) {
    WebSocket socket([](Sender) { return [](const Message&) {}; });
    ASSERT_TRUE(socket.bind("127.0.0.1:0"));
    ASSERT_TRUE(socket.broadcaster().shutdown());  // queued: acted on when run() starts
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(socket.run());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(Shutdown, FromAnotherThreadWithNoConnection) {
    WebSocket socket([](Sender) { return [](const Message&) {}; });
    ASSERT_TRUE(socket.bind("127.0.0.1:0"));
    Sender b = socket.broadcaster();
    std::thread t([b] {
        std::this_thread::sleep_for(50ms);
        EXPECT_TRUE(b.shutdown());
    });
    ASSERT_TRUE(socket.run());
    t.join();
    // After the loop ends, cross-thread calls say so instead of vanishing.
    auto r = b.send("late");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::Queue);
}

TEST(Shutdown, RefusesNewConnectionsWhileClosing) {
    Settings s;
    s.shutdown_timeout_ms = 2000;
    EventLog log;
    Running r(s, log);
    RawSocket a = RawSocket::connect(r.port);
    a.handshake();
    a.send_frame(0x9, "x");
    ASSERT_TRUE(a.read_frame());
    ASSERT_TRUE(r.socket.broadcaster().shutdown());
    ASSERT_TRUE(a.read_frame());  // our close frame: shutdown is under way
    RawSocket late = RawSocket::connect(r.port);
    // The listener is closed: either the connection is refused or it gets nothing but a close.
    if (late.ok()) {
        EXPECT_EQ(late.handshake().find("101"), std::string::npos);
    }
    a.send_frame(0x8, close_payload(1001));
}

}  // namespace
}  // namespace ws::test

// Broadcast over loopback: every kind of connection gets the message framed its own way, and a
// connection whose output is full is refused without the others missing anything.
// (Runtime::broadcast frames a message up to 1 KiB once and copies that frame to every server
// session that sends plain frames; everyone else frames it as send() would.)
#include <gtest/gtest.h>

#include <atomic>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

using namespace std::chrono_literals;

// A handler with an on_send_frame hook: its connection's data frames are rewritten, so the
// shared frame is not its frame.
class Bracketing : public Handler {
public:
    Result<> on_message(const Message&) override { return {}; }
    Result<> on_send_frame(Frame& frame) override {
        if (!frame.is_control()) frame.set_payload("[" + std::string(frame.payload()) + "]");
        return {};
    }
};

// Every length form (7-bit, 16-bit, 64-bit) and both sides of 1 KiB, text and binary.
struct Sent {
    std::uint8_t opcode;
    std::string payload;
};
std::vector<Sent> messages_to_broadcast() {
    std::vector<Sent> out;
    bool text = true;
    for (std::size_t n : {0, 1, 125, 126, 1000, 1023, 1024, 1025, 65535, 65536, 70000}) {
        std::string p(n, 'a');
        if (!text) {
            for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(i * 7 + n);
        }
        out.push_back({static_cast<std::uint8_t>(text ? 0x1 : 0x2), std::move(p)});
        text = !text;
    }
    return out;
}

void expect_frames(RawSocket& peer, const std::vector<Sent>& sent, bool masked, bool bracketed, const char* who) {
    for (const Sent& s : sent) {
        auto f = peer.read_frame();
        ASSERT_TRUE(f) << who << ": no frame for the " << s.payload.size() << "-byte message";
        EXPECT_TRUE(f->fin) << who;
        EXPECT_EQ(f->rsv, 0) << who;
        EXPECT_EQ(f->opcode, s.opcode) << who << ", " << s.payload.size() << " bytes";
        EXPECT_EQ(f->masked, masked) << who << ", " << s.payload.size() << " bytes";
        const std::string want = bracketed ? "[" + s.payload + "]" : s.payload;
        EXPECT_EQ(f->payload.size(), want.size()) << who;
        EXPECT_TRUE(f->payload == want) << who << ": wrong payload for the " << s.payload.size() << "-byte message";
    }
}

TEST(Broadcast, EachConnectionGetsTheMessageFramedItsOwnWay) {
    std::atomic<int> made{0};
    ServerThread server([&](Sender) -> std::unique_ptr<Handler> {
        if (made++ == 1) return std::make_unique<Bracketing>();
        return make_handler([](const Message&) {});
    });
    RawSocket plain = RawSocket::connect(server.port());  // handler 0
    ASSERT_NE(plain.handshake().find("101"), std::string::npos);
    RawSocket hooked = RawSocket::connect(server.port());  // handler 1: Bracketing
    ASSERT_NE(hooked.handshake().find("101"), std::string::npos);
    // A client connection of the same WebSocket: its frames must be masked (handler 2).
    RawListener listener;
    ASSERT_TRUE(server.broadcaster().connect("ws://127.0.0.1:" + std::to_string(listener.port()) + "/"));
    RawSocket client_side = listener.accept();
    ASSERT_TRUE(client_side.ok());
    RawListener::accept_handshake(client_side);
    // A connection still in its opening handshake gets every message right after it (handler 3).
    RawSocket late = RawSocket::connect(server.port());
    for (int i = 0; i < 500 && made.load() < 4; ++i) std::this_thread::sleep_for(2ms);
    ASSERT_EQ(made.load(), 4);

    const auto sent = messages_to_broadcast();
    for (const Sent& s : sent) {
        const Message m = s.opcode == 0x1 ? Message::text(s.payload) : Message::binary(s.payload);
        ASSERT_TRUE(server.broadcaster().broadcast(m));
    }
    expect_frames(plain, sent, false, false, "plain");
    expect_frames(hooked, sent, false, true, "hooked");
    expect_frames(client_side, sent, true, false, "client");
    ASSERT_NE(late.handshake().find("101"), std::string::npos);
    expect_frames(late, sent, false, false, "late");
}

// A connection whose peer reads nothing fills its output: the broadcast is refused for it
// alone (its handler hears Capacity), and a connection that reads gets every message.
TEST(Broadcast, AFullConnectionIsRefusedAndTheOthersGetEverything) {
    class Slow : public Handler {
    public:
        explicit Slow(EventLog& log) : log_(log) {}
        Result<> on_message(const Message&) override { return {}; }
        void on_error(const Error& e) override { log_.add(std::string(to_string(e.kind())) + " " + e.details()); }

    private:
        // No frame hooks (as a lambda's connection): this connection takes the shared frame.
        bool has_frame_hooks() const noexcept override { return false; }
        EventLog& log_;
    };
    constexpr int kPerRound = 1000;
    constexpr std::size_t kSize = 1000;  // framed once for both (at most 1 KiB)
    EventLog log;
    std::atomic<int> made{0};
    Settings s;
    s.max_output_buffer = 1 << 20;  // a round (about 1 MB) fits, two do not
    ServerThread server(
        [&](Sender out) -> std::unique_ptr<Handler> {
            if (made++ == 0) return std::make_unique<Slow>(log);
            // The reader: each message it sends starts a round of broadcasts.
            return make_handler([out](const Message& m) -> Result<> {
                for (int i = 0; i < kPerRound; ++i) {
                    std::string p(kSize, static_cast<char>('a' + i % 26));
                    p.replace(0, m.as_text().size(), m.as_text());
                    if (auto r = out.broadcast(Message::text(p)); !r) return r;
                }
                return {};
            });
        },
        s);
    RawSocket slow = RawSocket::connect(server.port());
    ASSERT_NE(slow.handshake().find("101"), std::string::npos);
    RawSocket reader = RawSocket::connect(server.port());
    ASSERT_NE(reader.handshake().find("101"), std::string::npos);
    bool refused = false;
    for (int round = 0; round < 20 && !refused; ++round) {
        const std::string tag = "round " + std::to_string(round) + " ";
        ASSERT_TRUE(reader.send(encode_frame(0x1, tag)));
        for (int i = 0; i < kPerRound; ++i) {
            auto f = reader.read_frame();
            ASSERT_TRUE(f) << tag << "message " << i;
            ASSERT_EQ(f->payload.size(), kSize);
            ASSERT_EQ(f->payload.substr(0, tag.size()), tag) << "message " << i;
            ASSERT_EQ(f->payload.back(), static_cast<char>('a' + i % 26)) << tag << "message " << i;
        }
        refused = log.wait_for_prefix("Capacity broadcast not delivered: output buffer full", 0ms).has_value();
    }
    EXPECT_TRUE(refused) << "the slow connection was never refused";
    for (const auto& e : log.events()) EXPECT_EQ(e.rfind("Capacity broadcast not delivered", 0), 0u) << e;
}

// The shared frame goes through the same output cap as send(), to the byte: within one callback
// (nothing is flushed in between) a message is refused exactly when pending + its size +
// kMaxHeaderSize (14) passes max_output_buffer, whether sent or broadcast.
TEST(Broadcast, IsRefusedAtTheSameByteAsSend) {
    class Edge : public Handler {
    public:
        Edge(Sender out, EventLog& log) : out_(std::move(out)), log_(log) {}
        Result<> on_message(const Message& m) override {
            const bool broadcast = m.as_text() == "broadcast";
            auto put = [&](std::size_t n, char c) {
                const std::string p(n, c);
                auto r = broadcast ? out_.broadcast(Message::text(p)) : out_.send(Message::text(p));
                log_.add(std::string(m.as_text()) + " " + std::to_string(n) + (r ? " ok" : " refused"));
            };
            if (m.as_text() == "end") return out_.send(Message::text("end"));
            put(500, 'a');  // 504 bytes wait in the cork: 1000 - 14 - 504 = 482 fit
            put(483, 'b');
            put(482, 'c');
            return {};
        }
        void on_error(const Error& e) override { log_.add(std::string(to_string(e.kind())) + " " + e.details()); }

    private:
        bool has_frame_hooks() const noexcept override { return false; }  // takes the shared frame
        Sender out_;
        EventLog& log_;
    };
    EventLog log;
    Settings s;
    s.max_output_buffer = 1000;
    ServerThread server([&](Sender out) -> std::unique_ptr<Handler> { return std::make_unique<Edge>(out, log); }, s);
    RawSocket c = RawSocket::connect(server.port());
    ASSERT_NE(c.handshake().find("101"), std::string::npos);
    for (const std::string round : {"send", "broadcast"}) {
        ASSERT_TRUE(c.send(encode_frame(0x1, round)));
        for (auto [n, ch] : {std::pair<std::size_t, char>{500, 'a'}, {482, 'c'}}) {
            auto f = c.read_frame();
            ASSERT_TRUE(f) << round;
            EXPECT_EQ(f->payload, std::string(n, ch)) << round << ": " << n << " bytes";
        }
    }
    ASSERT_TRUE(c.send(encode_frame(0x1, "end")));
    auto f = c.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, "end") << "nothing else was sent";
    EXPECT_EQ(log.count("send 500 ok"), 1u);
    EXPECT_EQ(log.count("send 483 refused"), 1u);
    EXPECT_EQ(log.count("send 482 ok"), 1u);
    EXPECT_EQ(log.count("broadcast 500 ok"), 1u);
    EXPECT_EQ(log.count("broadcast 482 ok"), 1u);
    // A broadcast reports its refusal to the connection that did not get it.
    EXPECT_TRUE(log.wait_for_prefix("Capacity broadcast not delivered: output buffer full (504 bytes unsent)", 0ms))
        << "events: " << ::testing::PrintToString(log.events());
}

}  // namespace
}  // namespace ws::test

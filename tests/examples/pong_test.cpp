// examples/pong.cpp: timed pings carrying a timestamp, RTT from the pongs, and an idle expiry
// that every incoming frame pushes back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

using Clock = std::chrono::steady_clock;

TEST(ExamplePong, PingsMeasuresRttAndExpiresSilentClients) {
    constexpr int kPingMs = 100;
    constexpr int kExpireMs = 600;
    std::uint16_t port = 0;
    auto started = start_on_free_port("pong", [](std::uint16_t p) {
        return std::vector<std::string>{std::to_string(p), std::to_string(kPingMs), std::to_string(kExpireMs)};
    }, port);
    ASSERT_TRUE(started);
    ChildProcess& pong = *started;

    RawSocket peer = RawSocket::connect(port);
    ASSERT_NE(peer.handshake().find("HTTP/1.1 101"), std::string::npos);

    // Phase 1: answer every ping for 2.5 expiry periods. The connection must stay open,
    // because each pong re-arms the expiry.
    int pings = 0;
    bool echoed = false;
    const auto start = Clock::now();
    while (Clock::now() - start < std::chrono::milliseconds(kExpireMs * 5 / 2)) {
        auto f = peer.read_frame(1000);
        ASSERT_TRUE(f) << "the server went quiet" << pong.describe();
        ASSERT_NE(f->opcode, 0x8) << "closed while the client was answering pings: " << pong.describe();
        if (f->opcode == 0x9) {
            ++pings;
            // The payload is the server's clock: decimal nanoseconds.
            EXPECT_FALSE(f->payload.empty());
            EXPECT_TRUE(std::all_of(f->payload.begin(), f->payload.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
                << f->payload;
            ASSERT_TRUE(peer.send_frame(0xA, f->payload));
            if (pings == 3) {
                ASSERT_TRUE(peer.send_frame(0x1, "still here"));  // messages are echoed
                ASSERT_TRUE(peer.send_frame(0xA, "not a timestamp"));  // an unsolicited pong
            }
        } else if (f->opcode == 0x1) {
            EXPECT_EQ(f->payload, "still here");
            echoed = true;
        }
    }
    EXPECT_GE(pings, 8) << "pings every " << kPingMs << " ms for " << kExpireMs * 5 / 2 << " ms";
    EXPECT_TRUE(echoed);
    EXPECT_TRUE(pong.wait_for_count("RTT is ", 3)) << pong.describe();
    EXPECT_TRUE(pong.wait_for_output("got a pong we did not ask for")) << pong.describe();

    // Phase 2: go silent. Pings keep coming, but nothing comes back: after kExpireMs the
    // server closes with 1001.
    const auto silent = Clock::now();
    std::optional<RawFrame> closing;
    while (auto f = peer.read_frame(3000)) {
        if (f->opcode == 0x8) {
            closing = std::move(f);
            break;
        }
    }
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - silent);
    ASSERT_TRUE(closing) << pong.describe();
    EXPECT_EQ(closing->payload, close_payload(1001, "idle for too long"));
    EXPECT_GE(waited.count(), kExpireMs - 150);  // the expiry counts from our last frame
    EXPECT_LT(waited.count(), kExpireMs + 1500);
    ASSERT_TRUE(peer.send_frame(0x8, close_payload(1001)));
    EXPECT_TRUE(peer.wait_closed());

    EXPECT_TRUE(pong.wait_for_output("expired: nothing heard for 600 ms")) << pong.describe();
    EXPECT_TRUE(pong.wait_for_output("closed (1001 Away)")) << pong.describe();
    EXPECT_TRUE(pong.running());  // the server goes on serving others
    pong.terminate();
}

}  // namespace
}  // namespace ws::test

// Every limit in Settings, hit by a hostile peer: the peer gets the right close code or HTTP
// status, and a healthy connection on the same server keeps working throughout.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

using namespace std::chrono_literals;

auto echo() {
    return [](Sender out) { return [out](const Message& m) { return out.send(m); }; };
}

// A connection that must keep working while others misbehave.
void expect_healthy(RawSocket& peer, const std::string& text) {
    ASSERT_TRUE(peer.send_frame(0x1, text));
    auto f = peer.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->payload, text);
}

std::uint16_t close_code_of(const RawFrame& f) {
    if (f.opcode != 0x8 || f.payload.size() < 2) return 0;
    return static_cast<std::uint16_t>((static_cast<unsigned char>(f.payload[0]) << 8) | static_cast<unsigned char>(f.payload[1]));
}

TEST(Limits, HandshakeLargerThanTheLimitGets431) {
    Settings s;
    s.max_handshake_size = 1024;
    ServerThread server(echo(), s);
    RawSocket good = RawSocket::connect(server.port());
    good.handshake();
    RawSocket peer = RawSocket::connect(server.port());
    peer.send("GET / HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(4000, 'a'));
    const std::string head = peer.recv_until("\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 431", 0), 0u) << head;
    EXPECT_TRUE(peer.wait_closed());
    expect_healthy(good, "still here");
}

TEST(Limits, TooManyHeadersGets431) {
    Settings s;
    s.max_headers = 10;
    ServerThread server(echo(), s);
    RawSocket peer = RawSocket::connect(server.port());
    std::string req = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 20; ++i) req += "X-H" + std::to_string(i) + ": v\r\n";
    peer.send(req + "\r\n");
    EXPECT_EQ(peer.recv_until("\r\n").rfind("HTTP/1.1 431", 0), 0u);
}

TEST(Limits, SlowlorisHandshakeTimesOutWith408) {
    Settings s;
    s.handshake_timeout_ms = 300;
    s.timer_sweep_ms = 20;
    ServerThread server(echo(), s);
    RawSocket good = RawSocket::connect(server.port());
    good.handshake();
    RawSocket slow = RawSocket::connect(server.port());
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n";
    const auto start = std::chrono::steady_clock::now();
    std::string answer;
    for (char c : request) {  // one byte every 50 ms: never finishes in time
        if (!slow.send(std::string(1, c))) break;
        answer += slow.recv_some(50);
        if (!answer.empty()) break;
    }
    if (answer.empty()) answer = slow.recv_until("\r\n\r\n", 2000);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 1500ms);
    EXPECT_TRUE(slow.wait_closed());
    expect_healthy(good, "not stalled");
}

TEST(Limits, FrameLargerThanMaxFrameSizeClosesWith1009BeforeThePayload) {
    Settings s;
    s.max_frame_size = 1000;
    ServerThread server(echo(), s);
    RawSocket good = RawSocket::connect(server.port());
    good.handshake();
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    // Only the header: 2000 bytes announced, none sent. The server must not wait for them.
    const std::string frame = encode_frame(0x2, std::string(2000, 'x'));
    peer.send(frame.substr(0, 8));
    auto f = peer.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(close_code_of(*f), 1009);
    EXPECT_TRUE(peer.wait_closed());
    expect_healthy(good, "ok");
}

TEST(Limits, FrameAnnouncingTwoToThe63IsAProtocolError) {
    ServerThread server(echo());
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    // 127 and a 64-bit length with the most significant bit set (RFC 6455 5.2 forbids it).
    std::string header = "\x82\xFF";
    header += std::string("\x80\x00\x00\x00\x00\x00\x00\x00", 8);
    header += "abcd";
    peer.send(header);
    auto f = peer.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(close_code_of(*f), 1002);
    // And 2^63 - 1: legal in form, far over the limit: 1009.
    RawSocket peer2 = RawSocket::connect(server.port());
    peer2.handshake();
    std::string h2 = "\x82\xFF";
    h2 += std::string("\x7F\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
    h2 += "abcd";
    peer2.send(h2);
    auto f2 = peer2.read_frame();
    ASSERT_TRUE(f2);
    EXPECT_EQ(close_code_of(*f2), 1009);
}

TEST(Limits, MessageOverMaxMessageSizeInSmallFragmentsCloses1009) {
    Settings s;
    s.max_message_size = 1000;
    ServerThread server(echo(), s);
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    peer.send_frame(0x2, std::string(400, 'a'), false);
    peer.send_frame(0x0, std::string(400, 'b'), false);
    peer.send_frame(0x0, std::string(400, 'c'), false);  // 1200 > 1000
    auto f = peer.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(close_code_of(*f), 1009);
}

TEST(Limits, GarbageGetsAClearAnswerAndHarmsNoOne) {
    ServerThread server(echo());
    RawSocket good = RawSocket::connect(server.port());
    good.handshake();
    // Garbage instead of a handshake.
    RawSocket a = RawSocket::connect(server.port());
    const char tls_hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n";
    a.send(std::string(tls_hello, sizeof(tls_hello) - 1));
    EXPECT_EQ(a.recv_until("\r\n").rfind("HTTP/1.1 400", 0), 0u);
    // Garbage after the handshake: an unmasked frame with a reserved opcode.
    RawSocket b = RawSocket::connect(server.port());
    b.handshake();
    b.send(std::string("\x0F\x05hello", 7));
    auto f = b.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(close_code_of(*f), 1002);
    // Invalid UTF-8 in a text message.
    RawSocket c = RawSocket::connect(server.port());
    c.handshake();
    c.send_frame(0x1, std::string("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", 14));
    auto g = c.read_frame();
    ASSERT_TRUE(g);
    EXPECT_EQ(close_code_of(*g), 1007);
    expect_healthy(good, "fine");
}

TEST(Limits, MaxConnectionsAnswers503AndTheLoopDoesNotSpin) {
    Settings s;
    s.max_connections = 2;
    s.close_timeout_ms = 2000;
    ServerThread server(echo(), s);
    RawSocket a = RawSocket::connect(server.port());
    ASSERT_NE(a.handshake().find("101"), std::string::npos);
    RawSocket b = RawSocket::connect(server.port());
    ASSERT_NE(b.handshake().find("101"), std::string::npos);
    // WS-RS #261: refused clients that stay connected made the server spin at full CPU.
    std::vector<RawSocket> refused;
    for (int i = 0; i < 5; ++i) {
        refused.push_back(RawSocket::connect(server.port()));
        const std::string head = refused.back().handshake();
        EXPECT_EQ(head.rfind("HTTP/1.1 503", 0), 0u) << head;
    }
    const double before = process_cpu_seconds();
    std::this_thread::sleep_for(500ms);  // the refused sockets stay open, unread
    const double used = process_cpu_seconds() - before;
    EXPECT_LT(used, 0.1) << "the server used " << used << " s of CPU in 0.5 s while idle";
    expect_healthy(a, "a");
    expect_healthy(b, "b");
    // Room again after one leaves.
    a.send_frame(0x8, close_payload(1000));
    a.read_frame();
    a.close();
    bool admitted = false;
    for (int i = 0; i < 50 && !admitted; ++i) {
        RawSocket c = RawSocket::connect(server.port());
        admitted = c.handshake().find("101") != std::string::npos;
        if (!admitted) std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(admitted);
}

}  // namespace
}  // namespace ws::test

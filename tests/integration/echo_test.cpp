// The basic loop: a server echoes, a raw peer checks the bytes.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

TEST(Echo, RawPeerGetsItsMessagesBack) {
    ServerThread server([](Sender out) { return [out](const Message& msg) { return out.send(msg); }; });
    RawSocket peer = RawSocket::connect(server.port());
    ASSERT_TRUE(peer.ok());
    const std::string head = peer.handshake();
    ASSERT_NE(head.find("HTTP/1.1 101"), std::string::npos) << head;
    // RFC 6455 1.3's worked example: this key must produce this accept value.
    EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
    ASSERT_TRUE(peer.send_frame(0x1, "hello"));
    auto f = peer.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x1);
    EXPECT_FALSE(f->masked);
    EXPECT_EQ(f->payload, "hello");
    ASSERT_TRUE(peer.send_frame(0x8, close_payload(1000, "bye")));
    auto c = peer.read_frame();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->opcode, 0x8);
    EXPECT_EQ(c->payload, close_payload(1000));
    EXPECT_TRUE(peer.wait_closed());
}

TEST(Echo, LargeMessagesComeBackIntactToASlowReader) {
    // A message over 1 MiB echoed from on_message leaves from the buffer it was assembled in
    // (the socket keeps that buffer for what the kernel does not take at once; no copy). A
    // peer that reads late makes that the common case; every byte must still come back, in
    // order, and the connection must go on working with messages of any size.
    ServerThread server([](Sender out) { return [out](const Message& msg) { return out.send(msg); }; });
    RawSocket peer = RawSocket::connect(server.port());
    ASSERT_TRUE(peer.ok());
    int small_buffer = 64 << 10;
    setsockopt(peer.fd(), SOL_SOCKET, SO_RCVBUF, &small_buffer, sizeof(small_buffer));
    ASSERT_NE(peer.handshake().find("HTTP/1.1 101"), std::string::npos);
    const auto payload_of = [](std::size_t n, std::size_t seed) {
        std::string s(n, '\0');
        for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('A' + (i * 3 + seed + i / 65536) % 26);
        return s;
    };
    const std::string first = payload_of(6u << 20, 1);
    const std::string second = payload_of((3u << 20) + 17, 2);
    ASSERT_TRUE(peer.send_frame(0x1, first));
    ASSERT_TRUE(peer.send_frame(0x2, second));
    ASSERT_TRUE(peer.send_frame(0x1, "small"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the server's writes wait for us
    auto a = peer.read_frame(10000);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->opcode, 0x1);
    EXPECT_TRUE(a->payload == first) << "first message damaged (" << a->payload.size() << " bytes)";
    auto b = peer.read_frame(10000);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->opcode, 0x2);
    EXPECT_TRUE(b->payload == second) << "second message damaged (" << b->payload.size() << " bytes)";
    auto c = peer.read_frame(3000);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->payload, "small");
    ASSERT_TRUE(peer.send_frame(0x8, close_payload(1000)));
    auto d = peer.read_frame();
    ASSERT_TRUE(d);
    EXPECT_EQ(d->opcode, 0x8);
    EXPECT_TRUE(peer.wait_closed());
}

}  // namespace
}  // namespace ws::test

// The basic loop: a server echoes, a raw peer checks the bytes.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ws::test

// examples/autobahn_server.cpp: an echo server with limits raised for the conformance suite.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

std::uint16_t started_on(const ChildProcess& p, const std::string& host) {
    return static_cast<std::uint16_t>(p.wait_for_number_after("listening on ws://" + host + ":").value_or(0));
}

TEST(ExampleAutobahnServer, EchoesMessagesBeyondTheDefaultLimits) {
    ChildProcess server(example_path("autobahn_server"), {"0"});
    ASSERT_TRUE(server.started());
    const std::uint16_t port = started_on(server, "127.0.0.1");
    ASSERT_NE(port, 0) << server.describe();

    RawSocket peer = RawSocket::connect(port);
    ASSERT_NE(peer.handshake().find("HTTP/1.1 101"), std::string::npos);

    // 20 MiB in one frame: past Settings' 16 MiB default for frames and messages.
    std::string big(20u << 20, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
    ASSERT_TRUE(peer.send_frame(0x2, big));
    auto echo = peer.read_frame(30000);
    ASSERT_TRUE(echo) << server.describe();
    EXPECT_EQ(echo->opcode, 0x2);
    EXPECT_EQ(echo->payload.size(), big.size());
    EXPECT_TRUE(echo->payload == big);

    // A fragmented text message comes back whole.
    ASSERT_TRUE(peer.send_frame(0x1, "frag", false));
    ASSERT_TRUE(peer.send_frame(0x9, "ping in between"));
    ASSERT_TRUE(peer.send_frame(0x0, "men", false));
    ASSERT_TRUE(peer.send_frame(0x0, "ted ✓", true));
    auto pong = peer.read_frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->opcode, 0xA);
    EXPECT_EQ(pong->payload, "ping in between");
    auto text = peer.read_frame();
    ASSERT_TRUE(text);
    EXPECT_EQ(text->opcode, 0x1);
    EXPECT_EQ(text->payload, "fragmented ✓");

    // Broken UTF-8 still fails the connection with 1007: only the size limits were raised.
    ASSERT_TRUE(peer.send_frame(0x1, "\xc3\x28"));
    auto closing = peer.read_frame();
    ASSERT_TRUE(closing);
    EXPECT_EQ(closing->opcode, 0x8);
    EXPECT_EQ(closing->payload.substr(0, 2), close_payload(1007));
    server.terminate();
}

bool ipv6_loopback_available() {
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(fd);
    return ok;
}

TEST(ExampleAutobahnServer, ListensOnTheHostGiven) {
    if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
    ChildProcess server(example_path("autobahn_server"), {"0", "::1"});
    ASSERT_TRUE(server.started());
    const std::uint16_t port = started_on(server, "[::1]");
    ASSERT_NE(port, 0) << server.describe();
    RawSocket peer = RawSocket::connect(port, "::1");
    ASSERT_TRUE(peer.ok());
    ASSERT_NE(peer.handshake().find("HTTP/1.1 101"), std::string::npos);
    ASSERT_TRUE(peer.send_frame(0x1, "over IPv6"));
    auto echo = peer.read_frame();
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->payload, "over IPv6");
    server.terminate();
}

}  // namespace
}  // namespace ws::test

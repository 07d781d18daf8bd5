// examples/remote_addr.cpp: the client's address from X-Forwarded-For, Forwarded, or the
// TCP peer, printed and sent back.
#include <gtest/gtest.h>

#include "child_process.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

class ExampleRemoteAddr : public ::testing::Test {
protected:
    void SetUp() override {
        child_ = start_on_free_port("remote_addr", [](std::uint16_t p) { return std::vector<std::string>{std::to_string(p)}; }, port_);
        ASSERT_TRUE(child_);
    }
    void TearDown() override {
        if (child_) child_->terminate();
    }

    // Connects with `headers` and returns the first message the server sends.
    std::string address_seen_with(std::string_view headers) {
        RawSocket s = RawSocket::connect(port_);
        if (s.handshake("/", headers).find("HTTP/1.1 101") == std::string::npos) return "(no handshake)";
        auto f = s.read_frame();
        if (!f) return "(no message)";
        s.send_frame(0x8, close_payload(1000));
        return f->payload;
    }

    std::unique_ptr<ChildProcess> child_;
    std::uint16_t port_ = 0;
};

TEST_F(ExampleRemoteAddr, TcpPeerWithoutProxyHeaders) {
    EXPECT_EQ(address_seen_with(""), "127.0.0.1");
    EXPECT_TRUE(child_->wait_for_output("Connection opened from 127.0.0.1 (TCP peer 127.0.0.1:")) << child_->describe();
}

TEST_F(ExampleRemoteAddr, LeftmostXForwardedFor) {
    EXPECT_EQ(address_seen_with("X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\n"), "203.0.113.7");
    EXPECT_TRUE(child_->wait_for_output("Connection opened from 203.0.113.7 (TCP peer 127.0.0.1:")) << child_->describe();
}

TEST_F(ExampleRemoteAddr, ForwardedForWithIpv6AndPort) {
    EXPECT_EQ(address_seen_with("Forwarded: for=\"[2001:db8:cafe::17]:4711\";proto=http\r\n"), "2001:db8:cafe::17");
    EXPECT_TRUE(child_->wait_for_output("Connection opened from 2001:db8:cafe::17")) << child_->describe();
}

}  // namespace
}  // namespace ws::test

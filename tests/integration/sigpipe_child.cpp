// The body of robustness_test's SigPipe tests, in a process of its own (see there): a peer
// sends a 4 MiB message and closes its socket at once. The echo goes to a closed socket: the
// first write is answered with a reset, the next ones fail with EPIPE, which would raise SIGPIPE
// (and end the process, at its default disposition) but for MSG_NOSIGNAL.
// argv[1]: "default" (SIGPIPE left at its default) or "handler" (the program installs one).
#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

std::string g_mode;

void peer_handler(int) {}

TEST(SigPipe, ChildBody) {
    const std::string& mode = g_mode;
    if (mode == "handler") signal(SIGPIPE, &peer_handler);
    EventLog log;
    Settings s;
    s.max_message_size = 16u << 20;
    ServerThread server([&](Sender out) {
        struct Echo : Handler {
            Sender out;
            EventLog* log;
            Echo(Sender o, EventLog* l) : out(std::move(o)), log(l) {}
            Result<> on_message(const Message& m) override { return out.send(m); }
            void on_close(CloseCode, std::string_view) override { log->add("close"); }
            void on_error(const Error&) override { log->add("error"); }
        };
        return Echo(out, &log);
    }, s);
    struct sigaction now {};
    sigaction(SIGPIPE, nullptr, &now);
    if (mode == "handler") {
        EXPECT_EQ(now.sa_handler, &peer_handler) << "a handler the program installed is kept";
    } else {
        // ws-cpp's sends use MSG_NOSIGNAL: the process's disposition is not touched at all.
        EXPECT_EQ(now.sa_handler, SIG_DFL) << "SIGPIPE is left at its default";
    }
    for (int round = 0; round < 5; ++round) {
        RawSocket peer = RawSocket::connect(server.port());
        peer.handshake();
        ASSERT_TRUE(peer.send(encode_frame(0x2, std::string(4u << 20, 'p'))));
        peer.close();
        ASSERT_TRUE(log.wait_for([&](const auto& ev) { return ev.size() >= static_cast<std::size_t>(round + 1); },
                                 std::chrono::seconds(10 * kSlowdown)));
    }
    // The server still answers.
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    ASSERT_TRUE(peer.send_frame(0x1, "still here"));
    auto echo = peer.read_frame();
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->payload, "still here");
}

}  // namespace
}  // namespace ws::test

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    if (argc < 2 || (std::strcmp(argv[1], "default") != 0 && std::strcmp(argv[1], "handler") != 0)) {
        std::fprintf(stderr, "usage: sigpipe_child default|handler\n");
        return 2;
    }
    ws::test::g_mode = argv[1];
    return RUN_ALL_TESTS();
}

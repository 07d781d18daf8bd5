// The body of robustness_test's Emfile tests, in a process of its own (see there): the
// process runs out of file descriptors while clients wait to be accepted. The listening socket
// stays readable as long as they wait, so a listener that only retried would spin; it must shed
// them (with the descriptor it keeps in reserve) or, with nothing to shed with, stop watching
// for a while. argv[1]: "reserve" (the reserve descriptor exists) or "noreserve" (the table was
// already full when the server bound, so there is none).
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <future>
#include <vector>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

std::string g_mode;

TEST(Emfile, ChildBody) {
    const bool reserve = g_mode == "reserve";
    rlimit limit{256, 256};
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
    // The clients' sockets exist before the table fills up; connect() needs no descriptor.
    constexpr int kClients = 3;
    int clients[kClients];
    for (int& c : clients) {
        c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_GE(c, 0);
    }
    std::vector<int> filler;
    auto fill = [&] {
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filler.push_back(fd);
    };
    WebSocket socket([](Sender) { return [](const Message&) {}; });
    // The loop's thread starts before the table fills up (it waits to run until the server is
    // bound): UBSan's first check of a type, such as the thread's state at its start, opens a
    // pipe, and fails on a full table.
    std::promise<void> bound;
    std::thread loop([&, ready = bound.get_future()]() mutable {
        ready.wait();
        (void)socket.run();
    });
    bool released = false;
    auto release = [&] {  // lets the loop run (once)
        if (!released) bound.set_value();
        released = true;
    };
    // However the test ends, the loop is let go, shut down and joined.
    struct Joiner {
        std::function<void()> stop;
        ~Joiner() { stop(); }
    } joiner{[&] {
        release();
        (void)socket.broadcaster().shutdown();
        if (loop.joinable()) loop.join();
    }};
    if (!reserve) {
        fill();  // leave exactly one: the listening socket takes it, the reserve finds none
        ::close(filler.back());
        filler.pop_back();
    }
    const bool listening = static_cast<bool>(socket.bind("127.0.0.1:0"));
    const std::uint16_t port = listening ? socket.local_addr()->port : 0;
    if (reserve) fill();
    release();
    ASSERT_TRUE(listening);

    for (int c : clients) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // the kernel's backlog takes it
    }
    const double before = process_cpu_seconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const double spent = process_cpu_seconds() - before;
    // A spinning listener burns the whole second; sanitizer runtimes get some slack.
    EXPECT_LT(spent, kSanitized ? 0.4 : 0.2) << "the listener spins at EMFILE";
    int shed = 0;
    for (int c : clients) {  // a shed connection reads EOF (or a reset)
        pollfd p{c, POLLIN, 0};
        char byte;
        if (poll(&p, 1, reserve ? 1000 : 0) > 0 && ::recv(c, &byte, 1, MSG_DONTWAIT) <= 0) ++shed;
    }
    if (reserve) {
        EXPECT_EQ(shed, kClients) << "connections waiting at EMFILE are shed with the reserve descriptor";
    } else {
        EXPECT_EQ(shed, 0);
        // Descriptors come back: the listener watches again and accepts the waiting clients
        // (which then get a 408 or are read; here: the server answers an upgrade).
        for (int fd : filler) ::close(fd);
        filler.clear();
        const std::string request =
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        ASSERT_EQ(::send(clients[0], request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
        pollfd p{clients[0], POLLIN, 0};
        ASSERT_GT(poll(&p, 1, 3000), 0) << "the listener did not come back once descriptors were free";
        char reply[64] = {};
        ASSERT_GT(::recv(clients[0], reply, sizeof reply - 1, 0), 12);
        EXPECT_EQ(std::string(reply, 12), "HTTP/1.1 101");
    }
    for (int fd : filler) ::close(fd);
    for (int c : clients) ::close(c);
}

}  // namespace
}  // namespace ws::test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc > 1) ws::test::g_mode = argv[1];
    return RUN_ALL_TESTS();
}

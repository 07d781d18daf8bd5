// floor_epoll_echo: a bare epoll TCP echo, the other floor (what the kernel costs with no
// event library at all).
//
//   floor_epoll_echo PORT [HOST]        127.0.0.1 by default; PORT 0 picks a free port
//
// Level-triggered epoll, one 64 KiB read buffer for every connection, TCP_NODELAY, and for
// each read one write of the bytes; only what the kernel did not take is kept (per
// connection), and reading from that connection stops until it is written. Drive it with
// `wsload PORT --raw`. Stop it with a signal.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "floor_epoll.hpp"
#include "floor_listen.hpp"

namespace {

constexpr std::size_t kReadBuffer = 64u << 10;

}  // namespace

int main(int argc, char** argv) {
    const int lfd = bench::floor_start("floor_epoll_echo", argc, argv, SOCK_NONBLOCK);
    if (lfd < 0) return 1;

    bench::EpollFloor floor;
    floor.set_events(lfd, EPOLLIN, EPOLL_CTL_ADD);
    static char buf[kReadBuffer];
    std::vector<epoll_event> events(1024);
    for (;;) {
        const int n = floor.wait(events);
        if (n < 0) return 1;
        for (int e = 0; e < n; ++e) {
            floor.handle(events[static_cast<std::size_t>(e)], lfd, [&](int fd, bench::EpollFloor::Conn& c) {
                const std::size_t r = floor.read_or_drop(fd, buf, sizeof buf);
                if (r == 0) return;
                const ssize_t w = send(fd, buf, r, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    floor.drop(fd);
                    return;
                }
                floor.keep_rest(fd, c, buf, w > 0 ? static_cast<std::size_t>(w) : 0, r);
            });
        }
    }
}

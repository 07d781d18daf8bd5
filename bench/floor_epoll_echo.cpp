// floor_epoll_echo: a bare epoll TCP echo, the other floor (what the kernel costs with no
// event library at all).
//
//   floor_epoll_echo PORT [HOST]        127.0.0.1 by default; PORT 0 picks a free port
//
// Level-triggered epoll, one 64 KiB read buffer for every connection, TCP_NODELAY, and for
// each read one write of the bytes; only what the kernel did not take is kept (per
// connection), and reading from that connection stops until it is written. Drive it with
// `wsload PORT --raw`. Stop it with a signal.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "floor_listen.hpp"

namespace {

constexpr std::size_t kReadBuffer = 64u << 10;

struct Conn {
    std::vector<char> pending;  // bytes the kernel did not take yet
    std::size_t off = 0;
};

std::vector<Conn*> g_conns;  // indexed by fd
int g_ep = -1;

void set_events(int fd, std::uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(g_ep, op, fd, &ev);
}

void drop(int fd) {
    epoll_ctl(g_ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    delete g_conns[static_cast<std::size_t>(fd)];
    g_conns[static_cast<std::size_t>(fd)] = nullptr;
}

// Writes what is pending; true when all of it went out.
bool write_pending(int fd, Conn& c) {
    while (c.off < c.pending.size()) {
        const ssize_t w = send(fd, c.pending.data() + c.off, c.pending.size() - c.off, MSG_NOSIGNAL);
        if (w > 0) {
            c.off += static_cast<std::size_t>(w);
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN) {
            return false;
        } else {
            drop(fd);
            return false;
        }
    }
    c.pending.clear();
    c.off = 0;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: floor_epoll_echo PORT [HOST]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const int port = std::atoi(argv[1]);
    const std::string host = argc > 2 ? argv[2] : "127.0.0.1";
    const int lfd = bench::floor_listen("floor_epoll_echo", host, port, SOCK_NONBLOCK);
    if (lfd < 0) return 1;

    g_ep = epoll_create1(EPOLL_CLOEXEC);
    set_events(lfd, EPOLLIN, EPOLL_CTL_ADD);
    static char buf[kReadBuffer];
    std::vector<epoll_event> events(1024);
    for (;;) {
        const int n = epoll_wait(g_ep, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::perror("epoll_wait");
            return 1;
        }
        for (int e = 0; e < n; ++e) {
            const int fd = events[static_cast<std::size_t>(e)].data.fd;
            const std::uint32_t ev = events[static_cast<std::size_t>(e)].events;
            if (fd == lfd) {
                for (;;) {
                    const int cfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;
                    const int one = 1;
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (static_cast<std::size_t>(cfd) >= g_conns.size()) g_conns.resize(static_cast<std::size_t>(cfd) + 1024);
                    g_conns[static_cast<std::size_t>(cfd)] = new Conn();
                    set_events(cfd, EPOLLIN, EPOLL_CTL_ADD);
                }
                continue;
            }
            Conn* c = g_conns[static_cast<std::size_t>(fd)];
            if (c == nullptr) continue;
            if ((ev & EPOLLOUT) != 0) {
                if (write_pending(fd, *c)) set_events(fd, EPOLLIN, EPOLL_CTL_MOD);  // drained: read again
                continue;
            }
            if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) continue;
            const ssize_t r = read(fd, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                drop(fd);
                continue;
            }
            if (r < 0) continue;
            const ssize_t w = send(fd, buf, static_cast<std::size_t>(r), MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                drop(fd);
                continue;
            }
            const std::size_t done = w > 0 ? static_cast<std::size_t>(w) : 0;
            if (done < static_cast<std::size_t>(r)) {
                // The kernel's send buffer is full: keep the rest, stop reading until it is out.
                c->pending.assign(buf + done, buf + r);
                c->off = 0;
                set_events(fd, EPOLLOUT, EPOLL_CTL_MOD);
            }
        }
    }
}

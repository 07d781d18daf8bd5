// What the epoll-based floors (floor_epoll_echo, floor_batch_echo) share: the connection table,
// level-triggered interest, accepting, dropping, and writing what the kernel did not take at
// once. Free of ws-cpp and of any event library.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace bench {

class EpollFloor {
public:
    struct Conn {
        std::vector<char> pending;  // bytes the kernel did not take yet
        std::size_t off = 0;
    };

    EpollFloor() : ep_(epoll_create1(EPOLL_CLOEXEC)) {}

    int fd() const noexcept { return ep_; }
    // One epoll_wait for as many events as `events` holds (again after a signal): how many
    // came, or -1 after printing why it failed.
    int wait(std::vector<epoll_event>& events) const {
        for (;;) {
            const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), -1);
            if (n >= 0 || errno != EINTR) {
                if (n < 0) std::perror("epoll_wait");
                return n;
            }
        }
    }
    Conn* conn(int fd) const noexcept {
        return static_cast<std::size_t>(fd) < conns_.size() ? conns_[static_cast<std::size_t>(fd)] : nullptr;
    }

    void set_events(int fd, std::uint32_t events, int op) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        epoll_ctl(ep_, op, fd, &ev);
    }

    // Takes every waiting connection on the (non-blocking) listener: TCP_NODELAY, watched for
    // input.
    void accept_all(int lfd) {
        for (;;) {
            const int cfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (cfd < 0) return;
            const int one = 1;
            setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (static_cast<std::size_t>(cfd) >= conns_.size()) conns_.resize(static_cast<std::size_t>(cfd) + 1024);
            conns_[static_cast<std::size_t>(cfd)] = new Conn();
            set_events(cfd, EPOLLIN, EPOLL_CTL_ADD);
        }
    }

    void drop(int fd) {
        epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        delete conns_[static_cast<std::size_t>(fd)];
        conns_[static_cast<std::size_t>(fd)] = nullptr;
    }

    // One event of epoll_wait: accepts on the listener `lfd`, writes what waits on a writable
    // connection, and hands a readable one to `on_readable(fd, conn)`.
    template <class OnReadable>
    void handle(const epoll_event& event, int lfd, OnReadable&& on_readable) {
        const int fd = event.data.fd;
        if (fd == lfd) {
            accept_all(lfd);
            return;
        }
        Conn* c = conn(fd);
        if (c == nullptr) return;
        if ((event.events & EPOLLOUT) != 0) {
            on_writable(fd, *c);
            return;
        }
        if ((event.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) on_readable(fd, *c);
    }

    // One read of at most `n` bytes into `buf`: how many arrived, or 0 when there is nothing to
    // echo (no data yet, or the peer closed or failed and the connection was dropped).
    std::size_t read_or_drop(int fd, char* buf, std::size_t n) {
        const ssize_t r = read(fd, buf, n);
        if (r > 0) return static_cast<std::size_t>(r);
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) drop(fd);
        return 0;
    }

    // The kernel took `done` of the `len` bytes at `data`: keep the rest and stop reading from
    // the connection until it is out (its send buffer is full).
    void keep_rest(int fd, Conn& c, const char* data, std::size_t done, std::size_t len) {
        if (done >= len) return;
        c.pending.assign(data + done, data + len);
        c.off = 0;
        set_events(fd, EPOLLOUT, EPOLL_CTL_MOD);
    }

    // The socket is writable again: writes what is pending and, once all of it is out, reads
    // from the connection again.
    void on_writable(int fd, Conn& c) {
        while (c.off < c.pending.size()) {
            const ssize_t w = send(fd, c.pending.data() + c.off, c.pending.size() - c.off, MSG_NOSIGNAL);
            if (w > 0) {
                c.off += static_cast<std::size_t>(w);
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else if (w < 0 && errno == EAGAIN) {
                return;
            } else {
                drop(fd);
                return;
            }
        }
        c.pending.clear();
        c.off = 0;
        set_events(fd, EPOLLIN, EPOLL_CTL_MOD);
    }

private:
    int ep_;
    std::vector<Conn*> conns_;  // indexed by fd
};

}  // namespace bench

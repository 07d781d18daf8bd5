// floor_batch_echo: a bare TCP echo that waits and reads like the epoll floor but hands all of
// one iteration's sends to the kernel in a single call, through io_uring: what an epoll server
// such as ws-cpp would save by batching its writes and nothing else.
//
//   floor_batch_echo PORT [HOST]        127.0.0.1 by default; PORT 0 picks a free port
//
// Each iteration: epoll_wait (level-triggered), then for every readable connection one read
// into its own slice of a loop-wide arena (64 KiB each, the epoll floor's buffer size), queued
// as an IORING_OP_SEND of what was read; then one io_uring_submit for all of them. The sends
// carry MSG_DONTWAIT, so the kernel completes each at once (all of it, part of it, or EAGAIN)
// instead of waiting for room: every completion is there when the submit returns, and the
// arena is free again for the next iteration. What a send did not take is kept per
// connection and written with plain send(2) when the socket is writable, reading from that
// connection stopping until then, as in floor_epoll_echo. Drive it with `wsload PORT --raw`.
// Stop it with a signal. It is a floor, not a design: ws-cpp does not use io_uring.
#include <liburing.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "floor_epoll.hpp"
#include "floor_listen.hpp"

namespace {

constexpr std::size_t kSlice = 64u << 10;  // one read's room, as floor_epoll_echo's buffer
constexpr unsigned kEvents = 1024;         // at most this many reads (and sends) per iteration

// One queued send: which connection, and where its bytes are in the arena.
struct Queued {
    int fd;
    std::uint32_t len;
    const char* data;
};

}  // namespace

int main(int argc, char** argv) {
    const int lfd = bench::floor_start("floor_batch_echo", argc, argv, SOCK_NONBLOCK);
    if (lfd < 0) return 1;

    // The same setup as floor_uring_echo's ring: one issuer, task work only when we enter.
    io_uring ring;
    io_uring_params params{};
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN |
                   IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
    params.cq_entries = kEvents * 2;
    if (const int rc = io_uring_queue_init_params(kEvents, &ring, &params); rc < 0) {
        std::fprintf(stderr, "floor_batch_echo: io_uring setup failed: %s\n", std::strerror(-rc));
        return 1;
    }
    io_uring_register_ring_fd(&ring);

    bench::EpollFloor floor;
    floor.set_events(lfd, EPOLLIN, EPOLL_CTL_ADD);
    // 64 MiB of address space, left unzeroed: a slice takes memory only once a read has used it.
    const std::unique_ptr<char[]> arena(new char[static_cast<std::size_t>(kEvents) * kSlice]);
    std::vector<epoll_event> events(kEvents);
    std::vector<Queued> queued;
    queued.reserve(kEvents);
    for (;;) {
        const int n = floor.wait(events);
        if (n < 0) return 1;
        queued.clear();
        for (int e = 0; e < n; ++e) {
            floor.handle(events[static_cast<std::size_t>(e)], lfd, [&](int fd, bench::EpollFloor::Conn&) {
                char* slice = arena.get() + queued.size() * kSlice;
                const std::size_t r = floor.read_or_drop(fd, slice, kSlice);
                if (r == 0) return;
                io_uring_sqe* s = io_uring_get_sqe(&ring);  // never null: at most kEvents per iteration
                io_uring_prep_send(s, fd, slice, r, MSG_NOSIGNAL | MSG_DONTWAIT);
                io_uring_sqe_set_data64(s, queued.size());
                queued.push_back(Queued{fd, static_cast<std::uint32_t>(r), slice});
            });
        }
        if (queued.empty()) continue;
        // One system call for every send of the iteration; MSG_DONTWAIT makes each complete in
        // it. Should the kernel not complete one in it after all, wait for it: the arena is
        // reused next iteration.
        int rc = io_uring_submit_and_wait(&ring, static_cast<unsigned>(queued.size()));
        while (rc == -EINTR) rc = io_uring_submit_and_wait(&ring, static_cast<unsigned>(queued.size()));
        if (rc < 0) {
            std::fprintf(stderr, "floor_batch_echo: io_uring_enter: %s\n", std::strerror(-rc));
            return 1;
        }
        for (std::size_t seen = 0; seen < queued.size();) {
            io_uring_cqe* cqe = nullptr;
            if (const int w = io_uring_wait_cqe(&ring, &cqe); w < 0) {
                if (w == -EINTR) continue;
                std::fprintf(stderr, "floor_batch_echo: waiting for a send: %s\n", std::strerror(-w));
                return 1;
            }
            const Queued& q = queued[static_cast<std::size_t>(io_uring_cqe_get_data64(cqe))];
            const int res = cqe->res;
            io_uring_cqe_seen(&ring, cqe);
            ++seen;
            bench::EpollFloor::Conn* c = floor.conn(q.fd);
            if (c == nullptr) continue;
            if (res < 0 && res != -EAGAIN && res != -EINTR) {
                floor.drop(q.fd);
                continue;
            }
            floor.keep_rest(q.fd, *c, q.data, res > 0 ? static_cast<std::size_t>(res) : 0, q.len);
        }
    }
}

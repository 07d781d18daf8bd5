// floor_uring_echo: a bare io_uring TCP echo, the floor under io_uring (what the kernel costs
// when the readiness wait, the reads and the writes are one ring instead of syscalls).
//
//   floor_uring_echo PORT [HOST] [--buffer KIB] [--fixed-files]
//
// HOST is 127.0.0.1 by default; PORT 0 picks a free port. --buffer sets the size of each
// provided buffer (256 KiB by default: smaller ones cost a receive and a send per piece of a
// 64 KiB message); --fixed-files accepts into the ring's registered file
// table (no descriptor, no per-operation file lookup) instead of descriptors.
//
// The ring is set up the way a tuned io_uring server sets it up (single issuer, deferred task
// work, cooperative task work): a multishot accept, and per connection one multishot receive
// that picks its buffer from a ring of provided buffers (kBuffers x g_buffer_size). Each received
// buffer is sent back as it is; the buffer returns to the ring when its send completed. One send
// is in flight per connection at a time (sends queued behind it keep their order); a short send
// sends the rest. Every loop iteration is one io_uring_submit_and_wait: it submits the
// iteration's sends and waits for the next completion. Drive it with `wsload PORT --raw`, like
// the other floors. Stop it with a signal.
//
// It answers one question in numbers: how much of a server's CPU per message a ring saves over
// the epoll floor (floor_epoll_echo) on the same load. It is a floor, not a design: ws-cpp does
// not run on io_uring.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "floor_listen.hpp"

namespace {

constexpr unsigned kEntries = 4096;
constexpr unsigned kBuffers = 1024;  // a power of two (the provided-buffer ring's size)
unsigned g_buffer_size = 256u << 10;
constexpr unsigned kGroup = 0;

// user_data: the operation in the low 8 bits, the descriptor above them.
enum Op : std::uint64_t { kAccept = 1, kRecv = 2, kSend = 3, kOther = 4 };
std::uint64_t tag(Op op, int fd) { return (static_cast<std::uint64_t>(fd) << 8) | op; }

struct Chunk {
    std::uint16_t bid;
    std::uint32_t len;
    std::uint32_t off;
};

// Received buffers to send back, in order, the front one in flight. A vector with a read index
// (emptied when all is sent) rather than a deque: libstdc++'s deque allocates 576 bytes when it
// is constructed and a chunk every 42 entries as it cycles.
struct Outbox {
    std::vector<Chunk> chunks;
    std::size_t head = 0;

    bool empty() const { return head == chunks.size(); }
    Chunk& front() { return chunks[head]; }
    void push_back(const Chunk& k) { chunks.push_back(k); }
    void pop_front() {
        if (++head == chunks.size()) {
            chunks.clear();
            head = 0;
        }
    }
};

struct Conn {
    Outbox out;
    bool sending = false;
    bool recv_armed = false;
    bool closing = false;
};

io_uring g_ring;
io_uring_buf_ring* g_br = nullptr;
char* g_pool = nullptr;
std::vector<Conn*> g_conns;  // indexed by fd
std::vector<int> g_starved;  // connections whose receive stopped for want of a buffer
bool g_fixed = false;        // --fixed-files: sockets are the ring's registered files, not descriptors

io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&g_ring);
    if (s == nullptr) {
        io_uring_submit(&g_ring);
        s = io_uring_get_sqe(&g_ring);
    }
    return s;
}

char* buffer(std::uint16_t bid) { return g_pool + static_cast<std::size_t>(bid) * g_buffer_size; }

void give_back(std::uint16_t bid) {
    io_uring_buf_ring_add(g_br, buffer(bid), g_buffer_size, bid, io_uring_buf_ring_mask(kBuffers), 0);
    io_uring_buf_ring_advance(g_br, 1);
}

void arm_recv(int fd, Conn& c) {
    io_uring_sqe* s = sqe();
    io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kGroup;
    if (g_fixed) s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, tag(kRecv, fd));
    c.recv_armed = true;
}

void send_front(int fd, Conn& c) {
    const Chunk& k = c.out.front();
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, fd, buffer(k.bid) + k.off, k.len - k.off, MSG_NOSIGNAL);
    if (g_fixed) s->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(s, tag(kSend, fd));
    c.sending = true;
}

// Frees a connection once nothing of the ring refers to it any more.
void maybe_free(int fd) {
    Conn* c = g_conns[static_cast<std::size_t>(fd)];
    if (c == nullptr || !c->closing || c->sending || c->recv_armed) return;
    for (; !c->out.empty(); c->out.pop_front()) give_back(c->out.front().bid);
    if (g_fixed) {
        io_uring_sqe* s = sqe();
        io_uring_prep_close_direct(s, static_cast<unsigned>(fd));
        io_uring_sqe_set_data64(s, tag(kOther, fd));
    } else {
        close(fd);
    }
    delete c;
    g_conns[static_cast<std::size_t>(fd)] = nullptr;
}

// Shuts the connection down (once), then frees it if nothing of the ring refers to it any more.
void start_close(int fd, Conn& c) {
    if (!c.closing) {
        c.closing = true;
        // Ends the multishot receive and any send in flight.
        if (g_fixed) {
            io_uring_sqe* s = sqe();
            io_uring_prep_shutdown(s, fd, SHUT_RDWR);
            s->flags |= IOSQE_FIXED_FILE;
            io_uring_sqe_set_data64(s, tag(kOther, fd));
        } else {
            shutdown(fd, SHUT_RDWR);
        }
    }
    maybe_free(fd);
}

void arm_accept(int lfd) {
    io_uring_sqe* s = sqe();
    if (g_fixed) {
        io_uring_prep_multishot_accept_direct(s, lfd, nullptr, nullptr, 0);
    } else {
        io_uring_prep_multishot_accept(s, lfd, nullptr, nullptr, SOCK_CLOEXEC);
    }
    io_uring_sqe_set_data64(s, tag(kAccept, lfd));
}

void on_accept(int lfd, const io_uring_cqe& cqe) {
    if (cqe.res >= 0) {
        const int fd = cqe.res;
        const int one = 1;
        if (!g_fixed) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // else inherited
        if (static_cast<std::size_t>(fd) >= g_conns.size()) g_conns.resize(static_cast<std::size_t>(fd) + 1024);
        auto* c = new Conn();
        g_conns[static_cast<std::size_t>(fd)] = c;
        arm_recv(fd, *c);
    }
    if ((cqe.flags & IORING_CQE_F_MORE) == 0) arm_accept(lfd);  // the multishot accept ended
}

void on_recv(int fd, Conn& c, const io_uring_cqe& cqe) {
    const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
    if (!more) c.recv_armed = false;
    if (cqe.res > 0) {
        const auto bid = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
        if (c.closing) {
            give_back(bid);
        } else {
            c.out.push_back(Chunk{bid, static_cast<std::uint32_t>(cqe.res), 0});
            if (!c.sending) send_front(fd, c);
        }
    } else if (cqe.res == -ENOBUFS) {
        if (!c.closing) g_starved.push_back(fd);  // re-armed once buffers came back
    } else {
        start_close(fd, c);  // 0: the peer closed; < 0: an error (may free c)
        return;
    }
    if (!more && !c.closing && cqe.res > 0) arm_recv(fd, c);
    maybe_free(fd);  // may free c
}

void on_send(int fd, Conn& c, const io_uring_cqe& cqe) {
    c.sending = false;
    if (cqe.res < 0) {
        start_close(fd, c);  // may free c
        return;
    }
    Chunk& k = c.out.front();
    k.off += static_cast<std::uint32_t>(cqe.res);
    if (k.off == k.len) {
        give_back(k.bid);
        c.out.pop_front();
        // A buffer came back: a receive that ran out of buffers may go on.
        while (!g_starved.empty()) {
            const int s = g_starved.back();
            g_starved.pop_back();
            Conn* sc = g_conns[static_cast<std::size_t>(s)];
            if (sc != nullptr && !sc->closing && !sc->recv_armed) arm_recv(s, *sc);
        }
    }
    if (c.closing) {
        maybe_free(fd);
    } else if (!c.out.empty()) {
        send_front(fd, c);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--fixed-files") {
            g_fixed = true;
        } else if (arg == "--buffer" && i + 1 < argc) {
            g_buffer_size = static_cast<unsigned>(std::atoi(argv[++i])) << 10;
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.empty() || positional.size() > 2 || g_buffer_size == 0 || g_buffer_size > (1u << 20)) {
        std::fprintf(stderr, "usage: floor_uring_echo PORT [HOST] [--buffer KIB (1-1024)] [--fixed-files]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const int port = std::atoi(positional[0].c_str());
    const std::string host = positional.size() > 1 ? positional[1] : "127.0.0.1";
    const int lfd = bench::floor_listen("floor_uring_echo", host, port, 0);
    if (lfd < 0) return 1;

    io_uring_params params{};
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN |
                   IORING_SETUP_SUBMIT_ALL;
    params.cq_entries = kEntries * 4;
    params.flags |= IORING_SETUP_CQSIZE;
    if (const int rc = io_uring_queue_init_params(kEntries, &g_ring, &params); rc < 0) {
        std::fprintf(stderr, "floor_uring_echo: io_uring setup failed: %s\n", std::strerror(-rc));
        return 1;
    }
    io_uring_register_ring_fd(&g_ring);
    if (g_fixed) {
        // The table may be as large as the descriptor limit allows.
        rlimit lim{};
        getrlimit(RLIMIT_NOFILE, &lim);
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        const auto slots = static_cast<unsigned>(std::min<rlim_t>(lim.rlim_cur, 65536));
        if (const int rc = io_uring_register_files_sparse(&g_ring, slots); rc < 0) {
            std::fprintf(stderr, "floor_uring_echo: file table registration failed: %s\n", std::strerror(-rc));
            return 1;
        }
    }

    // The provided-buffer ring: its descriptors and the buffers they point to.
    const std::size_t ring_bytes = kBuffers * sizeof(io_uring_buf);
    void* ring_mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    g_pool = static_cast<char*>(
        mmap(nullptr, static_cast<std::size_t>(kBuffers) * g_buffer_size, PROT_READ | PROT_WRITE,
             MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE, -1, 0));
    if (ring_mem == MAP_FAILED || g_pool == MAP_FAILED) {
        std::perror("floor_uring_echo: mmap");
        return 1;
    }
    g_br = static_cast<io_uring_buf_ring*>(ring_mem);
    io_uring_buf_ring_init(g_br);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(ring_mem);
    reg.ring_entries = kBuffers;
    reg.bgid = kGroup;
    if (const int rc = io_uring_register_buf_ring(&g_ring, &reg, 0); rc < 0) {
        std::fprintf(stderr, "floor_uring_echo: buffer ring registration failed: %s\n", std::strerror(-rc));
        return 1;
    }
    for (unsigned i = 0; i < kBuffers; ++i) {
        io_uring_buf_ring_add(g_br, buffer(static_cast<std::uint16_t>(i)), g_buffer_size,
                              static_cast<std::uint16_t>(i), io_uring_buf_ring_mask(kBuffers),
                              static_cast<int>(i));
    }
    io_uring_buf_ring_advance(g_br, static_cast<int>(kBuffers));

    arm_accept(lfd);

    for (;;) {
        const int rc = io_uring_submit_and_wait(&g_ring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
            std::fprintf(stderr, "floor_uring_echo: io_uring_enter: %s\n", std::strerror(-rc));
            return 1;
        }
        io_uring_cqe* cqe = nullptr;
        unsigned head = 0;
        unsigned seen = 0;
        io_uring_for_each_cqe(&g_ring, head, cqe) {
            ++seen;
            const std::uint64_t data = io_uring_cqe_get_data64(cqe);
            const int fd = static_cast<int>(data >> 8);
            const auto op = static_cast<Op>(data & 0xff);
            if (op == kAccept) {
                on_accept(fd, *cqe);
                continue;
            }
            Conn* c = static_cast<std::size_t>(fd) < g_conns.size() ? g_conns[static_cast<std::size_t>(fd)] : nullptr;
            if (c == nullptr) continue;
            if (op == kRecv) {
                on_recv(fd, *c, *cqe);
            } else if (op == kSend) {
                on_send(fd, *c, *cqe);
            }
        }
        io_uring_cq_advance(&g_ring, seen);
    }
}

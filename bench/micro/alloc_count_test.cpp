// Allocation counting over real sockets (issue 5, item 6): a ws-cpp echo server on
// 127.0.0.1:0 and a raw client thread (its own few lines of WebSocket, independent of ws-cpp)
// that sends masked text frames with fresh keys and verifies every echoed byte, one message
// in flight. After a warm-up, every heap allocation made on the server loop's thread is
// counted while the client runs a fixed number of round trips.
//
// What is counted: this binary replaces the global operator new/delete (every form) and the
// C allocator entry points (malloc, calloc, realloc, aligned_alloc, memalign, posix_memalign,
// forwarding to glibc's __libc_* functions). ws-cpp's output buffers use realloc, and libuv
// allocates with malloc, so counting operator new alone would miss them. An allocation counts
// only on a thread that set the thread_local flag: the server loop's thread, which sets it
// before it runs the loop.
//
// Asserted: zero allocations per message in the steady state, for 16-byte, 1 KiB, 64 KiB and
// 100 KiB messages (each also printed and recorded as a test property).
//
// To see where allocations come from, set WS_ALLOC_TRACE=N: the first N counted allocations
// of each measured window print a backtrace to stderr.
#include <arpa/inet.h>
#include <execinfo.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <ws/ws.hpp>

// ---- counting ---------------------------------------------------------------------------------

namespace {

thread_local bool t_counted_thread = false;
thread_local bool t_tracing = false;  // inside backtrace(), which may itself allocate
std::atomic<int> g_trace_left{0};     // WS_ALLOC_TRACE: backtraces still to print

struct Counters {
    std::atomic<std::uint64_t> allocs{0};     // every allocation through the C entry points
    std::atomic<std::uint64_t> news{0};       // of which: through operator new
    std::atomic<std::uint64_t> reallocs{0};   // of which: realloc calls (growing or moving)
    std::atomic<std::uint64_t> bytes{0};      // bytes asked for
    std::atomic<std::uint64_t> frees{0};      // free / operator delete of a non-null pointer
};
Counters g_counters;

void trace_allocation(std::size_t n) noexcept {
    if (t_tracing || g_trace_left.fetch_sub(1, std::memory_order_relaxed) <= 0) return;
    t_tracing = true;
    char line[64];
    const int len = std::snprintf(line, sizeof(line), "[alloc] %zu bytes at:\n", n);
    if (len > 0) (void)!::write(2, line, static_cast<std::size_t>(len));
    void* frames[24];
    backtrace_symbols_fd(frames, backtrace(frames, 24), 2);
    t_tracing = false;
}

inline void note_alloc(std::size_t n) noexcept {
    if (!t_counted_thread) return;
    g_counters.allocs.fetch_add(1, std::memory_order_relaxed);
    g_counters.bytes.fetch_add(n, std::memory_order_relaxed);
    if (g_trace_left.load(std::memory_order_relaxed) > 0) trace_allocation(n);
}

struct Snapshot {
    std::uint64_t allocs, news, reallocs, bytes, frees;
    static Snapshot take() noexcept {
        return {g_counters.allocs.load(), g_counters.news.load(), g_counters.reallocs.load(),
                g_counters.bytes.load(), g_counters.frees.load()};
    }
    Snapshot operator-(const Snapshot& o) const noexcept {
        return {allocs - o.allocs, news - o.news, reallocs - o.reallocs, bytes - o.bytes, frees - o.frees};
    }
};

}  // namespace

// glibc's allocator under its internal names, so the replacements below can forward to it.
extern "C" {
void* __libc_malloc(std::size_t size) noexcept;
void* __libc_calloc(std::size_t n, std::size_t size) noexcept;
void* __libc_realloc(void* p, std::size_t size) noexcept;
void* __libc_memalign(std::size_t alignment, std::size_t size) noexcept;
void __libc_free(void* p) noexcept;

void* malloc(std::size_t size) noexcept {
    note_alloc(size);
    return __libc_malloc(size);
}

void* calloc(std::size_t n, std::size_t size) noexcept {
    note_alloc(n * size);
    return __libc_calloc(n, size);
}

void* realloc(void* p, std::size_t size) noexcept {
    if (t_counted_thread) g_counters.reallocs.fetch_add(1, std::memory_order_relaxed);
    note_alloc(size);
    return __libc_realloc(p, size);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
    note_alloc(size);
    return __libc_memalign(alignment, size);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
    note_alloc(size);
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
    note_alloc(size);
    void* p = __libc_memalign(alignment, size);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
}

void free(void* p) noexcept {
    if (p != nullptr && t_counted_thread) g_counters.frees.fetch_add(1, std::memory_order_relaxed);
    __libc_free(p);
}
}  // extern "C"

namespace {

void* counted_new(std::size_t size) {
    if (t_counted_thread) g_counters.news.fetch_add(1, std::memory_order_relaxed);
    if (size == 0) size = 1;
    if (void* p = std::malloc(size)) return p;
    throw std::bad_alloc();
}

void* counted_new_aligned(std::size_t size, std::align_val_t al) {
    if (t_counted_thread) g_counters.news.fetch_add(1, std::memory_order_relaxed);
    auto alignment = static_cast<std::size_t>(al);
    if (alignment < sizeof(void*)) alignment = sizeof(void*);
    if (size == 0) size = 1;
    void* p = nullptr;
    if (posix_memalign(&p, alignment, size) == 0) return p;
    throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_new(size);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return counted_new(size);
    } catch (...) {
        return nullptr;
    }
}
void* operator new(std::size_t size, std::align_val_t al) { return counted_new_aligned(size, al); }
void* operator new[](std::size_t size, std::align_val_t al) { return counted_new_aligned(size, al); }
void* operator new(std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
    try {
        return counted_new_aligned(size, al);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
    try {
        return counted_new_aligned(size, al);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// ---- the echo server --------------------------------------------------------------------------

namespace {

// The README's echo server: every message goes straight back through its Sender.
auto echo_factory() {
    return [](ws::Sender out) { return [out](const ws::Message& msg) { return out.send(msg); }; };
}

ws::Settings echo_settings() {
    ws::Settings s;
    s.shutdown_timeout_ms = 1000;
    return s;
}

// A ws-cpp echo server (the one of the README) on 127.0.0.1:0, run on its own thread, which
// is the thread whose allocations count.
class EchoServer {
public:
    EchoServer() : socket_(echo_factory(), echo_settings()) {
        auto r = socket_.bind("127.0.0.1:0");
        if (!r) {
            ADD_FAILURE() << "bind: " << r.error().what();
            return;
        }
        port_ = socket_.local_addr()->port;
        thread_ = std::thread([this] {
            t_counted_thread = true;
            run_result_ = socket_.run();
            t_counted_thread = false;
        });
    }
    ~EchoServer() { stop(); }
    EchoServer(const EchoServer&) = delete;
    EchoServer& operator=(const EchoServer&) = delete;

    std::uint16_t port() const noexcept { return port_; }

    void stop() {
        if (!thread_.joinable()) return;
        // The first attempt may race with the loop starting.
        for (int i = 0; i < 200 && !socket_.broadcaster().shutdown().ok(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        thread_.join();
        EXPECT_TRUE(run_result_.ok());
    }

private:
    ws::WebSocket socket_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    ws::Result<> run_result_;
};

// ---- the raw client ---------------------------------------------------------------------------

// A blocking WebSocket client written against RFC 6455 directly.
class RawClient {
public:
    explicit RawClient(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) return;
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~RawClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    // The opening handshake with RFC 6455's sample key; checks the 101 and the accept value.
    bool handshake() {
        static constexpr std::string_view kRequest =
            "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        if (fd_ < 0 || !write_all(kRequest.data(), kRequest.size())) return false;
        std::string head;
        char c = 0;
        while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
            if (!read_exact(&c, 1) || head.size() > 4096) return false;
            head.push_back(c);
        }
        return head.rfind("HTTP/1.1 101", 0) == 0 &&
               head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos;
    }

    // Sends `payload` as one masked frame (opcode `op`) with a fresh key; false on I/O error.
    bool send_frame(std::uint8_t op, std::string_view payload) {
        frame_.clear();
        frame_.push_back(static_cast<char>(0x80 | op));
        const std::size_t n = payload.size();
        if (n < 126) {
            frame_.push_back(static_cast<char>(0x80 | n));
        } else if (n <= 0xFFFF) {
            frame_.push_back(static_cast<char>(0x80 | 126));
            frame_.push_back(static_cast<char>(n >> 8));
            frame_.push_back(static_cast<char>(n & 0xFF));
        } else {
            frame_.push_back(static_cast<char>(0x80 | 127));
            for (int shift = 56; shift >= 0; shift -= 8) frame_.push_back(static_cast<char>((n >> shift) & 0xFF));
        }
        const std::uint32_t key = next_key();
        char k[4];
        std::memcpy(k, &key, 4);
        frame_.append(k, 4);
        const std::size_t start = frame_.size();
        frame_.append(payload);
        for (std::size_t i = 0; i < n; ++i) frame_[start + i] = static_cast<char>(frame_[start + i] ^ k[i & 3]);
        return write_all(frame_.data(), frame_.size());
    }

    // Reads one frame; checks it is an unmasked, final frame with opcode `op`; its payload into
    // `payload`.
    bool read_frame(std::uint8_t op, std::string& payload) {
        unsigned char h[2];
        if (!read_exact(h, 2)) return false;
        if (h[0] != (0x80 | op) || (h[1] & 0x80) != 0) return false;
        std::uint64_t len = h[1] & 0x7F;
        if (len == 126) {
            unsigned char e[2];
            if (!read_exact(e, 2)) return false;
            len = (std::uint64_t{e[0]} << 8) | e[1];
        } else if (len == 127) {
            unsigned char e[8];
            if (!read_exact(e, 8)) return false;
            len = 0;
            for (unsigned char b : e) len = (len << 8) | b;
        }
        payload.resize(static_cast<std::size_t>(len));
        return read_exact(payload.data(), payload.size());
    }

    // The closing handshake: a 1000 close, then the server's close frame.
    bool close() {
        if (!send_frame(0x8, std::string_view("\x03\xe8", 2))) return false;
        std::string reply;
        return read_frame(0x8, reply);
    }

private:
    std::uint32_t next_key() noexcept {  // xorshift32: a fresh, non-repeating key per frame
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        return state_;
    }
    bool write_all(const char* p, std::size_t n) {
        while (n > 0) {
            const ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return false;
            p += w;
            n -= static_cast<std::size_t>(w);
        }
        return true;
    }
    bool read_exact(void* out, std::size_t n) {
        auto* p = static_cast<char*>(out);
        while (n > 0) {
            const ssize_t r = ::recv(fd_, p, n, 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            p += r;
            n -= static_cast<std::size_t>(r);
        }
        return true;
    }

    int fd_ = -1;
    std::string frame_;
    std::uint32_t state_ = 0x9E3779B9u;
};

// ---- the measurement --------------------------------------------------------------------------

struct EchoRun {
    bool ok = false;
    std::string failure;
    std::size_t messages = 0;
    Snapshot counted{};
    double per_message(std::uint64_t n) const { return messages == 0 ? 0 : static_cast<double>(n) / static_cast<double>(messages); }
};

// `warmup` round trips, then `measured` ones whose loop-thread allocations are counted.
EchoRun run_echo(std::size_t size, std::size_t warmup, std::size_t measured) {
    EchoRun run;
    EchoServer server;
    if (server.port() == 0) {
        run.failure = "no server";
        return run;
    }
    Snapshot before{}, after{};
    std::thread client([&] {
        RawClient c(server.port());
        if (!c.handshake()) {
            run.failure = "handshake failed";
            return;
        }
        std::string payload(size, '\0');
        for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('A' + (i * 7) % 58);
        std::string echo;
        for (std::size_t i = 0; i < warmup + measured; ++i) {
            if (i == warmup) {
                before = Snapshot::take();
                if (const char* t = std::getenv("WS_ALLOC_TRACE")) g_trace_left = std::atoi(t);
            }
            payload[i % size] = static_cast<char>('a' + i % 26);  // every message differs
            if (!c.send_frame(0x1, payload) || !c.read_frame(0x1, echo)) {
                run.failure = "I/O failed at message " + std::to_string(i);
                return;
            }
            if (echo != payload) {
                run.failure = "wrong echo at message " + std::to_string(i);
                return;
            }
        }
        after = Snapshot::take();
        g_trace_left = 0;
        run.messages = measured;
        if (!c.close()) run.failure = "closing handshake failed";
    });
    client.join();
    server.stop();
    run.counted = after - before;
    run.ok = run.failure.empty();
    return run;
}

void report(const char* name, const EchoRun& run) {
    const Snapshot& s = run.counted;
    std::printf("[alloc] %-8s %zu messages: %llu allocations (%.4f/msg; operator new %.4f/msg, realloc %.4f/msg), "
                "%.1f bytes/msg, %.4f frees/msg\n",
                name, run.messages, static_cast<unsigned long long>(s.allocs), run.per_message(s.allocs),
                run.per_message(s.news), run.per_message(s.reallocs), run.per_message(s.bytes),
                run.per_message(s.frees));
    std::fflush(stdout);
    ::testing::Test::RecordProperty("allocations_per_message", std::to_string(run.per_message(s.allocs)));
    ::testing::Test::RecordProperty("bytes_per_message", std::to_string(run.per_message(s.bytes)));
}

// The counters see allocations on a flagged thread, and only there.
TEST(AllocCount, CountsOnlyTheFlaggedThread) {
    const Snapshot before = Snapshot::take();
    std::thread([] {
        t_counted_thread = true;
        void* volatile p = std::malloc(100);
        std::free(p);
        auto* volatile q = new int(1);
        delete q;
        {
            std::vector<char> v;
            v.reserve(1000);
            char* volatile vd = v.data();
            (void)vd;
        }
        void* volatile r = std::malloc(10);  // volatile: the compiler may not elide these
        r = std::realloc(r, 1 << 20);
        std::free(r);
        t_counted_thread = false;
    }).join();
    void* volatile uncounted = std::malloc(100);
    std::free(uncounted);
    const Snapshot d = Snapshot::take() - before;
    EXPECT_EQ(d.allocs, 5u);  // 2 x malloc, new int and the vector (through malloc), realloc
    EXPECT_EQ(d.news, 2u);    // new int, the vector's storage
    EXPECT_EQ(d.reallocs, 1u);
    EXPECT_EQ(d.frees, 4u);
}

// The requirement: no allocation per message in the steady state.
TEST(AllocCount, SmallMessageEchoAllocatesNothing) {
    const EchoRun run = run_echo(16, 10'000, 100'000);
    ASSERT_TRUE(run.ok) << run.failure;
    report("16 B", run);
    EXPECT_EQ(run.counted.allocs, 0u) << "allocations on the loop thread during " << run.messages << " echoes";
    EXPECT_EQ(run.counted.frees, 0u);
}

// Larger messages, which take the assembly path (a 64 KiB frame does not fit one 64 KiB read)
// and the kernel may not take at once: no allocation in the steady state either.
TEST(AllocCount, OneKiBEchoAllocatesNothing) {
    const EchoRun run = run_echo(1024, 10'000, 100'000);
    ASSERT_TRUE(run.ok) << run.failure;
    report("1 KiB", run);
    EXPECT_EQ(run.counted.allocs, 0u);
}

TEST(AllocCount, SixtyFourKiBEchoAllocatesNothing) {
    const EchoRun run = run_echo(64 << 10, 1'000, 10'000);
    ASSERT_TRUE(run.ok) << run.failure;
    report("64 KiB", run);
    EXPECT_EQ(run.counted.allocs, 0u);
}

TEST(AllocCount, HundredKiBEchoAllocatesNothing) {
    const EchoRun run = run_echo(100 << 10, 1'000, 10'000);
    ASSERT_TRUE(run.ok) << run.failure;
    report("100 KiB", run);
    EXPECT_EQ(run.counted.allocs, 0u);
}

}  // namespace

// wsload: a WebSocket (and raw TCP) load generator that measures any echo server fairly.
//
// Independent of ws-cpp on purpose: it has its own opening handshake and framing (a few
// hundred lines, below) so that ws-cpp is measured by the same code as every other server.
// Single-threaded, on raw epoll (Linux).
//
//   wsload [HOST:]PORT [options]                    see --help; the shapes:
//   wsload 9001 -c 100 -s 16 -d 10 -t 5 -w 1        echo: N connections, S-byte messages,
//                                                   D in flight per connection, T seconds
//                                                   measured after W seconds of warm-up
//   wsload 9001 --raw ...                           the same pattern over plain TCP (an echo
//                                                   server without WebSocket framing: the
//                                                   ceiling), S-byte records
//   wsload 9001 --idle 10000 -t 5 --server-pid P    N idle connections held T seconds; the
//                                                   server's RSS growth per connection (after
//                                                   one warm-up connection, so that code the
//                                                   first handshake pages in is not counted)
//   wsload 9001 --big 16777216 --server-pid P       one message of that size each way; time
//                                                   and the server's peak RSS (VmHWM)
//   wsload 9001 --broadcast -c 1000 -s 64           one sender, the server re-sends every
//                                                   message to all N connections (itself
//                                                   included); deliveries/s
//
// What it checks, on every message: the handshake (status 101, Upgrade, Connection, and a
// Sec-WebSocket-Accept computed here from the key it sent); every echoed byte, in order, against
// what was sent (each payload carries its sequence number and a body chosen by it, so a wrong,
// reordered, duplicated, truncated or corrupted echo is caught at the first bad byte); frame
// rules (no mask from a server, no RSV bits, control frames); no unexpected close; every echo
// arriving (a connection waiting longer than --stall-timeout for one fails the run); a clean
// closing handshake at the end. Any failure prints "wsload: FAIL: ..." and a RESULT line with
// status=fail, and exits 1.
//
// Client frames are masked with a fresh key per frame (RFC 6455 5.3). The keys come from
// OpenSSL's CSPRNG (RAND_bytes) in batches of 1024, so a key costs a few nanoseconds.
// Payloads are text (printable ASCII by default, --utf8-mixed for 1- to 4-byte characters)
// or binary (--binary).
//
// What it prints: messages/s, MB/s (payload bytes echoed per second, one way), p50/p99/p99.9
// round-trip latency (log buckets about 3 % wide, recorded only in the timed window), its own
// CPU use (getrusage), and, with --server-pid, the server's CPU time per message from
// /proc/PID/stat before and after the window: the figure that matters on a shared machine.
// The last line starts with "RESULT " and holds the same numbers as key=value pairs.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"

namespace {

// ---- failing loudly ----------------------------------------------------------------------

[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

void fail(const char* fmt, ...) {
    std::fflush(stdout);
    std::fputs("wsload: FAIL: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::fputs("RESULT status=fail errors=1\n", stdout);
    std::fflush(stdout);
    std::exit(1);
}

// ---- options -------------------------------------------------------------------------------

enum class Mode { Echo, Idle, Big, Broadcast };

struct Options {
    std::string target;  // [HOST:]PORT
    std::string host = "127.0.0.1";
    std::string port;
    std::string path = "/";
    std::size_t connections = 100;
    std::size_t size = 16;
    std::size_t depth = 10;
    bool binary = false;
    bool utf8_mixed = false;
    bool raw = false;
    double duration = 5;
    double warmup = 1;
    long server_pid = 0;
    std::size_t idle = 0;
    std::size_t big = 0;
    std::size_t count = 1;
    bool broadcast = false;
    double stall_timeout = 10;
    double connect_timeout = 60;
    std::size_t max_connecting = 256;
    Mode mode = Mode::Echo;
};

// ---- small helpers -------------------------------------------------------------------------

std::string to_lower(std::string_view s) {
    std::string r(s);
    for (char& ch : r) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    return r;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (to_lower(item) == token) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

// Sec-WebSocket-Accept for a key (RFC 6455 4.2.2): base64(SHA-1(key + GUID)).
std::string accept_for(const std::string& key) {
    const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(input.data(), input.size(), md, &md_len, EVP_sha1(), nullptr) != 1) fail("SHA-1 failed");
    return base64(md, md_len);
}

void random_bytes(unsigned char* p, std::size_t n) {
    if (RAND_bytes(p, static_cast<int>(n)) != 1) fail("OpenSSL RAND_bytes failed");
}

// Masking keys from the CSPRNG, 1024 per RAND_bytes call.
class MaskKeys {
public:
    std::uint32_t next() {
        if (used_ == kBatch) {
            random_bytes(reinterpret_cast<unsigned char*>(keys_), sizeof keys_);
            used_ = 0;
        }
        return keys_[used_++];
    }

private:
    static constexpr std::size_t kBatch = 1024;
    std::uint32_t keys_[kBatch] = {};
    std::size_t used_ = kBatch;
};

// dst = src XOR key, starting at byte `phase` of the key; returns the phase after.
std::size_t copy_masked(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint32_t key,
                        std::size_t phase) noexcept {
    std::uint8_t k[4];
    std::memcpy(k, &key, 4);
    std::uint8_t r[8];
    for (std::size_t i = 0; i < 8; ++i) r[i] = k[(phase + i) & 3];
    std::uint64_t k64;
    std::memcpy(&k64, r, 8);
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        std::uint64_t w[4];
        std::memcpy(w, src + i, 32);
        w[0] ^= k64;
        w[1] ^= k64;
        w[2] ^= k64;
        w[3] ^= k64;
        std::memcpy(dst + i, w, 32);
    }
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, src + i, 8);
        w ^= k64;
        std::memcpy(dst + i, &w, 8);
    }
    for (; i < n; ++i) dst[i] = src[i] ^ r[i & 7];
    return (phase + n) & 3;
}

// A growable byte buffer with a read offset; keeps its capacity (no allocation per message).
class ByteBuf {
public:
    ByteBuf() = default;
    ByteBuf(const ByteBuf&) = delete;
    ByteBuf& operator=(const ByteBuf&) = delete;
    ~ByteBuf() { std::free(data_); }

    std::uint8_t* reserve(std::size_t n) {
        if (off_ == size_) off_ = size_ = 0;
        if (cap_ - size_ < n) {
            if (off_ > 0) {  // slide what is left to the front first
                std::memmove(data_, data_ + off_, size_ - off_);
                size_ -= off_;
                off_ = 0;
            }
            if (cap_ - size_ < n) {
                std::size_t cap = std::max<std::size_t>(cap_ * 2, 512);
                if (cap < size_ + n) cap = size_ + n;
                void* p = std::realloc(data_, cap);
                if (p == nullptr) fail("out of memory (%zu bytes)", cap);
                data_ = static_cast<std::uint8_t*>(p);
                cap_ = cap;
            }
        }
        return data_ + size_;
    }
    void commit(std::size_t n) noexcept { size_ += n; }
    const std::uint8_t* pending() const noexcept { return data_ + off_; }
    std::size_t pending_size() const noexcept { return size_ - off_; }
    void consume(std::size_t n) noexcept { off_ += n; }
    bool empty() const noexcept { return off_ == size_; }

private:
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t off_ = 0;
    std::size_t cap_ = 0;
};

// ---- payloads ------------------------------------------------------------------------------

// Message #seq: up to 16 ASCII hex digits of seq (the low ones when S < 16), then the bytes
// of body variant seq % V at the same offsets. Expected bytes are never generated per
// message: the comparison reads the prefix and the variant.
class Payloads {
public:
    Payloads(std::size_t size, bool text, bool mixed) : size_(size), prefix_(std::min<std::size_t>(size, 16)) {
        constexpr std::size_t kBudget = 32u << 20;
        variants_ = std::clamp<std::size_t>(size == 0 ? 64 : kBudget / size, 1, 64);
        data_.resize(variants_ * size_);
        std::uint64_t state = 0x9E3779B97F4A7C15ull;
        auto next = [&state] {  // xorshift64*: deterministic filler, not a secret
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            return state * 0x2545F4914F6CDD1Dull;
        };
        for (std::size_t v = 0; v < variants_; ++v) {
            std::uint8_t* d = data_.data() + v * size_;
            std::size_t i = prefix_;
            while (i < size_) {
                const std::uint64_t r = next();
                if (!text) {
                    d[i++] = static_cast<std::uint8_t>(r);
                    continue;
                }
                const std::size_t room = size_ - i;
                const std::size_t want = mixed ? 1 + (r >> 60) % 4 : 1;
                const std::size_t len = std::min(want, room);
                const auto cp_bits = static_cast<std::uint32_t>(r);
                if (len == 1) {
                    d[i++] = static_cast<std::uint8_t>(0x20 + cp_bits % 95);  // printable ASCII
                } else if (len == 2) {
                    const std::uint32_t cp = 0x80 + cp_bits % (0x800 - 0x80);
                    d[i++] = static_cast<std::uint8_t>(0xC0 | (cp >> 6));
                    d[i++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                } else if (len == 3) {
                    std::uint32_t cp = 0x800 + cp_bits % (0x10000 - 0x800 - 0x800);
                    if (cp >= 0xD800) cp += 0x800;  // skip the surrogates
                    d[i++] = static_cast<std::uint8_t>(0xE0 | (cp >> 12));
                    d[i++] = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
                    d[i++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                } else {
                    const std::uint32_t cp = 0x10000 + cp_bits % (0x110000 - 0x10000);
                    d[i++] = static_cast<std::uint8_t>(0xF0 | (cp >> 18));
                    d[i++] = static_cast<std::uint8_t>(0x80 | ((cp >> 12) & 0x3F));
                    d[i++] = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
                    d[i++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                }
            }
        }
    }

    std::size_t size() const noexcept { return size_; }
    std::size_t prefix_size() const noexcept { return prefix_; }
    // The prefix of message #seq (prefix_size() bytes).
    void prefix(std::uint64_t seq, std::uint8_t* out) const noexcept {
        static constexpr char kHex[] = "0123456789abcdef";
        std::uint8_t all[16];
        for (int i = 15; i >= 0; --i) {
            all[i] = static_cast<std::uint8_t>(kHex[seq & 15]);
            seq >>= 4;
        }
        std::memcpy(out, all + (16 - prefix_), prefix_);
    }
    const std::uint8_t* body(std::uint64_t seq) const noexcept { return data_.data() + (seq % variants_) * size_; }

    // Checks bytes [off, off + n) of message #seq; on a mismatch returns false and where.
    bool check(std::uint64_t seq, std::size_t off, const std::uint8_t* p, std::size_t n, std::size_t& bad,
               std::uint8_t& want) const noexcept {
        std::size_t i = 0;
        if (off < prefix_) {
            std::uint8_t pre[16];
            prefix(seq, pre);
            for (; i < n && off + i < prefix_; ++i) {
                if (p[i] != pre[off + i]) {
                    bad = off + i;
                    want = pre[off + i];
                    return false;
                }
            }
        }
        if (i < n) {
            const std::uint8_t* b = body(seq) + off + i;
            if (std::memcmp(p + i, b, n - i) != 0) {
                while (p[i] == b[0]) {
                    ++i;
                    ++b;
                }
                bad = off + i;
                want = b[0];
                return false;
            }
        }
        return true;
    }

private:
    std::size_t size_;
    std::size_t prefix_;
    std::size_t variants_ = 1;
    std::vector<std::uint8_t> data_;
};

// ---- connections ---------------------------------------------------------------------------

enum class State : std::uint8_t {
    Idle,        // not started
    Connecting,  // TCP connect in progress
    Handshake,   // request sent, waiting for the 101
    Open,
    CloseSent,      // our close frame (or, raw, our FIN) is out; waiting for the reply
    CloseReceived,  // the server's close frame came; waiting for its FIN
    Done,
};

struct Conn {
    int fd = -1;
    State state = State::Idle;
    bool epollout = false;
    ByteBuf out;
    std::string head;    // the handshake response being received
    std::string accept;  // the Sec-WebSocket-Accept we expect

    // Frame parsing.
    std::uint8_t hdr[14] = {};
    std::uint8_t hdr_have = 0;
    bool in_frame = false;
    std::uint8_t frame_op = 0;
    bool frame_fin = false;
    std::uint64_t frame_left = 0;
    bool in_message = false;
    std::uint64_t msg_off = 0;  // bytes of the current message (or raw record) received
    std::uint8_t ctrl[125] = {};
    std::size_t ctrl_have = 0;

    // Flow.
    std::uint64_t next_send = 0;  // sequence number of the next message to send
    std::uint64_t next_recv = 0;  // sequence number of the next echo expected
    std::unique_ptr<std::uint64_t[]> sent_at;  // send times, ring of `depth`
    std::uint64_t last_progress = 0;
};

struct FrameHeader {
    bool fin;
    std::uint8_t rsv;
    std::uint8_t op;
    bool masked;
    std::uint64_t len;
};

// Decodes a server frame header from p[0, n): the header size, 0 when more bytes are needed.
std::size_t decode_header(const std::uint8_t* p, std::size_t n, FrameHeader& h) {
    if (n < 2) return 0;
    h.fin = (p[0] & 0x80) != 0;
    h.rsv = static_cast<std::uint8_t>((p[0] >> 4) & 7);
    h.op = static_cast<std::uint8_t>(p[0] & 0x0F);
    h.masked = (p[1] & 0x80) != 0;
    const std::uint8_t len7 = p[1] & 0x7F;
    std::size_t size = 2;
    if (len7 == 126) {
        size = 4;
        if (n < size) return 0;
        h.len = (std::uint64_t{p[2]} << 8) | p[3];
    } else if (len7 == 127) {
        size = 10;
        if (n < size) return 0;
        h.len = 0;
        for (int i = 2; i < 10; ++i) h.len = (h.len << 8) | p[i];
    } else {
        h.len = len7;
    }
    if (h.masked) size += 4;
    if (n < size) return 0;
    return size;
}

constexpr std::size_t kMaxHeader = 14;

// Writes a final, masked client frame header (RFC 6455 5.2) for an n-byte payload; its size.
std::size_t encode_header(std::uint8_t* d, std::uint8_t op, std::size_t n, std::uint32_t key) noexcept {
    std::size_t h = 0;
    d[h++] = static_cast<std::uint8_t>(0x80 | op);
    if (n < 126) {
        d[h++] = static_cast<std::uint8_t>(0x80 | n);
    } else if (n < 65536) {
        d[h++] = 0x80 | 126;
        d[h++] = static_cast<std::uint8_t>(n >> 8);
        d[h++] = static_cast<std::uint8_t>(n);
    } else {
        d[h++] = 0x80 | 127;
        for (int s = 56; s >= 0; s -= 8) d[h++] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(n) >> s);
    }
    std::memcpy(d + h, &key, 4);
    return h + 4;
}

// ---- the load ------------------------------------------------------------------------------

class Load {
public:
    explicit Load(const Options& o)
        : o_(o),
          payloads_(o.size, !o.binary, o.utf8_mixed),
          opcode_(o.binary ? 2 : 1),
          read_buf_(std::make_unique<std::uint8_t[]>(kReadBuffer)) {}

    int run();

private:
    static constexpr std::size_t kReadBuffer = 256u << 10;

    // Setup.
    void resolve();
    void start_connect(std::size_t i);
    void on_connected(std::size_t i, std::uint64_t t);
    void warm_up();
    void on_open(std::size_t i, std::uint64_t t);
    void on_all_open(std::uint64_t t);

    // I/O.
    void on_event(std::size_t i, std::uint32_t events);
    void on_readable(std::size_t i);
    void flush(std::size_t i);
    void want_write(Conn& c, bool on);
    void finish(std::size_t i);

    // Protocol.
    void feed(std::size_t i, std::uint8_t* p, std::size_t n, std::uint64_t t);
    std::size_t feed_handshake(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t);
    void check_response(std::size_t i, std::string_view head);
    void feed_frames(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t);
    void feed_raw(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t);
    void data_bytes(std::size_t i, const std::uint8_t* p, std::size_t n);
    void message_done(std::size_t i, std::uint64_t t);
    void control_frame(std::size_t i, std::uint8_t op);
    void on_eof(std::size_t i);

    // Output.
    void write_frame(Conn& c, std::uint8_t op, const std::uint8_t* payload, std::size_t n);
    void send_message(std::size_t i, std::uint64_t t);
    void send_close(std::size_t i);
    std::uint64_t outstanding(std::size_t i) const noexcept;

    // Phases.
    void tick(std::uint64_t t);
    void begin_window(std::uint64_t t);
    void end_window(std::uint64_t t);
    void start_closing(std::uint64_t t);
    void pump_broadcast(std::uint64_t t);
    void check_stalls(std::uint64_t t);
    void report();

    const Options& o_;
    Payloads payloads_;
    const std::uint8_t opcode_;
    std::unique_ptr<std::uint8_t[]> read_buf_;
    MaskKeys masks_;
    int ep_ = -1;
    sockaddr_storage addr_{};
    socklen_t addr_len_ = 0;
    std::string host_header_;
    std::vector<Conn> conns_;

    enum class Phase { Connecting, Running, Holding, Draining, Closing, Done } phase_ = Phase::Connecting;
    std::size_t started_ = 0;     // connections started
    std::size_t connecting_ = 0;  // started but not open yet
    std::size_t opened_ = 0;
    std::size_t active_ = 0;  // not Done
    std::uint64_t t_start_ = 0, t_all_open_ = 0, t_window_start_ = 0, t_window_end_ = 0, deadline_ = 0;
    std::uint64_t next_stall_check_ = 0;
    bool sending_ = false;
    bool measuring_ = false;
    bool window_done_ = false;

    // Counters (messages echoed = message_done calls; for broadcast: deliveries).
    std::uint64_t received_ = 0, sent_ = 0;
    std::uint64_t window_received_ = 0, window_sent_ = 0;
    std::uint64_t big_done_ = 0;
    bench::Histogram hist_;
    std::unique_ptr<std::uint64_t[]> bcast_sent_at_;  // broadcast: send times, ring of depth

    // Snapshots.
    bench::CpuTimes self0_, self1_;
    std::optional<bench::CpuTimes> server0_, server1_;
    std::optional<std::uint64_t> rss_before_, rss_open_, rss_end_, hwm_before_, hwm_after_;
    std::uint64_t big_t0_ = 0, big_t1_ = 0;
};

void Load::resolve() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(o_.host.c_str(), o_.port.c_str(), &hints, &res); rc != 0 || res == nullptr) {
        fail("cannot resolve %s:%s: %s", o_.host.c_str(), o_.port.c_str(), gai_strerror(rc));
    }
    std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
    addr_len_ = res->ai_addrlen;
    freeaddrinfo(res);
    const bool v6 = o_.host.find(':') != std::string::npos;
    host_header_ = (v6 ? "[" + o_.host + "]" : o_.host) + ":" + o_.port;
}

int Load::run() {
    signal(SIGPIPE, SIG_IGN);
    bench::raise_fd_limit();
    resolve();
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) fail("epoll_create1: %s", std::strerror(errno));

    std::size_t n = o_.connections;
    if (o_.mode == Mode::Idle) n = o_.idle;
    conns_ = std::vector<Conn>(n);  // Conn is not movable: built in place, never resized
    if (o_.mode == Mode::Broadcast) {
        bcast_sent_at_ = std::make_unique<std::uint64_t[]>(o_.depth);
    } else if (o_.mode != Mode::Idle) {
        for (Conn& c : conns_) c.sent_at = std::make_unique<std::uint64_t[]>(o_.depth);
    }
    active_ = n;

    if (o_.server_pid != 0) {
        if (o_.mode == Mode::Idle) warm_up();
        rss_before_ = bench::process_memory(o_.server_pid, "VmRSS");
        hwm_before_ = bench::process_memory(o_.server_pid, "VmHWM");
        if (!rss_before_) std::fprintf(stderr, "wsload: warning: cannot read /proc/%ld/status\n", o_.server_pid);
    }

    t_start_ = bench::now_ns();
    deadline_ = t_start_ + static_cast<std::uint64_t>(o_.connect_timeout * 1e9);
    std::vector<epoll_event> events(1024);
    while (phase_ != Phase::Done) {
        std::uint64_t t = bench::now_ns();
        tick(t);
        if (phase_ == Phase::Done) break;
        const int k = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 20);
        if (k < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait: %s", std::strerror(errno));
        }
        for (int e = 0; e < k; ++e) on_event(static_cast<std::size_t>(events[static_cast<std::size_t>(e)].data.u64),
                                             events[static_cast<std::size_t>(e)].events);
        if (o_.mode == Mode::Broadcast && sending_) pump_broadcast(bench::now_ns());
    }
    close(ep_);
    report();
    return 0;
}

// ---- setup -------------------------------------------------------------------------------

// One connection opened (handshake and an echo, or a raw echo), used and closed before the idle
// measurement starts: the first connection pages in code and grows tables once (OpenSSL's SHA-1,
// the HTTP parser, ...); that cost is the server's, but not per connection.
void Load::warm_up() {
    const int fd = socket(addr_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket: %s", std::strerror(errno));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) < 0)
        fail("warm-up connect to %s: %s", host_header_.c_str(), std::strerror(errno));
    auto send_all = [&](std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t k = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (k <= 0) fail("warm-up connection: send failed");
            bytes.remove_prefix(static_cast<std::size_t>(k));
        }
    };
    // Reads until `done(got)` holds, within 5 s.
    std::string got;
    auto recv_until = [&](auto done) {
        char buf[4096];
        const std::uint64_t until = bench::now_ns() + 5'000'000'000ull;
        while (!done(got)) {
            pollfd p{fd, POLLIN, 0};
            const std::uint64_t t = bench::now_ns();
            if (t >= until || poll(&p, 1, static_cast<int>((until - t) / 1'000'000 + 1)) <= 0)
                fail("warm-up connection: no answer within 5 s");
            const ssize_t k = recv(fd, buf, sizeof buf, 0);
            if (k <= 0) fail("warm-up connection: closed by the server");
            got.append(buf, static_cast<std::size_t>(k));
        }
    };
    if (o_.raw) {
        send_all("warm-up");
        recv_until([](const std::string& g) { return g.size() >= 7; });
    } else {
        unsigned char key_bytes[16];
        random_bytes(key_bytes, sizeof key_bytes);
        const std::string key = base64(key_bytes, sizeof key_bytes);
        send_all("GET " + o_.path + " HTTP/1.1\r\nHost: " + host_header_ +
                 "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                 "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        recv_until([](const std::string& g) { return g.find("\r\n\r\n") != std::string::npos; });
        if (got.rfind("HTTP/1.1 101", 0) != 0 || got.find(accept_for(key)) == std::string::npos)
            fail("warm-up connection: no valid 101 response");
        const std::size_t body = got.find("\r\n\r\n") + 4;
        // A masked 2-byte text frame ("hi") and a close frame (1000); the echo takes 4 bytes.
        const unsigned char frame[] = {0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2,
                                       0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xE8 ^ 2};
        send_all(std::string_view(reinterpret_cast<const char*>(frame), sizeof frame));
        recv_until([body](const std::string& g) { return g.size() >= body + 4; });
    }
    close(fd);
    usleep(200'000);  // the server tears it down
}

void Load::start_connect(std::size_t i) {
    Conn& c = conns_[i];
    c.fd = socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) fail("socket: %s (connection %zu; raise the open-files limit?)", std::strerror(errno), i);
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.state = State::Connecting;
    const int rc = connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    if (rc < 0 && errno != EINPROGRESS) fail("connect to %s: %s (connection %zu)", host_header_.c_str(), std::strerror(errno), i);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = i;
    c.epollout = true;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) < 0) fail("epoll_ctl: %s", std::strerror(errno));
    ++started_;
    ++connecting_;
}

void Load::on_connected(std::size_t i, std::uint64_t t) {
    Conn& c = conns_[i];
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) fail("cannot connect to %s: %s (connection %zu)", host_header_.c_str(), std::strerror(err), i);
    if (o_.raw) {
        on_open(i, t);
        return;
    }
    unsigned char key_bytes[16];
    random_bytes(key_bytes, sizeof key_bytes);
    const std::string key = base64(key_bytes, sizeof key_bytes);
    c.accept = accept_for(key);
    const std::string req = "GET " + o_.path + " HTTP/1.1\r\nHost: " + host_header_ +
                            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                            "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: wsload\r\n\r\n";
    std::memcpy(c.out.reserve(req.size()), req.data(), req.size());
    c.out.commit(req.size());
    c.state = State::Handshake;
}

void Load::on_open(std::size_t i, std::uint64_t t) {
    Conn& c = conns_[i];
    c.state = State::Open;
    c.last_progress = t;
    std::string().swap(c.head);
    std::string().swap(c.accept);
    --connecting_;
    ++opened_;
    if (opened_ == conns_.size()) on_all_open(t);
}

void Load::on_all_open(std::uint64_t t) {
    t_all_open_ = t;
    switch (o_.mode) {
        case Mode::Echo:
            sending_ = true;
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                for (std::size_t k = 0; k < o_.depth; ++k) send_message(i, t);
                flush(i);
            }
            phase_ = Phase::Running;
            if (o_.warmup <= 0) begin_window(t);
            break;
        case Mode::Broadcast:
            sending_ = true;
            for (Conn& c : conns_) c.last_progress = t;
            phase_ = Phase::Running;
            if (o_.warmup <= 0) begin_window(t);
            pump_broadcast(t);
            break;
        case Mode::Big:
            sending_ = true;
            if (o_.server_pid != 0) server0_ = bench::process_cpu(o_.server_pid);
            self0_ = bench::own_cpu();
            big_t0_ = bench::now_ns();
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                send_message(i, big_t0_);
                flush(i);
            }
            phase_ = Phase::Running;
            break;
        case Mode::Idle:
            phase_ = Phase::Holding;
            break;
    }
}

// ---- I/O -----------------------------------------------------------------------------------

void Load::want_write(Conn& c, bool on) {
    if (c.epollout == on) return;
    c.epollout = on;
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (on) ev.events |= EPOLLOUT;
    ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
    if (epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) < 0) fail("epoll_ctl: %s", std::strerror(errno));
}

void Load::on_event(std::size_t i, std::uint32_t events) {
    Conn& c = conns_[i];
    if (c.state == State::Done) return;
    if (c.state == State::Connecting) {
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
        on_connected(i, bench::now_ns());
        flush(i);
        return;
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) on_readable(i);
    if (c.state != State::Done && (events & EPOLLOUT) != 0) flush(i);
}

void Load::on_readable(std::size_t i) {
    Conn& c = conns_[i];
    for (int round = 0; round < 16 && c.state != State::Done; ++round) {
        const ssize_t r = read(c.fd, read_buf_.get(), kReadBuffer);
        if (r > 0) {
            feed(i, read_buf_.get(), static_cast<std::size_t>(r), bench::now_ns());
            if (static_cast<std::size_t>(r) < kReadBuffer) break;
        } else if (r == 0) {
            on_eof(i);
            return;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN) {
            break;
        } else {
            const int err = errno;
            if (err == ECONNRESET) {
                fail("connection %zu: the server closed the connection unexpectedly: reset (after %llu echoes, %llu "
                     "outstanding)", i, static_cast<unsigned long long>(c.next_recv),
                     static_cast<unsigned long long>(outstanding(i)));
            }
            fail("connection %zu: read: %s (after %llu echoes)", i, std::strerror(err),
                 static_cast<unsigned long long>(c.next_recv));
        }
    }
    if (c.state != State::Done) flush(i);
}

void Load::flush(std::size_t i) {
    Conn& c = conns_[i];
    while (!c.out.empty()) {
        const ssize_t w = send(c.fd, c.out.pending(), c.out.pending_size(), MSG_NOSIGNAL);
        if (w > 0) {
            c.out.consume(static_cast<std::size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            fail("connection %zu: the server closed the connection unexpectedly: write: %s (after %llu echoes)", i,
                 std::strerror(errno), static_cast<unsigned long long>(c.next_recv));
        }
        fail("connection %zu: write: %s", i, std::strerror(errno));
    }
    want_write(c, !c.out.empty());
}

void Load::finish(std::size_t i) {
    Conn& c = conns_[i];
    epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
    c.state = State::Done;
    --active_;
}

// ---- protocol --------------------------------------------------------------------------------

void Load::feed(std::size_t i, std::uint8_t* p, std::size_t n, std::uint64_t t) {
    Conn& c = conns_[i];
    if (c.state == State::Handshake) {
        const std::size_t used = feed_handshake(i, p, n, t);
        p += used;
        n -= used;
        if (n == 0) return;
    }
    if (c.state == State::CloseReceived) fail("connection %zu: data after the server's close frame", i);
    if (o_.raw) {
        feed_raw(i, p, n, t);
    } else {
        feed_frames(i, p, n, t);
    }
}

std::size_t Load::feed_handshake(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t) {
    Conn& c = conns_[i];
    const std::size_t before = c.head.size();
    c.head.append(reinterpret_cast<const char*>(p), n);
    const std::size_t start = before >= 3 ? before - 3 : 0;
    const std::size_t end = c.head.find("\r\n\r\n", start);
    if (end == std::string::npos) {
        if (c.head.size() > 16384) fail("connection %zu: handshake response longer than 16 KiB", i);
        return n;
    }
    const std::size_t head_len = end + 4;
    check_response(i, std::string_view(c.head).substr(0, head_len));
    on_open(i, t);
    return head_len - before;
}

void Load::check_response(std::size_t i, std::string_view head) {
    const auto first_eol = head.find("\r\n");
    const std::string_view status = head.substr(0, first_eol);
    if (status.substr(0, 12) != "HTTP/1.1 101" || (status.size() > 12 && status[12] != ' ')) {
        fail("connection %zu: handshake refused: '%.*s'", i, static_cast<int>(std::min<std::size_t>(status.size(), 200)),
             status.data());
    }
    bool upgrade = false, connection = false;
    int accepts = 0;
    std::string_view rest = head.substr(first_eol + 2);
    while (!rest.empty()) {
        const auto eol = rest.find("\r\n");
        const std::string_view line = rest.substr(0, eol);
        rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
        if (line.empty()) break;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) fail("connection %zu: malformed header line in the 101 response", i);
        const std::string name = to_lower(trim(line.substr(0, colon)));
        const std::string_view value = trim(line.substr(colon + 1));
        if (name == "upgrade") {
            upgrade = to_lower(value) == "websocket";
        } else if (name == "connection") {
            connection = has_token(value, "upgrade");
        } else if (name == "sec-websocket-accept") {
            ++accepts;
            if (value != conns_[i].accept) {
                fail("connection %zu: wrong Sec-WebSocket-Accept '%.*s' (expected '%s')", i,
                     static_cast<int>(value.size()), value.data(), conns_[i].accept.c_str());
            }
        } else if (name == "sec-websocket-extensions" || name == "sec-websocket-protocol") {
            fail("connection %zu: the server chose %s which was not offered", i, name.c_str());
        }
    }
    if (!upgrade) fail("connection %zu: 101 response without 'Upgrade: websocket'", i);
    if (!connection) fail("connection %zu: 101 response without 'Connection: Upgrade'", i);
    if (accepts != 1) fail("connection %zu: 101 response with %d Sec-WebSocket-Accept headers", i, accepts);
}

std::uint64_t Load::outstanding(std::size_t i) const noexcept {
    const Conn& c = conns_[i];
    const std::uint64_t sent = o_.mode == Mode::Broadcast ? conns_[0].next_send : c.next_send;
    return sent - c.next_recv;
}

// Payload bytes of the message being received: checked against what was sent.
void Load::data_bytes(std::size_t i, const std::uint8_t* p, std::size_t n) {
    Conn& c = conns_[i];
    if (c.msg_off + n > payloads_.size()) {
        fail("connection %zu: echo of message #%llu is longer than the %zu bytes sent", i,
             static_cast<unsigned long long>(c.next_recv), payloads_.size());
    }
    std::size_t bad = 0;
    std::uint8_t want = 0;
    if (!payloads_.check(c.next_recv, static_cast<std::size_t>(c.msg_off), p, n, bad, want)) {
        const std::uint8_t got = p[bad - c.msg_off];
        fail("connection %zu: corrupted or reordered echo: message #%llu, byte %zu is 0x%02x, expected 0x%02x", i,
             static_cast<unsigned long long>(c.next_recv), bad, got, want);
    }
    c.msg_off += n;
}

void Load::feed_raw(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t) {
    Conn& c = conns_[i];
    while (n > 0) {
        if (c.state != State::Open && c.state != State::CloseSent) fail("connection %zu: unexpected bytes", i);
        if (outstanding(i) == 0) fail("connection %zu: %zu bytes received that were never sent", i, n);
        const std::size_t take = std::min<std::size_t>(n, payloads_.size() - static_cast<std::size_t>(c.msg_off));
        data_bytes(i, p, take);
        p += take;
        n -= take;
        if (c.msg_off == payloads_.size()) message_done(i, t);
    }
}

void Load::feed_frames(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t) {
    Conn& c = conns_[i];
    while (n > 0) {
        if (!c.in_frame) {
            FrameHeader h{};
            std::size_t used = 0;
            if (c.hdr_have == 0) {
                const std::size_t size = decode_header(p, n, h);
                if (size == 0) {
                    std::memcpy(c.hdr, p, n);  // fewer than 14 bytes
                    c.hdr_have = static_cast<std::uint8_t>(n);
                    return;
                }
                used = size;
            } else {
                const std::size_t take = std::min<std::size_t>(sizeof c.hdr - c.hdr_have, n);
                std::memcpy(c.hdr + c.hdr_have, p, take);
                const std::size_t size = decode_header(c.hdr, c.hdr_have + take, h);
                if (size == 0) {
                    c.hdr_have = static_cast<std::uint8_t>(c.hdr_have + take);
                    return;
                }
                used = size - c.hdr_have;
                c.hdr_have = 0;
            }
            p += used;
            n -= used;
            if (h.masked) fail("connection %zu: the server sent a masked frame", i);
            if (h.rsv != 0) fail("connection %zu: frame with RSV bits 0x%x (no extension was negotiated)", i, h.rsv);
            const bool control = (h.op & 8) != 0;
            if (control) {
                if (h.op != 8 && h.op != 9 && h.op != 10) fail("connection %zu: reserved control opcode %u", i, h.op);
                if (!h.fin || h.len > 125) fail("connection %zu: fragmented or oversized control frame", i);
                c.ctrl_have = 0;
            } else if (h.op == 0) {
                if (!c.in_message) fail("connection %zu: continuation frame with no message to continue", i);
            } else if (h.op == 1 || h.op == 2) {
                if (c.in_message) fail("connection %zu: new message inside a fragmented one", i);
                if (c.state != State::Open && c.state != State::CloseSent)
                    fail("connection %zu: data frame in state %d", i, static_cast<int>(c.state));
                if (outstanding(i) == 0) fail("connection %zu: a message arrived that was never sent (duplicate echo?)", i);
                if (h.op != opcode_) {
                    fail("connection %zu: echo of message #%llu is %s, but %s was sent", i,
                         static_cast<unsigned long long>(c.next_recv), h.op == 1 ? "text" : "binary",
                         opcode_ == 1 ? "text" : "binary");
                }
                c.in_message = true;
                c.msg_off = 0;
            } else {
                fail("connection %zu: reserved opcode %u", i, h.op);
            }
            c.in_frame = true;
            c.frame_op = h.op;
            c.frame_fin = h.fin;
            c.frame_left = h.len;
        }
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(c.frame_left, n));
        if ((c.frame_op & 8) != 0) {
            std::memcpy(c.ctrl + c.ctrl_have, p, take);
            c.ctrl_have += take;
        } else if (take > 0) {
            data_bytes(i, p, take);
        }
        p += take;
        n -= take;
        c.frame_left -= take;
        if (c.frame_left != 0) return;
        c.in_frame = false;
        if ((c.frame_op & 8) != 0) {
            control_frame(i, c.frame_op);
            if (c.state == State::Done) return;
        } else if (c.frame_fin) {
            if (c.msg_off != payloads_.size()) {
                fail("connection %zu: echo of message #%llu has %llu bytes, %zu were sent", i,
                     static_cast<unsigned long long>(c.next_recv), static_cast<unsigned long long>(c.msg_off),
                     payloads_.size());
            }
            c.in_message = false;
            message_done(i, t);
        }
    }
}

void Load::control_frame(std::size_t i, std::uint8_t op) {
    Conn& c = conns_[i];
    if (op == 9) {  // ping: answer with a pong carrying the same payload
        if (c.state == State::Open) write_frame(c, 10, c.ctrl, c.ctrl_have);
        return;
    }
    if (op == 10) return;  // pong: nothing to do
    // Close.
    unsigned code = 1005;
    if (c.ctrl_have == 1) fail("connection %zu: close frame with a 1-byte payload", i);
    if (c.ctrl_have >= 2) code = (unsigned{c.ctrl[0]} << 8) | c.ctrl[1];
    if (c.state != State::CloseSent) {
        const int reason_len = static_cast<int>(c.ctrl_have >= 2 ? c.ctrl_have - 2 : 0);
        fail("connection %zu: unexpected close from the server: code %u '%.*s' (after %llu echoes)", i, code,
             reason_len, reinterpret_cast<const char*>(c.ctrl + 2), static_cast<unsigned long long>(c.next_recv));
    }
    if (code != 1000 && code != 1005) fail("connection %zu: the server answered our close with code %u", i, code);
    c.state = State::CloseReceived;
}

void Load::on_eof(std::size_t i) {
    Conn& c = conns_[i];
    const bool expected = o_.raw ? c.state == State::CloseSent : c.state == State::CloseReceived;
    if (!expected) {
        fail("connection %zu: the server closed the connection unexpectedly (after %llu echoes, %llu outstanding)", i,
             static_cast<unsigned long long>(c.next_recv), static_cast<unsigned long long>(outstanding(i)));
    }
    if (o_.raw && c.msg_off != 0) fail("connection %zu: connection closed inside an echoed record", i);
    finish(i);
}

void Load::message_done(std::size_t i, std::uint64_t t) {
    Conn& c = conns_[i];
    const std::uint64_t seq = c.next_recv++;
    c.msg_off = 0;
    c.last_progress = t;
    ++received_;
    const std::uint64_t sent_at =
        o_.mode == Mode::Broadcast ? bcast_sent_at_[seq % o_.depth] : c.sent_at[seq % o_.depth];
    if (measuring_) hist_.record(t - sent_at);
    if (o_.mode == Mode::Echo && sending_) {
        send_message(i, t);
    } else if (o_.mode == Mode::Big) {
        if (c.next_recv < o_.count) {
            send_message(i, t);
        } else if (++big_done_ == conns_.size()) {
            big_t1_ = t;
            self1_ = bench::own_cpu();
            if (o_.server_pid != 0) {
                server1_ = bench::process_cpu(o_.server_pid);
                hwm_after_ = bench::process_memory(o_.server_pid, "VmHWM");
                rss_end_ = bench::process_memory(o_.server_pid, "VmRSS");
            }
            sending_ = false;
            start_closing(t);
        }
    }
}

// ---- output --------------------------------------------------------------------------------

void Load::write_frame(Conn& c, std::uint8_t op, const std::uint8_t* payload, std::size_t n) {
    std::uint8_t* d = c.out.reserve(kMaxHeader + n);
    const std::uint32_t key = masks_.next();
    const std::size_t h = encode_header(d, op, n, key);
    copy_masked(d + h, payload, n, key, 0);
    c.out.commit(h + n);
}

void Load::send_message(std::size_t i, std::uint64_t t) {
    Conn& c = conns_[i];
    const std::uint64_t seq = c.next_send++;
    if (o_.mode == Mode::Broadcast) {
        bcast_sent_at_[seq % o_.depth] = t;
    } else {
        c.sent_at[seq % o_.depth] = t;
    }
    ++sent_;
    const std::size_t n = payloads_.size();
    const std::size_t pre = payloads_.prefix_size();
    std::uint8_t prefix[16];
    payloads_.prefix(seq, prefix);
    const std::uint8_t* body = payloads_.body(seq);
    if (o_.raw) {
        std::uint8_t* d = c.out.reserve(n);
        std::memcpy(d, prefix, pre);
        std::memcpy(d + pre, body + pre, n - pre);
        c.out.commit(n);
        return;
    }
    std::uint8_t* d = c.out.reserve(kMaxHeader + n);
    const std::uint32_t key = masks_.next();
    const std::size_t h = encode_header(d, opcode_, n, key);
    const std::size_t phase = copy_masked(d + h, prefix, pre, key, 0);
    copy_masked(d + h + pre, body + pre, n - pre, key, phase);
    c.out.commit(h + n);
}

void Load::send_close(std::size_t i) {
    Conn& c = conns_[i];
    if (c.state != State::Open) return;
    c.state = State::CloseSent;
    if (o_.raw) {
        flush(i);
        if (!c.out.empty()) fail("connection %zu: output still pending at close", i);
        shutdown(c.fd, SHUT_WR);
        return;
    }
    const std::uint8_t payload[2] = {0x03, 0xE8};  // 1000 Normal
    write_frame(c, 8, payload, 2);
    flush(i);
}

// ---- phases --------------------------------------------------------------------------------

void Load::begin_window(std::uint64_t t) {
    measuring_ = true;
    hist_.reset();
    t_window_start_ = t;
    window_received_ = received_;
    window_sent_ = sent_;
    self0_ = bench::own_cpu();
    if (o_.server_pid != 0) server0_ = bench::process_cpu(o_.server_pid);
}

void Load::end_window(std::uint64_t t) {
    self1_ = bench::own_cpu();
    if (o_.server_pid != 0) server1_ = bench::process_cpu(o_.server_pid);
    measuring_ = false;
    window_done_ = true;
    t_window_end_ = t;
    window_received_ = received_ - window_received_;
    window_sent_ = sent_ - window_sent_;
}

void Load::start_closing(std::uint64_t t) {
    phase_ = Phase::Closing;
    deadline_ = t + static_cast<std::uint64_t>(std::max(5.0, o_.stall_timeout) * 1e9);
    for (std::size_t i = 0; i < conns_.size(); ++i) send_close(i);
}

void Load::pump_broadcast(std::uint64_t t) {
    std::uint64_t min_recv = conns_[0].next_recv;
    for (const Conn& c : conns_) min_recv = std::min(min_recv, c.next_recv);
    bool any = false;
    while (sending_ && conns_[0].next_send - min_recv < o_.depth) {
        send_message(0, t);
        any = true;
    }
    if (any) flush(0);
}

void Load::check_stalls(std::uint64_t t) {
    const auto limit = static_cast<std::uint64_t>(o_.stall_timeout * 1e9);
    for (std::size_t i = 0; i < conns_.size(); ++i) {
        const Conn& c = conns_[i];
        if (c.state != State::Open || outstanding(i) == 0) continue;
        if (t - c.last_progress > limit) {
            fail("connection %zu: missing echo: waited %.1f s for message #%llu (%llu outstanding)", i,
                 static_cast<double>(t - c.last_progress) / 1e9, static_cast<unsigned long long>(c.next_recv),
                 static_cast<unsigned long long>(outstanding(i)));
        }
    }
}

void Load::tick(std::uint64_t t) {
    if (t >= next_stall_check_ && phase_ != Phase::Connecting) {
        check_stalls(t);
        next_stall_check_ = t + 100'000'000;
    }
    switch (phase_) {
        case Phase::Connecting:
            while (started_ < conns_.size() && connecting_ < o_.max_connecting) start_connect(started_);
            if (t > deadline_) {
                fail("only %zu of %zu connections opened within %.0f s", opened_, conns_.size(), o_.connect_timeout);
            }
            return;
        case Phase::Running: {
            if (o_.mode == Mode::Big) return;  // message_done moves on
            const auto warm = static_cast<std::uint64_t>(o_.warmup * 1e9);
            const auto dur = static_cast<std::uint64_t>(o_.duration * 1e9);
            if (!measuring_ && !window_done_ && t >= t_all_open_ + warm) begin_window(t);
            if (measuring_ && t >= t_window_start_ + dur) {
                end_window(t);
                sending_ = false;
                phase_ = Phase::Draining;
            }
            return;
        }
        case Phase::Holding:
            if (!measuring_ && !window_done_ && t >= t_all_open_ + 200'000'000) {
                // A moment after the last handshake (so that the server has handled them all):
                // its RSS now, then the held window starts.
                if (o_.server_pid != 0) rss_open_ = bench::process_memory(o_.server_pid, "VmRSS");
                begin_window(t);
                deadline_ = t + static_cast<std::uint64_t>(o_.duration * 1e9);
            }
            if (measuring_ && t >= deadline_) {
                end_window(t);
                if (o_.server_pid != 0) rss_end_ = bench::process_memory(o_.server_pid, "VmRSS");
                start_closing(t);
            }
            return;
        case Phase::Draining: {
            bool all = true;
            for (std::size_t i = 0; i < conns_.size() && all; ++i) all = outstanding(i) == 0;
            if (all) start_closing(t);  // check_stalls fails a connection whose echo never comes
            return;
        }
        case Phase::Closing:
            if (active_ == 0) {
                phase_ = Phase::Done;
            } else if (t > deadline_) {
                fail("%zu connections did not finish the closing handshake (close reply, then FIN)", active_);
            }
            return;
        case Phase::Done: return;
    }
}

// ---- report --------------------------------------------------------------------------------

void Load::report() {
    const char* kind = o_.raw ? "raw TCP" : (o_.binary ? "binary" : (o_.utf8_mixed ? "text (mixed UTF-8)" : "text"));
    const double cpu = self1_.total() - self0_.total();
    std::optional<double> server_cpu;
    if (server0_ && server1_) server_cpu = server1_->total() - server0_->total();
    std::string result = "RESULT status=ok errors=0";
    auto add = [&result](const char* key, const std::string& value) { result += std::string(" ") + key + "=" + value; };
    auto num = [](double v, int prec) {
        char b[64];
        std::snprintf(b, sizeof b, "%.*f", prec, v);
        return std::string(b);
    };
    add("server", o_.raw ? "raw" : "ws");
    add("type", o_.raw ? "raw" : (o_.binary ? "binary" : "text"));

    if (o_.mode == Mode::Echo || o_.mode == Mode::Broadcast) {
        const double secs = static_cast<double>(t_window_end_ - t_window_start_) / 1e9;
        const double msgs = static_cast<double>(window_received_);
        const double rate = msgs / secs;
        const double mbs = rate * static_cast<double>(o_.size) / 1e6;
        const bool bc = o_.mode == Mode::Broadcast;
        std::printf("wsload: %s, %zu connections to %s, %zu-byte %s messages, %zu in flight %s\n",
                    bc ? "broadcast" : "echo", conns_.size(), host_header_.c_str(), o_.size, kind, o_.depth,
                    bc ? "(sender window)" : "per connection");
        std::printf("  window:     %.2f s after %.2f s of warm-up\n", secs, o_.warmup);
        if (bc) {
            std::printf("  sent:       %llu messages = %.0f msgs/s\n", static_cast<unsigned long long>(window_sent_),
                        static_cast<double>(window_sent_) / secs);
            std::printf("  delivered:  %.0f messages = %.0f deliveries/s, %.2f MB/s\n", msgs, rate, mbs);
        } else {
            std::printf("  echoed:     %.0f messages = %.0f msgs/s, %.2f MB/s of payload each way\n", msgs, rate, mbs);
        }
        std::printf("  latency:    p50 %s, p99 %s, p99.9 %s, max %s (%s)\n",
                    bench::format_ns(hist_.quantile(0.5)).c_str(), bench::format_ns(hist_.quantile(0.99)).c_str(),
                    bench::format_ns(hist_.quantile(0.999)).c_str(),
                    bench::format_ns(static_cast<double>(hist_.max())).c_str(), bc ? "send to delivery" : "round trip");
        std::printf("  wsload CPU: %.2f s = %.0f %% of one core (user %.2f s, sys %.2f s), %.3f us per message\n", cpu,
                    100 * cpu / secs, self1_.user - self0_.user, self1_.sys - self0_.sys, msgs > 0 ? cpu * 1e6 / msgs : 0.0);
        if (cpu / secs > 0.9) {
            std::printf("  note:       wsload used over 90 %% of its core: it may have been the bottleneck\n");
        }
        if (server_cpu) {
            std::printf("  server CPU: %.2f s = %.0f %% of one core, %.3f us per %s  (pid %ld)\n", *server_cpu,
                        100 * *server_cpu / secs, msgs > 0 ? *server_cpu * 1e6 / msgs : 0.0,
                        bc ? "delivery" : "message", o_.server_pid);
        }
        add("mode", bc ? "broadcast" : "echo");
        add("conns", std::to_string(conns_.size()));
        add("size", std::to_string(o_.size));
        add("depth", std::to_string(o_.depth));
        add("secs", num(secs, 3));
        add("msgs", std::to_string(window_received_));
        add(bc ? "deliveries_per_s" : "msgs_per_s", num(rate, 0));
        if (bc) add("sent_per_s", num(static_cast<double>(window_sent_) / secs, 0));
        add("mb_per_s", num(mbs, 3));
        add("p50_us", num(hist_.quantile(0.5) / 1e3, 1));
        add("p99_us", num(hist_.quantile(0.99) / 1e3, 1));
        add("p999_us", num(hist_.quantile(0.999) / 1e3, 1));
        add("max_us", num(static_cast<double>(hist_.max()) / 1e3, 1));
        add("load_cpu_pct", num(100 * cpu / secs, 1));
        add("load_cpu_us_per_msg", num(msgs > 0 ? cpu * 1e6 / msgs : 0, 3));
        if (server_cpu) {
            add("server_cpu_pct", num(100 * *server_cpu / secs, 1));
            add("server_cpu_us_per_msg", num(msgs > 0 ? *server_cpu * 1e6 / msgs : 0, 3));
        }
    } else if (o_.mode == Mode::Idle) {
        const double secs = static_cast<double>(t_window_end_ - t_window_start_) / 1e9;
        std::printf("wsload: %zu idle %s connections to %s, held %.2f s\n", conns_.size(),
                    o_.raw ? "TCP" : "WebSocket", host_header_.c_str(), secs);
        add("mode", "idle");
        add("conns", std::to_string(conns_.size()));
        add("secs", num(secs, 3));
        if (rss_before_ && rss_open_) {
            const double delta = static_cast<double>(*rss_open_) - static_cast<double>(*rss_before_);
            const double per = delta / static_cast<double>(conns_.size());
            std::printf("  server RSS: %s before, %s with every connection open (+%s), %s at the end\n",
                        bench::format_bytes(static_cast<double>(*rss_before_)).c_str(),
                        bench::format_bytes(static_cast<double>(*rss_open_)).c_str(), bench::format_bytes(delta).c_str(),
                        rss_end_ ? bench::format_bytes(static_cast<double>(*rss_end_)).c_str() : "?");
            std::printf("  per connection: %.0f bytes of server RSS\n", per);
            add("rss_before", std::to_string(*rss_before_));
            add("rss_open", std::to_string(*rss_open_));
            if (rss_end_) add("rss_end", std::to_string(*rss_end_));
            add("rss_per_conn", num(per, 0));
        }
        if (server_cpu) {
            std::printf("  server CPU while idle: %.3f s (%.2f %% of one core)\n", *server_cpu, 100 * *server_cpu / secs);
            add("server_cpu_pct", num(100 * *server_cpu / secs, 2));
        }
    } else {  // Big
        const double secs = static_cast<double>(big_t1_ - big_t0_) / 1e9;
        const double msgs = static_cast<double>(conns_.size() * o_.count);
        const double bytes = msgs * static_cast<double>(o_.size);
        std::printf("wsload: %zu x %zu %s message(s) of %s each way on %zu connection(s) to %s\n", conns_.size(), o_.count,
                    kind, bench::format_bytes(static_cast<double>(o_.size)).c_str(), conns_.size(), host_header_.c_str());
        std::printf("  time:       %s in all, %s per message, %.1f MB/s each way\n", bench::format_ns(secs * 1e9).c_str(),
                    bench::format_ns(secs * 1e9 / msgs).c_str(), bytes / secs / 1e6);
        std::printf("  wsload CPU: %.3f s\n", cpu);
        add("mode", "big");
        add("conns", std::to_string(conns_.size()));
        add("size", std::to_string(o_.size));
        add("count", std::to_string(o_.count));
        add("secs", num(secs, 4));
        add("ms_per_msg", num(secs * 1e3 / msgs, 3));
        add("mb_per_s", num(bytes / secs / 1e6, 1));
        add("load_cpu_s", num(cpu, 4));
        if (server_cpu) {
            std::printf("  server CPU: %.3f s\n", *server_cpu);
            add("server_cpu_s", num(*server_cpu, 3));
        }
        if (hwm_after_) {
            std::printf("  server peak RSS (VmHWM): %s (%s before), RSS after: %s\n",
                        bench::format_bytes(static_cast<double>(*hwm_after_)).c_str(),
                        hwm_before_ ? bench::format_bytes(static_cast<double>(*hwm_before_)).c_str() : "?",
                        rss_end_ ? bench::format_bytes(static_cast<double>(*rss_end_)).c_str() : "?");
            add("server_hwm", std::to_string(*hwm_after_));
            if (hwm_before_) add("server_hwm_before", std::to_string(*hwm_before_));
            if (rss_end_) add("server_rss_after", std::to_string(*rss_end_));
        }
    }
    std::printf("%s\n", result.c_str());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"wsload: WebSocket / raw TCP echo load generator that verifies every echoed byte"};
    app.add_option("target", o.target, "[HOST:]PORT of the server (HOST 127.0.0.1 by default; [v6]:PORT)")->required();
    app.add_option("-c,--connections", o.connections, "connections")->capture_default_str();
    app.add_option("-s,--size", o.size, "message (or raw record) size, bytes")->capture_default_str();
    app.add_option("-d,--depth", o.depth, "messages in flight per connection (broadcast: the sender's window)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("-t,--duration", o.duration, "seconds measured (idle: seconds held)")->capture_default_str();
    app.add_option("-w,--warmup", o.warmup, "seconds of load before the measured window")->capture_default_str();
    app.add_flag("--binary", o.binary, "binary messages (default: text)");
    app.add_flag("--utf8-mixed", o.utf8_mixed, "text of 1- to 4-byte UTF-8 characters (default: printable ASCII)");
    app.add_flag("--raw", o.raw, "plain TCP echo: S-byte records, no WebSocket handshake or framing");
    app.add_option("--path", o.path, "request target of the handshake")->capture_default_str();
    app.add_option("--server-pid", o.server_pid, "server PID: report its CPU per message and memory from /proc");
    app.add_option("--idle", o.idle, "open N connections and hold them for --duration; server RSS per connection");
    app.add_option("--big", o.big, "send one message of BYTES each way per connection (1 connection by default)");
    app.add_option("--count", o.count, "--big: messages per connection, one after the other")->capture_default_str();
    app.add_flag("--broadcast", o.broadcast,
                 "connection 0 sends, the server sends each message to all connections (sender included)");
    app.add_option("--stall-timeout", o.stall_timeout, "fail when an echo is awaited this many seconds")->capture_default_str();
    app.add_option("--connect-timeout", o.connect_timeout, "fail when not every connection opened by then (s)")
        ->capture_default_str();
    app.add_option("--max-connecting", o.max_connecting, "connections in their handshake at once")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    // [HOST:]PORT, [V6]:PORT
    if (const auto colon = o.target.rfind(':'); colon != std::string::npos) {
        o.host = o.target.substr(0, colon);
        o.port = o.target.substr(colon + 1);
        if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
    } else {
        o.port = o.target;
    }
    const int modes = (o.idle > 0) + (o.big > 0) + (o.broadcast ? 1 : 0);
    if (modes > 1) {
        std::fprintf(stderr, "wsload: --idle, --big and --broadcast exclude each other\n");
        return 2;
    }
    if (o.idle > 0) {
        o.mode = Mode::Idle;
    } else if (o.big > 0) {
        o.mode = Mode::Big;
        o.size = o.big;
        o.depth = 1;
        if (app.count("--connections") == 0) o.connections = 1;
    } else if (o.broadcast) {
        o.mode = Mode::Broadcast;
        if (o.raw) {
            std::fprintf(stderr, "wsload: --broadcast needs WebSocket framing (not --raw)\n");
            return 2;
        }
    }
    if (o.size == 0 && o.raw) {
        std::fprintf(stderr, "wsload: --raw needs --size of at least 1\n");
        return 2;
    }
    if (o.connections == 0 || o.count == 0 || o.duration <= 0) {
        std::fprintf(stderr, "wsload: --connections, --count and --duration must be positive\n");
        return 2;
    }
    if (o.path.empty() || o.path.front() != '/') o.path = "/" + o.path;
    Load load(o);
    return load.run();
}

// Test helpers: a WebSocket running on its own thread on 127.0.0.1:0, a raw blocking TCP peer
// that speaks WebSocket at the byte level (its own tiny codec, independent of src/proto), and
// a thread-safe event log to wait on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <ws/ws.hpp>

namespace ws::test {

// Sanitizers make everything several times slower and keep freed memory: timing bounds are
// scaled by this factor, and memory-return checks are skipped (kSanitized).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif
inline constexpr int kSlowdown = kSanitized ? 10 : 1;

// Runs `socket.run()` on a thread. The socket listens on `addr` (port 0: a free port).
class ServerThread {
public:
    template <class F>
    explicit ServerThread(F&& factory, const Settings& settings = {}, std::string addr = "127.0.0.1:0")
        : socket_(std::forward<F>(factory), settings) {
        start(addr);
    }
    ~ServerThread() { stop(); }
    ServerThread(const ServerThread&) = delete;
    ServerThread& operator=(const ServerThread&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    std::string url(std::string_view path = "/") const;
    Sender broadcaster() const { return socket_.broadcaster(); }
    // Asks the server to shut down and waits for its loop to end (bounded by its settings).
    void stop();
    // The result run() returned (after stop()).
    const Result<>& run_result() const { return run_result_; }
    bool bound() const noexcept { return bound_; }

private:
    void start(const std::string& addr);
    WebSocket socket_;
    std::thread thread_;
    std::uint16_t port_ = 0;
    bool bound_ = false;
    Result<> run_result_;
};

// A thread-safe list of strings handlers append to; tests wait for entries.
class EventLog {
public:
    void add(std::string event);
    std::vector<std::string> events() const;
    // Waits until `pred(events)` holds or `timeout` passes; returns whether it held.
    bool wait_for(const std::function<bool(const std::vector<std::string>&)>& pred,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
    // Waits for an event equal to `event`.
    bool wait_for(const std::string& event, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
    // Waits for an event starting with `prefix`; returns it.
    std::optional<std::string> wait_for_prefix(const std::string& prefix,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
    std::size_t count(const std::string& event) const;

private:
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::vector<std::string> events_;
};

struct RawFrame {
    bool fin = true;
    std::uint8_t rsv = 0;
    std::uint8_t opcode = 0;
    bool masked = false;
    std::string payload;
};

// Encodes a frame by hand (RFC 6455 5.2). `mask` uses a fixed, non-zero key unless given.
std::string encode_frame(std::uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true,
                         std::uint8_t rsv = 0);
// A close payload: code (big-endian) and reason.
std::string close_payload(std::uint16_t code, std::string_view reason = {});
// CPU time this process has used (user + system, all threads), in seconds: for the tests that
// check a loop does not spin.
double process_cpu_seconds();

// A blocking TCP client for byte-level tests.
class RawSocket {
public:
    RawSocket() = default;
    ~RawSocket();
    RawSocket(RawSocket&& other) noexcept;
    RawSocket& operator=(RawSocket&& other) noexcept;

    static RawSocket connect(std::uint16_t port, const char* host = "127.0.0.1");
    static RawSocket adopt(int fd) {
        RawSocket s;
        s.fd_ = fd;
        return s;
    }
    bool ok() const noexcept { return fd_ >= 0; }
    int fd() const noexcept { return fd_; }

    // Writes all of `bytes`; false if the peer is gone.
    bool send(std::string_view bytes);
    // Whatever arrives within `timeout_ms` (empty on timeout or EOF).
    std::string recv_some(int timeout_ms = 2000);
    // Reads until `marker` has arrived (returns everything read) or the timeout/EOF.
    std::string recv_until(std::string_view marker, int timeout_ms = 2000);
    // True when the peer closed the connection (EOF or reset) within `timeout_ms`; any data
    // arriving first is discarded.
    bool wait_closed(int timeout_ms = 3000);
    void shutdown_write();
    void close();

    // The client side of the opening handshake for `path`, with `extra_headers` (each ending
    // in \r\n). Returns the response head; bytes after it stay buffered for read_frame.
    std::string handshake(std::string_view path = "/", std::string_view extra_headers = {});
    // Sends one frame (masked, as a client must, unless told otherwise).
    bool send_frame(std::uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true,
                    std::uint8_t rsv = 0);
    // Reads one frame within `timeout_ms`; nullopt on timeout or EOF.
    std::optional<RawFrame> read_frame(int timeout_ms = 3000);

private:
    bool fill(std::size_t n, int timeout_ms);
    int fd_ = -1;
    std::string buffered_;
    std::size_t consumed_ = 0;  // read_frame's position in buffered_ (erased in bulk, not per frame)
};

// A listening socket on 127.0.0.1:0 for tests that play a hand-written server.
class RawListener {
public:
    RawListener();
    ~RawListener();
    RawListener(const RawListener&) = delete;
    RawListener& operator=(const RawListener&) = delete;
    std::uint16_t port() const noexcept { return port_; }
    // The next connection, or a RawSocket that is not ok() after `timeout_ms`.
    RawSocket accept(int timeout_ms = 3000);
    // Reads a client's opening request from `peer` and answers 101 with the right accept key
    // and `extra_headers`. Returns the request head.
    static std::string accept_handshake(RawSocket& peer, std::string_view extra_headers = {});

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace ws::test

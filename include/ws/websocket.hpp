// ws::WebSocket, ws::Builder, ws::listen, ws::connect: an event loop with its connections.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "ws/address.hpp"
#include "ws/error.hpp"
#include "ws/factory.hpp"
#include "ws/sender.hpp"
#include "ws/settings.hpp"
#include "ws/url.hpp"

namespace ws {

namespace detail {
class Runtime;
}

// One event loop (libuv) and every connection on it, server and client side. Not itself
// thread-safe: configure it, then run() it on one thread; talk to it from other threads only
// through Senders (broadcaster() included).
class WebSocket {
public:
    // `factory`: anything make_factory takes (a lambda, a Factory subclass, a unique_ptr).
    template <class F>
    explicit WebSocket(F&& factory, const Settings& settings = {})
        : WebSocket(make_factory(std::forward<F>(factory)), settings, 0) {}
    ~WebSocket();
    WebSocket(WebSocket&&) noexcept;
    WebSocket& operator=(WebSocket&&) noexcept;

    // Listens on "host:port" ("127.0.0.1:3012", "[::1]:0", "localhost:8080"), trying each
    // address the host resolves to until one binds. Port 0 picks a free port (see
    // local_addr()). One listener per WebSocket.
    Result<> bind(std::string_view addr);
    // bind() then run().
    Result<> listen(std::string_view addr);
    // Queues an outgoing connection; it starts when run() does (or at once when the loop is
    // running). URL errors are returned here.
    Result<> connect(std::string_view url);
    Result<> connect(const Url& url);
    // Runs the event loop on this thread until shutdown(), or, with no listener, until the
    // last connection ends. May be called again afterwards. With Settings::threads = N > 1 it
    // also runs N - 1 more loops on threads of their own and returns when all have ended.
    Result<> run();
    // A Sender for every connection at once: send = broadcast, close/ping/pong go to all,
    // shutdown works even with no connection.
    Sender broadcaster() const;
    // Where the listener is bound; ErrorKind::Internal when nothing is bound.
    Result<SocketAddr> local_addr() const;
    const Settings& settings() const noexcept;

private:
    WebSocket(std::unique_ptr<Factory> factory, const Settings& settings, int);
    std::unique_ptr<detail::Runtime> runtime_;               // the primary loop (runs in run())
    std::vector<std::unique_ptr<detail::Runtime>> extra_;    // Settings::threads - 1 more loops
};

// Sets Settings one by one (or all at once) and builds WebSockets.
class Builder {
public:
    Builder() = default;
    Builder& with_settings(const Settings& s) {
        settings_ = s;
        return *this;
    }
    const Settings& settings() const noexcept { return settings_; }

    Builder& max_connections(std::size_t n) { settings_.max_connections = n; return *this; }
    Builder& queue_size(std::size_t n) { settings_.queue_size = n; return *this; }
    Builder& max_queue_bytes(std::size_t n) { settings_.max_queue_bytes = n; return *this; }
    Builder& message_timeout_ms(std::uint32_t ms) { settings_.message_timeout_ms = ms; return *this; }
    Builder& backlog(int n) { settings_.backlog = n; return *this; }
    Builder& threads(unsigned n) { settings_.threads = n; return *this; }
    Builder& tcp_nodelay(bool on) { settings_.tcp_nodelay = on; return *this; }
    Builder& max_frame_size(std::uint64_t n) { settings_.max_frame_size = n; return *this; }
    Builder& max_message_size(std::uint64_t n) { settings_.max_message_size = n; return *this; }
    Builder& max_handshake_size(std::size_t n) { settings_.max_handshake_size = n; return *this; }
    Builder& max_headers(std::size_t n) { settings_.max_headers = n; return *this; }
    Builder& fragment_size(std::size_t n) { settings_.fragment_size = n; return *this; }
    Builder& max_output_buffer(std::size_t n) { settings_.max_output_buffer = n; return *this; }
    Builder& read_pause_threshold(std::size_t n) { settings_.read_pause_threshold = n; return *this; }
    Builder& read_buffer_size(std::size_t n) { settings_.read_buffer_size = n; return *this; }
    Builder& handshake_timeout_ms(std::uint32_t ms) { settings_.handshake_timeout_ms = ms; return *this; }
    Builder& idle_timeout_ms(std::uint32_t ms) { settings_.idle_timeout_ms = ms; return *this; }
    Builder& client_idle_timeout_ms(std::uint32_t ms) { settings_.client_idle_timeout_ms = ms; return *this; }
    Builder& close_timeout_ms(std::uint32_t ms) { settings_.close_timeout_ms = ms; return *this; }
    Builder& shutdown_timeout_ms(std::uint32_t ms) { settings_.shutdown_timeout_ms = ms; return *this; }
    Builder& timer_sweep_ms(std::uint32_t ms) { settings_.timer_sweep_ms = ms; return *this; }
    Builder& auto_pong(bool on) { settings_.auto_pong = on; return *this; }

    template <class F>
    WebSocket build(F&& factory) const {
        return WebSocket(std::forward<F>(factory), settings_);
    }

private:
    Settings settings_;
};

// What ws::listen / ws::connect return: a Result<> that also converts to a process exit code
// (0 on success, 1 on failure), so `int main() { return ws::listen(...); }` works.
class RunResult : public Result<> {
public:
    RunResult(Result<> r) : Result<>(std::move(r)) {}
    operator int() const noexcept { return ok() ? 0 : 1; }
};

namespace detail {
RunResult report(std::string_view what, Result<> r);
}

// Listens on `addr` and runs the loop until it shuts down (WS-RS's ws::listen). A failure is
// returned and also printed to stderr, since these helpers are meant for small programs. (To
// learn the port bound for "host:0", use WebSocket::bind and local_addr.)
template <class F>
RunResult listen(std::string_view addr, F&& factory, const Settings& settings = {}) {
    WebSocket socket(std::forward<F>(factory), settings);
    return detail::report("ws::listen", socket.listen(addr));
}

// Connects to `url` and runs the loop until the connection ends (WS-RS's ws::connect).
template <class F>
RunResult connect(std::string_view url, F&& factory, const Settings& settings = {}) {
    WebSocket socket(std::forward<F>(factory), settings);
    if (auto r = socket.connect(url); !r) return detail::report("ws::connect", std::move(r));
    return detail::report("ws::connect", socket.run());
}

}  // namespace ws

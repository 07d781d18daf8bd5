// ws::WebSocket and the one-line helpers.
#include "ws/websocket.hpp"

#include <cstdio>

#include "api/runtime.hpp"

namespace ws {

WebSocket::WebSocket(std::unique_ptr<Factory> factory, const Settings& settings, int)
    : runtime_(std::make_unique<detail::Runtime>(std::move(factory), settings)) {}

WebSocket::~WebSocket() = default;
WebSocket::WebSocket(WebSocket&&) noexcept = default;
WebSocket& WebSocket::operator=(WebSocket&&) noexcept = default;

Result<> WebSocket::bind(std::string_view addr) { return runtime_->bind(addr); }

Result<> WebSocket::listen(std::string_view addr) {
    if (auto r = runtime_->bind(addr); !r) return r;
    return runtime_->run();
}

Result<> WebSocket::connect(std::string_view url) {
    auto parsed = Url::parse(url);
    if (!parsed) return std::move(parsed).error();
    return connect(*parsed);
}

Result<> WebSocket::connect(const Url& url) {
    // From the loop thread, or before run(): act directly. While the loop runs on another
    // thread, go through the command queue like any Sender.
    const auto& shared = runtime_->shared();
    if (shared->running() && !shared->on_loop_thread()) {
        return broadcaster().connect(url);
    }
    return runtime_->connect(url);
}

Result<> WebSocket::run() { return runtime_->run(); }

Sender WebSocket::broadcaster() const { return Sender(runtime_->shared(), Sender::kAll, 0); }

Result<SocketAddr> WebSocket::local_addr() const { return runtime_->local_addr(); }

const Settings& WebSocket::settings() const noexcept { return runtime_->settings(); }

namespace detail {

RunResult report(std::string_view what, Result<> r) {
    if (!r) std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(), r.error().what().c_str());
    return r;
}

}  // namespace detail

}  // namespace ws

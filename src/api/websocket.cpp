// ws::WebSocket and the one-line helpers.
#include "ws/websocket.hpp"

#include <cstdio>
#include <mutex>
#include <thread>

#include "api/runtime.hpp"

namespace ws {

WebSocket::WebSocket(std::unique_ptr<Factory> factory, const Settings& settings, int) {
    std::shared_ptr<Factory> shared_factory(std::move(factory));
    const unsigned loops = settings.threads > 1 ? settings.threads : 1;
    // Several loops share one factory: ws-cpp serializes its calls.
    auto factory_mutex = loops > 1 ? std::make_shared<std::mutex>() : nullptr;
    runtime_ = std::make_unique<detail::Runtime>(shared_factory, settings, factory_mutex, true);
    for (unsigned i = 1; i < loops; ++i) {
        extra_.push_back(std::make_unique<detail::Runtime>(shared_factory, settings, factory_mutex, false));
    }
    if (extra_.empty()) return;
    std::vector<detail::Runtime*> all{runtime_.get()};
    for (auto& e : extra_) all.push_back(e.get());
    for (detail::Runtime* r : all) {
        for (detail::Runtime* other : all) {
            if (other != r) r->shared()->siblings.push_back(other->shared());
        }
    }
}

WebSocket::~WebSocket() = default;
WebSocket::WebSocket(WebSocket&&) noexcept = default;
WebSocket& WebSocket::operator=(WebSocket&&) noexcept = default;

Result<> WebSocket::bind(std::string_view addr) {
    if (extra_.empty()) return runtime_->bind(addr);
    // Every loop listens on the same address with SO_REUSEPORT; the kernel spreads new
    // connections over them. The others bind to the address the first one got (port 0 resolved).
    if (auto r = runtime_->bind(addr, true); !r) return r;
    const std::string where = runtime_->local_addr()->to_string();
    for (auto& e : extra_) {
        if (auto r = e->bind(where, true); !r) return r;
    }
    return {};
}

Result<> WebSocket::listen(std::string_view addr) {
    if (auto r = bind(addr); !r) return r;
    return run();
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

Result<> WebSocket::run() {
    if (extra_.empty()) return runtime_->run();
    std::vector<std::thread> threads;
    threads.reserve(extra_.size());
    for (auto& e : extra_) {
        detail::Runtime* rt = e.get();
        threads.emplace_back([rt] { (void)rt->run(); });
    }
    Result<> result = runtime_->run();
    // The primary loop ended (shutdown reaches every loop; this also covers a primary that
    // ended on its own): make sure the others end too, then wait for them.
    for (auto& e : extra_) e->request_shutdown();
    for (auto& t : threads) t.join();
    return result;
}

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

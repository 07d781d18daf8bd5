// ws::Factory: makes a Handler for every new connection; holds what connections share.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "ws/handler.hpp"
#include "ws/sender.hpp"

namespace ws {

// Runs on the event-loop thread. A lambda `[](ws::Sender out) { return handler; }` is a valid
// factory (see make_factory); derive from Factory for the full form.
class Factory {
public:
    virtual ~Factory() = default;
    // A new connection; `out` is its Sender. Return its handler.
    virtual std::unique_ptr<Handler> connection_made(Sender out) = 0;
    // The WebSocket is shutting down (called when shutdown() starts, after every handler's
    // on_shutdown), or, with no listener, its last connection ended.
    virtual void on_shutdown() {}
    // An outgoing connection (WebSocket::connect, Sender::connect), before it connects.
    virtual std::unique_ptr<Handler> client_connected(Sender out) { return connection_made(std::move(out)); }
    // An accepted connection, before its handshake.
    virtual std::unique_ptr<Handler> server_connected(Sender out) { return connection_made(std::move(out)); }
    // A connection is gone; its handler is handed back.
    virtual void connection_lost(std::unique_ptr<Handler> handler) { (void)handler; }
};

namespace detail {

template <class F>
class FunctionFactory final : public Factory {
public:
    explicit FunctionFactory(F f) : f_(std::move(f)) {}
    std::unique_ptr<Handler> connection_made(Sender out) override { return make_handler(f_(std::move(out))); }

private:
    F f_;
};

}  // namespace detail

// Turns a factory into a std::unique_ptr<Factory>: a Factory subclass (moved in), a
// std::unique_ptr to one, or a callable taking a Sender and returning what make_handler takes.
template <class F>
std::unique_ptr<Factory> make_factory(F&& f) {
    using T = std::remove_cvref_t<F>;
    if constexpr (detail::is_unique_ptr<T>::value) {
        static_assert(std::is_base_of_v<Factory, typename T::element_type>,
                      "std::unique_ptr<T> is a factory only for T derived from ws::Factory");
        return std::unique_ptr<Factory>(std::move(f));
    } else if constexpr (std::is_base_of_v<Factory, T>) {
        return std::make_unique<T>(std::forward<F>(f));
    } else {
        static_assert(std::is_invocable_v<T&, Sender>,
                      "a factory is a ws::Factory subclass or a callable taking ws::Sender");
        return std::make_unique<detail::FunctionFactory<T>>(std::forward<F>(f));
    }
}

}  // namespace ws

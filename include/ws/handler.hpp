// ws::Handler: one connection's callbacks. Override only what you need.
#pragma once

#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ws/close_code.hpp"
#include "ws/error.hpp"
#include "ws/frame.hpp"
#include "ws/http.hpp"
#include "ws/message.hpp"
#include "ws/sender.hpp"
#include "ws/url.hpp"

namespace ws {

// Every callback runs on the connection's event-loop thread, one at a time. A callback that
// returns an error gets the matching protocol action (see ws/error.hpp): a close code once
// open, an HTTP status during the handshake. A callback that throws is treated as returning
// ErrorKind::Internal: the connection closes with 1011 and on_error reports it. Nothing a
// handler does can stop the loop or harm other connections.
namespace detail {
class Connection;
}  // namespace detail

class Handler {
public:
    virtual ~Handler() = default;

    // WebSocket shutdown() was called. An open connection then sends a 1001 close frame; one
    // still connecting or in its opening handshake is dropped.
    virtual void on_shutdown() {}
    // The opening handshake completed. `shake` (request, response, addresses) may be kept.
    virtual Result<> on_open(const Handshake& shake) {
        (void)shake;
        return {};
    }
    // A complete message. `msg` is a view valid during this call: copy it to keep it.
    virtual Result<> on_message(const Message& msg) {
        (void)msg;
        return {};
    }
    // The connection is closing: `code` and `reason` are the peer's close frame
    // (CloseCode::Status with an empty reason when the frame carried no code), or
    // CloseCode::Abnormal when the connection ended without one (dropped, failed, timed out).
    // Called exactly once for every connection that opened, never for one that did not.
    virtual void on_close(CloseCode code, std::string_view reason) {
        (void)code;
        (void)reason;
    }
    // Something went wrong on this connection; ws-cpp has already acted on it. The default
    // prints the error to stderr, except for a peer resetting or vanishing (ErrorKind::Io).
    virtual void on_error(const Error& err);

    // Server: the client's opening request. Return Response::from_request(req) (the default)
    // to accept, after set_protocol() to pick a subprotocol; return any other Response (a
    // page, a 404, a redirect) to answer plain HTTP on the same port and close; return an
    // error to refuse with its HTTP status (ErrorKind::Policy: 403, Protocol: 400, ...).
    virtual Result<Response> on_request(const Request& req) { return Response::from_request(req); }
    // Client: the server accepted (101, and every RFC check passed). An error fails the
    // connection.
    virtual Result<> on_response(const Response& res) {
        (void)res;
        return {};
    }
    // Client: the request to send for `url`; add headers, cookies, subprotocols here.
    virtual Result<Request> build_request(const Url& url) { return Request::from_url(url); }

    // A timer set with Sender::timeout fired.
    virtual Result<> on_timeout(Token event) {
        (void)event;
        return {};
    }
    // A timer was armed (WS-RS's way to learn the handle; Sender::timeout also returns it).
    // When Sender::timeout is called on the loop thread this runs inside that call, before it
    // returns (from another thread: once the loop takes the command).
    virtual Result<> on_new_timeout(Token event, Timeout timeout) {
        (void)event;
        (void)timeout;
        return {};
    }

    // Every incoming frame, unmasked and validated, before ws-cpp acts on it. The frame may be
    // rewritten in place or dropped (frame.drop()); a hook that rewrites a text payload owns
    // its UTF-8 validity. The default does nothing.
    virtual Result<> on_frame(Frame& frame) {
        (void)frame;
        return {};
    }
    // Every outgoing message (once, before any fragmentation) and control frame.
    virtual Result<> on_send_frame(Frame& frame) {
        (void)frame;
        return {};
    }

    // Output that had to wait for a slow peer has all been written: buffered_amount() is 0.
    virtual void on_drain() {}

private:
    // False for handlers known not to override on_frame / on_send_frame (a lambda's): their
    // connections then skip the hooks. Asked once per connection.
    virtual bool has_frame_hooks() const noexcept { return true; }
    friend class detail::Connection;
};

namespace detail {

template <class F>
class FunctionHandler final : public Handler {
public:
    explicit FunctionHandler(F f) : f_(std::move(f)) {}
    Result<> on_message(const Message& msg) override {
        if constexpr (std::is_void_v<std::invoke_result_t<F&, const Message&>>) {
            f_(msg);
            return {};
        } else {
            return f_(msg);
        }
    }

private:
    bool has_frame_hooks() const noexcept override { return false; }
    F f_;
};

template <class T>
struct is_unique_ptr : std::false_type {};
template <class T, class D>
struct is_unique_ptr<std::unique_ptr<T, D>> : std::true_type {};

}  // namespace detail

// Turns what a factory returned into a handler: a Handler subclass (moved in), a
// std::unique_ptr to one, or a callable taking `const Message&` (a lambda: its on_message).
template <class H>
std::unique_ptr<Handler> make_handler(H&& h) {
    using T = std::remove_cvref_t<H>;
    if constexpr (detail::is_unique_ptr<T>::value) {
        static_assert(std::is_base_of_v<Handler, typename T::element_type>,
                      "a factory may return std::unique_ptr<T> only for T derived from ws::Handler");
        return std::unique_ptr<Handler>(std::move(h));
    } else if constexpr (std::is_base_of_v<Handler, T>) {
        return std::make_unique<T>(std::forward<H>(h));
    } else {
        static_assert(std::is_invocable_v<T&, const Message&>,
                      "a handler is a ws::Handler subclass, a std::unique_ptr to one, or a callable "
                      "taking const ws::Message& (returning void or ws::Result<>)");
        return std::make_unique<detail::FunctionHandler<T>>(std::forward<H>(h));
    }
}

}  // namespace ws

// ws::Sender: the output side of one connection (or of all of them: the broadcaster).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "ws/close_code.hpp"
#include "ws/error.hpp"
#include "ws/message.hpp"
#include "ws/url.hpp"

namespace ws {

// Identifies a connection within its WebSocket (its slot) and, for timeouts, the event a
// Handler asked to be woken for (WS-RS's Token).
struct Token {
    std::size_t value = 0;
    friend auto operator<=>(const Token&, const Token&) = default;
};

// The handle of a timer set with Sender::timeout, for Sender::cancel.
struct Timeout {
    std::uint64_t id = 0;
    friend auto operator<=>(const Timeout&, const Timeout&) = default;
};

namespace detail {
class Shared;
}

// Cheap to copy (a shared pointer and two integers), comparable and hashable, and safe to use
// from any thread.
//
// On the event loop's own thread (inside handlers and factories) a call acts at once. From
// another thread it enters the WebSocket's bounded command queue and wakes the loop; a full
// queue is an ErrorKind::Queue result, never a block. No call ever blocks.
//
// A Sender outlives its connection safely: once the connection is gone its calls do nothing
// (and return Ok, as in WS-RS) and is_open() is false. A Sender never reaches a later
// connection that reuses the same slot.
class Sender {
public:
    // A Sender attached to nothing: every call fails with ErrorKind::Queue.
    Sender() = default;

    // Sends a message. The bytes are copied into the connection's output before send returns
    // (or, from another thread, into the queue), so `msg` may be a view. Fails with
    // ErrorKind::Capacity, sending nothing, when it would take the connection past
    // Settings::max_output_buffer bytes unsent; Handler::on_drain follows once there is room
    // (a message larger than the cap itself is refused outright). A text message must be
    // valid UTF-8 (ErrorKind::Encoding). From another thread the cap is checked against the
    // amount the loop last published; a queued message that no longer fits when the loop
    // takes it is reported to the handler's on_error instead.
    // Before the opening handshake completes, messages are held and sent right after it.
    Result<> send(const Message& msg) const;
    // Sends to every connection of this WebSocket, server and client side alike, that is open
    // or still in its opening handshake (those get it right after), but not closing.
    Result<> broadcast(const Message& msg) const;
    // Starts the closing handshake (RFC 6455 7.1.2). The code must be one a peer may receive
    // (1000-1003, 1007-1014, 3000-4999; CloseCode::Empty for a close frame with no payload)
    // and the reason at most 123 bytes (ErrorKind::Protocol otherwise) of valid UTF-8
    // (ErrorKind::Encoding); on error nothing is sent. The handler's on_close runs when the
    // peer answers.
    Result<> close(CloseCode code, std::string_view reason = {}) const;
    Result<> close_with_reason(CloseCode code, std::string_view reason) const { return close(code, reason); }
    // Control frames; payload at most 125 bytes (ErrorKind::Protocol otherwise). Before the
    // opening handshake completes, and once closing, they are not sent (Ok is returned): a
    // ping is only meaningful on an open connection.
    Result<> ping(std::string_view payload = {}) const;
    Result<> pong(std::string_view payload = {}) const;
    // Asks for Handler::on_timeout(token) after `ms` milliseconds. Returns the handle for
    // cancel() (Handler::on_new_timeout also receives it, as in WS-RS). A timer set through
    // the broadcaster fires on_timeout on every connection open at that time. A timer never
    // fires on a connection other than the one it was set for.
    Result<Timeout> timeout(std::uint64_t ms, Token token) const;
    // Cancels a timer. Cancelling one that already fired or was cancelled does nothing.
    Result<> cancel(Timeout timeout) const;
    // Opens a new client connection on the same event loop (its handler comes from
    // Factory::client_connected). URL errors are returned at once; connection errors go to
    // the new connection's handler (on_error), as does everything else about it.
    Result<> connect(std::string_view url) const;
    Result<> connect(const Url& url) const;
    // Shuts the whole WebSocket down: stops accepting, calls every Handler::on_shutdown,
    // sends close frames (1001), waits (Settings::shutdown_timeout_ms at most) for the replies,
    // then the event loop exits.
    Result<> shutdown() const;

    // The connection's slot (reused after it closes; see connection_id()).
    Token token() const noexcept { return Token{slot_}; }
    // Tells apart connections that used the same slot.
    std::uint32_t connection_id() const noexcept { return id_; }
    bool is_broadcaster() const noexcept { return slot_ == kAll; }
    // Bytes sent but not yet taken by the kernel (0 for the broadcaster or a closed
    // connection). On the loop thread it is exact and includes messages held until the
    // handshake completes; from another thread it is what the loop last published (it may lag
    // by one iteration and leaves out held messages and commands still queued).
    std::size_t buffered_amount() const noexcept;
    // True once the opening handshake has completed and until the closing handshake starts.
    bool is_open() const noexcept;

    friend bool operator==(const Sender& a, const Sender& b) noexcept {
        return a.shared_ == b.shared_ && a.slot_ == b.slot_ && a.id_ == b.id_;
    }
    std::size_t hash() const noexcept {
        return std::hash<const void*>()(shared_.get()) ^ (std::size_t{slot_} << 32 | id_);
    }

    // Used by the runtime.
    static constexpr std::uint32_t kAll = 0xFFFFFFFF;
    Sender(std::shared_ptr<detail::Shared> shared, std::uint32_t slot, std::uint32_t id) noexcept
        : shared_(std::move(shared)), slot_(slot), id_(id) {}

private:
    // send() off the loop thread, to a broadcaster, or detached.
    Result<> send_slow(const Message& msg) const;

    std::shared_ptr<detail::Shared> shared_;
    std::uint32_t slot_ = 0;
    std::uint32_t id_ = 0;
};

}  // namespace ws

template <>
struct std::hash<ws::Sender> {
    std::size_t operator()(const ws::Sender& s) const noexcept { return s.hash(); }
};

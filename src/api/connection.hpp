// detail::Connection: binds one proto::Session to one io::Stream and the user's Handler, and
// carries the connection's timers (handshake, idle, close) as a single deadline that the
// Runtime's sweep checks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "io/stream.hpp"
#include "proto/session.hpp"
#include "ws/handler.hpp"

namespace ws::detail {

class Runtime;

class Connection final : public proto::SessionEvents, public io::StreamHandler {
public:
    enum class Phase : std::uint8_t {
        Connecting,  // client: resolving and connecting TCP
        Handshake,   // the opening handshake is under way
        Open,        // messages flow
        Closing,     // we sent a close frame and wait for the reply
        Lingering,   // the closing handshake is done; waiting for the TCP close
        Rejecting,   // over max_connections: a 503 is on its way out
        Dead,        // the handle is closing; the object goes in on_closed
    };

    // `slot` is kRejectSlot for a connection refused for capacity.
    Connection(Runtime& runtime, proto::Role role, std::uint32_t slot, std::uint32_t id);
    ~Connection() override;

    static constexpr std::uint32_t kRejectSlot = 0xFFFFFFFE;

    io::Stream& stream() noexcept { return stream_; }
    proto::Session& session() noexcept { return session_; }
    std::uint32_t slot() const noexcept { return slot_; }
    std::uint32_t id() const noexcept { return id_; }
    Phase phase() const noexcept { return phase_; }
    bool is_open() const noexcept { return phase_ == Phase::Open; }
    // Open, or not yet open (a message sent now is held until the handshake completes).
    bool accepts_messages() const noexcept {
        return phase_ == Phase::Open || phase_ == Phase::Handshake || phase_ == Phase::Connecting;
    }
    Handler* handler() noexcept { return handler_.get(); }
    std::unique_ptr<Handler> release_handler() noexcept;
    // A send from another thread was refused for capacity: promise that caller an on_drain.
    void want_drain();
    // A handler held only to be handed back (connection_lost); it sees no frames.
    void attach(std::unique_ptr<Handler> handler) noexcept { handler_ = std::move(handler); }

    // Server side: a freshly accepted socket. Creates the handler and starts reading.
    void start_server(std::unique_ptr<Handler> handler);
    // Over capacity: answer 503 and close.
    void start_reject();
    // Client side: resolve, connect, send `request`.
    void start_client(std::unique_ptr<Handler> handler, const std::string& host, std::uint16_t port,
                      Request request);

    // Sender calls, on the loop thread.
    // `utf8_known`: the caller already validated a text message (broadcast does it once for
    // every connection; a queued command was validated on its sender's thread).
    Result<> send(const Message& msg, bool utf8_known = false);  // inline, in runtime.hpp
    // A broadcast's message as `frame`, the frame Runtime::broadcast built once for every
    // session that sends plain frames (proto::Session::sends_plain_frames); any other gets
    // send(msg, true). The same checks and results as send. Inline, in runtime.hpp.
    Result<> send_plain(std::span<const std::uint8_t> frame, const Message& msg);
    Result<> close(CloseCode code, std::string_view reason);
    Result<> ping(std::string_view payload);
    Result<> pong(std::string_view payload);
    void on_user_timeout(Token token);
    void on_user_new_timeout(Token token, Timeout timeout);
    // WebSocket shutdown: on_shutdown, then close with 1001 (or drop if not open yet).
    void shutdown();
    // Drops the connection now (errors, timeouts, the end of shutdown).
    void abort();

    // The Runtime's sweep: acts on a passed deadline.
    void check_deadline(std::uint64_t now);

    // proto::SessionEvents
    Result<Response> on_request(const Request& request) override;
    Result<> on_response(const Response& response) override;
    Result<> on_open(Request& request, Response& response) override;
    Result<> on_frame(Frame& frame) override;
    Result<> on_message(const Message& message) override;
    void on_close(CloseCode code, std::string_view reason) override;
    void on_error(const Error& error) override;
    Result<> on_send_frame(Frame& frame) override;

    // io::StreamHandler
    void on_read(std::span<std::uint8_t> data) override;
    std::span<std::uint8_t> read_target(std::size_t max) override;
    void on_read_direct(std::size_t n) override;
    void on_eof() override;
    void on_io_error(int uv_code) override;
    void on_drain() override;
    void on_connected(int status) override;
    void on_closed() override;

private:
    // Reacts to what the Session did: start the closing timers, shut the transport. Inline:
    // a session that is not closing (every message) costs one test.
    void after_session() {
        const auto state = session_.state();
        if (state == proto::Session::State::Open || state == proto::Session::State::Handshake) [[likely]]
            return;
        session_changed();
    }
    void session_changed();
    // What every read does around feeding the Session: the idle clock, the message clock,
    // the reaction to what the Session did.
    template <class Feed>
    void received(Feed&& feed);
    bool message_overdue(std::uint64_t now);
    std::uint32_t idle_timeout() const noexcept;
    void report(const Error& error);
    // A send over max_output_buffer: the error (and the promise of an on_drain).
    [[gnu::cold, gnu::noinline]] Error refuse(std::size_t size, std::size_t pending);
    // send and send_plain: the phase and output-cap checks around `write` (in runtime.hpp).
    template <class Write>
    Result<> send_checked(std::size_t size, Write&& write);
    // Sender::is_open() for other threads (the slot's atomic).
    void publish_open(bool open) noexcept;

    static std::uint32_t clock32(std::uint64_t ms) noexcept { return static_cast<std::uint32_t>(ms); }
    static std::uint32_t after(std::uint64_t now, std::uint64_t ms) noexcept {
        return clock32(now + (ms < 0x7FFFFFFFu ? ms : 0x7FFFFFFFu));
    }
    static bool reached(std::uint64_t now, std::uint32_t when) noexcept {
        return static_cast<std::int32_t>(clock32(now) - when) >= 0;
    }
    static std::uint32_t since(std::uint64_t now, std::uint32_t then) noexcept { return clock32(now) - then; }

    Runtime& runtime_;
    io::Stream stream_;
    proto::Session session_;
    std::unique_ptr<Handler> handler_;
    // Times are the loop clock's milliseconds in 32 bits, compared wrap-safely: a connection
    // needs only durations, and timeouts (clamped to 2^31 - 1 ms, 24.8 days) are far shorter
    // than the 49.7-day wrap. Four bytes each instead of eight, per connection.
    std::uint32_t deadline_ = 0;         // meaning depends on phase_
    std::uint32_t last_read_ = 0;
    std::uint32_t message_started_ = 0;  // when the incomplete incoming message began
    std::uint32_t slot_;
    std::uint32_t id_;
    Phase phase_ = Phase::Handshake;
    bool message_pending_ = false;  // an incoming message is incomplete (message_started_ is set)
    bool ping_outstanding_ = false;
    bool paused_ = false;
    bool close_reported_ = false;
    bool buffers_released_ = false;  // released by the sweep since the last read
};

}  // namespace ws::detail

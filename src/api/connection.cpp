#include "api/connection.hpp"

#include <uv.h>

#include <cstdio>
#include <exception>

#include "api/runtime.hpp"
#include "io/loop.hpp"

namespace ws::detail {

namespace {

// DESIGN: no exception escapes into the loop. A throwing callback counts as returning
// ErrorKind::Internal, which closes its connection with 1011.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::exception& e) {
        return Error(ErrorKind::Internal, std::string("handler threw: ") + e.what());
    } catch (...) {
        return Error(ErrorKind::Internal, "handler threw an exception");
    }
}

template <class F>
void guarded_void(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ws-cpp: a handler threw from a notification callback: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "ws-cpp: a handler threw from a notification callback\n");
    }
}

}  // namespace

Connection::Connection(Runtime& runtime, proto::Role role, std::uint32_t slot, std::uint32_t id)
    : runtime_(runtime),
      stream_(runtime.loop(), *this),
      session_(role, runtime.session_config(role), *this, stream_),
      slot_(slot),
      id_(id) {
    if (slot != kRejectSlot) stream_.set_buffered_mirror(&runtime.slot_info(slot).buffered);
    session_.set_frame_hooks(false);  // until a handler that has them is attached
    stream_.set_read_pause_threshold(runtime.settings().read_pause_threshold);
    last_read_ = clock32(runtime.now());
    // Closing a Stream is always asynchronous (on_closed comes from a later loop phase):
    // a connection is never deleted under a caller's feet.
}

Connection::~Connection() = default;

// Every connection costs its Connection (one heap block) for as long as it lives, idle or not.
// 168 bytes is a 176-byte malloc chunk on x86-64 glibc; 169 would cost 192. Keep it there: what
// only some connections or some moments need lives out of line (see Session and Stream).
static_assert(sizeof(void*) != 8 || sizeof(Connection) <= 168, "Connection grew past a malloc size class");

std::unique_ptr<Handler> Connection::release_handler() noexcept {
    session_.set_frame_hooks(false);
    return std::move(handler_);
}

void Connection::start_server(std::unique_ptr<Handler> handler) {
    handler_ = std::move(handler);
    session_.set_frame_hooks(handler_ && handler_->has_frame_hooks());
    if (phase_ == Phase::Dead) return;  // the factory shut everything down meanwhile
    phase_ = Phase::Handshake;
    const auto& s = runtime_.settings();
    deadline_ = after(runtime_.now(), s.handshake_timeout_ms);
    if (s.tcp_nodelay) stream_.set_nodelay(true);
    if (const int rc = stream_.start_reading(); rc < 0) {
        report(Error(ErrorKind::Io, "cannot read from new connection: " + io::error_message(rc), rc));
        abort();
    }
}

void Connection::start_reject() {
    phase_ = Phase::Rejecting;
    session_.fail(Error(ErrorKind::Capacity, "server at max_connections; try again later").with_http_status(503));
    stream_.shutdown();
    deadline_ = after(runtime_.now(), runtime_.settings().close_timeout_ms);
    stream_.start_reading();  // read (and discard) until the client closes
}

void Connection::start_client(std::unique_ptr<Handler> handler, const std::string& host, std::uint16_t port,
                              Request request) {
    handler_ = std::move(handler);
    session_.set_frame_hooks(handler_ && handler_->has_frame_hooks());
    if (phase_ == Phase::Dead) return;  // a user callback shut everything down meanwhile
    session_.hold_client_request(std::move(request));  // sent once TCP connects
    phase_ = Phase::Connecting;
    deadline_ = after(runtime_.now(), runtime_.settings().handshake_timeout_ms);
    stream_.connect(host, port);
}

// ---- Sender calls --------------------------------------------------------------------------

Error Connection::refuse(std::size_t size, std::size_t pending) {
    if (size + proto::kMaxHeaderSize > runtime_.settings().max_output_buffer) {
        return Error(ErrorKind::Capacity, "message of " + std::to_string(size) + " bytes is larger than max_output_buffer");
    }
    stream_.request_drain_notice();  // the caller may wait for on_drain: make sure it comes
    return Error(ErrorKind::Capacity, "output buffer full (" + std::to_string(pending) + " bytes unsent); wait for on_drain");
}

void Connection::want_drain() {
    if (phase_ != Phase::Open) return;
    if (stream_.buffered_amount() == 0) {
        on_drain();  // room already
    } else {
        stream_.request_drain_notice();
    }
}

Result<> Connection::close(CloseCode code, std::string_view reason) {
    if (phase_ == Phase::Dead || phase_ == Phase::Rejecting) return {};
    auto r = session_.close(code, reason);
    after_session();
    return r;
}

Result<> Connection::ping(std::string_view payload) {
    if (phase_ == Phase::Dead || phase_ == Phase::Rejecting) return {};
    auto r = session_.ping(payload);
    after_session();
    return r;
}

Result<> Connection::pong(std::string_view payload) {
    if (phase_ == Phase::Dead || phase_ == Phase::Rejecting) return {};
    auto r = session_.pong(payload);
    after_session();
    return r;
}

void Connection::on_user_timeout(Token token) {
    if (phase_ == Phase::Dead || !handler_) return;
    if (auto r = guarded([&] { return handler_->on_timeout(token); }); !r) session_.handle_error(std::move(r).error());
    after_session();
}

void Connection::on_user_new_timeout(Token token, Timeout timeout) {
    if (phase_ == Phase::Dead || !handler_) return;
    if (auto r = guarded([&] { return handler_->on_new_timeout(token, timeout); }); !r)
        session_.handle_error(std::move(r).error());
    after_session();
}

void Connection::shutdown() {
    if (phase_ == Phase::Dead) return;
    if (handler_) guarded_void([&] { handler_->on_shutdown(); });
    switch (phase_) {
        case Phase::Open:
            (void)session_.close(CloseCode::Away, "Shutting down");
            after_session();
            break;
        case Phase::Connecting:
        case Phase::Handshake:
        case Phase::Rejecting: abort(); break;
        default: break;  // already closing
    }
}

void Connection::abort() {
    if (phase_ == Phase::Dead) return;
    phase_ = Phase::Dead;
    publish_open(false);
    stream_.close();
}

void Connection::publish_open(bool open) noexcept {
    if (slot_ != kRejectSlot) runtime_.slot_info(slot_).open.store(open ? 1 : 0, std::memory_order_relaxed);
}

// ---- state after the Session acted -------------------------------------------------------

void Connection::session_changed() {
    if (phase_ == Phase::Dead) return;
    const auto state = session_.state();
    if (state == proto::Session::State::Closed) {
        if (phase_ == Phase::Lingering || phase_ == Phase::Rejecting) return;
        publish_open(false);
        const bool client = session_.role() == proto::Role::Client;
        if (session_.abort_transport() || phase_ == Phase::Connecting || (client && !session_.opened())) {
            abort();
            return;
        }
        phase_ = Phase::Lingering;
        deadline_ = after(runtime_.now(), runtime_.settings().close_timeout_ms);
        // RFC 6455 7.1.1: the server closes the TCP connection first; the client waits for it
        // (and the close deadline bounds the wait). After a complete closing handshake the
        // peer has our close frame and sends nothing more: the server closes once its FIN is
        // out. After a failure it lingers, reading, so unread input cannot turn the close into
        // a reset that destroys our close frame before the peer reads it.
        if (!client) stream_.shutdown(session_.close_received());
        stream_.set_read_pause_threshold(0);
        stream_.resume_reading();  // to see the peer's FIN, even if back-pressure paused us
    } else if (state == proto::Session::State::CloseSent && phase_ == Phase::Open) {
        phase_ = Phase::Closing;
        deadline_ = after(runtime_.now(), runtime_.settings().close_timeout_ms);
        publish_open(false);
    }
}

std::uint32_t Connection::idle_timeout() const noexcept {
    const auto& s = runtime_.settings();
    return session_.role() == proto::Role::Server ? s.idle_timeout_ms : s.client_idle_timeout_ms;
}

void Connection::check_deadline(std::uint64_t now) {
    const auto& s = runtime_.settings();
    switch (phase_) {
        case Phase::Connecting:
        case Phase::Handshake: {
            if (s.handshake_timeout_ms == 0 || !reached(now, deadline_)) return;
            Error e = Error(ErrorKind::Timeout, "opening handshake did not complete within " +
                                                    std::to_string(s.handshake_timeout_ms) + " ms")
                          .with_http_status(408);
            if (phase_ == Phase::Handshake && session_.role() == proto::Role::Server) {
                session_.fail(e);  // answers 408 and closes
                after_session();
            } else {
                report(e);
                abort();
            }
            return;
        }
        case Phase::Open: {
            if (message_overdue(now)) return;
            // Quiet for a whole sweep: an idle connection keeps no buffers (they are allocated
            // again, once, when it next talks).
            if (since(now, last_read_) >= runtime_.settings().timer_sweep_ms && !buffers_released_) {
                stream_.release_idle_buffers();
                session_.release_idle_buffers();
                buffers_released_ = true;
            }
            const std::uint32_t idle = idle_timeout();
            if (idle == 0) return;
            if (!ping_outstanding_) {
                if (since(now, last_read_) < idle) return;
                // Quiet for a whole idle period: ask the peer whether it is still there.
                ping_outstanding_ = true;
                deadline_ = after(now, idle);
                (void)session_.ping({});
                after_session();
            } else if (reached(now, deadline_)) {
                report(Error(ErrorKind::Timeout, "no data and no answer to a ping for " + std::to_string(2 * idle) + " ms"));
                abort();
            }
            return;
        }
        case Phase::Closing:
            if (message_overdue(now)) return;
            if (!reached(now, deadline_)) return;
            report(Error(ErrorKind::Timeout, "the peer did not answer our close frame within " +
                                                 std::to_string(s.close_timeout_ms) + " ms"));
            abort();
            return;
        case Phase::Lingering:
        case Phase::Rejecting:
            if (reached(now, deadline_)) abort();
            return;
        case Phase::Dead: return;
    }
}

bool Connection::message_overdue(std::uint64_t now) {
    const std::uint32_t limit = runtime_.settings().message_timeout_ms;
    if (limit == 0 || !message_pending_ || since(now, message_started_) < limit) return false;
    // A peer trickling a message (even one byte now and then) would otherwise hold its
    // assembly buffer, up to max_message_size, for ever.
    session_.fail(Error(ErrorKind::Policy, "message not completed within " + std::to_string(limit) + " ms"));
    after_session();
    return true;
}

void Connection::report(const Error& error) {
    if (handler_) guarded_void([&] { handler_->on_error(error); });
}

// ---- proto::SessionEvents --------------------------------------------------------------

namespace {
Error gone() { return Error(ErrorKind::Io, "the connection was closed by its own handler"); }
}  // namespace

Result<Response> Connection::on_request(const Request& request) {
    if (!handler_) return Response::from_request(request);
    auto r = guarded([&] { return handler_->on_request(request); });
    if (phase_ == Phase::Dead) return gone();  // the handler shut everything down
    return r;
}

Result<> Connection::on_response(const Response& response) {
    auto r = guarded([&] { return handler_->on_response(response); });
    if (phase_ == Phase::Dead) return gone();
    return r;
}

Result<> Connection::on_open(Request& request, Response& response) {
    if (phase_ == Phase::Dead) return gone();
    phase_ = Phase::Open;
    last_read_ = clock32(runtime_.now());
    publish_open(true);
    Handshake shake{std::move(request), std::move(response), stream_.peer_addr(), stream_.local_addr()};
    return guarded([&] { return handler_->on_open(shake); });
}

Result<> Connection::on_frame(Frame& frame) {
    if (!handler_) return {};  // the Session asks only while the handler has frame hooks
    return guarded([&] { return handler_->on_frame(frame); });
}

Result<> Connection::on_message(const Message& message) {
    if (phase_ == Phase::Dead) return gone();
    return guarded([&] { return handler_->on_message(message); });
}

void Connection::on_close(CloseCode code, std::string_view reason) {
    if (close_reported_ || !handler_) return;
    close_reported_ = true;
    guarded_void([&] { handler_->on_close(code, reason); });
}

void Connection::on_error(const Error& error) { report(error); }

Result<> Connection::on_send_frame(Frame& frame) {
    if (!handler_) return {};
    return guarded([&] { return handler_->on_send_frame(frame); });
}

// ---- io::StreamHandler ---------------------------------------------------------------

template <class Feed>
void Connection::received(Feed&& feed) {
    last_read_ = clock32(runtime_.now());
    ping_outstanding_ = false;
    buffers_released_ = false;
    if (phase_ == Phase::Lingering || phase_ == Phase::Rejecting || phase_ == Phase::Dead) return;
    feed();
    if (!session_.receiving()) [[likely]] {
        message_pending_ = false;
    } else {
        if (!message_pending_) {
            message_pending_ = true;
            message_started_ = last_read_;
        }
        stream_.want_read_target();  // the rest of a large frame may be read where it goes
    }
    after_session();
}

void Connection::on_read(std::span<std::uint8_t> data) {
    received([&] { session_.feed(data); });
}

std::span<std::uint8_t> Connection::read_target(std::size_t max) {
    if (phase_ == Phase::Lingering || phase_ == Phase::Rejecting || phase_ == Phase::Dead) return {};
    return session_.direct_read_target(max);
}

void Connection::on_read_direct(std::size_t n) {
    received([&] { session_.feed_direct(n); });
}

void Connection::on_eof() {
    if (phase_ == Phase::Dead) return;
    if (phase_ == Phase::Connecting || phase_ == Phase::Handshake) {
        if (!session_.opened()) report(Error(ErrorKind::Io, "connection closed during the opening handshake", UV_EOF));
        abort();
        return;
    }
    // The peer will send nothing more, but what we still owe it (an echo, our close reply,
    // a 503) may not be flushed yet: libuv can report EOF in the same burst of reads as the
    // last frames. Send it, then close; the close deadline bounds the wait.
    publish_open(false);
    if (phase_ != Phase::Lingering) deadline_ = after(runtime_.now(), runtime_.settings().close_timeout_ms);
    if (phase_ != Phase::Rejecting) phase_ = Phase::Lingering;
    stream_.shutdown(true);
}

void Connection::on_io_error(int uv_code) {
    if (phase_ == Phase::Dead) return;
    if (phase_ != Phase::Lingering && phase_ != Phase::Rejecting) {
        report(Error(ErrorKind::Io, io::error_message(uv_code), uv_code));
    }
    abort();
}

void Connection::on_drain() {
    if (phase_ == Phase::Open && handler_) guarded_void([&] { handler_->on_drain(); });
}

void Connection::on_connected(int status) {
    if (phase_ == Phase::Dead) return;
    if (status < 0) {
        report(Error(ErrorKind::Io, "cannot connect: " + io::error_message(status), status));
        abort();
        return;
    }
    phase_ = Phase::Handshake;
    if (runtime_.settings().tcp_nodelay) stream_.set_nodelay(true);
    session_.start_client();
    if (const int rc = stream_.start_reading(); rc < 0) {
        report(Error(ErrorKind::Io, "cannot read: " + io::error_message(rc), rc));
        abort();
        return;
    }
    after_session();
}

void Connection::on_closed() {
    phase_ = Phase::Dead;
    if (session_.opened() && !close_reported_ && handler_) {
        close_reported_ = true;
        guarded_void([&] { handler_->on_close(CloseCode::Abnormal, {}); });
    }
    runtime_.connection_closed(this);  // deletes this
}

}  // namespace ws::detail

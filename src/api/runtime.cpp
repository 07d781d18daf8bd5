#include "api/runtime.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <exception>

#include "io/address.hpp"
#include "io/loop.hpp"
#include "proto/frame_header.hpp"

namespace ws::detail {

namespace {

// Connections refused for capacity that may be answering 503 at once; past this, refused
// connections are closed without an answer (still accepted, so the loop never spins).
constexpr std::size_t kMaxRejecting = 64;

// Broadcast messages up to this size are framed once for all connections (Runtime::broadcast).
constexpr std::size_t kPlainBroadcastMax = 1024;

proto::SessionConfig make_config(const Settings& s, proto::MaskKeySource* masks, std::string* scratch) {
    proto::SessionConfig c;
    c.max_frame_size = s.max_frame_size;
    c.max_message_size = s.max_message_size;
    c.max_handshake_size = s.max_handshake_size;
    c.max_headers = s.max_headers;
    c.fragment_size = s.fragment_size;
    c.auto_pong = s.auto_pong;
    c.masks = masks;
    c.scratch = scratch;
    return c;
}

void log_error(std::string_view what, const Error& e) {
    std::fprintf(stderr, "ws-cpp: %.*s: %s\n", static_cast<int>(what.size()), what.data(), e.what().c_str());
}

}  // namespace

Runtime::Runtime(std::shared_ptr<Factory> factory, const Settings& settings,
                 std::shared_ptr<std::mutex> factory_mutex, bool primary)
    : settings_(settings),
      factory_(std::move(factory)),
      factory_mutex_(std::move(factory_mutex)),
      primary_(primary),
      max_output_buffer_(settings.max_output_buffer),
      loop_(std::max<std::size_t>(settings.read_buffer_size, 1024)),
      server_config_(make_config(settings, &mask_keys_, &encode_scratch_)),
      client_config_(make_config(settings, &mask_keys_, &encode_scratch_)),
      shared_(std::make_shared<Shared>(settings.queue_size, settings.max_queue_bytes, settings.max_connections + 1)),
      wakeup_(loop_, [this] { on_wakeup(); }),
      sweep_timer_(loop_, [this] { sweep(); }),
      user_timer_(loop_, [this] { on_user_timer(); }) {
    shared_->max_output_buffer = settings.max_output_buffer;
    shared_->attach(this, wakeup_.remote());
}

Runtime::~Runtime() {
    shared_->set_accepting(false);
    shared_->attach(nullptr, nullptr);
    if (listener_) listener_->close();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (Connection* c = slots_[i]) c->abort();
    }
    for (Connection* c : std::vector<Connection*>(rejecting_)) c->abort();
    loop_.drain_closing();  // runs the close callbacks: connection_lost for each
}

// ---- setup -----------------------------------------------------------------------------

template <class F>
auto Runtime::with_factory(F&& f) {
    std::unique_lock<std::mutex> lock;
    if (factory_mutex_) lock = std::unique_lock<std::mutex>(*factory_mutex_);
    return f(*factory_);
}

void Runtime::factory_on_shutdown() {
    if (factory_shutdown_called_ || !primary_) return;
    factory_shutdown_called_ = true;
    try {
        with_factory([](Factory& f) {
            f.on_shutdown();
            return 0;
        });
    } catch (...) {
    }
}

Result<> Runtime::bind(std::string_view addr, bool reuse_port) {
    if (listener_ && listener_->is_listening()) return Error(ErrorKind::Internal, "this WebSocket already listens");
    // A listener opened now would keep the loop running after the shutdown that closed the
    // old one (which may even be accepting, further down this very stack).
    if (shutting_down_) return Error(ErrorKind::Internal, "the WebSocket is shutting down");
    auto addresses = io::resolve_for_bind(addr);
    if (!addresses) return std::move(addresses).error();
    Result<> last = Error(ErrorKind::Internal, "no address given");
    for (const auto& a : *addresses) {
        auto listener = std::make_unique<io::Listener>(loop_, [this] { on_connection(); });
        last = listener->bind_and_listen(a, settings_.backlog, reuse_port);
        if (last) {
            listener_ = std::move(listener);
            return {};
        }
    }
    return last;
}

Result<SocketAddr> Runtime::local_addr() const {
    if (listener_) {
        if (auto a = listener_->local_addr()) return *a;
    }
    return Error(ErrorKind::Internal, "not a listening socket");
}

Result<> Runtime::run() {
    if (running_) return Error(ErrorKind::Internal, "run() is already running");
    running_ = true;
    shutting_down_ = false;
    factory_shutdown_called_ = false;
    shared_->set_running(true);
    shared_->set_accepting(true);
    on_wakeup();  // commands queued before the loop started
    const std::uint64_t tick = std::max<std::uint32_t>(settings_.timer_sweep_ms, 10);
    sweep_timer_.start(tick, tick);
    const int rc = loop_.run();
    sweep_timer_.stop();
    shared_->set_accepting(false);
    // Commands that arrived as the loop ended are dropped, not run on a stopped loop.
    shared_->take(commands_);
    commands_.clear();
    shared_->set_running(false);
    running_ = false;
    factory_on_shutdown();
    if (rc < 0) return Error(ErrorKind::Io, "event loop failed: " + io::error_message(rc), rc);
    return {};
}

// ---- connections ---------------------------------------------------------------------------

bool Runtime::allocate_slot(std::uint32_t& slot, std::uint32_t& id) {
    if (active_ >= settings_.max_connections) return false;
    if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.push_back(nullptr);
    }
    if (++next_id_ == 0) ++next_id_;  // 0 never names a connection
    id = next_id_;
    SlotInfo& info = slot_info(slot);
    info.open.store(0, std::memory_order_relaxed);
    info.buffered.store(0, std::memory_order_relaxed);
    info.id.store(id, std::memory_order_release);
    ++active_;
    return true;
}

void Runtime::on_connection() {
    std::uint32_t slot = 0;
    std::uint32_t id = 0;
    if (shutting_down_ || !allocate_slot(slot, id)) {
        // Over capacity (WS-RS #261: never leave a pending connection unaccepted, or the loop
        // spins on it). Answer 503 while we can afford to, else just close.
        auto* c = new Connection(*this, proto::Role::Server, Connection::kRejectSlot, 0);
        rejecting_.push_back(c);
        if (listener_->accept(c->stream()) < 0 || rejecting_.size() > kMaxRejecting) {
            c->abort();
        } else {
            c->start_reject();
        }
        return;
    }
    auto* c = new Connection(*this, proto::Role::Server, slot, id);
    slots_[slot] = c;
    if (listener_->accept(c->stream()) < 0) {
        c->abort();
        return;
    }
    std::unique_ptr<Handler> handler;
    try {
        handler = with_factory([&](Factory& f) { return f.server_connected(sender_for(slot, id)); });
    } catch (const std::exception& e) {
        log_error("factory", Error(ErrorKind::Internal, std::string("server_connected threw: ") + e.what()));
    } catch (...) {
        log_error("factory", Error(ErrorKind::Internal, "server_connected threw"));
    }
    if (!handler) {
        c->abort();
        return;
    }
    c->start_server(std::move(handler));  // a no-op (keeping the handler) if the factory shut down
}

Result<> Runtime::connect(const Url& url, Connection* origin) {
    auto fail = [&](Error e) -> Result<> {
        if (origin && origin->handler()) {
            origin->on_error(e);
        }
        return e;
    };
    if (url.is_secure()) {
        return fail(Error(ErrorKind::Tls, "wss:// needs TLS, which this version of ws-cpp does not support yet"));
    }
    std::uint32_t slot = 0;
    std::uint32_t id = 0;
    if (shutting_down_) return fail(Error(ErrorKind::Internal, "the WebSocket is shutting down"));
    if (!allocate_slot(slot, id)) {
        return fail(Error(ErrorKind::Capacity, "max_connections (" + std::to_string(settings_.max_connections) +
                                                   ") reached; cannot open another connection"));
    }
    auto* c = new Connection(*this, proto::Role::Client, slot, id);
    slots_[slot] = c;
    std::unique_ptr<Handler> handler;
    try {
        handler = with_factory([&](Factory& f) { return f.client_connected(sender_for(slot, id)); });
    } catch (const std::exception& e) {
        c->abort();
        return fail(Error(ErrorKind::Internal, std::string("client_connected threw: ") + e.what()));
    } catch (...) {
        c->abort();
        return fail(Error(ErrorKind::Internal, "client_connected threw"));
    }
    if (!handler) {
        c->abort();
        return fail(Error(ErrorKind::Internal, "client_connected returned no handler"));
    }
    Result<Request> request = Error(ErrorKind::Internal, "build_request threw");
    try {
        request = handler->build_request(url);
    } catch (const std::exception& e) {
        request = Error(ErrorKind::Internal, std::string("build_request threw: ") + e.what());
    } catch (...) {
    }
    if (!request) {
        Error e = std::move(request).error();
        try {
            handler->on_error(e);
        } catch (...) {
        }
        c->attach(std::move(handler));  // so that connection_lost hands it back
        c->abort();
        return e;
    }
    c->start_client(std::move(handler), url.host(), url.port(), std::move(*request));
    return {};
}

void Runtime::connection_closed(Connection* c) {
    if (c->slot() == Connection::kRejectSlot) {
        rejecting_.erase(std::remove(rejecting_.begin(), rejecting_.end(), c), rejecting_.end());
        delete c;
        return;
    }
    const std::uint32_t slot = c->slot();
    slots_[slot] = nullptr;
    free_slots_.push_back(slot);
    --active_;
    SlotInfo& info = slot_info(slot);
    info.open.store(0, std::memory_order_relaxed);
    info.buffered.store(0, std::memory_order_relaxed);
    std::unique_ptr<Handler> handler = c->release_handler();
    delete c;
    if (handler) {
        try {
            with_factory([&](Factory& f) {
                f.connection_lost(std::move(handler));
                return 0;
            });
        } catch (...) {
        }
    }
}

std::size_t Runtime::buffered_amount(std::uint32_t slot, std::uint32_t id) noexcept {
    Connection* c = find(slot, id);
    return c != nullptr ? c->stream().buffered_amount() + c->session().held_bytes() : 0;
}

// ---- Sender operations -------------------------------------------------------------------

Result<> Runtime::broadcast(const Message& msg, bool utf8_known) {
    if (!utf8_known && msg.is_text() && !proto::is_valid_utf8(msg.bytes()))
        return Error(ErrorKind::Encoding, "text message is not valid UTF-8");
    // A message up to kPlainBroadcastMax bytes is framed here once: nearly every server
    // session sends it as exactly that frame (Session::sends_plain_frames), and copying the
    // frame costs each of them less than building it. A larger one is sent by each session
    // its own way (from 16 KiB on, the payload goes to the kernel from where it is).
    std::array<std::uint8_t, proto::kMaxHeaderSize + kPlainBroadcastMax> frame;
    std::size_t frame_size = 0;
    if (msg.size() <= kPlainBroadcastMax) {
        proto::FrameHeader h;
        h.opcode = static_cast<std::uint8_t>(msg.opcode());
        h.payload_len = msg.size();
        frame_size = proto::encode_header(h, frame.data());
        if (msg.size() != 0) std::memcpy(frame.data() + frame_size, msg.bytes().data(), msg.size());
        frame_size += msg.size();
    }
    // Index loop: a handler reacting to a failure may open connections (slots_ may grow).
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        Connection* c = slots_[i];
        // Connections still in their handshake get it right after (as a send() would).
        if (c == nullptr || !c->accepts_messages()) continue;
        // One slow peer must not fail the broadcast for the others (nor close the sender's
        // connection if it returns the result): its handler hears about it.
        auto r = frame_size != 0 ? c->send_plain({frame.data(), frame_size}, msg) : c->send(msg, true);
        if (!r) c->on_error(Error(r.error().kind(), "broadcast not delivered: " + r.error().details()));
    }
    return {};
}

Result<> Runtime::close(std::uint32_t slot, std::uint32_t id, CloseCode code, std::string_view reason) {
    if (auto ok = proto::check_close_args(code, reason); !ok) return ok;
    if (slot != Sender::kAll) {
        Connection* c = find(slot, id);
        return c != nullptr ? c->close(code, reason) : Result<>();
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (Connection* c = slots_[i]) (void)c->close(code, reason);
    }
    return {};
}

Result<> Runtime::ping(std::uint32_t slot, std::uint32_t id, std::string_view payload) {
    if (payload.size() > proto::kMaxControlPayload) return Error(ErrorKind::Protocol, "ping payload longer than 125 bytes");
    if (slot != Sender::kAll) {
        Connection* c = find(slot, id);
        return c != nullptr ? c->ping(payload) : Result<>();
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (Connection* c = slots_[i]) (void)c->ping(payload);
    }
    return {};
}

Result<> Runtime::pong(std::uint32_t slot, std::uint32_t id, std::string_view payload) {
    if (payload.size() > proto::kMaxControlPayload) return Error(ErrorKind::Protocol, "pong payload longer than 125 bytes");
    if (slot != Sender::kAll) {
        Connection* c = find(slot, id);
        return c != nullptr ? c->pong(payload) : Result<>();
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (Connection* c = slots_[i]) (void)c->pong(payload);
    }
    return {};
}

void Runtime::request_shutdown() {
    Command c{};
    c.kind = Command::Kind::Shutdown;
    c.slot = Sender::kAll;
    (void)shared_->push(std::move(c));
}

void Runtime::shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    shutdown_deadline_ = now() + settings_.shutdown_timeout_ms;
    if (listener_) listener_->close();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (Connection* c = slots_[i]) c->shutdown();
    }
    for (Connection* c : std::vector<Connection*>(rejecting_)) c->abort();
    factory_on_shutdown();
}

// ---- timers ----------------------------------------------------------------------------

void Runtime::sweep() {
    const std::uint64_t t = now();
    const bool give_up = shutting_down_ && t >= shutdown_deadline_;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        Connection* c = slots_[i];
        if (c == nullptr) continue;
        if (give_up) {
            c->abort();
        } else {
            c->check_deadline(t);
        }
    }
    for (Connection* c : std::vector<Connection*>(rejecting_)) c->check_deadline(t);
}

void Runtime::add_timeout(std::uint32_t slot, std::uint32_t id, std::uint64_t ms, Token token, Timeout handle) {
    if (slot != Sender::kAll && find(slot, id) == nullptr) return;
    timers_.emplace(handle.id, UserTimer{slot, id, token});
    timer_heap_.emplace(now() + ms, handle.id);
    arm_user_timer();
    if (slot != Sender::kAll) {
        if (Connection* c = find(slot, id)) c->on_user_new_timeout(token, handle);
        return;
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        if (Connection* c = slots_[i]; c != nullptr && c->is_open()) c->on_user_new_timeout(token, handle);
    }
}

void Runtime::cancel_timeout(Timeout handle) { timers_.erase(handle.id); }

void Runtime::arm_user_timer() {
    while (!timer_heap_.empty() && timers_.find(timer_heap_.top().second) == timers_.end()) timer_heap_.pop();
    if (timer_heap_.empty()) {
        user_timer_.stop();
        user_timer_armed_for_ = 0;
        return;
    }
    const std::uint64_t when = timer_heap_.top().first;
    if (when == user_timer_armed_for_) return;
    user_timer_armed_for_ = when;
    const std::uint64_t t = now();
    user_timer_.start(when > t ? when - t : 0);
}

void Runtime::on_user_timer() {
    user_timer_armed_for_ = 0;
    const std::uint64_t t = now();
    while (!timer_heap_.empty() && timer_heap_.top().first <= t) {
        const std::uint64_t tid = timer_heap_.top().second;
        timer_heap_.pop();
        auto it = timers_.find(tid);
        if (it == timers_.end()) continue;  // cancelled
        const UserTimer timer = it->second;
        timers_.erase(it);
        if (timer.slot != Sender::kAll) {
            // The id check is what keeps a timer from reaching a later connection in this slot.
            if (Connection* c = find(timer.slot, timer.id)) c->on_user_timeout(timer.token);
            continue;
        }
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            if (Connection* c = slots_[i]; c != nullptr && c->is_open()) c->on_user_timeout(timer.token);
        }
    }
    arm_user_timer();
}

// ---- commands from other threads ---------------------------------------------------------

void Runtime::on_wakeup() {
    shared_->take(commands_);
    std::vector<Command> batch;
    batch.swap(commands_);  // a command may run handlers that queue more; keep them apart
    for (Command& c : batch) run_command(c);
    batch.clear();
    if (commands_.empty()) commands_.swap(batch);  // keep the capacity for next time
}

void Runtime::run_command(Command& c) {
    auto message = [&] {
        Message m = c.op == OpCode::Text ? Message::text_view(c.data) : Message::binary_view(c.data);
        return m;
    };
    switch (c.kind) {
        case Command::Kind::Send:
            if (Connection* conn = find(c.slot, c.id)) {
                if (auto r = conn->send(message(), true); !r) conn->on_error(r.error());
            }
            break;
        case Command::Kind::Broadcast: (void)broadcast(message(), c.utf8_checked); break;
        case Command::Kind::WantDrain:
            if (Connection* conn = find(c.slot, c.id)) conn->want_drain();
            break;
        case Command::Kind::Close: (void)close(c.slot, c.id, c.code, c.data); break;
        case Command::Kind::Ping: (void)ping(c.slot, c.id, c.data); break;
        case Command::Kind::Pong: (void)pong(c.slot, c.id, c.data); break;
        case Command::Kind::Timeout: add_timeout(c.slot, c.id, c.number, Token{c.token}, Timeout{c.extra}); break;
        case Command::Kind::Cancel: cancel_timeout(Timeout{c.number}); break;
        case Command::Kind::Connect: {
            auto url = Url::parse(c.data);
            Connection* origin = c.slot == Sender::kAll ? nullptr : find(c.slot, c.id);
            Result<> r = url ? connect(*url, origin) : Result<>(url.error());
            if (!r && origin == nullptr) log_error("connect", r.error());
            break;
        }
        case Command::Kind::Shutdown: shutdown(); break;
    }
}

}  // namespace ws::detail

// ws::Sender: acts at once on the loop thread, queues a command from any other thread. With
// several loops (Settings::threads > 1), what concerns every connection (broadcast, the
// broadcaster's close/ping/pong/timeout, shutdown) goes to every loop.
#include "ws/sender.hpp"

#include "api/runtime.hpp"
#include "api/shared.hpp"
#include "proto/session.hpp"
#include "proto/utf8.hpp"

namespace ws {

namespace {

Error detached() { return Error(ErrorKind::Queue, "this Sender is not attached to a WebSocket"); }

detail::Command command(detail::Command::Kind kind, std::uint32_t slot, std::uint32_t id) {
    detail::Command c{};
    c.kind = kind;
    c.slot = slot;
    c.id = id;
    return c;
}

// On the loop that owns `loop`: `direct(runtime)`; from any other thread: queue `cmd` there.
template <class Direct>
Result<> on_loop(detail::Shared& loop, detail::Command cmd, Direct&& direct) {
    if (loop.on_loop_thread()) return direct(*loop.runtime());
    return loop.push(std::move(cmd));
}

// The same on this loop and on every sibling loop; the first error is returned.
template <class Direct>
Result<> on_every_loop(detail::Shared& self, const detail::Command& cmd, Direct&& direct) {
    Result<> result = on_loop(self, cmd, direct);
    for (const auto& weak : self.siblings) {
        if (auto sibling = weak.lock()) {
            auto r = on_loop(*sibling, cmd, direct);
            if (result && !r) result = std::move(r);
        }
    }
    return result;
}

}  // namespace

Result<> Sender::send(const Message& msg) const {
    detail::Shared* s = shared_.get();
    if (s != nullptr && slot_ != kAll && s->on_loop_thread()) [[likely]]
        return s->runtime()->send(slot_, id_, msg);
    return send_slow(msg);
}

Result<> Sender::send_slow(const Message& msg) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (slot_ == kAll) return broadcast(msg);
    if (s->on_loop_thread()) return s->runtime()->send(slot_, id_, msg);
    // Off the loop thread: validate here, so the producer pays for it and the loop does not.
    if (msg.is_text() && !proto::is_valid_utf8(msg.bytes()))
        return Error(ErrorKind::Encoding, "text message is not valid UTF-8");
    // The output cap, checked against what the connection held when the loop last published
    // it, so that the caller sees Capacity as on the loop thread. (Sends queued meanwhile are
    // bounded by Settings::max_queue_bytes; one that no longer fits when the loop takes it is
    // reported to the handler's on_error.)
    if (const detail::SlotInfo* info = s->slots.find(slot_); info != nullptr && info->id.load(std::memory_order_acquire) == id_) {
        const auto pending = info->buffered.load(std::memory_order_relaxed);
        if (pending + msg.size() + proto::kMaxHeaderSize > s->max_output_buffer) {
            (void)s->push(command(detail::Command::Kind::WantDrain, slot_, id_));  // on_drain will follow
            return Error(ErrorKind::Capacity, "output buffer full (" + std::to_string(pending) +
                                                  " bytes unsent); wait for on_drain");
        }
    }
    auto c = command(detail::Command::Kind::Send, slot_, id_);
    c.op = msg.opcode();
    c.utf8_checked = true;
    c.data.assign(msg.bytes());
    return s->push(std::move(c));
}

Result<> Sender::broadcast(const Message& msg) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (msg.is_text() && !proto::is_valid_utf8(msg.bytes()))
        return Error(ErrorKind::Encoding, "text message is not valid UTF-8");
    auto c = command(detail::Command::Kind::Broadcast, slot_, id_);
    c.op = msg.opcode();
    c.utf8_checked = true;
    if (!s->on_loop_thread() || !s->siblings.empty()) c.data.assign(msg.bytes());
    return on_every_loop(*s, c, [&](detail::Runtime& rt) { return rt.broadcast(msg, true); });
}

Result<> Sender::close(CloseCode code, std::string_view reason) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (auto ok = proto::check_close_args(code, reason); !ok) return ok;
    auto c = command(detail::Command::Kind::Close, slot_, id_);
    c.code = code;
    c.data.assign(reason);
    auto direct = [&](detail::Runtime& rt) { return rt.close(slot_, id_, code, reason); };
    return slot_ == kAll ? on_every_loop(*s, c, direct) : on_loop(*s, std::move(c), direct);
}

Result<> Sender::ping(std::string_view payload) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (payload.size() > proto::kMaxControlPayload) return Error(ErrorKind::Protocol, "ping payload longer than 125 bytes");
    auto c = command(detail::Command::Kind::Ping, slot_, id_);
    c.data.assign(payload);
    auto direct = [&](detail::Runtime& rt) { return rt.ping(slot_, id_, payload); };
    return slot_ == kAll ? on_every_loop(*s, c, direct) : on_loop(*s, std::move(c), direct);
}

Result<> Sender::pong(std::string_view payload) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (payload.size() > proto::kMaxControlPayload) return Error(ErrorKind::Protocol, "pong payload longer than 125 bytes");
    auto c = command(detail::Command::Kind::Pong, slot_, id_);
    c.data.assign(payload);
    auto direct = [&](detail::Runtime& rt) { return rt.pong(slot_, id_, payload); };
    return slot_ == kAll ? on_every_loop(*s, c, direct) : on_loop(*s, std::move(c), direct);
}

Result<Timeout> Sender::timeout(std::uint64_t ms, Token token) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    const Timeout handle{s->next_timeout_id()};
    auto c = command(detail::Command::Kind::Timeout, slot_, id_);
    c.number = ms;
    c.token = token.value;
    c.extra = handle.id;
    auto direct = [&](detail::Runtime& rt) {
        rt.add_timeout(slot_, id_, ms, token, handle);
        return Result<>();
    };
    auto r = slot_ == kAll ? on_every_loop(*s, c, direct) : on_loop(*s, std::move(c), direct);
    if (!r) return std::move(r).error();
    return handle;
}

Result<> Sender::cancel(Timeout timeout) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    auto c = command(detail::Command::Kind::Cancel, slot_, id_);
    c.number = timeout.id;
    auto direct = [&](detail::Runtime& rt) {
        rt.cancel_timeout(timeout);
        return Result<>();
    };
    return slot_ == kAll ? on_every_loop(*s, c, direct) : on_loop(*s, std::move(c), direct);
}

Result<> Sender::connect(std::string_view url) const {
    auto parsed = Url::parse(url);
    if (!parsed) return std::move(parsed).error();
    return connect(*parsed);
}

Result<> Sender::connect(const Url& url) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    auto c = command(detail::Command::Kind::Connect, slot_, id_);
    c.data = url.to_string();
    return on_loop(*s, std::move(c), [&](detail::Runtime& rt) {
        return rt.connect(url, slot_ == kAll ? nullptr : rt.find(slot_, id_));
    });
}

Result<> Sender::shutdown() const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    return on_every_loop(*s, command(detail::Command::Kind::Shutdown, slot_, id_), [](detail::Runtime& rt) {
        rt.shutdown();
        return Result<>();
    });
}

std::size_t Sender::buffered_amount() const noexcept {
    detail::Shared* s = shared_.get();
    if (s == nullptr || slot_ == kAll) return 0;
    if (s->on_loop_thread()) return s->runtime()->buffered_amount(slot_, id_);
    const detail::SlotInfo* info = s->slots.find(slot_);
    if (info == nullptr || info->id.load(std::memory_order_acquire) != id_) return 0;
    const auto amount = info->buffered.load(std::memory_order_relaxed);
    return info->id.load(std::memory_order_acquire) == id_ ? static_cast<std::size_t>(amount) : 0;
}

bool Sender::is_open() const noexcept {
    detail::Shared* s = shared_.get();
    if (s == nullptr || slot_ == kAll) return false;
    const detail::SlotInfo* info = s->slots.find(slot_);
    if (info == nullptr || info->id.load(std::memory_order_acquire) != id_) return false;
    const bool open = info->open.load(std::memory_order_relaxed) != 0;
    return open && info->id.load(std::memory_order_acquire) == id_;
}

}  // namespace ws

// ws::Sender: acts at once on the loop thread, queues a command from any other thread.
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

}  // namespace

Result<> Sender::send(const Message& msg) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (s->on_loop_thread()) return s->runtime()->send(slot_, id_, msg);
    // Off the loop thread: validate here, so the producer pays for it and the loop does not.
    if (msg.is_text() && !proto::is_valid_utf8(msg.bytes()))
        return Error(ErrorKind::Encoding, "text message is not valid UTF-8");
    if (slot_ == kAll) return broadcast(msg);
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
    if (s->on_loop_thread()) return s->runtime()->broadcast(msg);
    if (msg.is_text() && !proto::is_valid_utf8(msg.bytes()))
        return Error(ErrorKind::Encoding, "text message is not valid UTF-8");
    auto c = command(detail::Command::Kind::Broadcast, slot_, id_);
    c.op = msg.opcode();
    c.utf8_checked = true;
    c.data.assign(msg.bytes());
    return s->push(std::move(c));
}

Result<> Sender::close(CloseCode code, std::string_view reason) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (auto ok = proto::check_close_args(code, reason); !ok) return ok;
    if (s->on_loop_thread()) return s->runtime()->close(slot_, id_, code, reason);
    auto c = command(detail::Command::Kind::Close, slot_, id_);
    c.code = code;
    c.data.assign(reason);
    return s->push(std::move(c));
}

Result<> Sender::ping(std::string_view payload) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (payload.size() > proto::kMaxControlPayload) return Error(ErrorKind::Protocol, "ping payload longer than 125 bytes");
    if (s->on_loop_thread()) return s->runtime()->ping(slot_, id_, payload);
    auto c = command(detail::Command::Kind::Ping, slot_, id_);
    c.data.assign(payload);
    return s->push(std::move(c));
}

Result<> Sender::pong(std::string_view payload) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (payload.size() > proto::kMaxControlPayload) return Error(ErrorKind::Protocol, "pong payload longer than 125 bytes");
    if (s->on_loop_thread()) return s->runtime()->pong(slot_, id_, payload);
    auto c = command(detail::Command::Kind::Pong, slot_, id_);
    c.data.assign(payload);
    return s->push(std::move(c));
}

Result<Timeout> Sender::timeout(std::uint64_t ms, Token token) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    const Timeout handle{s->next_timeout_id()};
    if (s->on_loop_thread()) {
        s->runtime()->add_timeout(slot_, id_, ms, token, handle);
        return handle;
    }
    auto c = command(detail::Command::Kind::Timeout, slot_, id_);
    c.number = ms;
    c.token = token.value;
    c.extra = handle.id;
    if (auto r = s->push(std::move(c)); !r) return std::move(r).error();
    return handle;
}

Result<> Sender::cancel(Timeout timeout) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (s->on_loop_thread()) {
        s->runtime()->cancel_timeout(timeout);
        return {};
    }
    auto c = command(detail::Command::Kind::Cancel, slot_, id_);
    c.number = timeout.id;
    return s->push(std::move(c));
}

Result<> Sender::connect(std::string_view url) const {
    auto parsed = Url::parse(url);
    if (!parsed) return std::move(parsed).error();
    return connect(*parsed);
}

Result<> Sender::connect(const Url& url) const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (s->on_loop_thread()) {
        detail::Runtime* rt = s->runtime();
        return rt->connect(url, slot_ == kAll ? nullptr : rt->find(slot_, id_));
    }
    auto c = command(detail::Command::Kind::Connect, slot_, id_);
    c.data = url.to_string();
    return s->push(std::move(c));
}

Result<> Sender::shutdown() const {
    detail::Shared* s = shared_.get();
    if (s == nullptr) return detached();
    if (s->on_loop_thread()) {
        s->runtime()->shutdown();
        return {};
    }
    return s->push(command(detail::Command::Kind::Shutdown, slot_, id_));
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

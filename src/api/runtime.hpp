// detail::Runtime: everything behind one WebSocket: the loop, the listener, the connections
// (a slot table with ids so that nothing stale reaches a reused slot), the command queue from
// other threads, the user timers, and the sweep that enforces handshake, idle and close
// deadlines for every connection with one loop-wide timer.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <vector>

#include "api/connection.hpp"
#include "api/shared.hpp"
#include "io/listener.hpp"
#include "io/loop.hpp"
#include "io/timer.hpp"
#include "io/wakeup.hpp"
#include "proto/mask_keys.hpp"
#include "proto/session.hpp"
#include "ws/factory.hpp"
#include "ws/settings.hpp"

namespace ws::detail {

class Runtime {
public:
    // `factory_mutex` is set when several loops share the factory (Settings::threads > 1): every
    // factory call then holds it. Only the `primary` loop calls Factory::on_shutdown.
    Runtime(std::shared_ptr<Factory> factory, const Settings& settings,
            std::shared_ptr<std::mutex> factory_mutex = nullptr, bool primary = true);
    ~Runtime();

    // `reuse_port`: bind with SO_REUSEPORT, beside other loops on the same address.
    Result<> bind(std::string_view addr, bool reuse_port = false);
    Result<> run();
    Result<SocketAddr> local_addr() const;
    const Settings& settings() const noexcept { return settings_; }
    std::size_t max_output_buffer() const noexcept { return max_output_buffer_; }
    const std::shared_ptr<Shared>& shared() const noexcept { return shared_; }
    io::Loop& loop() noexcept { return loop_; }
    const proto::SessionConfig& session_config(proto::Role role) const noexcept {
        return role == proto::Role::Server ? server_config_ : client_config_;
    }
    std::uint64_t now() const { return loop_.now_ms(); }

    // Sender operations, on the loop thread. `slot`/`id` name a connection, or Sender::kAll.
    // Inline: this is the path of every message a handler sends on the loop thread.
    Result<> send(std::uint32_t slot, std::uint32_t id, const Message& msg) {
        if (slot == Sender::kAll) return broadcast(msg);
        Connection* c = find(slot, id);
        if (c == nullptr) return {};  // the connection is gone; as in WS-RS the message is dropped
        return c->send(msg);
    }
    Result<> broadcast(const Message& msg, bool utf8_known = false);
    Result<> close(std::uint32_t slot, std::uint32_t id, CloseCode code, std::string_view reason);
    Result<> ping(std::uint32_t slot, std::uint32_t id, std::string_view payload);
    Result<> pong(std::uint32_t slot, std::uint32_t id, std::string_view payload);
    void add_timeout(std::uint32_t slot, std::uint32_t id, std::uint64_t ms, Token token, Timeout handle);
    void cancel_timeout(Timeout handle);
    // `origin` is the connection whose handler hears about a failure to start (or null).
    Result<> connect(const Url& url, Connection* origin = nullptr);
    void shutdown();
    // From any thread: asks this loop to shut down (queued; ignored once it has ended).
    void request_shutdown();
    Connection* find(std::uint32_t slot, std::uint32_t id) noexcept {
        if (slot >= slots_.size()) return nullptr;
        Connection* c = slots_[slot];
        return c != nullptr && c->id() == id ? c : nullptr;
    }
    std::size_t buffered_amount(std::uint32_t slot, std::uint32_t id) noexcept;

    // Connection bookkeeping.
    SlotInfo& slot_info(std::uint32_t slot) { return shared_->slots.at(slot); }
    void connection_closed(Connection* connection);
    Sender sender_for(std::uint32_t slot, std::uint32_t id) const { return Sender(shared_, slot, id); }

private:
    void on_connection();
    void on_wakeup();
    void run_command(Command& command);
    void sweep();
    void on_user_timer();
    void arm_user_timer();
    bool allocate_slot(std::uint32_t& slot, std::uint32_t& id);

    template <class F>
    auto with_factory(F&& f);
    void factory_on_shutdown();

    Settings settings_;
    std::shared_ptr<Factory> factory_;
    std::shared_ptr<std::mutex> factory_mutex_;
    bool primary_;
    // What every message sent reads, on the line before the loop's own (io::Loop puts what each
    // visit to a connection touches first): the slot table and the output cap.
    alignas(64) std::vector<Connection*> slots_;  // index = slot; null when free
    std::size_t max_output_buffer_;               // settings_.max_output_buffer
    io::Loop loop_;
    proto::BatchedMaskKeys mask_keys_;
    std::string encode_scratch_;  // the sessions' extension output (SessionConfig::scratch)
    proto::SessionConfig server_config_;
    proto::SessionConfig client_config_;
    std::shared_ptr<Shared> shared_;
    io::Wakeup wakeup_;
    io::Timer sweep_timer_;
    io::Timer user_timer_;
    std::unique_ptr<io::Listener> listener_;

    std::vector<std::uint32_t> free_slots_;
    std::vector<Connection*> rejecting_;    // over-capacity connections being answered 503
    std::size_t active_ = 0;
    std::uint32_t next_id_ = 0;
    std::vector<Command> commands_;

    struct UserTimer {
        std::uint32_t slot;
        std::uint32_t id;
        Token token;
    };
    using Deadline = std::pair<std::uint64_t, std::uint64_t>;  // (when, timeout id)
    std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> timer_heap_;
    std::unordered_map<std::uint64_t, UserTimer> timers_;
    std::uint64_t user_timer_armed_for_ = 0;

    bool running_ = false;
    bool shutting_down_ = false;
    bool factory_shutdown_called_ = false;
    std::uint64_t shutdown_deadline_ = 0;
};

// Every message a handler sends on the loop thread passes here (through Runtime::send): inline,
// so that a send is one call (to the Session) below the Sender. `write` hands the message to
// the Session once the connection may take it: nothing on a dead or refusing connection, a
// Capacity error past max_output_buffer. Always inline: left to itself GCC calls it out of
// line, and a small message's echo costs 27 instructions more (bench/instructions.sh).
template <class Write>
[[gnu::always_inline]] inline Result<> Connection::send_checked(std::size_t size, Write&& write) {
    if (phase_ == Phase::Dead || phase_ == Phase::Rejecting) return {};
    const std::size_t pending = stream_.buffered_amount() + session_.held_bytes();
    if (pending + size + proto::kMaxHeaderSize > runtime_.max_output_buffer()) [[unlikely]]
        return refuse(size, pending);
    auto r = write();
    after_session();
    return r;
}

inline Result<> Connection::send(const Message& msg, bool utf8_known) {
    return send_checked(msg.size(), [&] {
        return utf8_known ? session_.send_validated(msg.opcode(), msg.bytes()) : session_.send(msg);
    });
}

inline Result<> Connection::send_plain(std::span<const std::uint8_t> frame, const Message& msg) {
    if (!session_.sends_plain_frames()) [[unlikely]]
        return send(msg, true);
    return send_checked(msg.size(), [&] {
        session_.send_plain_frame(frame);
        return Result<>();
    });
}

}  // namespace ws::detail

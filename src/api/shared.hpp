// detail::Shared: the part of a WebSocket's runtime that Senders on any thread may touch: the
// bounded command queue, the loop thread's identity, and per-slot atomics for
// Sender::buffered_amount() / is_open(). Everything else belongs to the loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/wakeup.hpp"
#include "ws/close_code.hpp"
#include "ws/error.hpp"
#include "ws/opcode.hpp"

namespace ws::detail {

class Runtime;

// A token that names the calling thread while it lives (as std::thread::id does): the address
// of a thread_local. Initial-exec, so that asking is one load relative to the thread pointer;
// std::this_thread::get_id() was a call into libc (pthread_self, through the PLT) in every send.
inline const void* this_thread_token() noexcept {
    [[gnu::tls_model("initial-exec")]] static thread_local const char marker = 0;
    return &marker;
}

// A Sender call made off the loop thread, waiting for the loop.
struct Command {
    enum class Kind : std::uint8_t { Send, Broadcast, Close, Ping, Pong, Timeout, Cancel, Connect, Shutdown, WantDrain };
    Kind kind;
    std::uint32_t slot;
    std::uint32_t id;
    OpCode op = OpCode::Text;
    CloseCode code = CloseCode::Normal;
    bool utf8_checked = false;
    std::uint64_t number = 0;  // Timeout: delay; Cancel: timeout id
    std::uint64_t token = 0;   // Timeout: the user's token; its id goes in `extra`
    std::uint64_t extra = 0;
    std::string data;          // payload, reason or URL
};

// What other threads may read about a slot. A connection's loop updates it; readers check
// the id before and after reading, so a reused slot never answers for an older Sender.
struct SlotInfo {
    std::atomic<std::uint32_t> id{0};
    std::atomic<std::uint32_t> open{0};
    std::atomic<std::uint64_t> buffered{0};
};

class SlotTable {
public:
    explicit SlotTable(std::size_t max_slots);
    ~SlotTable();
    // Loop thread: the info for `slot`, allocated on first use.
    SlotInfo& at(std::uint32_t slot);
    // Any thread: the info for `slot` if it was ever allocated.
    const SlotInfo* find(std::uint32_t slot) const noexcept;

private:
    static constexpr std::size_t kChunk = 1024;
    std::vector<std::atomic<SlotInfo*>> chunks_;
};

class Shared {
    // First, next to each other: what every send on the loop thread reads.
    std::atomic<const void*> loop_thread_{nullptr};  // this_thread_token() of the loop's thread
    Runtime* runtime_ = nullptr;                     // loop thread only

public:
    Shared(std::size_t queue_size, std::size_t queue_bytes, std::size_t max_slots)
        : slots(max_slots), capacity_(queue_size), max_bytes_(queue_bytes) {}

    // True on the thread running the loop.
    bool on_loop_thread() const noexcept {
        return loop_thread_.load(std::memory_order_relaxed) == this_thread_token();
    }
    // True while run() is running (on some thread).
    bool running() const noexcept {
        return loop_thread_.load(std::memory_order_relaxed) != nullptr;
    }
    // Queues a command for the loop and wakes it. Never blocks (beyond a short lock).
    Result<> push(Command&& command);
    // Loop thread: takes every queued command.
    void take(std::vector<Command>& out);

    // Loop thread bookkeeping.
    void attach(Runtime* runtime, std::shared_ptr<io::Wakeup::Remote> wakeup);
    void set_running(bool running);
    void set_accepting(bool accepting);
    Runtime* runtime() const noexcept { return runtime_; }

    // Settings::max_output_buffer, for the check a Sender makes off the loop thread.
    std::size_t max_output_buffer = 0;
    // The other loops of the same WebSocket (Settings::threads > 1); set before any loop runs,
    // read-only afterwards. Broadcast and shutdown reach them too.
    std::vector<std::weak_ptr<Shared>> siblings;

    std::uint64_t next_timeout_id() noexcept { return timeout_ids_.fetch_add(1, std::memory_order_relaxed) + 1; }

    SlotTable slots;

private:
    std::mutex mutex_;
    std::vector<Command> queue_;
    std::size_t capacity_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    bool accepting_ = true;
    std::shared_ptr<io::Wakeup::Remote> wakeup_;
    std::atomic<std::uint64_t> timeout_ids_{0};
};

}  // namespace ws::detail

#include "api/shared.hpp"

namespace ws::detail {

SlotTable::SlotTable(std::size_t max_slots) : chunks_((max_slots + kChunk - 1) / kChunk + 1) {}

SlotTable::~SlotTable() {
    for (auto& c : chunks_) delete[] c.load();
}

SlotInfo& SlotTable::at(std::uint32_t slot) {
    auto& chunk = chunks_[slot / kChunk];
    SlotInfo* p = chunk.load(std::memory_order_acquire);
    if (p == nullptr) {
        p = new SlotInfo[kChunk];
        chunk.store(p, std::memory_order_release);
    }
    return p[slot % kChunk];
}

const SlotInfo* SlotTable::find(std::uint32_t slot) const noexcept {
    if (slot / kChunk >= chunks_.size()) return nullptr;
    const SlotInfo* p = chunks_[slot / kChunk].load(std::memory_order_acquire);
    return p == nullptr ? nullptr : &p[slot % kChunk];
}

Result<> Shared::push(Command&& command) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!accepting_) return Error(ErrorKind::Queue, "the WebSocket's event loop is not running");
    if (queue_.size() >= capacity_) {
        return Error(ErrorKind::Queue, "command queue full (" + std::to_string(capacity_) +
                                           " commands waiting); the event loop is overloaded");
    }
    if (bytes_ + command.data.size() > max_bytes_) {
        return Error(ErrorKind::Queue, "command queue full (" + std::to_string(bytes_) +
                                           " bytes waiting); the event loop is overloaded");
    }
    bytes_ += command.data.size();
    queue_.push_back(std::move(command));
    if (queue_.size() == 1 && wakeup_) wakeup_->notify();
    return {};
}

void Shared::take(std::vector<Command>& out) {
    out.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    out.swap(queue_);
    bytes_ = 0;
}

void Shared::attach(Runtime* runtime, std::shared_ptr<io::Wakeup::Remote> wakeup) {
    std::lock_guard<std::mutex> lock(mutex_);
    runtime_ = runtime;
    wakeup_ = std::move(wakeup);
}

void Shared::set_running(bool running) {
    loop_thread_.store(running ? this_thread_token() : nullptr, std::memory_order_relaxed);
}

void Shared::set_accepting(bool accepting) {
    std::lock_guard<std::mutex> lock(mutex_);
    accepting_ = accepting;
}

}  // namespace ws::detail

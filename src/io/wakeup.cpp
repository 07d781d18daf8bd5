#include "io/wakeup.hpp"

#include <uv.h>

#include "io/loop.hpp"

namespace ws::io {

Wakeup::Wakeup(Loop& loop, std::function<void()> on_wake)
    : on_wake_(std::move(on_wake)), remote_(std::make_shared<Remote>()), async_(new uv_async_t()) {
    uv_async_init(loop.uv(), async_, [](uv_async_t* a) {
        if (auto* self = static_cast<Wakeup*>(a->data)) self->on_wake_();
    });
    async_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(async_));
    remote_->async_ = async_;
}

Wakeup::~Wakeup() {
    {
        std::lock_guard<std::mutex> lock(remote_->mutex_);
        remote_->async_ = nullptr;
    }
    async_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

bool Wakeup::Remote::notify() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (async_ == nullptr) return false;
    uv_async_send(async_);
    return true;
}

}  // namespace ws::io

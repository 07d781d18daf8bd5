#include "io/timer.hpp"

#include <uv.h>

#include "io/loop.hpp"

namespace ws::io {

Timer::Timer(Loop& loop, std::function<void()> callback)
    : callback_(std::move(callback)), timer_(new uv_timer_t()) {
    uv_timer_init(loop.uv(), timer_);
    timer_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(timer_));
}

Timer::~Timer() {
    uv_timer_stop(timer_);
    timer_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void Timer::start(std::uint64_t delay_ms, std::uint64_t repeat_ms) {
    uv_timer_start(timer_, [](uv_timer_t* t) {
        if (auto* self = static_cast<Timer*>(t->data)) self->callback_();
    }, delay_ms, repeat_ms);
}

void Timer::stop() { uv_timer_stop(timer_); }

}  // namespace ws::io

// ws::io::Timer: a libuv timer with a callback. Timers never keep a loop alive by themselves:
// a loop runs while it has a listener or connections.
#pragma once

#include <cstdint>
#include <functional>

struct uv_timer_s;

namespace ws::io {

class Loop;

class Timer {
public:
    Timer(Loop& loop, std::function<void()> callback);
    ~Timer();
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Fires after `delay_ms`, then every `repeat_ms` if non-zero. Restarting re-arms it.
    void start(std::uint64_t delay_ms, std::uint64_t repeat_ms = 0);
    void stop();

private:
    std::function<void()> callback_;
    uv_timer_s* timer_;
};

}  // namespace ws::io

// ws::io::Wakeup: wakes a Loop from another thread (uv_async_t). The thread-safe part lives in a
// shared block so that a thread holding it can always call notify() safely, even after the
// loop is gone (it then does nothing and returns false).
#pragma once

#include <functional>
#include <memory>
#include <mutex>

struct uv_async_s;

namespace ws::io {

class Loop;

class Wakeup {
public:
    // `on_wake` runs on the loop thread, at least once after every notify().
    Wakeup(Loop& loop, std::function<void()> on_wake);
    ~Wakeup();
    Wakeup(const Wakeup&) = delete;
    Wakeup& operator=(const Wakeup&) = delete;

    // The thread-safe handle other threads keep.
    class Remote {
    public:
        // Wakes the loop; false when the loop has gone.
        bool notify();

    private:
        friend class Wakeup;
        std::mutex mutex_;
        uv_async_s* async_ = nullptr;
    };
    std::shared_ptr<Remote> remote() const { return remote_; }

private:
    std::function<void()> on_wake_;
    std::shared_ptr<Remote> remote_;
    uv_async_s* async_;
};

}  // namespace ws::io

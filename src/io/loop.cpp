#include "io/loop.hpp"

#include <uv.h>

#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>

#include "io/stream.hpp"

namespace ws::io {

namespace {
// Events taken from the epoll set per wait; more wait for the next iteration.
constexpr int kMaxEvents = 256;

}  // namespace

std::string error_message(int uv_code) {
    if (uv_code == 0) return "ok";
    return std::string(uv_err_name(uv_code)) + ": " + uv_strerror(uv_code);
}

Loop::Loop(std::size_t read_buffer_size, std::size_t read_budget)
    : read_buffer_(std::make_unique_for_overwrite<std::uint8_t[]>(read_buffer_size)),
      read_buffer_size_(read_buffer_size),
      read_budget_(std::max<std::size_t>(read_budget, 1)),
      events_(std::make_unique<epoll_event[]>(kMaxEvents)),
      loop_(std::make_unique<uv_loop_t>()),
      prepare_(std::make_unique<uv_prepare_t>()),
      check_(std::make_unique<uv_check_t>()),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      idle_(std::make_unique<uv_idle_t>()) {
    if (epoll_fd_ < 0) epoll_error_ = -errno;  // every watch() then fails with it
    uv_loop_init(loop_.get());
    now_ = &loop_->time;  // uv_now(loop_) is this field
    uv_prepare_init(loop_.get(), prepare_.get());
    prepare_->data = this;
    uv_check_init(loop_.get(), check_.get());
    check_->data = this;
    // The flush runs in the check phase, right after this iteration's I/O callbacks (before
    // the loop decides whether it is still alive), and again in the prepare phase, for what
    // timer callbacks wrote, right before the loop blocks in poll. Neither keeps a loop alive.
    uv_check_start(check_.get(), &Loop::on_check);
    uv_unref(reinterpret_cast<uv_handle_t*>(check_.get()));
    uv_prepare_start(prepare_.get(), &Loop::on_prepare);
    uv_unref(reinterpret_cast<uv_handle_t*>(prepare_.get()));
    uv_idle_init(loop_.get(), idle_.get());
    idle_->data = this;
    // libuv's own descriptor (its epoll set: timers' wake-ups, the cross-thread wake-up,
    // listeners, DNS completions) joins the socket set, so that one epoll_wait waits for both.
    if (epoll_fd_ >= 0) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;  // not a Stream: libuv has work
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, uv_backend_fd(loop_.get()), &ev) == 0) {
            poll_ready_ = true;
        } else {
            epoll_error_ = -errno;
        }
    }
}

Loop::~Loop() {
    uv_close(reinterpret_cast<uv_handle_t*>(prepare_.get()), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(check_.get()), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(idle_.get()), nullptr);
    // Every owner closed its handles before this; anything still open would keep the loop
    // busy forever, so close it too (its owner is gone).
    uv_walk(loop_.get(), [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
    }, nullptr);
    // A request still running on libuv's thread pool (a DNS lookup that could not be
    // cancelled) makes uv_loop_close answer EBUSY: run the loop until it has finished, since
    // the worker will touch the loop when it does.
    while (uv_loop_close(loop_.get()) == UV_EBUSY) uv_run(loop_.get(), UV_RUN_ONCE);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

int Loop::run() {
    uv_loop_t* uv = loop_.get();
    if (!poll_ready_) return uv_run(uv, UV_RUN_DEFAULT);  // no socket set: no socket can open
    stop_ = false;
    bool libuv_due = true;  // its first pass starts what was set up before run()
    for (;;) {
        // libuv's turn, when it has something to do: due timers, its own descriptors, idle
        // callbacks (deferred closes), closing handles. Its poll does not block (NOWAIT), and
        // its check phase flushes what its callbacks wrote. A watcher started in one of its
        // callbacks (a listener bound there) is registered only by its next poll: another pass
        // then, before blocking. (libuv 1.44's uv_backend_timeout also answers 0 while a
        // watcher waits to be registered; libuv_started_ does not depend on that.)
        while (libuv_due) {
            libuv_started_ = false;
            uv_run(uv, UV_RUN_NOWAIT);
            libuv_due = libuv_started_ && !stop_;
        }
        // Alive: a referenced libuv handle, or an open socket (which references the check
        // handle: see socket_opened).
        if (stop_ || uv_loop_alive(uv) == 0) break;
        // Block until a socket or libuv has something, or libuv's next timer is due (0 when
        // libuv has something to run now: idle callbacks, closing handles).
        const int timeout = uv_backend_timeout(uv);
        libuv_due = wait_and_dispatch(timeout) || timeout == 0;
        flush_all();
        // A timer may have come due, a close been deferred or a watcher started while the
        // sockets were served.
        if (!libuv_due) libuv_due = libuv_started_ || uv_backend_timeout(uv) == 0;
    }
    return 0;
}

void Loop::stop() {
    stop_ = true;
    uv_stop(loop_.get());
}

void Loop::drain_closing() {
    // Called once every handle has been asked to close: run until their close callbacks (and
    // any request still finishing, such as a DNS lookup) are done.
    while (uv_loop_alive(loop_.get())) uv_run(loop_.get(), UV_RUN_ONCE);
    uv_run(loop_.get(), UV_RUN_NOWAIT);
}

void Loop::schedule_flush(Stream& stream) { dirty_.push_back(&stream); }

void Loop::cancel_flush(Stream& stream) {
    std::replace(dirty_.begin(), dirty_.end(), &stream, static_cast<Stream*>(nullptr));
    std::replace(flushing_.begin(), flushing_.end(), &stream, static_cast<Stream*>(nullptr));
}

int Loop::watch(int fd, int op, std::uint32_t events, Stream* stream) noexcept {
    if (!poll_ready_) return epoll_error_;
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = stream;
    return epoll_ctl(epoll_fd_, op, fd, &ev) == 0 ? 0 : -errno;
}

// While a socket is open the check handle is referenced: libuv then counts the loop alive,
// and uv_backend_timeout answers with its next timer (our timers are unreferenced) rather
// than 0, as it does for a loop with nothing alive.
void Loop::socket_opened() noexcept {
    if (open_sockets_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(check_.get()));
}

void Loop::socket_closed() noexcept {
    if (--open_sockets_ == 0) uv_unref(reinterpret_cast<uv_handle_t*>(check_.get()));
}

bool Loop::wait_and_dispatch(int timeout_ms) {
    // Through syscall(2): glibc's epoll_wait is a cancellation point and pays for it on every
    // call. (epoll_pwait with no signal mask is epoll_wait, and exists on every architecture.)
    int n = 0;
    do {
        n = static_cast<int>(syscall(SYS_epoll_pwait, epoll_fd_, events_.get(), kMaxEvents, timeout_ms, nullptr, 8));
    } while (n < 0 && errno == EINTR);
    uv_update_time(loop_.get());  // now_ms() for what the events cause, as libuv's poll does
    // A Stream is destroyed only after its finish_close(), which runs from a later loop phase,
    // so every pointer in this batch is alive; a stream closed earlier in the batch ignores
    // what is left for it (and its socket is out of the set, so nothing more comes).
    bool libuv_ready = false;
    for (int i = 0; i < n; ++i) {
        if (auto* stream = static_cast<Stream*>(events_[i].data.ptr)) {
            stream->on_events(events_[i].events);
        } else {
            libuv_ready = true;
        }
    }
    return libuv_ready || (n == 0 && timeout_ms > 0);  // libuv's descriptor, or its timer
}

void Loop::defer_close(Stream& stream) {
    if (deferred_.empty() && finishing_.empty()) uv_idle_start(idle_.get(), &Loop::on_idle);
    deferred_.push_back(&stream);
}

void Loop::cancel_deferred_close(Stream& stream) noexcept {
    std::replace(deferred_.begin(), deferred_.end(), &stream, static_cast<Stream*>(nullptr));
    std::replace(finishing_.begin(), finishing_.end(), &stream, static_cast<Stream*>(nullptr));
}

void Loop::on_idle(uv_idle_t* handle) {
    // The idle handle is active (and referenced) while closes are due: the loop stays alive
    // and does not block in poll until every one has run.
    auto* self = static_cast<Loop*>(handle->data);
    self->finishing_.swap(self->deferred_);
    for (std::size_t i = 0; i < self->finishing_.size(); ++i) {
        if (Stream* s = self->finishing_[i]) s->finish_close();  // may destroy s
    }
    self->finishing_.clear();
    if (self->deferred_.empty()) uv_idle_stop(handle);
}

void Loop::on_prepare(uv_prepare_t* handle) { static_cast<Loop*>(handle->data)->flush_all(); }
void Loop::on_check(uv_check_t* handle) { static_cast<Loop*>(handle->data)->flush_all(); }

void Loop::flush_all() {
    // A flush can fail a stream whose owner then writes to others; loop until quiet. The
    // stream that holds the cork sends it first (its flush was not scheduled for that).
    for (;;) {
        if (cork_owner_ != nullptr) cork_owner_->uncork();
        if (dirty_.empty()) break;
        flushing_.swap(dirty_);
        for (std::size_t i = 0; i < flushing_.size(); ++i) {
            if (Stream* s = flushing_[i]) s->flush();
        }
        flushing_.clear();
    }
    // One big message made the cork buffer big: do not keep that for ever.
    if (cork_.empty() && cork_.capacity() > kMaxKeptCork) cork_.release();
}

}  // namespace ws::io

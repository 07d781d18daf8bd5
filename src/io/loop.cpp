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
// Socket events taken from the epoll set per dispatch; more wait for the next iteration (the
// set stays readable, so libuv comes back at once).
constexpr int kMaxEvents = 256;

}  // namespace

std::string error_message(int uv_code) {
    if (uv_code == 0) return "ok";
    return std::string(uv_err_name(uv_code)) + ": " + uv_strerror(uv_code);
}

Loop::Loop(std::size_t read_buffer_size)
    : loop_(std::make_unique<uv_loop_t>()),
      prepare_(std::make_unique<uv_prepare_t>()),
      check_(std::make_unique<uv_check_t>()),
      read_buffer_(std::make_unique_for_overwrite<std::uint8_t[]>(read_buffer_size)),
      read_buffer_size_(read_buffer_size),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      epoll_poll_(std::make_unique<uv_poll_t>()),
      events_(std::make_unique<epoll_event[]>(kMaxEvents)),
      idle_(std::make_unique<uv_idle_t>()) {
    if (epoll_fd_ < 0) epoll_error_ = -errno;  // every watch() then fails with it
    uv_loop_init(loop_.get());
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
    if (epoll_fd_ >= 0) {
        if (const int rc = uv_poll_init(loop_.get(), epoll_poll_.get(), epoll_fd_); rc == 0) {
            epoll_poll_->data = this;
            uv_poll_start(epoll_poll_.get(), UV_READABLE, &Loop::on_sockets);
            uv_unref(reinterpret_cast<uv_handle_t*>(epoll_poll_.get()));
            poll_ready_ = true;
        } else {
            epoll_error_ = rc;
        }
    }
}

Loop::~Loop() {
    uv_close(reinterpret_cast<uv_handle_t*>(prepare_.get()), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(check_.get()), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(idle_.get()), nullptr);
    if (poll_ready_) uv_close(reinterpret_cast<uv_handle_t*>(epoll_poll_.get()), nullptr);
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

int Loop::run() { return uv_run(loop_.get(), UV_RUN_DEFAULT); }

void Loop::stop() { uv_stop(loop_.get()); }

void Loop::drain_closing() {
    // Called once every handle has been asked to close: run until their close callbacks (and
    // any request still finishing, such as a DNS lookup) are done.
    while (uv_loop_alive(loop_.get())) uv_run(loop_.get(), UV_RUN_ONCE);
    uv_run(loop_.get(), UV_RUN_NOWAIT);
}

std::uint64_t Loop::now_ms() const { return uv_now(loop_.get()); }

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

void Loop::socket_opened() noexcept {
    if (open_sockets_++ == 0 && poll_ready_) uv_ref(reinterpret_cast<uv_handle_t*>(epoll_poll_.get()));
}

void Loop::socket_closed() noexcept {
    if (--open_sockets_ == 0 && poll_ready_) uv_unref(reinterpret_cast<uv_handle_t*>(epoll_poll_.get()));
}

void Loop::on_sockets(uv_poll_t* handle, int, int) { static_cast<Loop*>(handle->data)->dispatch_socket_events(); }

void Loop::dispatch_socket_events() {
    // Through syscall(2): glibc's epoll_wait is a cancellation point and pays for it on every
    // call; this one never blocks and is never cancelled. (epoll_pwait with no signal mask is
    // epoll_wait, and exists on every architecture.)
    int n = 0;
    do {
        n = static_cast<int>(syscall(SYS_epoll_pwait, epoll_fd_, events_.get(), kMaxEvents, 0, nullptr, 8));
    } while (n < 0 && errno == EINTR);
    // A Stream is destroyed only after its finish_close(), which runs from a later loop phase,
    // so every pointer in this batch is alive; a stream closed earlier in the batch ignores
    // what is left for it (and its socket is out of the set, so nothing more comes).
    for (int i = 0; i < n; ++i) static_cast<Stream*>(events_[i].data.ptr)->on_events(events_[i].events);
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
    // A flush can fail a stream whose owner then writes to others; loop until quiet.
    while (!dirty_.empty()) {
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

// ws::io::Loop: one libuv event loop with the loop-wide receive buffer, the end-of-iteration
// flush that corks every write made during one iteration into one syscall per connection, and
// the set of connection sockets the loop watches.
//
// io/ is the only folder that includes <uv.h> in its headers' users' view: the layers above
// see Loop, Stream, Listener, Timer and Wakeup, never libuv types.
//
// Connection sockets are not libuv handles. A uv_tcp_t costs 248 bytes per connection and a
// uv_poll_t 160, more than all the rest of an idle connection, and changing a uv_poll_t's
// events costs an epoll_ctl DEL and ADD each time. So the loop keeps one epoll set of its own
// for its connections' sockets, with libuv's own descriptor (its epoll set) in it: run() waits
// in one epoll_wait for both, serves the sockets itself, and gives libuv a turn (a
// non-blocking uv_run) only when libuv's descriptor is ready or its next timer is due. A
// socket costs its Stream 8 bytes of bookkeeping, a change of interest one epoll_ctl, and a
// busy iteration one system call to wait. Timers, the cross-thread wake-up, DNS and the
// listening sockets stay libuv's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "io/byte_buffer.hpp"

struct uv_loop_s;
struct uv_prepare_s;
struct uv_check_s;
struct uv_idle_s;
struct epoll_event;

namespace ws::io {

class Stream;

// "EADDRINUSE: address already in use" for a libuv error code.
std::string error_message(int uv_code);

class Loop {
public:
    // Bytes taken from one socket per readiness event before the other sockets get their turn.
    // Reading is cheap; what a read hands on may not be: 256 KiB of 11-byte pings is 24,000
    // frames parsed and as many pongs written, 1-1.5 ms in a release build (35-60 ns a ping,
    // measured). Without the cap one flooding peer held the loop for all its socket held
    // (megabytes: 20 ms and more) while every other connection waited.
    static constexpr std::size_t kDefaultReadBudget = 256u << 10;

    explicit Loop(std::size_t read_buffer_size, std::size_t read_budget = kDefaultReadBudget);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // Runs until no referenced handle (listener, connection, pending connect) is left or stop()
    // is called. Returns 0, or a libuv error code.
    int run();
    void stop();
    // Runs the loop until every handle that is closing has finished closing; used on teardown.
    void drain_closing();

    // Milliseconds on the loop's clock: libuv's, which it and run() update once per iteration
    // (uv_now). Inline, read through a pointer to the loop's own field: every read asks for
    // it (the idle clock), and a call into libuv for it cost a call through the PLT and two
    // more cache lines per read.
    std::uint64_t now_ms() const noexcept { return *now_; }

    // The receive buffer every read on this loop lands in. A read's bytes are handed to their
    // connection and processed before the next read starts, so one buffer serves them all.
    // Contract: the bytes are the reader's to modify (the Session unmasks them in place) until
    // its read callback returns; nothing may keep a pointer into it after that.
    std::span<std::uint8_t> read_buffer() noexcept { return {read_buffer_.get(), read_buffer_size_}; }
    std::size_t read_budget() const noexcept { return read_budget_; }

    // The loop-wide cork buffer: the output of the stream whose input is being handled. A
    // stream that has nothing waiting writes here instead of into a buffer of its own; the
    // bytes leave with one write when it is flushed, or as soon as another stream's input
    // arrives. Streams written to meanwhile (a broadcast's other receivers) use their own
    // buffers, flushed once at the end of the iteration. So in the echo pattern a connection
    // owns an output buffer only while the kernel leaves it something to send later, and an
    // idle connection owns none.
    ByteBuffer& cork() noexcept { return cork_; }
    const ByteBuffer& cork() const noexcept { return cork_; }
    // The cork's memory is kept between iterations up to this size.
    static constexpr std::size_t kMaxKeptCork = 1u << 20;
    Stream* cork_owner() const noexcept { return cork_owner_; }
    void set_cork_owner(Stream* s) noexcept { cork_owner_ = s; }

    // Asks for `stream` to be flushed when this iteration's callbacks are done.
    void schedule_flush(Stream& stream);
    void cancel_flush(Stream& stream);

    // The socket set. `events` are EPOLLIN / EPOLLOUT (with EPOLLET: Streams watch their
    // sockets edge-triggered); `op` is EPOLL_CTL_ADD, _MOD or _DEL.
    // Every event reported for `fd` goes to `stream`'s on_events until it is removed. 0 or a
    // negative errno (which is the libuv error code on Unix).
    int watch(int fd, int op, std::uint32_t events, Stream* stream) noexcept;
    // A Stream took or gave up a socket: the loop stays alive while any socket is open.
    void socket_opened() noexcept;
    void socket_closed() noexcept;
    // Calls `stream`'s finish_close() from the loop's idle phase, after the callback that closed
    // it has returned, so that whoever closed it can keep using it until then (closing is never
    // synchronous).
    void defer_close(Stream& stream);
    void cancel_deferred_close(Stream& stream) noexcept;

    // System calls made on connection sockets so far: reads, and sends (send / sendmsg). For
    // tests and diagnostics: one read and at most one send per connection per iteration is
    // the budget of the echo pattern.
    struct SocketCalls {
        std::uint64_t reads = 0;
        std::uint64_t sends = 0;
    };
    const SocketCalls& socket_calls() const noexcept { return calls_; }
    void count_read() noexcept { ++calls_.reads; }
    void count_send() noexcept { ++calls_.sends; }

    uv_loop_s* uv() noexcept { return loop_.get(); }
    // Code that starts a libuv I/O watcher (uv_poll_start) calls this: libuv registers it
    // with its epoll set only in its next poll, which run() then gives it before blocking.
    void libuv_watcher_started() noexcept { libuv_started_ = true; }

private:
    static void on_prepare(uv_prepare_s* handle);
    static void on_check(uv_check_s* handle);
    static void on_idle(uv_idle_s* handle);
    void flush_all();
    // One wait in the socket set (at most `timeout_ms`; -1: no limit) and its events served.
    // True when libuv has something to do (its descriptor is ready, or its timer's time came).
    bool wait_and_dispatch(int timeout_ms);

    // What every visit to a connection reads or writes comes first, on as few cache lines as
    // may be: the kernel's work between two visits leaves little of them in L1
    // (bench/instructions.sh --cache counts the lines).
    std::unique_ptr<std::uint8_t[]> read_buffer_;
    std::size_t read_buffer_size_;
    std::size_t read_budget_;
    Stream* cork_owner_ = nullptr;
    ByteBuffer cork_;
    SocketCalls calls_;
    const std::uint64_t* now_ = nullptr;  // &loop_->time, what uv_now reads
    std::unique_ptr<epoll_event[]> events_;  // the events of one wait

    std::unique_ptr<uv_loop_s> loop_;
    std::unique_ptr<uv_prepare_s> prepare_;
    std::unique_ptr<uv_check_s> check_;
    std::vector<Stream*> dirty_;
    std::vector<Stream*> flushing_;

    // The socket set: its epoll descriptor (libuv's is in it too; events_ above takes one
    // wait's events). run() goes on while a socket is open or libuv has something alive.
    int epoll_fd_ = -1;
    int epoll_error_ = 0;     // why the set could not be made (every watch() fails with it)
    bool poll_ready_ = false;
    bool stop_ = false;
    bool libuv_started_ = false;  // see libuv_watcher_started
    std::size_t open_sockets_ = 0;
    // Streams whose on_closed is due; an idle handle runs them on the next iteration.
    std::unique_ptr<uv_idle_s> idle_;
    std::vector<Stream*> deferred_;
    std::vector<Stream*> finishing_;
};

}  // namespace ws::io

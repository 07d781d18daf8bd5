// ws::io::Loop: one libuv event loop with the loop-wide receive buffer and the end-of-iteration
// flush that corks every write made during one iteration into one syscall per connection.
//
// io/ is the only folder that includes <uv.h> in its headers' users' view: the layers above
// see Loop, Stream, Listener, Timer and Mailbox, never libuv types.
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

namespace ws::io {

class Stream;

// "EADDRINUSE: address already in use" for a libuv error code.
std::string error_message(int uv_code);

class Loop {
public:
    explicit Loop(std::size_t read_buffer_size);
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // Runs until no referenced handle (listener, connection, pending connect) is left or stop()
    // is called. Returns 0, or a libuv error code.
    int run();
    void stop();
    // Runs the loop until every handle that is closing has finished closing; used on teardown.
    void drain_closing();

    // Milliseconds on the loop's clock (cached once per iteration, so it is cheap).
    std::uint64_t now_ms() const;

    // The receive buffer every read on this loop lands in. A read's bytes are handed to their
    // connection and processed before the next read starts, so one buffer serves them all.
    // Contract: the bytes are the reader's to modify (the Session unmasks them in place) until
    // its read callback returns; nothing may keep a pointer into it after that.
    std::span<std::uint8_t> read_buffer() noexcept { return {read_buffer_.get(), read_buffer_size_}; }

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

    uv_loop_s* uv() noexcept { return loop_.get(); }

private:
    static void on_prepare(uv_prepare_s* handle);
    static void on_check(uv_check_s* handle);
    void flush_all();

    std::unique_ptr<uv_loop_s> loop_;
    std::unique_ptr<uv_prepare_s> prepare_;
    std::unique_ptr<uv_check_s> check_;
    std::vector<Stream*> dirty_;
    ByteBuffer cork_;
    Stream* cork_owner_ = nullptr;
    std::vector<Stream*> flushing_;
    std::unique_ptr<std::uint8_t[]> read_buffer_;
    std::size_t read_buffer_size_;
};

}  // namespace ws::io

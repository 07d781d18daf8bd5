// ws::io::Stream: one TCP connection on a Loop: reading into the loop's buffer, corked writes
// flushed once per iteration (uv_try_write first, a queued write only for what the kernel did
// not take), graceful shutdown, and client connects that try every resolved address in turn.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "io/byte_buffer.hpp"
#include "io/loop.hpp"
#include "proto/session.hpp"
#include "ws/address.hpp"

struct uv_tcp_s;
struct uv_stream_s;

namespace ws::io {

class Loop;

// What a Stream tells its owner. Every call comes from the loop thread.
class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    // Bytes arrived; they live in the loop's read buffer and may be modified in place.
    virtual void on_read(std::span<std::uint8_t> data) = 0;
    // The peer closed its sending side (EOF).
    virtual void on_eof() = 0;
    // A read, write or connect failed; `uv_code` is a negative libuv error code.
    virtual void on_io_error(int uv_code) = 0;
    // Output that had to wait for the peer is now all written.
    virtual void on_drain() = 0;
    // Client streams: the connection attempt finished (0, or the last error of every address).
    virtual void on_connected(int status) = 0;
    // The handle is closed; the owner may destroy the Stream now (and only now).
    virtual void on_closed() = 0;
};

class Stream final : public proto::Output {
public:
    Stream(Loop& loop, StreamHandler& handler);
    ~Stream() override;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Prepares the TCP handle; 0 or a libuv error.
    int open();
    // Accepts a pending connection from a listening handle (used by Listener).
    int accept_from(uv_stream_s* server);
    // Resolves `host` (names through libuv's thread pool; IP literals directly) and connects
    // to each address in turn until one answers; reports through on_connected.
    void connect(const std::string& host, std::uint16_t port);
    // Connects to each of `addresses` in turn (what connect() does after resolving).
    void connect_any(std::vector<sockaddr_storage> addresses);

    int start_reading();
    // Starts reading even if back-pressure had paused it.
    void resume_reading();
    void stop_reading();
    bool is_reading() const noexcept { return reading_; }
    void set_nodelay(bool on);

    // proto::Output: the corked output buffer.
    std::uint8_t* prepare(std::size_t n) override;
    void commit(std::size_t n) override;
    // A large frame: written at once with what this stream has corked before it (one writev);
    // only what the kernel does not take is copied, into our own buffer, for the flush.
    void write_gather(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body) override;

    // Gives back the output buffer's memory if nothing is waiting in it (an idle connection
    // should cost no buffer; an active one keeps its buffer so that sending does not allocate).
    void release_idle_buffers() noexcept {
        if (out_.empty() && !write_) out_.release();
    }
    // Bytes written by the owner but not yet taken by the kernel.
    std::size_t buffered_amount() const noexcept {
        return out_.size() + (write_ ? write_pending() : 0) + (corked() ? loop_.cork().size() : 0);
    }
    // Keeps `*mirror` equal to buffered_amount() (for readers on other threads).
    void set_buffered_mirror(std::atomic<std::uint64_t>* mirror) noexcept { mirror_ = mirror; }
    // Back-pressure: while more than `bytes` wait for the peer, stop reading from it (a peer
    // that sends without reading is then slowed by TCP); resume once it drains below. 0: off.
    void set_read_pause_threshold(std::size_t bytes) noexcept { pause_threshold_ = bytes; }
    bool is_paused() const noexcept { return paused_; }
    // Asks for on_drain once everything buffered now has been written, even if the kernel
    // takes it all at the next flush (the owner refused a send and promised a drain).
    void request_drain_notice() noexcept { drain_notice_ = true; }

    // Sends what is buffered now (the Loop calls this once per iteration for every stream
    // that was written to).
    void flush();
    // Graceful close: flush, then shut down the sending side (FIN). By default keep reading
    // until the peer closes (on_eof; the owner then calls close()), so that our last frames are
    // not lost to a reset caused by unread input. With `close_when_sent`, close as soon as the
    // FIN is out (nothing more is expected from the peer).
    void shutdown(bool close_when_sent = false);
    // Closes the handle now; buffered output is dropped. on_closed follows.
    void close();
    bool is_closing() const noexcept { return closing_; }
    bool is_shut_down() const noexcept { return shut_down_; }

    // The OS socket (for diagnostics and tests), or -1.
    int native_handle() const noexcept;
    std::optional<SocketAddr> peer_addr() const;
    std::optional<SocketAddr> local_addr() const;

private:
    struct WriteRequest;
    struct ConnectState;
    struct Callbacks;  // the libuv callbacks, defined next to them in stream.cpp
    friend struct Callbacks;

    void write_done(int status);
    bool corked() const noexcept { return loop_.cork_owner() == this; }
    std::size_t write_pending() const noexcept;
    // Sends this stream's bytes from the cork buffer now (another stream needs it).
    void uncork();
    // Sends `buf` (out_ or the cork): what the kernel takes now, the rest through a queued
    // write; leaves `buf` empty. 0 or a libuv error.
    int send_buffer(ByteBuffer& buf);
    void update_mirror() noexcept {
        if (mirror_ != nullptr) mirror_->store(buffered_amount(), std::memory_order_relaxed);
    }
    void apply_back_pressure();
    void start_shutdown();
    void try_next_address(int last_error);

    uv_tcp_s* tcp() noexcept { return reinterpret_cast<uv_tcp_s*>(tcp_storage_); }
    const uv_tcp_s* tcp() const noexcept { return reinterpret_cast<const uv_tcp_s*>(tcp_storage_); }

    Loop& loop_;
    StreamHandler& handler_;
    ByteBuffer out_;
    std::unique_ptr<WriteRequest> write_;
    std::unique_ptr<ConnectState> connect_;
    std::atomic<std::uint64_t>* mirror_ = nullptr;
    std::size_t pause_threshold_ = 0;
    bool open_ = false;
    bool paused_ = false;
    bool drain_notice_ = false;
    bool close_after_shutdown_ = false;
    int deferred_error_ = 0;  // a write error met while uncorking for another stream
    bool reading_ = false;
    bool flush_scheduled_ = false;
    bool want_shutdown_ = false;
    bool shut_down_ = false;
    bool closing_ = false;
    // The uv_tcp_t lives inline (no allocation per connection); stream.cpp checks the size.
    static constexpr std::size_t kTcpSize = 248;
    alignas(8) unsigned char tcp_storage_[kTcpSize];
};

}  // namespace ws::io

// ws::io::Stream: one TCP connection on a Loop: reading into the loop's buffer, corked writes
// flushed once per iteration (one send first, and waiting for the socket to be writable only
// for what the kernel did not take), graceful shutdown, and client connects that try every
// resolved address in turn. The socket is watched through the Loop's socket set, not through a
// libuv handle (see loop.hpp for why).
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

namespace ws::io {

class Loop;

// What a Stream tells its owner. Every call comes from the loop thread.
class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    // Bytes arrived; they live in the loop's read buffer and may be modified in place.
    virtual void on_read(std::span<std::uint8_t> data) = 0;
    // Where the next read may put its first bytes instead of the loop's buffer (at most
    // `max`), or empty: the rest of a large payload goes straight where it is assembled. A
    // read into it is reported with on_read_direct (how many bytes landed there), then, for
    // any bytes after those, on_read as usual. Asked only after Stream::want_read_target,
    // before every read until it answers with no room.
    virtual std::span<std::uint8_t> read_target(std::size_t /*max*/) { return {}; }
    virtual void on_read_direct(std::size_t /*n*/) {}
    // The peer closed its sending side (EOF).
    virtual void on_eof() = 0;
    // A read, write or connect failed; `uv_code` is a negative libuv error code.
    virtual void on_io_error(int uv_code) = 0;
    // Output that had to wait for the peer is now all written.
    virtual void on_drain() = 0;
    // Client streams: the connection attempt finished (0, or the last error of every address).
    virtual void on_connected(int status) = 0;
    // The stream is closed (always from a later loop phase than close(), never inside it);
    // the owner may destroy the Stream now (and only now).
    virtual void on_closed() = 0;
};

class Stream final : public proto::Output {
public:
    Stream(Loop& loop, StreamHandler& handler);
    ~Stream() override;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Server side: takes over a connected socket (from Listener::accept); the Stream closes it.
    void adopt(int fd) noexcept;
    // Resolves `host` (names through libuv's thread pool; IP literals directly) and connects
    // to each address in turn until one answers; reports through on_connected.
    void connect(const std::string& host, std::uint16_t port);
    // Connects to each of `addresses` in turn (what connect() does after resolving).
    void connect_any(std::vector<sockaddr_storage> addresses);

    // 0, or a negative errno if the socket cannot be watched.
    int start_reading();
    // Starts reading even if back-pressure had paused it.
    void resume_reading();
    void stop_reading();
    bool is_reading() const noexcept { return reading_; }
    void set_nodelay(bool on);
    // The handler may have room for the next reads (StreamHandler::read_target): ask it
    // before each read until it has none. Costs nothing to a stream that never calls it.
    void want_read_target() noexcept { ask_target_ = true; }

    // Sends this stream's bytes from the cork buffer now (another stream needs it, or the loop
    // ends its iteration), and schedules this stream's flush only if that leaves more to do.
    void uncork();
    // proto::Output: the corked output buffer.
    std::uint8_t* prepare(std::size_t n) override;
    void commit(std::size_t n) override;
    // A large frame: written at once with what this stream has corked before it (one sendmsg);
    // only what the kernel does not take is copied, into our own buffer, for the flush.
    void write_gather(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body) override;
    // The same, but what the kernel leaves of the body waits in `storage` itself, taken over
    // (no copy), when nothing else of ours is queued and the kernel took the head.
    void write_gather_owned(std::span<const std::uint8_t> head, proto::MessageBuffer& storage) override;

    // Gives back the output buffers' memory if nothing is waiting in them (an idle connection
    // should cost no buffer; an active one keeps its buffer so that sending does not allocate).
    void release_idle_buffers() noexcept;
    // Bytes written by the owner but not yet taken by the kernel.
    // (A stream takes the cork only with nothing of its own waiting, and gives it up before
    // anything of its own can wait: while it holds the cork, the cork's bytes are all it has.)
    std::size_t buffered_amount() const noexcept {
        if (corked()) return loop_.cork().size();
        return busy_ ? own_bytes() : 0;
    }
    // Keeps `*mirror` equal to buffered_amount() (for readers on other threads).
    void set_buffered_mirror(std::atomic<std::uint64_t>* mirror) noexcept {
        mirror_ = mirror;
        mirror_zero_ = false;  // not known: the next update stores
    }
    // Back-pressure: while more than `bytes` wait for the peer, stop reading from it (a peer
    // that sends without reading is then slowed by TCP); resume once it drains below. 0: off.
    // At most 4 GiB - 1 (larger values are clamped).
    void set_read_pause_threshold(std::size_t bytes) noexcept {
        pause_threshold_ = bytes > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(bytes);
    }
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
    // Closes the socket now; buffered output is dropped. on_closed follows, from a later loop
    // phase.
    void close();
    bool is_closing() const noexcept { return closing_; }
    bool is_shut_down() const noexcept { return shut_down_; }

    // The OS socket (for diagnostics and tests), or -1.
    int native_handle() const noexcept { return fd_; }
    std::optional<SocketAddr> peer_addr() const;
    std::optional<SocketAddr> local_addr() const;

    // The Loop's socket set reports `events` (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP).
    void on_events(std::uint32_t events);
    // The Loop's deferred close: reports on_closed.
    void finish_close();

private:
    struct Busy;
    struct ConnectState;
    struct Resolve;

    bool corked() const noexcept { return loop_.cork_owner() == this; }
    // Bytes in our own buffers: a write waiting for the socket, and what waits behind it.
    std::size_t own_bytes() const noexcept;
    bool waiting() const noexcept { return writing_; }  // a write waits for the socket to become writable
    Busy& busy();
    ByteBuffer& own_output();  // our own buffer (allocating the out-of-line state)
    // Sends `buf` (our own or the cork): what the kernel takes now; the rest waits, in the
    // buffer it is in (taken over, not copied), for the socket to be writable. Leaves `buf`
    // empty. 0 or a negative errno.
    int send_buffer(ByteBuffer& buf);
    // write_gather and write_gather_owned (`storage` non-null: the body is all of it).
    void gather(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body, proto::MessageBuffer* storage);
    void write_more();
    void write_done(int status);
    // Reads what the socket holds; with `until_end`, until the read that reports EOF or the
    // error (the event said the peer closed or failed).
    void read_ready(bool until_end);
    // One read while the handler may have room for its first bytes (want_read_target; at most
    // `max_room` of them): those land there, the rest in `buf`; adds what it read to `taken`.
    // 1: the socket may hold more; 0: it is empty (a short read); -1: this event's reads are
    // over (EOF, an error, EAGAIN, or the stream closing).
    [[gnu::noinline]] int read_into_target(std::size_t max_room, std::span<std::uint8_t> buf, std::size_t& taken);
    // After a read that returned `n` <= 0: reports EOF or an error; true when this readiness
    // event's reads are over (EOF, an error, or the socket is empty).
    bool read_ended(ssize_t n);
    // The stream that held the cork is done with its input (another one is being read): its
    // replies go out now, while this one's are assembled.
    void uncork_others() {
        if (Stream* owner = loop_.cork_owner(); owner != nullptr && owner != this) owner->uncork();
    }
    // A zero already published is not stored again: in the echo pattern every flush leaves
    // nothing behind, and the store would touch the slot table's line on every visit.
    void update_mirror() noexcept {
        if (mirror_ == nullptr) return;
        const std::size_t amount = buffered_amount();
        if (amount == 0 && mirror_zero_) return;
        mirror_->store(amount, std::memory_order_relaxed);
        mirror_zero_ = amount == 0;
    }
    void apply_back_pressure();
    // As output accumulates (`buffered` bytes now): stop reading once over the threshold.
    void pause_if_over(std::size_t buffered) {
        if (pause_threshold_ != 0 && !paused_ && buffered > pause_threshold_) apply_back_pressure();
    }
    void start_shutdown();
    void schedule_flush();
    void try_next_address(int last_error);
    void finish_connect();
    // Keeps the socket set's interest equal to what the stream needs now (reading, a waiting
    // write, a connect); 0 or a negative errno. With `recheck`, also when it is unchanged: the
    // set then checks the socket again at once (edge-triggered, after stopping early).
    int update_watch(bool recheck = false);
    // The epoll events for watching `want` (EPOLLIN, EPOLLOUT) the way this stream reads.
    static std::uint32_t interest(std::uint8_t want) noexcept;
    void close_socket() noexcept;

    Loop& loop_;
    StreamHandler& handler_;
    // Output that waits for the peer and a client's connect state: allocated while needed, so
    // that an idle connection carries a pointer only.
    std::unique_ptr<Busy> busy_;
    std::atomic<std::uint64_t>* mirror_ = nullptr;
    int fd_ = -1;
    std::uint32_t pause_threshold_ = 0;
    std::uint8_t watched_ = 0;  // the events the socket set has for fd_
    bool reading_ : 1 = false;
    bool paused_ : 1 = false;
    bool drain_notice_ : 1 = false;
    bool close_after_shutdown_ : 1 = false;
    bool flush_scheduled_ : 1 = false;
    bool want_shutdown_ : 1 = false;
    bool shut_down_ : 1 = false;
    bool closing_ : 1 = false;
    bool connecting_ : 1 = false;
    bool close_deferred_ : 1 = false;
    bool writing_ : 1 = false;  // busy_->pending holds bytes the socket has yet to take
    bool ask_target_ : 1 = false;  // ask the handler for a read target (want_read_target)
    bool mirror_zero_ : 1 = false;  // *mirror_ holds 0 (stored by update_mirror)
};

}  // namespace ws::io

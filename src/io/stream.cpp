// ws::io::Stream: its socket, the corked and own output, writing, back pressure and closing.
// Reading is stream_read.cpp, connecting stream_connect.cpp.
#include "io/stream.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "io/address.hpp"
#include "io/loop.hpp"
#include "io/socket_calls.hpp"
#include "io/stream_state.hpp"

namespace ws::io {

using sys::send_some;
using sys::sendv_some;

namespace {
// An output buffer that grew past this for a burst is released once it drains, so an idle
// connection does not keep a large buffer.
constexpr std::size_t kKeepOutputCapacity = 64u << 10;
// A write larger than this takes the copying path (one send of at most 1 GiB at a time).
constexpr std::size_t kMaxGatherBody = 1u << 30;

// The bytes of a gathered write before its last piece (the body).
std::size_t bytes_before_body(const iovec* iov, std::size_t count) noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i + 1 < count; ++i) n += iov[i].iov_len;
    return n;
}

}  // namespace

// ---- out-of-line state (stream_state.hpp) --------------------------------------------------


Stream::Busy& Stream::busy() {
    if (!busy_) busy_ = std::make_unique<Busy>();
    return *busy_;
}

ByteBuffer& Stream::own_output() { return busy().out; }


std::size_t Stream::own_bytes() const noexcept { return busy_->own(); }

void Stream::release_idle_buffers() noexcept {
    if (busy_ && busy_->idle()) busy_.reset();
}

// ---- Stream --------------------------------------------------------------------------------

Stream::Stream(Loop& loop, StreamHandler& handler) : loop_(loop), handler_(handler) {}

Stream::~Stream() {
    // The owner destroys a Stream only after on_closed (or without ever giving it a socket).
    if (flush_scheduled_) loop_.cancel_flush(*this);
    if (close_deferred_) loop_.cancel_deferred_close(*this);
    if (corked()) {
        loop_.cork().clear();
        loop_.set_cork_owner(nullptr);
    }
    if (busy_ && busy_->connect && busy_->connect->resolve) busy_->connect->resolve->stream = nullptr;
    close_socket();
}

void Stream::adopt(int fd) noexcept {
    fd_ = fd;
    loop_.socket_opened();
}

void Stream::close_socket() noexcept {
    if (fd_ < 0) return;
    // Out of the set before the close: if another process shares the socket (a child between
    // fork and exec), closing our descriptor alone would not remove it from the set.
    if (watched_ != 0) loop_.watch(fd_, EPOLL_CTL_DEL, 0, this);
    ::close(fd_);
    fd_ = -1;
    watched_ = 0;
    loop_.socket_closed();
}

// Edge-triggered: the set reports a socket when something new happens on it (data arrives,
// the peer's FIN or a reset, room to write frees up), not again at every wait while it stays
// readable, which a level-triggered set checks anew for every socket it reported (2-3 % of a
// server's CPU at small messages). What that asks of us: read until a read comes back short
// (the socket is empty then; more data is a new edge), but past short reads once the event
// says the peer has closed or failed (a read that returns data does not report the FIN or the
// error behind it, and no new edge would); re-arm when stopping early (the per-event read
// cap). A write waits for writability only after the kernel took less than offered, and
// adding or changing interest re-checks the socket at once.
std::uint32_t Stream::interest(std::uint8_t want) noexcept {
    return want == 0 ? 0u : want | EPOLLET | ((want & EPOLLIN) != 0 ? EPOLLRDHUP : 0u);
}

int Stream::update_watch(bool recheck) {
    if (fd_ < 0) return 0;
    constexpr unsigned kIn = EPOLLIN;
    constexpr unsigned kOut = EPOLLOUT;
    const auto want = static_cast<std::uint8_t>((reading_ ? kIn : 0u) | ((connecting_ || waiting()) ? kOut : 0u));
    if (want == watched_ && (!recheck || want == 0)) return 0;
    const int op = watched_ == 0 ? EPOLL_CTL_ADD : want == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    const int rc = loop_.watch(fd_, op, interest(want), this);
    if (rc == 0) {
        watched_ = want;
        return 0;
    }
    // The set would keep reporting events this stream no longer handles (a spin), or never
    // report the ones it waits for (a stall): the connection fails, from our flush.
    busy().deferred_error = rc;
    schedule_flush();
    return rc;
}

// ---- writing -------------------------------------------------------------------------------

std::uint8_t* Stream::prepare(std::size_t n) {
    // The common case: this stream already assembles its replies in the cork (which it only
    // takes with nothing of its own waiting, and gives up before anything of its own can wait).
    if (corked()) [[likely]]
        return loop_.cork().reserve_more(n);
    // Our own pending output (a write waiting for the socket, or what waits after it) comes
    // first. A closing stream never takes the cork (nothing of it will be flushed; its bytes
    // are dropped). What follows a write is in `out`: once that holds anything (from the
    // second message of a broadcast on), nothing more need be asked.
    if (busy_ && !busy_->out.empty()) return busy_->out.reserve_more(n);
    if ((busy_ && own_bytes() != 0) || closing_) return own_output().reserve_more(n);
    if (Stream* owner = loop_.cork_owner(); owner != this) {
        // Another stream is assembling its replies in the cork (a broadcast, or a send to a
        // connection other than the one being read): our bytes wait in our own buffer for
        // this iteration's flush, so that a fan-out costs one write per connection per
        // iteration, not one per message.
        if (owner != nullptr) return own_output().reserve_more(n);
        loop_.set_cork_owner(this);
    }
    return loop_.cork().reserve_more(n);
}

void Stream::schedule_flush() {
    if (!flush_scheduled_ && !closing_) {
        flush_scheduled_ = true;
        loop_.schedule_flush(*this);
    }
}

void Stream::commit(std::size_t n) {
    // prepare() chose the buffer; nothing can change that choice before this commit. Many reads
    // may be handled in one iteration before our flush runs: check the pause threshold as
    // output accumulates, so the overshoot is at most one read's worth. (What is buffered is
    // the cork's bytes while we hold it, else our own: see buffered_amount.)
    // Corked bytes need no flush of ours: the loop sends the cork at the end of the iteration
    // (or the next stream to take it sends them first), and uncork asks for our flush only if
    // there is more to do than the write.
    if (corked()) [[likely]] {
        ByteBuffer& cork = loop_.cork();
        cork.grow_size(n);  // published to other threads when sent
        pause_if_over(cork.size());
        return;
    }
    busy_->out.grow_size(n);
    pause_if_over(busy_->own());
    if (!flush_scheduled_) schedule_flush();
}

void Stream::write_gather(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body) {
    gather(head, body, nullptr);
}

void Stream::write_gather_owned(std::span<const std::uint8_t> head, proto::MessageBuffer& storage) {
    gather(head, {reinterpret_cast<const std::uint8_t*>(storage.data()), storage.size()}, &storage);
}

void Stream::gather(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body, proto::MessageBuffer* storage) {
    // Bytes of ours that wait go first: queue behind them.
    if ((busy_ && (busy_->own() != 0 || busy_->deferred_error != 0)) || closing_ || fd_ < 0 || connecting_ ||
        body.size() >= kMaxGatherBody) {
        Output::write_gather(head, body);
        return;
    }
    ByteBuffer& cork = loop_.cork();
    const bool had_cork = corked();
    iovec iov[3];
    std::size_t count = 0;
    if (had_cork && !cork.empty()) iov[count++] = {cork.data(), cork.size()};
    iov[count++] = {const_cast<std::uint8_t*>(head.data()), head.size()};
    iov[count++] = {const_cast<std::uint8_t*>(body.data()), body.size()};
    loop_.count_send();
    const ssize_t n = sendv_some(fd_, iov, count);
    if (n < 0) {
        busy().deferred_error = static_cast<int>(n);  // reported by our flush, not inside the sender's call
    } else if (const auto written = static_cast<std::size_t>(n), before_body = bytes_before_body(iov, count);
               storage != nullptr && written >= before_body && written < before_body + body.size()) {
        // The kernel took the head but not all of the body: the rest waits where it is, in
        // the buffer we were offered, which is ours from now on.
        Busy& b = busy();
        b.message = std::move(*storage);
        b.sent = written - before_body;
        writing_ = true;
        (void)update_watch();  // a failure is reported by our flush
    } else {
        // What the kernel left, in order, waits in our own buffer for the flush.
        auto skip = written;
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t len = iov[i].iov_len;
            if (skip >= len) {
                skip -= len;
                continue;
            }
            ByteBuffer& out = own_output();
            std::memcpy(out.reserve_more(len - skip), static_cast<const std::uint8_t*>(iov[i].iov_base) + skip, len - skip);
            out.grow_size(len - skip);
            skip = 0;
        }
    }
    if (had_cork) {
        cork.clear();
        loop_.set_cork_owner(nullptr);
    }
    pause_if_over(buffered_amount());
    schedule_flush();
}

int Stream::send_buffer(ByteBuffer& buf) {
    loop_.count_send();
    const ssize_t n = send_some(fd_, buf.data(), buf.size());
    if (n < 0) {
        buf.clear();
        return static_cast<int>(n);
    }
    const auto written = static_cast<std::size_t>(n);
    if (written == buf.size()) {
        buf.clear();
        return 0;
    }
    // The kernel took part of it: the rest waits for the socket to be writable, in the buffer
    // it is in, which we take over (no copy; a 16 MiB message is not duplicated). `buf` (the
    // loop's cork or our own buffer) starts again empty; write_done may hand the memory back
    // to the cork.
    Busy& b = busy();
    b.pending = std::move(buf);
    b.sent = written;
    writing_ = true;
    return update_watch();
}

void Stream::write_more() {
    Busy& b = *busy_;
    loop_.count_send();
    const ssize_t n = send_some(fd_, b.waiting_data() + b.sent, b.waiting_size() - b.sent);
    if (n < 0) {
        write_done(static_cast<int>(n));
        return;
    }
    b.sent += static_cast<std::size_t>(n);
    if (b.sent == b.waiting_size()) write_done(0);
}

void Stream::write_done(int status) {
    // The loop's cork keeps a buffer of working size, so that steady traffic does not allocate:
    // give it back this one if it has none (it may have lent it to this write).
    Busy& b = *busy_;
    ByteBuffer& cork = loop_.cork();
    if (!b.message.empty()) {
        b.message.release();  // a taken-over message: never a callback's view now
    } else if (cork.capacity() == 0 && loop_.cork_owner() == nullptr && b.pending.capacity() <= Loop::kMaxKeptCork) {
        b.pending.clear();
        cork = std::move(b.pending);
    } else {
        b.pending.release();
    }
    b.sent = 0;
    writing_ = false;
    update_watch();
    update_mirror();
    if (closing_) return;
    if (status < 0) {
        handler_.on_io_error(status);
        return;
    }
    // We waited for the peer: flush what was written meanwhile; the drain is reported (once)
    // when everything is out, here or after a later write.
    drain_notice_ = true;
    flush();
}

void Stream::uncork() {
    ByteBuffer& cork = loop_.cork();
    loop_.set_cork_owner(nullptr);
    if (cork.empty()) return;
    if (closing_ || fd_ < 0) {  // nowhere to send them (as in flush): dropped
        cork.clear();
        return;
    }
    if (const int rc = send_buffer(cork); rc < 0) busy().deferred_error = rc;
    update_mirror();
    // The common case ends here: all of it went out and nothing waits for it. An error, a
    // write left waiting, paused reading, a drain notice or a shutdown is handled in our own
    // flush, not inside another stream's read or the loop's sweep.
    if ((busy_ && busy_->deferred_error != 0) || waiting() || paused_ || drain_notice_ || want_shutdown_)
        schedule_flush();
}

void Stream::flush() {
    flush_scheduled_ = false;
    if (closing_ || fd_ < 0) {
        if (corked()) {
            loop_.cork().clear();
            loop_.set_cork_owner(nullptr);
        }
        return;
    }
    if (busy_ && busy_->deferred_error != 0) {
        const int error = busy_->deferred_error;
        busy_->deferred_error = 0;
        handler_.on_io_error(error);
        return;
    }
    if (!waiting()) {
        const bool from_cork = corked();
        if (from_cork) loop_.set_cork_owner(nullptr);
        ByteBuffer* buf = from_cork ? &loop_.cork() : (busy_ ? &busy_->out : nullptr);
        if (buf != nullptr && !buf->empty()) {
            if (const int rc = send_buffer(*buf); rc < 0) {
                handler_.on_io_error(rc);
                return;
            }
        }
    }
    update_mirror();
    if (waiting()) {  // waiting for the peer; write_done continues
        apply_back_pressure();
        return;
    }
    // Everything is out.
    if (busy_ && busy_->out.capacity() > kKeepOutputCapacity) busy_->out.release();
    if (paused_) apply_back_pressure();  // read again
    if (drain_notice_) {
        drain_notice_ = false;
        handler_.on_drain();
        if (closing_) return;
    }
    if (want_shutdown_ && !shut_down_) start_shutdown();
}

void Stream::apply_back_pressure() {
    if (pause_threshold_ == 0 || closing_) return;
    const std::size_t pending = buffered_amount();
    if (!paused_ && pending > pause_threshold_) {
        const bool was_reading = reading_;
        stop_reading();
        paused_ = was_reading;
    } else if (paused_ && pending <= pause_threshold_) {
        paused_ = false;
        start_reading();
    }
}

// ---- closing -------------------------------------------------------------------------------

void Stream::shutdown(bool close_when_sent) {
    if (closing_) return;
    if (close_when_sent) close_after_shutdown_ = true;
    if (want_shutdown_) {
        if (close_when_sent && shut_down_ && buffered_amount() == 0) close();
        return;
    }
    want_shutdown_ = true;
    if (buffered_amount() == 0) {
        start_shutdown();
    } else if (!waiting()) {
        schedule_flush();
    }
}

void Stream::start_shutdown() {
    if (shut_down_ || closing_) return;
    shut_down_ = true;
    if (fd_ < 0 || ::shutdown(fd_, SHUT_WR) != 0) {
        handler_.on_eof();  // not connected any more: nothing to shut down
        return;
    }
    if (close_after_shutdown_) {
        close();
        return;
    }
    // Keep reading to see the peer's FIN (on_eof), even if reading was paused.
    paused_ = false;
    pause_threshold_ = 0;
    if (!reading_) start_reading();
}

void Stream::close() {
    if (closing_) return;
    closing_ = true;
    if (busy_ && busy_->connect && busy_->connect->resolve) {
        busy_->connect->resolve->stream = nullptr;
        uv_cancel(reinterpret_cast<uv_req_t*>(&busy_->connect->resolve->req));
    }
    if (corked()) {  // what this stream had corked is dropped with it
        loop_.cork().clear();
        loop_.set_cork_owner(nullptr);
    }
    if (mirror_ != nullptr) mirror_->store(0, std::memory_order_relaxed);
    mirror_ = nullptr;
    if (flush_scheduled_) {
        loop_.cancel_flush(*this);
        flush_scheduled_ = false;
    }
    if (busy_ && !busy_->message.empty()) {
        // A sender's callback may be reading the message we took over (a close from inside
        // on_message): keep its bytes until the Stream goes; drop the rest.
        proto::MessageBuffer keep = std::move(busy_->message);
        *busy_ = Busy{};
        busy_->dropped_message = std::move(keep);
    } else {
        busy_.reset();
    }
    writing_ = false;
    reading_ = false;
    connecting_ = false;
    close_socket();
    // The owner may destroy this Stream in on_closed: never inside a caller's call.
    close_deferred_ = true;
    loop_.defer_close(*this);
}

void Stream::finish_close() {
    close_deferred_ = false;
    handler_.on_closed();  // may destroy this
}

std::optional<SocketAddr> Stream::peer_addr() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (fd_ < 0 || getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
    return to_socket_addr(ss);
}

std::optional<SocketAddr> Stream::local_addr() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (fd_ < 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
    return to_socket_addr(ss);
}

}  // namespace ws::io

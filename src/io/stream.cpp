#include "io/stream.hpp"

#include <netinet/in.h>
#include <uv.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "io/address.hpp"
#include "io/loop.hpp"

namespace ws::io {

static_assert(sizeof(uv_tcp_t) == 248, "Stream::kTcpSize must match this libuv's uv_tcp_t");
static_assert(alignof(uv_tcp_t) <= 8);

namespace {
// An output buffer that grew past this for a burst is released once it drains, so an idle
// connection does not keep a large buffer.
constexpr std::size_t kKeepOutputCapacity = 64u << 10;
constexpr std::size_t kMinOutputCapacity = 256;
}  // namespace

// ---- ByteBuffer ----------------------------------------------------------------------------

ByteBuffer::~ByteBuffer() { std::free(data_); }

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : data_(other.data_), size_(other.size_), capacity_(other.capacity_) {
    other.data_ = nullptr;
    other.size_ = other.capacity_ = 0;
}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
    if (this != &other) {
        std::free(data_);
        data_ = other.data_;
        size_ = other.size_;
        capacity_ = other.capacity_;
        other.data_ = nullptr;
        other.size_ = other.capacity_ = 0;
    }
    return *this;
}

std::uint8_t* ByteBuffer::reserve_more(std::size_t n) {
    if (capacity_ - size_ < n) {
        std::size_t cap = capacity_ < kMinOutputCapacity ? kMinOutputCapacity : capacity_ * 2;
        if (cap < size_ + n) cap = size_ + n;
        void* p = std::realloc(data_, cap);
        if (p == nullptr) throw std::bad_alloc();
        data_ = static_cast<std::uint8_t*>(p);
        capacity_ = cap;
    }
    return data_ + size_;
}

void ByteBuffer::release() noexcept {
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
}

// ---- requests ------------------------------------------------------------------------------

// One write in flight: the bytes the kernel did not take at once, owned until the callback.
struct Stream::WriteRequest {
    uv_write_t req{};
    ByteBuffer bytes;      // the buffer the bytes were assembled in, handed over whole
    std::size_t sent = 0;  // its first `sent` bytes had left before the write was queued
    Stream* stream = nullptr;
    std::size_t pending() const noexcept { return bytes.size() - sent; }
};

// A client connect: the addresses to try and where we are in the list.
struct Stream::ConnectState {
    struct Resolve {
        uv_getaddrinfo_t req{};
        Stream* stream = nullptr;  // null once the stream no longer wants the answer
    };
    std::vector<sockaddr_storage> addresses;
    std::size_t next = 0;
    std::uint16_t port = 0;
    uv_connect_t req{};
    Resolve* resolve = nullptr;
    bool attempted = false;  // the current handle already tried an address (needs a fresh one)
    bool retrying = false;   // the handle is being closed to try the next address
};

struct Stream::Callbacks {
    static void alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
        auto* s = static_cast<Stream*>(handle->data);
        const auto span = s->loop_.read_buffer();
        buf->base = reinterpret_cast<char*>(span.data());
        buf->len = span.size();
    }

    static void read(uv_stream_t* handle, ssize_t nread, const uv_buf_t* buf) {
        auto* s = static_cast<Stream*>(handle->data);
        if (nread > 0) {
            // The stream that held the cork is done with its input: its replies go out now,
            // while this one's are assembled.
            if (Stream* owner = s->loop_.cork_owner(); owner != nullptr && owner != s) owner->uncork();
            s->handler_.on_read({reinterpret_cast<std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)});
        } else if (nread == UV_EOF) {
            s->stop_reading();
            s->handler_.on_eof();
        } else if (nread < 0) {
            s->stop_reading();
            s->handler_.on_io_error(static_cast<int>(nread));
        }
    }

    static void write(uv_write_t* req, int status) {
        auto* w = static_cast<WriteRequest*>(req->data);
        w->stream->write_done(status);
    }

    static void shutdown(uv_shutdown_t* req, int status) {
        auto* s = static_cast<Stream*>(req->data);
        delete req;
        if (s == nullptr) return;
        if (status == UV_ECANCELED || s->closing_) return;
        s->shut_down_ = true;
        if (status < 0) {
            s->handler_.on_io_error(status);
            return;
        }
        if (s->close_after_shutdown_) {
            s->close();
            return;
        }
        // Keep reading to see the peer's FIN (on_eof), even if reading was paused.
        s->paused_ = false;
        s->pause_threshold_ = 0;
        if (!s->reading_) s->start_reading();
    }

    static void close(uv_handle_t* handle) {
        auto* s = static_cast<Stream*>(handle->data);
        if (s->connect_ && s->connect_->retrying) {
            s->connect_->retrying = false;
            s->connect_->attempted = false;
            s->closing_ = false;
            s->open_ = false;
            if (const int rc = s->open(); rc < 0) {
                s->handler_.on_connected(rc);
                return;
            }
            s->try_next_address(0);
            return;
        }
        s->open_ = false;
        s->handler_.on_closed();
    }

    static void connected(uv_connect_t* req, int status) {
        auto* s = static_cast<Stream*>(req->data);
        if (s->closing_ && !(s->connect_ && s->connect_->retrying)) return;
        if (status == 0) {
            s->connect_.reset();
            s->handler_.on_connected(0);
            return;
        }
        if (status == UV_ECANCELED) return;
        s->try_next_address(status);
    }

    static void resolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
        auto* r = static_cast<ConnectState::Resolve*>(req->data);
        Stream* s = r->stream;
        delete r;
        if (s == nullptr || s->closing_ || !s->connect_) {
            uv_freeaddrinfo(res);
            return;
        }
        s->connect_->resolve = nullptr;
        if (status < 0) {
            uv_freeaddrinfo(res);
            s->handler_.on_connected(status);
            return;
        }
        for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
            if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
            sockaddr_storage ss{};
            std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
            set_port(ss, s->connect_->port);
            s->connect_->addresses.push_back(ss);
        }
        uv_freeaddrinfo(res);
        s->try_next_address(UV_EAI_NONAME);
    }
};

// ---- Stream --------------------------------------------------------------------------------

Stream::Stream(Loop& loop, StreamHandler& handler) : loop_(loop), handler_(handler) {}

Stream::~Stream() {
    // The owner destroys a Stream only after on_closed (or before open()).
    if (flush_scheduled_) loop_.cancel_flush(*this);
    if (corked()) {
        loop_.cork().clear();
        loop_.set_cork_owner(nullptr);
    }
    if (connect_ && connect_->resolve) connect_->resolve->stream = nullptr;
}

int Stream::open() {
    const int rc = uv_tcp_init(loop_.uv(), tcp());
    if (rc == 0) {
        tcp()->data = this;
        open_ = true;
    }
    return rc;
}

int Stream::accept_from(uv_stream_t* server) {
    return uv_accept(server, reinterpret_cast<uv_stream_t*>(tcp()));
}

void Stream::connect(const std::string& host, std::uint16_t port) {
    connect_ = std::make_unique<ConnectState>();
    connect_->port = port;
    sockaddr_storage literal{};
    if (parse_ip(host, port, literal)) {
        connect_->addresses.push_back(literal);
        try_next_address(UV_EINVAL);
        return;
    }
    auto* r = new ConnectState::Resolve();
    r->stream = this;
    r->req.data = r;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    const int rc = uv_getaddrinfo(loop_.uv(), &r->req, &Callbacks::resolved, host.c_str(), nullptr, &hints);
    if (rc < 0) {
        delete r;
        handler_.on_connected(rc);
        return;
    }
    connect_->resolve = r;
}

void Stream::connect_any(std::vector<sockaddr_storage> addresses) {
    connect_ = std::make_unique<ConnectState>();
    connect_->addresses = std::move(addresses);
    try_next_address(UV_EINVAL);
}

void Stream::try_next_address(int last_error) {
    ConnectState& c = *connect_;
    while (c.next < c.addresses.size()) {
        if (c.attempted) {
            // The handle tried (and failed) an address already: a fresh socket is needed.
            // Close it; the close callback re-opens it and comes back here.
            c.retrying = true;
            closing_ = true;
            uv_close(reinterpret_cast<uv_handle_t*>(tcp()), &Callbacks::close);
            return;
        }
        const sockaddr_storage& addr = c.addresses[c.next++];
        c.req.data = this;
        c.attempted = true;
        const int rc = uv_tcp_connect(&c.req, tcp(), reinterpret_cast<const sockaddr*>(&addr), &Callbacks::connected);
        if (rc == 0) return;
        last_error = rc;
    }
    handler_.on_connected(last_error != 0 ? last_error : UV_ECONNREFUSED);
}

int Stream::start_reading() {
    if (reading_ || closing_ || paused_) return 0;
    const int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(tcp()), &Callbacks::alloc, &Callbacks::read);
    if (rc == 0) reading_ = true;
    return rc;
}

void Stream::resume_reading() {
    paused_ = false;
    start_reading();
}

void Stream::stop_reading() {
    if (!reading_) return;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp()));
    reading_ = false;
}

void Stream::set_nodelay(bool on) { uv_tcp_nodelay(tcp(), on ? 1 : 0); }


std::uint8_t* Stream::prepare(std::size_t n) {
    // Our own pending output (a write in flight, or what waits after it) comes first. A closing
    // stream never takes the cork (nothing of it will be flushed; its bytes are dropped).
    if (write_ || !out_.empty() || closing_) return out_.reserve_more(n);
    if (Stream* owner = loop_.cork_owner(); owner != this) {
        // Another stream is assembling its replies in the cork (a broadcast, or a send to a
        // connection other than the one being read): our bytes wait in our own buffer for
        // this iteration's flush, so that a fan-out costs one write per connection per
        // iteration, not one per message.
        if (owner != nullptr) return out_.reserve_more(n);
        loop_.set_cork_owner(this);
    }
    return loop_.cork().reserve_more(n);
}

void Stream::commit(std::size_t n) {
    // prepare() chose the buffer; nothing can change that choice before this commit.
    (corked() ? loop_.cork() : out_).grow_size(n);  // published to other threads when flushed
    // libuv may deliver many reads in one iteration before our flush runs: check the pause
    // threshold as output accumulates, so the overshoot is at most one read's worth.
    if (pause_threshold_ != 0 && !paused_ && buffered_amount() > pause_threshold_) apply_back_pressure();
    if (!flush_scheduled_ && !closing_) {
        flush_scheduled_ = true;
        loop_.schedule_flush(*this);
    }
}

std::size_t Stream::write_pending() const noexcept { return write_->pending(); }

void Stream::write_gather(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body) {
    // Bytes of ours that wait in a queued write or in our own buffer go first: queue behind them.
    // (libuv's buffers count in unsigned int: a payload of a GiB or more takes the copying path.)
    if (write_ || !out_.empty() || closing_ || !open_ || deferred_error_ != 0 || body.size() >= (1u << 30)) {
        Output::write_gather(head, body);
        return;
    }
    ByteBuffer& cork = loop_.cork();
    const bool had_cork = corked();
    uv_buf_t bufs[3];
    unsigned count = 0;
    if (had_cork && !cork.empty()) bufs[count++] = uv_buf_init(reinterpret_cast<char*>(cork.data()), static_cast<unsigned>(cork.size()));
    bufs[count++] = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(head.data())), static_cast<unsigned>(head.size()));
    bufs[count++] = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(body.data())), static_cast<unsigned>(body.size()));
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(tcp()), bufs, count);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) {
        deferred_error_ = n;  // reported by our flush, not inside the sender's call
    } else {
        // What the kernel left, in order, waits in our own buffer for the flush's queued write.
        auto skip = static_cast<std::size_t>(n);
        for (unsigned i = 0; i < count; ++i) {
            const std::size_t len = bufs[i].len;
            if (skip >= len) {
                skip -= len;
                continue;
            }
            std::memcpy(out_.reserve_more(len - skip), bufs[i].base + skip, len - skip);
            out_.grow_size(len - skip);
            skip = 0;
        }
    }
    if (had_cork) {
        cork.clear();
        loop_.set_cork_owner(nullptr);
    }
    if (pause_threshold_ != 0 && !paused_ && buffered_amount() > pause_threshold_) apply_back_pressure();
    if (!flush_scheduled_ && !closing_) {
        flush_scheduled_ = true;
        loop_.schedule_flush(*this);
    }
}

int Stream::send_buffer(ByteBuffer& buf) {
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(buf.data()), static_cast<unsigned>(buf.size()));
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(tcp()), &b, 1);
    if (n == UV_EAGAIN) n = 0;
    if (n < 0) {
        buf.clear();
        return n;
    }
    const auto written = static_cast<std::size_t>(n);
    if (written == buf.size()) {
        buf.clear();
        return 0;
    }
    // The kernel took part of it: the rest goes to a queued write, from the buffer it is in,
    // which the write request takes over (no copy; a 16 MiB message is not duplicated). `buf`
    // (the loop's cork or our own buffer) starts again empty; write_done may hand the memory
    // back to the cork.
    write_ = std::make_unique<WriteRequest>();
    write_->stream = this;
    write_->req.data = write_.get();
    write_->bytes = std::move(buf);
    write_->sent = written;
    uv_buf_t wbuf = uv_buf_init(reinterpret_cast<char*>(write_->bytes.data() + written),
                                static_cast<unsigned>(write_->pending()));
    const int rc = uv_write(&write_->req, reinterpret_cast<uv_stream_t*>(tcp()), &wbuf, 1, &Callbacks::write);
    if (rc < 0) {
        write_.reset();
        return rc;
    }
    return 0;
}

void Stream::uncork() {
    ByteBuffer& cork = loop_.cork();
    loop_.set_cork_owner(nullptr);
    if (cork.empty()) return;
    if (const int rc = send_buffer(cork); rc < 0) deferred_error_ = rc;
    // Errors, drain notices and shutdown are handled in our own flush (still scheduled: the
    // commit that filled the cork scheduled it), not inside another stream's write.
    if (!flush_scheduled_ && !closing_) {
        flush_scheduled_ = true;
        loop_.schedule_flush(*this);
    }
}

void Stream::flush() {
    flush_scheduled_ = false;
    if (closing_ || !open_) {
        if (corked()) {
            loop_.cork().clear();
            loop_.set_cork_owner(nullptr);
        }
        return;
    }
    if (deferred_error_ != 0) {
        const int error = deferred_error_;
        deferred_error_ = 0;
        handler_.on_io_error(error);
        return;
    }
    if (!write_) {
        ByteBuffer& buf = corked() ? loop_.cork() : out_;
        if (corked()) loop_.set_cork_owner(nullptr);
        if (!buf.empty()) {
            if (const int rc = send_buffer(buf); rc < 0) {
                handler_.on_io_error(rc);
                return;
            }
        }
    }
    update_mirror();
    if (write_) {  // waiting for the peer; write_done continues
        apply_back_pressure();
        return;
    }
    // Everything is out.
    if (out_.capacity() > kKeepOutputCapacity) out_.release();
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

void Stream::write_done(int status) {
    // The loop's cork keeps a buffer of working size, so that steady traffic does not allocate:
    // give it back this one if it has none (it may have lent it to this write).
    ByteBuffer& cork = loop_.cork();
    if (cork.capacity() == 0 && loop_.cork_owner() == nullptr && write_->bytes.capacity() <= Loop::kMaxKeptCork) {
        write_->bytes.clear();
        cork = std::move(write_->bytes);
    }
    write_.reset();
    update_mirror();
    if (closing_ || status == UV_ECANCELED) return;
    if (status < 0) {
        handler_.on_io_error(status);
        return;
    }
    // We waited for the peer: flush what was written meanwhile; the drain is reported (once)
    // when everything is out, here or after a later write.
    drain_notice_ = true;
    flush();
}

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
    } else if (!write_ && !flush_scheduled_) {
        flush_scheduled_ = true;
        loop_.schedule_flush(*this);
    }
}

void Stream::start_shutdown() {
    if (shut_down_ || closing_) return;
    auto* req = new uv_shutdown_t();
    req->data = this;
    if (uv_shutdown(req, reinterpret_cast<uv_stream_t*>(tcp()), &Callbacks::shutdown) < 0) {
        delete req;
        shut_down_ = true;  // not connected any more: nothing to shut down
        handler_.on_eof();
        return;
    }
    shut_down_ = true;
}

void Stream::close() {
    if (closing_ && !(connect_ && connect_->retrying)) return;
    if (connect_) {
        if (connect_->resolve) {
            connect_->resolve->stream = nullptr;
            uv_cancel(reinterpret_cast<uv_req_t*>(&connect_->resolve->req));
            connect_->resolve = nullptr;
        }
        if (connect_->retrying) {
            // Already closing for a retry: let that close callback report on_closed.
            connect_->retrying = false;
            return;
        }
    }
    closing_ = true;
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
    out_.release();
    if (!open_) {
        // Never opened: report at once. The owner may destroy this Stream inside the call,
        // so nothing here may touch a member afterwards.
        handler_.on_closed();
        return;
    }
    reading_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(tcp()), &Callbacks::close);
}

int Stream::native_handle() const noexcept {
    uv_os_fd_t fd = -1;
    if (!open_ || uv_fileno(reinterpret_cast<const uv_handle_t*>(tcp()), &fd) != 0) return -1;
    return fd;
}

std::optional<SocketAddr> Stream::peer_addr() const {
    sockaddr_storage ss{};
    int len = sizeof(ss);
    if (uv_tcp_getpeername(tcp(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
    return to_socket_addr(ss);
}

std::optional<SocketAddr> Stream::local_addr() const {
    sockaddr_storage ss{};
    int len = sizeof(ss);
    if (uv_tcp_getsockname(tcp(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
    return to_socket_addr(ss);
}

}  // namespace ws::io

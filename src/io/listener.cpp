#include "io/listener.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <uv.h>

#include "io/address.hpp"
#include "io/loop.hpp"
#include "io/stream.hpp"

namespace ws::io {

namespace {
// Connections accepted per readiness event; more wait for the next iteration, so that a
// connection storm cannot starve the established connections.
constexpr int kMaxAcceptsPerEvent = 128;
// Out of descriptors with none in reserve to shed a connection with: stop watching the
// listening socket (it would be reported readable in every iteration) and look again after
// this long.
constexpr std::uint64_t kEmfileRetryMs = 100;

// The descriptor kept in reserve for EMFILE: the root directory, which always exists (as libuv
// does).
int open_reserve() noexcept { return ::open("/", O_RDONLY | O_CLOEXEC); }
}  // namespace

Listener::Listener(Loop& loop, std::function<void()> on_connection)
    : loop_(loop), on_connection_(std::move(on_connection)) {}

Listener::~Listener() {
    if (alive_ != nullptr) *alive_ = false;
    close();
}

Result<> Listener::bind_and_listen(const sockaddr_storage& addr, int backlog, bool reuse_port) {
    if (fd_ >= 0) return Error(ErrorKind::Internal, "already listening");
    const SocketAddr where = to_socket_addr(addr);
    auto fail = [&](std::string what) {
        const int err = -errno;
        close();
        return Error(ErrorKind::Io, "cannot listen on " + where.to_string() + ": " + what + error_message(err), err);
    };
    fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail("socket: ");
    int on = 1;
    // As libuv does: a restarted server can bind while old connections are in TIME_WAIT.
    if (setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) return fail("SO_REUSEADDR: ");
    if (addr.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
        // "[::]" means every address, IPv4 included; a specific IPv6 address means only that one.
        // Set either way: the system default (net.ipv6.bindv6only) may say otherwise.
        int only = IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr) ? 0 : 1;
        if (setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only)) != 0) return fail("IPV6_V6ONLY: ");
    }
    if (reuse_port && setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) return fail("SO_REUSEPORT: ");
    const socklen_t len = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0) return fail("");
    if (::listen(fd_, backlog) != 0) return fail("");
    poll_ = new uv_poll_t();  // freed by the close callback in close()
    if (const int rc = uv_poll_init(loop_.uv(), poll_, fd_); rc < 0) {
        delete poll_;
        poll_ = nullptr;
        errno = -rc;
        return fail("");
    }
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, &Listener::on_readable);
    loop_.libuv_watcher_started();
    reserve_fd_ = open_reserve();
    listening_ = true;
    return {};
}

int Listener::accept(Stream& stream) {
    if (accepted_fd_ < 0) return UV_EAGAIN;
    stream.adopt(accepted_fd_);
    accepted_fd_ = -1;
    return 0;
}

void Listener::on_readable(uv_poll_t* handle, int status, int) {
    auto* self = static_cast<Listener*>(handle->data);
    if (self == nullptr || status < 0) return;
    self->accept_pending();
}

void Listener::accept_pending() {
    // on_connection may close this listener, and even destroy it (a factory that shuts down
    // and binds again): `alive` tells.
    bool alive = true;
    alive_ = &alive;
    if (reserve_fd_ < 0) reserve_fd_ = open_reserve();
    for (int i = 0; i < kMaxAcceptsPerEvent && listening_; ++i) {
        const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                if (shed_one()) continue;
                pause_for_descriptors();
            }
            break;  // EAGAIN: no more; anything else: try again on the next event
        }
        accepted_fd_ = fd;
        on_connection_();
        if (!alive) return;
        if (accepted_fd_ >= 0) {  // not taken
            ::close(accepted_fd_);
            accepted_fd_ = -1;
        }
    }
    alive_ = nullptr;
}

void Listener::pause_for_descriptors() {
    if (poll_ == nullptr) return;
    uv_poll_stop(poll_);
    if (retry_ == nullptr) {
        retry_ = new uv_timer_t();  // freed by its close callback in close()
        uv_timer_init(loop_.uv(), retry_);
        retry_->data = this;
    }
    uv_timer_start(retry_, [](uv_timer_t* t) {
        auto* self = static_cast<Listener*>(t->data);
        if (self != nullptr && self->listening_ && self->poll_ != nullptr) {
            uv_poll_start(self->poll_, UV_READABLE, &Listener::on_readable);
            self->loop_.libuv_watcher_started();
        }
    }, kEmfileRetryMs, 0);
}

bool Listener::shed_one() {
    if (reserve_fd_ < 0) return false;  // nothing in reserve: the next event tries again
    ::close(reserve_fd_);
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) ::close(fd);
    reserve_fd_ = open_reserve();
    return fd >= 0;
}

std::optional<SocketAddr> Listener::local_addr() const {
    if (!listening_) return std::nullopt;
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
    return to_socket_addr(ss);
}

void Listener::close() {
    listening_ = false;
    if (poll_ != nullptr) {
        poll_->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
        poll_ = nullptr;
    }
    // After uv_close the socket is out of libuv's poll set: it may be closed now.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
    reserve_fd_ = -1;
    if (retry_ != nullptr) {
        retry_->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(retry_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
        retry_ = nullptr;
    }
}

}  // namespace ws::io

#include "io/listener.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <uv.h>

#include "io/address.hpp"
#include "io/loop.hpp"
#include "io/stream.hpp"

namespace ws::io {

Listener::Listener(Loop& loop, std::function<void()> on_connection)
    : loop_(loop), on_connection_(std::move(on_connection)), tcp_(new uv_tcp_t()) {}

Listener::~Listener() {
    if (open_) {
        close();  // the close callback frees the handle
    } else if (!closed_) {
        delete tcp_;
    }
}

Result<> Listener::bind_and_listen(const sockaddr_storage& addr, int backlog, bool reuse_port) {
    if (open_) return Error(ErrorKind::Internal, "already listening");
    int rc = uv_tcp_init_ex(loop_.uv(), tcp_, addr.ss_family);
    if (rc < 0) return Error(ErrorKind::Io, "socket: " + error_message(rc), rc);
    open_ = true;
    tcp_->data = this;
    const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
    unsigned flags = 0;
    if (addr.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
        // "[::]" means every address; a specific IPv6 address means only that one.
        if (!IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)) flags |= UV_TCP_IPV6ONLY;
    }
    if (reuse_port) {
        // libuv 1.44 has no flag for it: set it on the socket uv_tcp_init_ex created.
        uv_os_fd_t fd = -1;
        uv_fileno(reinterpret_cast<const uv_handle_t*>(tcp_), &fd);
        int on = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0) {
            const int err = -errno;
            close();
            return Error(ErrorKind::Io, "SO_REUSEPORT: " + error_message(err), err);
        }
    }
    rc = uv_tcp_bind(tcp_, sa, flags);
    if (rc == 0) {
        backlog_ = backlog;
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp_), backlog, &Listener::on_connection_cb);
    }
    if (rc < 0) {
        const SocketAddr where = to_socket_addr(addr);
        close();
        return Error(ErrorKind::Io, "cannot listen on " + where.to_string() + ": " + error_message(rc), rc);
    }
    listening_ = true;
    return {};
}

int Listener::accept(Stream& stream) {
    const int rc = stream.accept_from(reinterpret_cast<uv_stream_t*>(tcp_));
    if (rc < 0 && listening_) {
        // libuv stops watching the listening socket after a failed uv_accept; listening again
        // re-arms it, so one failure cannot stall the server for good.
        uv_listen(reinterpret_cast<uv_stream_t*>(tcp_), backlog_, &Listener::on_connection_cb);
    }
    return rc;
}

void Listener::on_connection_cb(uv_stream_t* server, int status) {
    auto* self = static_cast<Listener*>(server->data);
    if (self == nullptr || status < 0) return;  // EMFILE and friends: libuv retries on the next event
    self->on_connection_();
}

std::optional<SocketAddr> Listener::local_addr() const {
    if (!listening_) return std::nullopt;
    sockaddr_storage ss{};
    int len = sizeof(ss);
    if (uv_tcp_getsockname(tcp_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
    return to_socket_addr(ss);
}

void Listener::close() {
    listening_ = false;
    if (!open_) return;
    open_ = false;
    closed_ = true;
    tcp_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(tcp_), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
}

}  // namespace ws::io

// Stream: resolving a host and connecting to each of its addresses in turn.
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>

#include "io/address.hpp"
#include "io/stream.hpp"
#include "io/stream_state.hpp"

namespace ws::io {

namespace {
socklen_t address_length(const sockaddr_storage& ss) noexcept {
    return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}
}  // namespace

void Stream::Resolve::done(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* r = static_cast<Resolve*>(req->data);
    Stream* s = r->stream;
    delete r;
    if (s == nullptr || s->closing_ || !s->busy_ || !s->busy_->connect) {
        uv_freeaddrinfo(res);
        return;
    }
    ConnectState& c = *s->busy_->connect;
    c.resolve = nullptr;
    if (status < 0) {
        uv_freeaddrinfo(res);
        s->handler_.on_connected(status);
        return;
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        sockaddr_storage ss{};
        std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        set_port(ss, c.port);
        c.addresses.push_back(ss);
    }
    uv_freeaddrinfo(res);
    s->try_next_address(UV_EAI_NONAME);
}

// ---- connecting ----------------------------------------------------------------------------

void Stream::connect(const std::string& host, std::uint16_t port) {
    ConnectState& c = *(busy().connect = std::make_unique<ConnectState>());
    c.port = port;
    sockaddr_storage literal{};
    if (parse_ip(host, port, literal)) {
        c.addresses.push_back(literal);
        try_next_address(UV_EINVAL);
        return;
    }
    auto* r = new Resolve();  // owned by libuv until Resolve::done
    r->stream = this;
    r->req.data = r;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    const int rc = uv_getaddrinfo(loop_.uv(), &r->req, &Resolve::done, host.c_str(), nullptr, &hints);
    if (rc < 0) {
        delete r;
        handler_.on_connected(rc);
        return;
    }
    c.resolve = r;
}

void Stream::connect_any(std::vector<sockaddr_storage> addresses) {
    busy().connect = std::make_unique<ConnectState>();
    busy_->connect->addresses = std::move(addresses);
    try_next_address(UV_EINVAL);
}

void Stream::try_next_address(int last_error) {
    ConnectState& c = *busy_->connect;
    close_socket();  // the previous attempt's socket, if any
    connecting_ = false;
    while (c.next < c.addresses.size()) {
        const sockaddr_storage& addr = c.addresses[c.next++];
        const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            last_error = -errno;
            continue;
        }
        int rc = 0;
        do {
            rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), address_length(addr));
        } while (rc < 0 && errno == EINTR);
        if (rc < 0 && errno != EINPROGRESS) {
            last_error = -errno;
            ::close(fd);
            continue;
        }
        adopt(fd);
        // Writable means connected or failed; finish_connect tells which.
        connecting_ = true;
        if (const int w = update_watch(); w < 0) {
            last_error = w;
            connecting_ = false;
            close_socket();
            continue;
        }
        return;
    }
    handler_.on_connected(last_error != 0 ? last_error : UV_ECONNREFUSED);
}

void Stream::finish_connect() {
    int error = 0;
    socklen_t len = sizeof(error);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
    if (error != 0) {
        try_next_address(-error);
        return;
    }
    connecting_ = false;
    busy_->connect.reset();
    if (const int rc = update_watch(); rc < 0) {
        handler_.on_connected(rc);
        return;
    }
    // Bytes written while connecting wait for writability, whose edge the connect just used:
    // have the socket set check again.
    if (waiting()) (void)update_watch(true);  // a failure is reported by our flush
    handler_.on_connected(0);
}

}  // namespace ws::io

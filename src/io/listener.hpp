// ws::io::Listener: a listening TCP socket (IPv4 or IPv6) on a Loop.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <optional>

#include "ws/address.hpp"
#include "ws/error.hpp"

struct uv_tcp_s;
struct uv_stream_s;

namespace ws::io {

class Loop;
class Stream;

class Listener {
public:
    // `on_connection` runs once per pending connection; it must call accept() exactly once
    // (accepting and then closing is how a server over capacity refuses without spinning).
    Listener(Loop& loop, std::function<void()> on_connection);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Binds to one address and listens. An IPv6 wildcard also accepts IPv4 where the system
    // allows it; an IPv6 address is bound IPv6-only otherwise.
    // `reuse_port`: SO_REUSEPORT, so that several loops can listen on the same address.
    Result<> bind_and_listen(const sockaddr_storage& addr, int backlog, bool reuse_port = false);
    // Moves the pending connection into `stream` (which must be open()ed). 0 or libuv error.
    int accept(Stream& stream);
    std::optional<SocketAddr> local_addr() const;
    bool is_listening() const noexcept { return listening_; }
    // Stops accepting and closes the socket; safe to call twice.
    void close();

private:
    static void on_connection_cb(uv_stream_s* server, int status);
    Loop& loop_;
    std::function<void()> on_connection_;
    uv_tcp_s* tcp_;      // freed by its close callback once it was initialised
    bool open_ = false;  // initialised and not yet closed
    bool listening_ = false;
    bool closed_ = false;  // handed to libuv to close and free
    int backlog_ = 0;
};

}  // namespace ws::io

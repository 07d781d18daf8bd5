// ws::io::Listener: a listening TCP socket (IPv4 or IPv6) on a Loop. The socket is polled by
// a libuv handle and accepted with accept4(2), so that each connection's socket goes straight
// to its Stream (which is watched through the Loop's socket set, not a handle of its own).
#pragma once

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <optional>

#include "ws/address.hpp"
#include "ws/error.hpp"

struct uv_poll_s;
struct uv_timer_s;

namespace ws::io {

class Loop;
class Stream;

class Listener {
public:
    // `on_connection` runs once per accepted connection; it must call accept() once to take
    // the socket (a socket not taken is closed: accepting and then closing is how a server
    // over capacity refuses without spinning).
    Listener(Loop& loop, std::function<void()> on_connection);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Binds to one address and listens. An IPv6 wildcard also accepts IPv4 where the system
    // allows it; an IPv6 address is bound IPv6-only otherwise.
    // `reuse_port`: SO_REUSEPORT, so that several loops can listen on the same address.
    Result<> bind_and_listen(const sockaddr_storage& addr, int backlog, bool reuse_port = false);
    // Hands the connection being accepted to `stream`. 0, or a negative errno when there is
    // none (called outside on_connection, or twice).
    int accept(Stream& stream);
    std::optional<SocketAddr> local_addr() const;
    bool is_listening() const noexcept { return listening_; }
    // Stops accepting and closes the socket; safe to call twice.
    void close();

private:
    static void on_readable(uv_poll_s* handle, int status, int events);
    void accept_pending();
    // Out of descriptors (EMFILE): accept the connection with the descriptor kept in reserve
    // and close it at once, so that the level-triggered listening socket does not spin. False
    // when nothing was shed.
    bool shed_one();
    // Nothing to shed with: stop watching for a while (see kEmfileRetryMs).
    void pause_for_descriptors();

    Loop& loop_;
    std::function<void()> on_connection_;
    uv_poll_s* poll_ = nullptr;  // freed by its close callback once initialised
    int fd_ = -1;
    int reserve_fd_ = -1;        // "/" held open, given up to accept one connection under EMFILE
    int accepted_fd_ = -1;       // the connection on_connection may take
    uv_timer_s* retry_ = nullptr;  // restarts watching after pause_for_descriptors
    bool* alive_ = nullptr;      // set while accept_pending runs; cleared by the destructor
    bool listening_ = false;
};

}  // namespace ws::io

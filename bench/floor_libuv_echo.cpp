// floor_libuv_echo: the bare libuv TCP echo ws-cpp is measured against (its floor: what the
// runtime itself costs, with no WebSocket work at all).
//
//   floor_libuv_echo PORT [HOST]        127.0.0.1 by default; PORT 0 picks a free port
//
// Built the way ws-cpp's io/ layer is, so that the difference is the WebSocket work: one
// loop-wide read buffer (64 KiB) every read lands in, TCP_NODELAY, and for each read one
// uv_try_write of the bytes; only what the kernel did not take is copied into a queued
// uv_write. Reading pauses while more than 1 MiB waits for a peer that does not read.
// Drive it with `wsload PORT --raw`. Stop it with a signal.
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

constexpr std::size_t kReadBuffer = 64u << 10;
constexpr std::size_t kPauseAbove = 1u << 20;

char g_read_buffer[kReadBuffer];

struct Conn {
    uv_tcp_t tcp;
    bool reading = false;
};

// A queued write; the unsent bytes follow it in the same allocation.
struct Write {
    uv_write_t req;
    Conn* conn;
    char* bytes() noexcept { return reinterpret_cast<char*>(this + 1); }
};

void on_close(uv_handle_t* handle) { delete static_cast<Conn*>(handle->data); }

void close_conn(Conn* c) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp))) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_close);
    }
}

void on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
    buf->base = g_read_buffer;
    buf->len = kReadBuffer;
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

void on_write(uv_write_t* req, int status) {
    auto* w = reinterpret_cast<Write*>(req);
    Conn* c = w->conn;
    std::free(w);
    if (status < 0) {
        if (status != UV_ECANCELED) close_conn(c);
        return;
    }
    auto* stream = reinterpret_cast<uv_stream_t*>(&c->tcp);
    if (!c->reading && uv_stream_get_write_queue_size(stream) <= kPauseAbove && !uv_is_closing(reinterpret_cast<uv_handle_t*>(stream))) {
        c->reading = uv_read_start(stream, on_alloc, on_read) == 0;
    }
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* c = static_cast<Conn*>(stream->data);
    if (nread < 0) {  // EOF or an error
        close_conn(c);
        return;
    }
    if (nread == 0) return;
    const auto n = static_cast<std::size_t>(nread);
    uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(n));
    int sent = uv_try_write(stream, &out, 1);  // EAGAIN too while a queued write is pending
    if (sent == UV_EAGAIN) sent = 0;
    if (sent < 0) {
        close_conn(c);
        return;
    }
    const std::size_t rest = n - static_cast<std::size_t>(sent);
    if (rest == 0) return;
    auto* w = static_cast<Write*>(std::malloc(sizeof(Write) + rest));
    if (w == nullptr) {
        close_conn(c);
        return;
    }
    w->conn = c;
    std::memcpy(w->bytes(), buf->base + sent, rest);
    uv_buf_t wbuf = uv_buf_init(w->bytes(), static_cast<unsigned>(rest));
    if (uv_write(&w->req, stream, &wbuf, 1, on_write) < 0) {
        std::free(w);
        close_conn(c);
        return;
    }
    if (uv_stream_get_write_queue_size(stream) > kPauseAbove) {
        uv_read_stop(stream);
        c->reading = false;
    }
}

void on_connection(uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* c = new Conn();
    uv_tcp_init(server->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
        close_conn(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->reading = uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), on_alloc, on_read) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: floor_libuv_echo PORT [HOST]\n");
        return 2;
    }
    const int port = std::atoi(argv[1]);
    const std::string host = argc > 2 ? argv[2] : "127.0.0.1";
    uv_loop_t* loop = uv_default_loop();
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    sockaddr_storage addr{};
    if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
        uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
        std::fprintf(stderr, "floor_libuv_echo: bad address %s\n", host.c_str());
        return 2;
    }
    int rc = uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server), 1024, on_connection);
    if (rc != 0) {
        std::fprintf(stderr, "floor_libuv_echo: cannot listen on %s:%d: %s\n", host.c_str(), port, uv_strerror(rc));
        return 1;
    }
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&bound), &len);
    const int actual = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                         : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    std::printf("floor_libuv_echo listening on %s:%d\n", host.c_str(), actual);
    std::fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}

// wsload's load: resolving the target, the event loop, opening the connections (and the idle
// mode's warm-up connection), and the phases of a run (warm-up, window, drain, close).
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "load.hpp"

namespace wsload {

void Load::resolve() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(o_.host.c_str(), o_.port.c_str(), &hints, &res); rc != 0 || res == nullptr) {
        fail("cannot resolve %s:%s: %s", o_.host.c_str(), o_.port.c_str(), gai_strerror(rc));
    }
    std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
    addr_len_ = res->ai_addrlen;
    freeaddrinfo(res);
    const bool v6 = o_.host.find(':') != std::string::npos;
    host_header_ = (v6 ? "[" + o_.host + "]" : o_.host) + ":" + o_.port;
}

int Load::run() {
    signal(SIGPIPE, SIG_IGN);
    bench::raise_fd_limit();
    resolve();
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) fail("epoll_create1: %s", std::strerror(errno));

    std::size_t n = o_.connections;
    if (o_.mode == Mode::Idle) n = o_.idle;
    conns_ = std::vector<Conn>(n);  // Conn is not movable: built in place, never resized
    if (o_.mode == Mode::Broadcast) {
        bcast_sent_at_ = std::make_unique<std::uint64_t[]>(o_.depth);
    } else if (o_.mode != Mode::Idle) {
        for (Conn& c : conns_) c.sent_at = std::make_unique<std::uint64_t[]>(o_.depth);
    }
    active_ = n;

    if (o_.server_pid != 0) {
        if (o_.mode == Mode::Idle) warm_up();
        rss_before_ = bench::process_memory(o_.server_pid, "VmRSS");
        hwm_before_ = bench::process_memory(o_.server_pid, "VmHWM");
        if (!rss_before_) std::fprintf(stderr, "wsload: warning: cannot read /proc/%ld/status\n", o_.server_pid);
    }

    t_start_ = bench::now_ns();
    deadline_ = t_start_ + static_cast<std::uint64_t>(o_.connect_timeout * 1e9);
    std::vector<epoll_event> events(1024);
    while (phase_ != Phase::Done) {
        std::uint64_t t = bench::now_ns();
        tick(t);
        if (phase_ == Phase::Done) break;
        const int k = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 20);
        if (k < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait: %s", std::strerror(errno));
        }
        for (int e = 0; e < k; ++e) on_event(static_cast<std::size_t>(events[static_cast<std::size_t>(e)].data.u64),
                                             events[static_cast<std::size_t>(e)].events);
        if (o_.mode == Mode::Broadcast && sending_) pump_broadcast(bench::now_ns());
    }
    close(ep_);
    report();
    return 0;
}

// ---- setup -------------------------------------------------------------------------------

// One connection opened (handshake and an echo, or a raw echo), used and closed before the idle
// measurement starts: the first connection pages in code and grows tables once (OpenSSL's SHA-1,
// the HTTP parser, ...); that cost is the server's, but not per connection.
void Load::warm_up() {
    const int fd = socket(addr_.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket: %s", std::strerror(errno));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) < 0)
        fail("warm-up connect to %s: %s", host_header_.c_str(), std::strerror(errno));
    auto send_all = [&](std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t k = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (k <= 0) fail("warm-up connection: send failed");
            bytes.remove_prefix(static_cast<std::size_t>(k));
        }
    };
    // Reads until `done(got)` holds, within 5 s.
    std::string got;
    auto recv_until = [&](auto done) {
        char buf[4096];
        const std::uint64_t until = bench::now_ns() + 5'000'000'000ull;
        while (!done(got)) {
            pollfd p{fd, POLLIN, 0};
            const std::uint64_t t = bench::now_ns();
            if (t >= until || poll(&p, 1, static_cast<int>((until - t) / 1'000'000 + 1)) <= 0)
                fail("warm-up connection: no answer within 5 s");
            const ssize_t k = recv(fd, buf, sizeof buf, 0);
            if (k <= 0) fail("warm-up connection: closed by the server");
            got.append(buf, static_cast<std::size_t>(k));
        }
    };
    if (o_.raw) {
        send_all("warm-up");
        recv_until([](const std::string& g) { return g.size() >= 7; });
    } else {
        unsigned char key_bytes[16];
        random_bytes(key_bytes, sizeof key_bytes);
        const std::string key = base64(key_bytes, sizeof key_bytes);
        send_all("GET " + o_.path + " HTTP/1.1\r\nHost: " + host_header_ +
                 "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                 "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        recv_until([](const std::string& g) { return g.find("\r\n\r\n") != std::string::npos; });
        if (got.rfind("HTTP/1.1 101", 0) != 0 || got.find(accept_for(key)) == std::string::npos)
            fail("warm-up connection: no valid 101 response");
        const std::size_t body = got.find("\r\n\r\n") + 4;
        // A masked 2-byte text frame ("hi") and a close frame (1000); the echo takes 4 bytes.
        const unsigned char frame[] = {0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2,
                                       0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xE8 ^ 2};
        send_all(std::string_view(reinterpret_cast<const char*>(frame), sizeof frame));
        recv_until([body](const std::string& g) { return g.size() >= body + 4; });
    }
    close(fd);
    usleep(200'000);  // the server tears it down
}

void Load::start_connect(std::size_t i) {
    Conn& c = conns_[i];
    c.fd = socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) fail("socket: %s (connection %zu; raise the open-files limit?)", std::strerror(errno), i);
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.state = State::Connecting;
    const int rc = connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    if (rc < 0 && errno != EINPROGRESS) fail("connect to %s: %s (connection %zu)", host_header_.c_str(), std::strerror(errno), i);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = i;
    c.epollout = true;
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) < 0) fail("epoll_ctl: %s", std::strerror(errno));
    ++started_;
    ++connecting_;
}

void Load::on_connected(std::size_t i, std::uint64_t t) {
    Conn& c = conns_[i];
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) fail("cannot connect to %s: %s (connection %zu)", host_header_.c_str(), std::strerror(err), i);
    if (o_.raw) {
        on_open(i, t);
        return;
    }
    unsigned char key_bytes[16];
    random_bytes(key_bytes, sizeof key_bytes);
    const std::string key = base64(key_bytes, sizeof key_bytes);
    c.accept = accept_for(key);
    const std::string req = "GET " + o_.path + " HTTP/1.1\r\nHost: " + host_header_ +
                            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                            "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: wsload\r\n\r\n";
    std::memcpy(c.out.reserve(req.size()), req.data(), req.size());
    c.out.commit(req.size());
    c.state = State::Handshake;
}

void Load::on_open(std::size_t i, std::uint64_t t) {
    Conn& c = conns_[i];
    c.state = State::Open;
    c.last_progress = t;
    std::string().swap(c.head);
    std::string().swap(c.accept);
    --connecting_;
    ++opened_;
    if (opened_ == conns_.size()) on_all_open(t);
}

void Load::on_all_open(std::uint64_t t) {
    t_all_open_ = t;
    switch (o_.mode) {
        case Mode::Echo:
            sending_ = true;
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                for (std::size_t k = 0; k < o_.depth; ++k) send_message(i, t);
                flush(i);
            }
            phase_ = Phase::Running;
            if (o_.warmup <= 0) begin_window(t);
            break;
        case Mode::Broadcast:
            sending_ = true;
            for (Conn& c : conns_) c.last_progress = t;
            phase_ = Phase::Running;
            if (o_.warmup <= 0) {
                begin_window(t);
                t = t_window_start_;  // after a --window-hook
            }
            pump_broadcast(t);
            break;
        case Mode::Big:
            sending_ = true;
            if (o_.server_pid != 0) server0_ = bench::process_cpu(o_.server_pid);
            self0_ = bench::own_cpu();
            round_done_.assign(o_.count, 0);
            round_end_.assign(o_.count, 0);
            big_t0_ = bench::now_ns();
            for (std::size_t i = 0; i < conns_.size(); ++i) {
                send_message(i, big_t0_);
                flush(i);
            }
            phase_ = Phase::Running;
            break;
        case Mode::Idle:
            phase_ = Phase::Holding;
            break;
    }
}

// ---- phases --------------------------------------------------------------------------------

// --window-hook: `HOOK begin` as the window opens and `HOOK end` as it closes, waited for
// (bench/instructions.sh zeroes and then dumps callgrind's counters in the server so). While
// it runs nothing is read or sent; the window's clock starts after `begin` and stops before
// `end`, and its counts are taken after `begin` and after `end`: echoes the server sends
// while `end` runs are counted on its side only (at most the messages in flight).
std::uint64_t Load::run_window_hook(const char* edge, std::uint64_t t) {
    if (o_.window_hook.empty()) return t;
    const std::string command = o_.window_hook + " " + edge;
    const int status = std::system(command.c_str());
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("--window-hook: \"%s\" failed (status %d)", command.c_str(), status);
    return bench::now_ns();
}

void Load::begin_window(std::uint64_t t) {
    t = run_window_hook("begin", t);
    measuring_ = true;
    hist_.reset();
    t_window_start_ = t;
    window_received_ = received_;
    window_sent_ = sent_;
    self0_ = bench::own_cpu();
    if (o_.server_pid != 0) server0_ = bench::process_cpu(o_.server_pid);
}

void Load::end_window(std::uint64_t t) {
    (void)run_window_hook("end", t);
    self1_ = bench::own_cpu();
    if (o_.server_pid != 0) server1_ = bench::process_cpu(o_.server_pid);
    measuring_ = false;
    window_done_ = true;
    t_window_end_ = t;
    window_received_ = received_ - window_received_;
    window_sent_ = sent_ - window_sent_;
}

void Load::start_closing(std::uint64_t t) {
    phase_ = Phase::Closing;
    deadline_ = t + static_cast<std::uint64_t>(std::max(5.0, o_.stall_timeout) * 1e9);
    for (std::size_t i = 0; i < conns_.size(); ++i) send_close(i);
}

void Load::pump_broadcast(std::uint64_t t) {
    std::uint64_t min_recv = conns_[0].next_recv;
    for (const Conn& c : conns_) min_recv = std::min(min_recv, c.next_recv);
    bool any = false;
    while (sending_ && conns_[0].next_send - min_recv < o_.depth) {
        send_message(0, t);
        any = true;
    }
    if (any) flush(0);
}

void Load::check_stalls(std::uint64_t t) {
    const auto limit = static_cast<std::uint64_t>(o_.stall_timeout * 1e9);
    for (std::size_t i = 0; i < conns_.size(); ++i) {
        const Conn& c = conns_[i];
        if (c.state != State::Open || outstanding(i) == 0) continue;
        if (t - c.last_progress > limit) {
            fail("connection %zu: missing echo: waited %.1f s for message #%llu (%llu outstanding)", i,
                 static_cast<double>(t - c.last_progress) / 1e9, static_cast<unsigned long long>(c.next_recv),
                 static_cast<unsigned long long>(outstanding(i)));
        }
    }
}

void Load::tick(std::uint64_t t) {
    if (t >= next_stall_check_ && phase_ != Phase::Connecting) {
        check_stalls(t);
        next_stall_check_ = t + 100'000'000;
    }
    switch (phase_) {
        case Phase::Connecting:
            while (started_ < conns_.size() && connecting_ < o_.max_connecting) start_connect(started_);
            if (t > deadline_) {
                fail("only %zu of %zu connections opened within %.0f s", opened_, conns_.size(), o_.connect_timeout);
            }
            return;
        case Phase::Running: {
            if (o_.mode == Mode::Big) return;  // message_done moves on
            const auto warm = static_cast<std::uint64_t>(o_.warmup * 1e9);
            const auto dur = static_cast<std::uint64_t>(o_.duration * 1e9);
            if (!measuring_ && !window_done_ && t >= t_all_open_ + warm) begin_window(t);
            if (measuring_ && t >= t_window_start_ + dur) {
                end_window(t);
                sending_ = false;
                phase_ = Phase::Draining;
            }
            return;
        }
        case Phase::Holding:
            if (!measuring_ && !window_done_ && t >= t_all_open_ + 200'000'000) {
                // A moment after the last handshake (so that the server has handled them all):
                // its RSS now, then the held window starts.
                if (o_.server_pid != 0) rss_open_ = bench::process_memory(o_.server_pid, "VmRSS");
                begin_window(t);
                deadline_ = t_window_start_ + static_cast<std::uint64_t>(o_.duration * 1e9);
            }
            if (measuring_ && t >= deadline_) {
                end_window(t);
                if (o_.server_pid != 0) rss_end_ = bench::process_memory(o_.server_pid, "VmRSS");
                start_closing(t);
            }
            return;
        case Phase::Draining: {
            bool all = true;
            for (std::size_t i = 0; i < conns_.size() && all; ++i) all = outstanding(i) == 0;
            if (all) start_closing(t);  // check_stalls fails a connection whose echo never comes
            return;
        }
        case Phase::Closing:
            if (active_ == 0) {
                phase_ = Phase::Done;
            } else if (t > deadline_) {
                fail("%zu connections did not finish the closing handshake (close reply, then FIN)", active_);
            }
            return;
        case Phase::Done: return;
    }
}

}  // namespace wsload

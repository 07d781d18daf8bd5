#include "support/test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ws::test {

// ---- ServerThread ----------------------------------------------------------------------

void ServerThread::start(const std::string& addr) {
    auto r = socket_.bind(addr);
    if (!r) throw std::runtime_error("test server cannot bind: " + r.error().what());
    bound_ = true;
    port_ = socket_.local_addr()->port;
    thread_ = std::thread([this] { run_result_ = socket_.run(); });
    // Wait until the loop is running so that cross-thread Senders are accepted.
    for (int i = 0; i < 500; ++i) {
        if (socket_.broadcaster().ping({}).ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

std::string ServerThread::url(std::string_view path) const {
    return "ws://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void ServerThread::stop() {
    if (!thread_.joinable()) return;
    // Retry: the first attempt may race with the loop starting up.
    for (int i = 0; i < 100; ++i) {
        if (socket_.broadcaster().shutdown().ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    thread_.join();
}

// ---- EventLog --------------------------------------------------------------------------

void EventLog::add(std::string event) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        events_.push_back(std::move(event));
    }
    cv_.notify_all();
}

std::vector<std::string> EventLog::events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
}

bool EventLog::wait_for(const std::function<bool(const std::vector<std::string>&)>& pred,
                        std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return pred(events_); });
}

bool EventLog::wait_for(const std::string& event, std::chrono::milliseconds timeout) const {
    return wait_for([&](const auto& ev) { return std::find(ev.begin(), ev.end(), event) != ev.end(); }, timeout);
}

std::optional<std::string> EventLog::wait_for_prefix(const std::string& prefix, std::chrono::milliseconds timeout) const {
    std::optional<std::string> found;
    wait_for(
        [&](const auto& ev) {
            for (const auto& e : ev) {
                if (e.rfind(prefix, 0) == 0) {
                    found = e;
                    return true;
                }
            }
            return false;
        },
        timeout);
    return found;
}

std::size_t EventLog::count(const std::string& event) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<std::size_t>(std::count(events_.begin(), events_.end(), event));
}

// ---- frames ----------------------------------------------------------------------------

std::string encode_frame(std::uint8_t opcode, std::string_view payload, bool fin, bool masked, std::uint8_t rsv) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0F)));
    const std::uint8_t m = masked ? 0x80 : 0;
    const std::size_t n = payload.size();
    if (n < 126) {
        out.push_back(static_cast<char>(m | n));
    } else if (n <= 0xFFFF) {
        out.push_back(static_cast<char>(m | 126));
        out.push_back(static_cast<char>(n >> 8));
        out.push_back(static_cast<char>(n & 0xFF));
    } else {
        out.push_back(static_cast<char>(m | 127));
        for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF));
    }
    if (masked) {
        const char key[4] = {0x37, 0x7a, 0x01, static_cast<char>(0xc3)};
        out.append(key, 4);
        for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
    } else {
        out.append(payload);
    }
    return out;
}

double process_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
    std::string p;
    p.push_back(static_cast<char>(code >> 8));
    p.push_back(static_cast<char>(code & 0xFF));
    p.append(reason);
    return p;
}

// ---- RawSocket -------------------------------------------------------------------------

RawSocket::~RawSocket() { close(); }

RawSocket::RawSocket(RawSocket&& other) noexcept
    : fd_(other.fd_), buffered_(std::move(other.buffered_)), consumed_(other.consumed_) {
    other.fd_ = -1;
    other.consumed_ = 0;
}

RawSocket& RawSocket::operator=(RawSocket&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = other.fd_;
        buffered_ = std::move(other.buffered_);
        consumed_ = other.consumed_;
        other.fd_ = -1;
        other.consumed_ = 0;
    }
    return *this;
}

RawSocket RawSocket::connect(std::uint16_t port, const char* host) {
    RawSocket s;
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (std::strchr(host, ':') != nullptr) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        inet_pton(AF_INET6, host, &a->sin6_addr);
        len = sizeof(sockaddr_in6);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        inet_pton(AF_INET, host, &a->sin_addr);
        len = sizeof(sockaddr_in);
    }
    const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return s;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        ::close(fd);
        return s;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s.fd_ = fd;
    return s;
}

bool RawSocket::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string RawSocket::recv_some(int timeout_ms) {
    if (consumed_ > 0) {
        buffered_.erase(0, consumed_);
        consumed_ = 0;
    }
    if (!buffered_.empty()) {
        std::string out;
        out.swap(buffered_);
        return out;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return {};
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return {};
    return std::string(buf, static_cast<std::size_t>(n));
}

bool RawSocket::fill(std::size_t n, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[65536];
    while (buffered_.size() < n) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
        const ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
        if (r <= 0) return false;
        buffered_.append(buf, static_cast<std::size_t>(r));
    }
    return true;
}

std::string RawSocket::recv_until(std::string_view marker, int timeout_ms) {
    if (consumed_ > 0) {
        buffered_.erase(0, consumed_);
        consumed_ = 0;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    // Only the bytes that arrived since the last look are searched (with the marker's length
    // less one before them): a large transfer is not scanned again after every read.
    std::size_t from = 0;
    std::size_t at = std::string::npos;
    while ((at = buffered_.find(marker, from)) == std::string::npos) {
        from = buffered_.size() >= marker.size() ? buffered_.size() - marker.size() + 1 : 0;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0 || !fill(buffered_.size() + 1, static_cast<int>(left))) {
            std::string out;
            out.swap(buffered_);
            return out;
        }
    }
    const std::size_t end = at + marker.size();
    std::string out = buffered_.substr(0, end);
    buffered_.erase(0, end);
    return out;
}

bool RawSocket::wait_closed(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    buffered_.clear();
    consumed_ = 0;
    char buf[65536];
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
        const ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
        if (r <= 0) return true;
    }
}

void RawSocket::shutdown_write() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void RawSocket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::string RawSocket::handshake(std::string_view path, std::string_view extra_headers) {
    std::string req = "GET " + std::string(path) +
                      " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    req += extra_headers;
    req += "\r\n";
    if (!send(req)) return {};
    return recv_until("\r\n\r\n");
}

bool RawSocket::send_frame(std::uint8_t opcode, std::string_view payload, bool fin, bool masked, std::uint8_t rsv) {
    return send(encode_frame(opcode, payload, fin, masked, rsv));
}

std::optional<RawFrame> RawSocket::read_frame(int timeout_ms) {
    // Frames are parsed at consumed_ and the buffer is compacted only now and then, so reading
    // a backlog of many small frames stays linear.
    if (consumed_ > 0 && (consumed_ >= buffered_.size() / 2 || consumed_ > (1u << 20))) {
        buffered_.erase(0, consumed_);
        consumed_ = 0;
    }
    auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(buffered_[consumed_ + i]); };
    if (!fill(consumed_ + 2, timeout_ms)) return std::nullopt;
    const std::uint8_t b0 = byte(0);
    const std::uint8_t b1 = byte(1);
    std::size_t need = 2;
    std::uint64_t len = b1 & 0x7F;
    if (len == 126) need += 2;
    if (len == 127) need += 8;
    const bool masked = (b1 & 0x80) != 0;
    if (masked) need += 4;
    if (!fill(consumed_ + need, timeout_ms)) return std::nullopt;
    std::size_t p = 2;
    if (len == 126) {
        len = (static_cast<std::uint64_t>(byte(2)) << 8) | byte(3);
        p = 4;
    } else if (len == 127) {
        len = 0;
        for (std::size_t i = 0; i < 8; ++i) len = (len << 8) | byte(2 + i);
        p = 10;
    }
    char key[4] = {};
    if (masked) {
        std::memcpy(key, buffered_.data() + consumed_ + p, 4);
        p += 4;
    }
    if (!fill(consumed_ + p + len, timeout_ms)) return std::nullopt;
    RawFrame f;
    f.fin = (b0 & 0x80) != 0;
    f.rsv = (b0 >> 4) & 7;
    f.opcode = b0 & 0x0F;
    f.masked = masked;
    f.payload = buffered_.substr(consumed_ + p, len);
    if (masked) {
        for (std::size_t i = 0; i < f.payload.size(); ++i) f.payload[i] = static_cast<char>(f.payload[i] ^ key[i % 4]);
    }
    consumed_ += p + len;
    return f;
}

// ---- RawListener -----------------------------------------------------------------------

RawListener::RawListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(fd_, 16) != 0) {
        throw std::runtime_error("RawListener: cannot listen");
    }
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
}

RawListener::~RawListener() {
    if (fd_ >= 0) ::close(fd_);
}

RawSocket RawListener::accept(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return RawSocket();
    const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return RawSocket();
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return RawSocket::adopt(fd);
}

std::string RawListener::accept_handshake(RawSocket& peer, std::string_view extra_headers) {
    std::string head = peer.recv_until("\r\n\r\n");
    const std::string marker = "Sec-WebSocket-Key: ";
    const std::size_t at = head.find(marker);
    if (at == std::string::npos) return head;
    const std::string key = head.substr(at + marker.size(), head.find("\r\n", at) - at - marker.size());
    // Computed here with OpenSSL directly rather than with ws-cpp's own function.
    const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_Digest(input.data(), input.size(), digest, &dlen, EVP_sha1(), nullptr);
    unsigned char b64[64] = {};
    EVP_EncodeBlock(b64, digest, static_cast<int>(dlen));
    std::string res = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: " + std::string(reinterpret_cast<char*>(b64)) + "\r\n";
    res += extra_headers;
    res += "\r\n";
    peer.send(res);
    return head;
}

}  // namespace ws::test

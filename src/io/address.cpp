#include "io/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace ws::io {

bool parse_ip(const std::string& host, std::uint16_t port, sockaddr_storage& out) {
    out = {};
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return true;
    }
    out = {};
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return true;
    }
    return false;
}

void set_port(sockaddr_storage& addr, std::uint16_t port) {
    if (addr.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(port);
    } else if (addr.ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(port);
    }
}

SocketAddr to_socket_addr(const sockaddr_storage& addr) {
    SocketAddr out;
    char buf[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof(buf));
        out.port = ntohs(v4->sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
        inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof(buf));
        out.port = ntohs(v6->sin6_port);
        out.is_v6 = true;
    }
    out.ip = buf;
    return out;
}

Result<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view spec) {
    auto bad = [&](const char* why) {
        return Error(ErrorKind::Internal, "invalid address '" + std::string(spec) + "': " + why);
    };
    std::string_view host;
    std::string_view port;
    if (!spec.empty() && spec.front() == '[') {
        const std::size_t close = spec.find(']');
        if (close == std::string_view::npos || close + 1 >= spec.size() || spec[close + 1] != ':')
            return bad("expected [ipv6]:port");
        host = spec.substr(1, close - 1);
        port = spec.substr(close + 2);
    } else {
        const std::size_t colon = spec.rfind(':');
        if (colon == std::string_view::npos) return bad("expected host:port");
        host = spec.substr(0, colon);
        port = spec.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) return bad("IPv6 addresses need brackets: [::1]:port");
    }
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value > 65535)
        return bad("invalid port");
    if (host.empty()) host = "0.0.0.0";
    return std::pair<std::string, std::uint16_t>(std::string(host), static_cast<std::uint16_t>(value));
}

Result<std::vector<sockaddr_storage>> resolve_for_bind(std::string_view spec) {
    auto hp = split_host_port(spec);
    if (!hp) return std::move(hp).error();
    const auto& [host, port] = *hp;
    std::vector<sockaddr_storage> out;
    sockaddr_storage literal{};
    if (parse_ip(host, port, literal)) {
        out.push_back(literal);
        return out;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0) {
        return Error(ErrorKind::Io, "cannot resolve '" + host + "': " + gai_strerror(rc));
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        sockaddr_storage ss{};
        std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
        set_port(ss, port);
        out.push_back(ss);
    }
    freeaddrinfo(res);
    if (out.empty()) return Error(ErrorKind::Io, "no address for '" + host + "'");
    return out;
}

}  // namespace ws::io

// ws::SocketAddr: an IP address and port, printable, with no system headers in sight.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace ws {

struct SocketAddr {
    std::string ip;  // "127.0.0.1", "::1"
    std::uint16_t port = 0;
    bool is_v6 = false;

    // "127.0.0.1:3012" or "[::1]:3012".
    std::string to_string() const {
        return is_v6 ? "[" + ip + "]:" + std::to_string(port) : ip + ":" + std::to_string(port);
    }
    friend bool operator==(const SocketAddr&, const SocketAddr&) = default;
    friend std::ostream& operator<<(std::ostream& os, const SocketAddr& a) {
        return os << a.to_string();
    }
};

}  // namespace ws

// Socket address helpers for io/: parsing "host:port", IP literals, and conversion to the
// public ws::SocketAddr.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ws/address.hpp"
#include "ws/error.hpp"

namespace ws::io {

// Parses an IPv4 or IPv6 literal (no brackets) with `port` into `out`.
bool parse_ip(const std::string& host, std::uint16_t port, sockaddr_storage& out);
void set_port(sockaddr_storage& addr, std::uint16_t port);
SocketAddr to_socket_addr(const sockaddr_storage& addr);

// Splits "host:port" / "[v6]:port" into its parts (the host without brackets).
Result<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view spec);

// Every address "host:port" stands for, in the resolver's order. Names are resolved with the
// system resolver (blocking): this is for bind(), at setup time, as WS-RS's ToSocketAddrs.
Result<std::vector<sockaddr_storage>> resolve_for_bind(std::string_view spec);

}  // namespace ws::io

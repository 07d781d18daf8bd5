// ws::Url: a ws:// or wss:// address (RFC 6455 section 3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ws/error.hpp"

namespace ws {

class Url {
public:
    // Parses "ws://host[:port][/path][?query]" or the wss:// form. The host may be a name, an
    // IPv4 address or a bracketed IPv6 literal ("ws://[::1]:9001/"). User info ("user:pass@")
    // is kept for a Basic Authorization header. A fragment ("#...") is an error, as RFC 6455
    // 3 says. Fails with ErrorKind::Internal (as WS-RS) on anything else.
    static Result<Url> parse(std::string_view text);

    const std::string& scheme() const noexcept { return scheme_; }  // "ws" or "wss"
    bool is_secure() const noexcept { return scheme_ == "wss"; }
    // The host without IPv6 brackets ("::1", "example.com").
    const std::string& host() const noexcept { return host_; }
    bool host_is_ipv6() const noexcept { return host_is_ipv6_; }
    std::uint16_t port() const noexcept { return port_; }
    bool has_explicit_port() const noexcept { return explicit_port_; }
    // Path and query, as sent on the request line ("/chat?room=1"); "/" when empty.
    const std::string& resource() const noexcept { return resource_; }
    // "user:password" when the URL carried it, else empty.
    const std::string& userinfo() const noexcept { return userinfo_; }
    // The Host header value: the host (bracketed if IPv6), with ":port" only when the port is
    // not the scheme's default (WS-RS always added it, which some servers reject).
    std::string host_header() const;

    std::string to_string() const;

private:
    std::string scheme_;
    std::string host_;
    std::string resource_ = "/";
    std::string userinfo_;
    std::uint16_t port_ = 80;
    bool host_is_ipv6_ = false;
    bool explicit_port_ = false;
};

}  // namespace ws

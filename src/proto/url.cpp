// ws::Url (declared in ws/url.hpp).
#include "ws/url.hpp"

#include <algorithm>
#include <charconv>

#include "proto/text.hpp"

namespace ws {

namespace {

Error bad_url(std::string_view text, std::string_view why) {
    return Error(ErrorKind::Internal, "invalid WebSocket URL '" + std::string(text) + "': " + std::string(why));
}

}  // namespace

Result<Url> Url::parse(std::string_view text) {
    Url url;
    const std::size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) return bad_url(text, "no scheme");
    std::string scheme(text.substr(0, scheme_end));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), proto::ascii_lower);
    if (scheme != "ws" && scheme != "wss") return bad_url(text, "the scheme must be ws or wss");
    url.scheme_ = scheme;
    url.port_ = scheme == "wss" ? 443 : 80;

    std::string_view rest = text.substr(scheme_end + 3);
    if (rest.find('#') != std::string_view::npos) return bad_url(text, "fragments are not allowed (RFC 6455 3)");
    const std::size_t auth_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, auth_end);
    std::string_view resource = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);

    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        url.userinfo_ = std::string(authority.substr(0, at));
        authority.remove_prefix(at + 1);
    }
    std::string_view host;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad_url(text, "unterminated IPv6 literal");
        host = authority.substr(1, close - 1);
        url.host_is_ipv6_ = true;
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad_url(text, "junk after IPv6 literal");
            port = after.substr(1);
            url.explicit_port_ = true;
        }
    } else {
        const std::size_t colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            host = authority.substr(0, colon);
            url.explicit_port_ = true;
        } else {
            host = authority;
        }
        if (host.find(':') != std::string_view::npos) return bad_url(text, "IPv6 literals need brackets");
    }
    if (host.empty()) return bad_url(text, "no host");
    for (char c : host) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F || c == '/' || c == '\\' || c == '@') return bad_url(text, "invalid character in host");
    }
    if (url.explicit_port_) {
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535)
            return bad_url(text, "invalid port");
        url.port_ = static_cast<std::uint16_t>(value);
    }
    url.host_ = std::string(host);
    if (resource.empty()) {
        url.resource_ = "/";
    } else if (resource.front() == '?') {
        url.resource_ = "/" + std::string(resource);
    } else {
        url.resource_ = std::string(resource);
    }
    for (char c : url.resource_) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7F) return bad_url(text, "spaces and control characters must be percent-encoded");
    }
    return url;
}

std::string Url::host_header() const {
    std::string h = host_is_ipv6_ ? "[" + host_ + "]" : host_;
    const std::uint16_t default_port = is_secure() ? 443 : 80;
    if (port_ != default_port) h += ":" + std::to_string(port_);
    return h;
}

std::string Url::to_string() const {
    std::string s = scheme_ + "://";
    if (!userinfo_.empty()) s += userinfo_ + "@";
    s += host_is_ipv6_ ? "[" + host_ + "]" : host_;
    if (explicit_port_) s += ":" + std::to_string(port_);
    s += resource_;
    return s;
}

}  // namespace ws

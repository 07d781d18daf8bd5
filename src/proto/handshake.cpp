#include "proto/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "proto/text.hpp"

namespace ws::proto {

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string accept_key(std::string_view client_key) {
    std::string input;
    input.reserve(client_key.size() + kAcceptGuid.size());
    input.append(client_key).append(kAcceptGuid);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string generate_key() {
    std::array<unsigned char, 16> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
        // OpenSSL's CSPRNG failing means the process has no entropy source at all; a
        // predictable key would only weaken proxy-cache protection, not the connection, but
        // refusing is the honest answer.
        return {};
    }
    return base64_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

bool is_valid_key(std::string_view key) noexcept {
    // 16 bytes encode to 22 base64 characters plus "==".
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    auto is_b64 = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/';
    };
    // RFC 6455 4.2.1 item 5 asks only that it decode to 16 bytes: any 22 base64 characters
    // and "==" do (a non-canonical last character still decodes to the same length).
    return std::all_of(key.begin(), key.begin() + 22, is_b64);
}

std::size_t find_head_end(std::string_view buf, std::size_t from) noexcept {
    // Resume three bytes back: the terminator may straddle the previous end.
    const std::size_t start = from > 3 ? from - 3 : 0;
    const std::size_t pos = buf.find("\r\n\r\n", start);
    return pos == std::string_view::npos ? 0 : pos + 4;
}

namespace {

Error bad_request(std::string details, int status = 400) {
    return Error(ErrorKind::Http, std::move(details)).with_http_status(status);
}

bool is_vchar_or_obs(unsigned char c) { return c > 0x20 && c != 0x7F; }

// Splits the header lines of a head (after its first line) into `headers`.
Result<> parse_header_lines(std::string_view lines, std::size_t max_headers, HeaderList& out) {
    while (!lines.empty()) {
        const std::size_t eol = lines.find("\r\n");
        if (eol == std::string_view::npos) return bad_request("header line without CRLF");
        const std::string_view line = lines.substr(0, eol);
        lines.remove_prefix(eol + 2);
        if (line.empty()) break;  // the empty line that ends the head
        if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
            return bad_request("bare CR or LF in a header line");
        // RFC 9112 5.2: obsolete line folding is rejected with 400.
        if (line.front() == ' ' || line.front() == '\t')
            return bad_request("obsolete header line folding");
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return bad_request("malformed header line");
        const std::string_view name = line.substr(0, colon);
        // RFC 9112 5.1: no whitespace between the field name and the colon.
        if (!std::all_of(name.begin(), name.end(), is_token_char))
            return bad_request("invalid header name");
        const std::string_view value = trim_ows(line.substr(colon + 1));
        for (const char c : value) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && u != '\t') || u == 0x7F) return bad_request("control character in a header value");
        }
        if (out.headers().size() >= max_headers)
            return bad_request("too many header fields", 431);
        out.add_header(std::string(name), std::string(value));
    }
    return {};
}

// Splits "HTTP/1.1" into major and minor digits.
bool parse_http_version(std::string_view v, int& major, int& minor) {
    if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.') return false;
    if (v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9') return false;
    major = v[5] - '0';
    minor = v[7] - '0';
    return true;
}

}  // namespace

Result<Request> parse_request(std::string_view head, std::size_t max_headers) {
    const std::size_t eol = head.find("\r\n");
    if (eol == std::string_view::npos) return bad_request("no request line");
    const std::string_view line = head.substr(0, eol);
    // request-line = method SP request-target SP HTTP-version (RFC 9112 3)
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
        line.find(' ', sp2 + 1) != std::string_view::npos)
        return bad_request("malformed request line");
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (method.empty() || !std::all_of(method.begin(), method.end(), is_token_char))
        return bad_request("invalid method");
    if (target.empty() ||
        !std::all_of(target.begin(), target.end(),
                     [](char c) { return is_vchar_or_obs(static_cast<unsigned char>(c)); }))
        return bad_request("invalid request target");
    int major = 0, minor = 0;
    if (!parse_http_version(version, major, minor)) return bad_request("invalid HTTP version");
    if (major != 1) return bad_request("HTTP version not supported", 505);

    Request req{std::string(method), std::string(target)};
    req.set_version_string(std::string(version));
    if (auto r = parse_header_lines(head.substr(eol + 2), max_headers, req); !r) return std::move(r).error();
    return req;
}

Result<Response> parse_response(std::string_view head, std::size_t max_headers) {
    const std::size_t eol = head.find("\r\n");
    if (eol == std::string_view::npos) return bad_request("no status line");
    const std::string_view line = head.substr(0, eol);
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4)
    if (line.size() < 12 || line[8] != ' ') return bad_request("malformed status line");
    int major = 0, minor = 0;
    if (!parse_http_version(line.substr(0, 8), major, minor) || major != 1)
        return bad_request("invalid HTTP version in status line");
    const std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad_request("invalid status code");
    if (line.size() > 12 && line[12] != ' ') return bad_request("malformed status line");
    const int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (status < 100 || status > 599) return bad_request("status code out of range (RFC 9110 15)");
    // reason-phrase = *( HTAB / SP / VCHAR / obs-text ) (RFC 9112 4)
    for (const char c : line.substr(12)) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7F) return bad_request("control character in the reason phrase");
    }
    Response res;
    res.set_status(static_cast<std::uint16_t>(status));
    res.set_reason(line.size() > 13 ? std::string(line.substr(13)) : std::string());
    if (auto r = parse_header_lines(head.substr(eol + 2), max_headers, res); !r) return std::move(r).error();
    return res;
}

Result<> check_upgrade_request(const Request& req) {
    // RFC 6455 4.2.1, item by item.
    if (req.method() != "GET") return bad_request("a WebSocket handshake must be a GET request", 405);
    if (req.version_string() != "HTTP/1.1") {
        int major = 0, minor = 0;
        if (!parse_http_version(req.version_string(), major, minor) || major != 1 || minor < 1)
            return bad_request("a WebSocket handshake needs HTTP/1.1");
    }
    if (!req.has_header("Host")) return bad_request("missing Host header");
    if (!req.header_has_token("Upgrade", "websocket"))
        return bad_request("expected Upgrade: websocket", 426);
    if (!req.header_has_token("Connection", "upgrade"))
        return bad_request("expected a Connection header with the upgrade token");
    const auto version = req.header("Sec-WebSocket-Version");
    if (!version) return bad_request("missing Sec-WebSocket-Version header");
    if (*version != "13") return bad_request("unsupported Sec-WebSocket-Version (13 only)", 426);
    const auto key = req.header("Sec-WebSocket-Key");
    if (!key) return bad_request("missing Sec-WebSocket-Key header");
    if (!is_valid_key(*key)) return bad_request("Sec-WebSocket-Key is not 16 bytes of base64");
    return {};
}

Result<> check_upgrade_response(const Request& req, const Response& res) {
    if (res.status() != 101) {
        return Error(ErrorKind::Http, "handshake refused: HTTP " + std::to_string(res.status()) +
                                          (res.reason().empty() ? "" : " " + res.reason()))
            .with_http_status(res.status());
    }
    auto protocol_error = [](std::string details) { return Error(ErrorKind::Protocol, std::move(details)); };
    if (!res.header_has_token("Upgrade", "websocket"))
        return protocol_error("server response lacks Upgrade: websocket");
    if (!res.header_has_token("Connection", "upgrade"))
        return protocol_error("server response lacks Connection: upgrade");
    const auto key = req.header("Sec-WebSocket-Key");
    const auto accept = res.header("Sec-WebSocket-Accept");
    if (!key || !accept || *accept != accept_key(*key))
        return protocol_error("server sent a wrong Sec-WebSocket-Accept");
    if (auto chosen = res.protocol()) {
        const auto offered = req.protocols();
        if (std::find(offered.begin(), offered.end(), *chosen) == offered.end())
            return protocol_error("server chose subprotocol '" + std::string(*chosen) + "' which was not offered");
    }
    return {};
}

std::uint16_t status_for(const Error& error) noexcept {
    if (error.http_status() >= 100) return static_cast<std::uint16_t>(error.http_status());
    switch (error.kind()) {
        case ErrorKind::Protocol:
        case ErrorKind::Encoding:
        case ErrorKind::Http: return 400;
        case ErrorKind::Policy: return 403;
        case ErrorKind::Timeout: return 408;
        case ErrorKind::Capacity: return 503;
        default: return 500;
    }
}

Response error_response(const Error& error) {
    const std::uint16_t status = status_for(error);
    Response res(status, std::string(Response::reason_for(status)), error.details() + "\n");
    res.add_header("Content-Type", "text/plain; charset=utf-8");
    res.add_header("Connection", "close");
    if (status == 426) {
        // RFC 6455 4.2.2 and 4.4: say which version we speak, and that we want an upgrade.
        res.add_header("Upgrade", "websocket");
        res.add_header("Sec-WebSocket-Version", "13");
    } else if (error.details().find("Sec-WebSocket-Version") != std::string::npos) {
        res.add_header("Sec-WebSocket-Version", "13");
    } else if (status == 405) {
        res.add_header("Allow", "GET");
    }
    return res;
}

}  // namespace ws::proto

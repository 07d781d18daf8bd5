// ws::Request, ws::Response, ws::Handshake: the HTTP/1.1 side of the opening handshake
// (RFC 6455 section 4). Header names compare case-insensitively; order and duplicates are kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ws/address.hpp"
#include "ws/error.hpp"
#include "ws/url.hpp"

namespace ws {

struct Header {
    std::string name;
    std::string value;
};

// Shared by Request and Response: an ordered list of headers.
class HeaderList {
public:
    const std::vector<Header>& headers() const noexcept { return headers_; }
    std::vector<Header>& headers_mut() noexcept { return headers_; }

    // The first header named `name` (case-insensitive), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const noexcept;
    // Every value of `name` joined with ", " (RFC 9110 5.3: repeated fields form one list).
    std::string header_list(std::string_view name) const;
    bool has_header(std::string_view name) const noexcept { return header(name).has_value(); }
    // Appends a header (keeps existing ones with the same name).
    void add_header(std::string name, std::string value);
    // Replaces every header named `name` with one.
    void set_header(std::string_view name, std::string value);
    // Removes every header named `name`; returns how many were removed.
    std::size_t remove_header(std::string_view name);
    // True when the comma-separated list in `name` contains `token` (case-insensitive).
    bool header_has_token(std::string_view name, std::string_view token) const;

protected:
    std::vector<Header> headers_;
};

class Request : public HeaderList {
public:
    Request() = default;
    Request(std::string method, std::string resource)
        : method_(std::move(method)), resource_(std::move(resource)) {}

    // The client's opening request for `url` (WS-RS's Request::from_url): GET, Host (port only
    // when not the default), Upgrade, Connection, a fresh random Sec-WebSocket-Key,
    // Sec-WebSocket-Version: 13, and Authorization: Basic when the URL carries user info.
    static Result<Request> from_url(const Url& url);

    const std::string& method() const noexcept { return method_; }
    // The request target: path and query ("/chat?room=1").
    const std::string& resource() const noexcept { return resource_; }
    // The path without the query.
    std::string_view path() const noexcept;
    // The query without '?', or empty.
    std::string_view query() const noexcept;
    // "HTTP/1.1" for a valid handshake.
    const std::string& version_string() const noexcept { return http_version_; }
    void set_method(std::string m) { method_ = std::move(m); }
    void set_resource(std::string r) { resource_ = std::move(r); }

    std::optional<std::string_view> origin() const noexcept { return header("Origin"); }
    // Sec-WebSocket-Key; a missing key is ErrorKind::Protocol.
    Result<std::string_view> key() const;
    // Sec-WebSocket-Version; a missing version is ErrorKind::Protocol.
    Result<std::string_view> version() const;
    // base64(SHA-1(key + GUID)): the Sec-WebSocket-Accept a server must answer with.
    Result<std::string> hashed_key() const;

    // Sec-WebSocket-Protocol values, in the client's order of preference.
    std::vector<std::string> protocols() const;
    void add_protocol(std::string_view protocol);
    void remove_protocol(std::string_view protocol);
    // Sec-WebSocket-Extensions offers, each a whole offer with its parameters
    // ("permessage-deflate; client_max_window_bits").
    std::vector<std::string> extensions() const;
    void add_extension(std::string_view extension);
    // Removes every offer whose name (the part before ';') is `name`.
    void remove_extension(std::string_view name);

    // The client address a proxy recorded: the left-most X-Forwarded-For entry, else the first
    // `for=` of a Forwarded header (RFC 7239), trimmed, unquoted, IPv6 brackets and port removed.
    // nullopt when neither header is present or the value is empty/"unknown".
    std::optional<std::string> client_addr() const;

    // The request as bytes on the wire.
    std::string format() const;

    // Used by the parser.
    void set_version_string(std::string v) { http_version_ = std::move(v); }

private:
    std::string method_ = "GET";
    std::string resource_ = "/";
    std::string http_version_ = "HTTP/1.1";
};

class Response : public HeaderList {
public:
    Response() = default;
    // A plain HTTP response (a page, a 404) with a Content-Length header (WS-RS's Response::new).
    Response(std::uint16_t status, std::string reason, std::string body = {});

    // 101 Switching Protocols for a valid WebSocket request: Upgrade, Connection and
    // Sec-WebSocket-Accept. Picks no subprotocol and no extension: call set_protocol /
    // add_extension for that. Fails (ErrorKind::Protocol) when the request has no key.
    static Result<Response> from_request(const Request& request);

    std::uint16_t status() const noexcept { return status_; }
    void set_status(std::uint16_t s) noexcept { status_ = s; }
    const std::string& reason() const noexcept { return reason_; }
    void set_reason(std::string r) { reason_ = std::move(r); }
    const std::string& body() const noexcept { return body_; }
    // Replaces the body and the Content-Length header.
    void set_body(std::string body);

    // Sec-WebSocket-Accept, if present.
    std::optional<std::string_view> key() const noexcept { return header("Sec-WebSocket-Accept"); }
    // The chosen subprotocol, if any.
    std::optional<std::string_view> protocol() const noexcept {
        return header("Sec-WebSocket-Protocol");
    }
    void set_protocol(std::string_view protocol);
    std::vector<std::string> extensions() const;
    void add_extension(std::string_view extension);
    void remove_extension(std::string_view name);

    // The standard reason phrase for a status ("Not Found"), or "Unknown".
    static std::string_view reason_for(std::uint16_t status) noexcept;

    // Status line, headers and body as bytes on the wire.
    std::string format() const;

private:
    std::uint16_t status_ = 200;
    std::string reason_ = "OK";
    std::string body_;
};

// What Handler::on_open receives: the request and response of a completed opening handshake
// and the two ends of the TCP connection.
struct Handshake {
    Request request;
    Response response;
    std::optional<SocketAddr> peer_addr;
    std::optional<SocketAddr> local_addr;

    // The client's address as a proxy saw it (X-Forwarded-For, Forwarded) or, failing that,
    // the TCP peer's IP. This is the preferred way to learn who the client is, but a header
    // can say anything: trust it only behind a proxy you run.
    std::optional<std::string> remote_addr() const {
        if (auto forwarded = request.client_addr()) return forwarded;
        if (peer_addr) return peer_addr->ip;
        return std::nullopt;
    }
};

}  // namespace ws

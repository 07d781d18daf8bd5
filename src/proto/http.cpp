// ws::Request, ws::Response and their header list (declared in ws/http.hpp).
#include "ws/http.hpp"

#include <algorithm>

#include "proto/handshake.hpp"
#include "proto/text.hpp"

namespace ws {

using proto::iequals;
using proto::split_list;
using proto::trim_ows;

std::optional<std::string_view> HeaderList::header(std::string_view name) const noexcept {
    for (const Header& h : headers_) {
        if (iequals(h.name, name)) return std::string_view(h.value);
    }
    return std::nullopt;
}

std::string HeaderList::header_list(std::string_view name) const {
    std::string out;
    for (const Header& h : headers_) {
        if (!iequals(h.name, name)) continue;
        if (!out.empty()) out += ", ";
        out += h.value;
    }
    return out;
}

void HeaderList::add_header(std::string name, std::string value) {
    headers_.push_back(Header{std::move(name), std::move(value)});
}

void HeaderList::set_header(std::string_view name, std::string value) {
    remove_header(name);
    headers_.push_back(Header{std::string(name), std::move(value)});
}

std::size_t HeaderList::remove_header(std::string_view name) {
    const auto before = headers_.size();
    std::erase_if(headers_, [&](const Header& h) { return iequals(h.name, name); });
    return before - headers_.size();
}

bool HeaderList::header_has_token(std::string_view name, std::string_view token) const {
    for (const Header& h : headers_) {
        if (!iequals(h.name, name)) continue;
        for (std::string_view item : split_list(h.value)) {
            if (iequals(item, token)) return true;
        }
    }
    return false;
}

namespace {

// Elements of a comma-separated header, as owned strings, across repeated fields.
std::vector<std::string> list_values(const HeaderList& hl, std::string_view name) {
    std::vector<std::string> out;
    for (const Header& h : hl.headers()) {
        if (!iequals(h.name, name)) continue;
        for (std::string_view item : split_list(h.value)) out.emplace_back(item);
    }
    return out;
}

void append_list_value(HeaderList& hl, std::string_view name, std::string_view value) {
    std::string joined = hl.header_list(name);
    if (!joined.empty()) joined += ", ";
    joined += value;
    hl.set_header(name, std::move(joined));
}

// Rewrites header `name` keeping only the elements for which `keep` is true; removes the
// header when none are left.
template <class Keep>
void filter_list_value(HeaderList& hl, std::string_view name, Keep keep) {
    std::string joined;
    for (const std::string& item : list_values(hl, name)) {
        if (!keep(item)) continue;
        if (!joined.empty()) joined += ", ";
        joined += item;
    }
    if (joined.empty()) {
        hl.remove_header(name);
    } else {
        hl.set_header(name, std::move(joined));
    }
}

std::string_view extension_name(std::string_view offer) { return trim_ows(offer.substr(0, offer.find(';'))); }

void format_headers(const HeaderList& hl, std::string& out) {
    for (const Header& h : hl.headers()) {
        out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    out.append("\r\n");
}

// "%20" -> " "; an invalid escape is kept as it is.
std::string percent_decode(std::string_view in) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

// The first element of a comma-separated list, trimmed.
std::string_view first_element(std::string_view list) { return trim_ows(list.substr(0, list.find(','))); }

// Cleans a node name from X-Forwarded-For or Forwarded: quotes, IPv6 brackets, a port.
std::optional<std::string> clean_node(std::string_view node) {
    node = trim_ows(node);
    if (node.size() >= 2 && node.front() == '"' && node.back() == '"') node = node.substr(1, node.size() - 2);
    if (!node.empty() && node.front() == '[') {
        const std::size_t close = node.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        node = node.substr(1, close - 1);
    } else if (std::count(node.begin(), node.end(), ':') == 1) {
        node = node.substr(0, node.find(':'));  // "1.2.3.4:5678"
    }
    if (node.empty() || iequals(node, "unknown")) return std::nullopt;
    return std::string(node);
}

}  // namespace

// ---- Request -------------------------------------------------------------------------------

Result<Request> Request::from_url(const Url& url) {
    if (url.scheme() != "ws" && url.scheme() != "wss")
        return Error(ErrorKind::Internal, "not a WebSocket URL: " + url.to_string());
    Request req("GET", url.resource());
    req.add_header("Host", url.host_header());
    req.add_header("Upgrade", "websocket");
    req.add_header("Connection", "Upgrade");
    std::string key = proto::generate_key();
    if (key.empty()) return Error(ErrorKind::Internal, "no secure random bytes for Sec-WebSocket-Key");
    req.add_header("Sec-WebSocket-Key", std::move(key));
    req.add_header("Sec-WebSocket-Version", "13");
    if (!url.userinfo().empty()) {
        // RFC 3986 3.2.1: user info is percent-encoded in a URL; RFC 7617 sends it decoded.
        req.add_header("Authorization", "Basic " + proto::base64_encode(percent_decode(url.userinfo())));
    }
    return req;
}

std::string_view Request::path() const noexcept {
    std::string_view r = resource_;
    return r.substr(0, r.find('?'));
}

std::string_view Request::query() const noexcept {
    std::string_view r = resource_;
    const std::size_t q = r.find('?');
    return q == std::string_view::npos ? std::string_view() : r.substr(q + 1);
}

Result<std::string_view> Request::key() const {
    if (auto k = header("Sec-WebSocket-Key")) return *k;
    return Error(ErrorKind::Protocol, "missing Sec-WebSocket-Key header");
}

Result<std::string_view> Request::version() const {
    if (auto v = header("Sec-WebSocket-Version")) return *v;
    return Error(ErrorKind::Protocol, "missing Sec-WebSocket-Version header");
}

Result<std::string> Request::hashed_key() const {
    auto k = key();
    if (!k) return std::move(k).error();
    return proto::accept_key(*k);
}

std::vector<std::string> Request::protocols() const { return list_values(*this, "Sec-WebSocket-Protocol"); }

void Request::add_protocol(std::string_view protocol) {
    append_list_value(*this, "Sec-WebSocket-Protocol", protocol);
}

void Request::remove_protocol(std::string_view protocol) {
    filter_list_value(*this, "Sec-WebSocket-Protocol", [&](const std::string& p) { return p != protocol; });
}

std::vector<std::string> Request::extensions() const { return list_values(*this, "Sec-WebSocket-Extensions"); }

void Request::add_extension(std::string_view extension) {
    append_list_value(*this, "Sec-WebSocket-Extensions", extension);
}

void Request::remove_extension(std::string_view name) {
    filter_list_value(*this, "Sec-WebSocket-Extensions",
                      [&](const std::string& e) { return !iequals(extension_name(e), name); });
}

std::optional<std::string> Request::client_addr() const {
    if (auto xff = header("X-Forwarded-For")) {
        if (auto node = clean_node(first_element(*xff))) return node;
    }
    if (auto fwd = header("Forwarded")) {
        // RFC 7239 4: forwarded-element = pairs separated by ';', elements by ','.
        for (std::string_view pair : split_list(first_element(*fwd), ';')) {
            const std::size_t eq = pair.find('=');
            if (eq == std::string_view::npos) continue;
            if (!iequals(trim_ows(pair.substr(0, eq)), "for")) continue;
            if (auto node = clean_node(pair.substr(eq + 1))) return node;
        }
    }
    return std::nullopt;
}

std::string Request::format() const {
    std::string out;
    out.reserve(256);
    out.append(method_).append(" ").append(resource_).append(" ").append(http_version_).append("\r\n");
    format_headers(*this, out);
    return out;
}

// ---- Response ------------------------------------------------------------------------------

Response::Response(std::uint16_t status, std::string reason, std::string body)
    : status_(status), reason_(std::move(reason)) {
    set_body(std::move(body));
}

void Response::set_body(std::string body) {
    body_ = std::move(body);
    set_header("Content-Length", std::to_string(body_.size()));
}

Result<Response> Response::from_request(const Request& request) {
    if (auto ok = proto::check_upgrade_request(request); !ok) return std::move(ok).error();
    Response res;
    res.status_ = 101;
    res.reason_ = "Switching Protocols";
    res.add_header("Upgrade", "websocket");
    res.add_header("Connection", "Upgrade");
    res.add_header("Sec-WebSocket-Accept", proto::accept_key(*request.header("Sec-WebSocket-Key")));
    return res;
}

void Response::set_protocol(std::string_view protocol) {
    set_header("Sec-WebSocket-Protocol", std::string(protocol));
}

std::vector<std::string> Response::extensions() const { return list_values(*this, "Sec-WebSocket-Extensions"); }

void Response::add_extension(std::string_view extension) {
    append_list_value(*this, "Sec-WebSocket-Extensions", extension);
}

void Response::remove_extension(std::string_view name) {
    filter_list_value(*this, "Sec-WebSocket-Extensions",
                      [&](const std::string& e) { return !iequals(extension_name(e), name); });
}

std::string_view Response::reason_for(std::uint16_t status) noexcept {
    switch (status) {
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Content Too Large";
        case 426: return "Upgrade Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

std::string Response::format() const {
    std::string out;
    out.reserve(192 + body_.size());
    out.append("HTTP/1.1 ").append(std::to_string(status_)).append(" ").append(reason_).append("\r\n");
    format_headers(*this, out);
    out.append(body_);
    return out;
}

}  // namespace ws

// Fuzz target 6: ws::Url::parse (RFC 6455 3) and ExtensionOffer::parse_header (RFC 6455 9.1).
//
// Input: byte 0, bit 0 chooses the parser (0: URL, 1: Sec-WebSocket-Extensions value); the
// rest is the text.
//
// URL invariants: a parsed URL has scheme ws/wss, the scheme's default port unless one was
// given (1-65535), a non-empty host without spaces, controls, '/', '\' or '@' (and without ':'
// unless it was a bracketed IPv6 literal), a resource starting with '/' without spaces or
// controls, no fragment; to_string() parses back to the same URL; host_header() carries the
// port only when it is not the default; Request::from_url builds a request that parses back
// and passes check_upgrade_request.
// Extension invariants: offers have non-empty, trimmed names and keys; nothing contains ',' or ';';
// to_string() joined with ", " parses back to the same number of offers with the same names,
// and to exactly the same offers when every name, key and value is a token (RFC 6455 9.1's
// grammar, quoted tokens unquoted); Request::add_extension / remove_extension agree.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "proto/extension.hpp"
#include "proto/handshake.hpp"
#include "proto/text.hpp"
#include "ws/http.hpp"
#include "ws/url.hpp"

using namespace ws;
using namespace ws::fuzz;

namespace {

bool same_url(const Url& a, const Url& b) {
    return a.scheme() == b.scheme() && a.host() == b.host() && a.host_is_ipv6() == b.host_is_ipv6() &&
           a.port() == b.port() && a.has_explicit_port() == b.has_explicit_port() && a.resource() == b.resource() &&
           a.userinfo() == b.userinfo();
}

void fuzz_url(std::string_view text) {
    auto url = Url::parse(text);
    if (!url) {
        FUZZ_CHECK(url.error().kind() == ErrorKind::Internal);
        return;
    }
    FUZZ_CHECK(url->scheme() == "ws" || url->scheme() == "wss");
    FUZZ_CHECK(url->is_secure() == (url->scheme() == "wss"));
    FUZZ_CHECK(lower(text.substr(0, url->scheme().size() + 3)) == url->scheme() + "://");
    FUZZ_CHECK_MSG(text.find('#') == std::string_view::npos, "a fragment was accepted");
    const std::uint16_t default_port = url->is_secure() ? 443 : 80;
    if (!url->has_explicit_port()) FUZZ_CHECK(url->port() == default_port);
    FUZZ_CHECK(url->port() != 0);
    FUZZ_CHECK(!url->host().empty());
    for (const char c : url->host()) {
        const auto u = static_cast<std::uint8_t>(c);
        FUZZ_CHECK_MSG(u > 0x20 && u != 0x7F && c != '/' && c != '\\' && c != '@', "host " + show(url->host()));
    }
    if (!url->host_is_ipv6()) FUZZ_CHECK(url->host().find(':') == std::string::npos);
    if (url->host_is_ipv6()) FUZZ_CHECK(url->host().find(']') == std::string::npos);
    FUZZ_CHECK(!url->resource().empty() && url->resource().front() == '/');
    for (const char c : url->resource()) {
        const auto u = static_cast<std::uint8_t>(c);
        FUZZ_CHECK_MSG(u > 0x20 && u != 0x7F, "resource " + show(url->resource()));
    }
    for (const char c : url->userinfo()) FUZZ_CHECK(c != '/' && c != '?' && c != '#');

    // Round trip.
    const std::string again = url->to_string();
    auto back = Url::parse(again);
    FUZZ_CHECK_MSG(back.ok(), show(text) + " -> " + show(again) + " does not parse");
    FUZZ_CHECK_MSG(same_url(*url, *back), show(text) + " -> " + show(again) + " parses differently");
    FUZZ_CHECK(back->to_string() == again);

    // The Host header: bracketed IPv6, ":port" only when not the default (RFC 6455 4.1 item 4).
    const std::string host = url->host_is_ipv6() ? "[" + url->host() + "]" : url->host();
    const std::string want = url->port() == default_port ? host : host + ":" + std::to_string(url->port());
    FUZZ_CHECK(url->host_header() == want);

    // The opening request a client would send for this URL.
    auto req = Request::from_url(*url);
    FUZZ_CHECK(req.ok());
    const std::string wire = req->format();
    auto parsed = proto::parse_request(wire, 124);
    FUZZ_CHECK_MSG(parsed.ok(), "request for " + show(text) + " does not parse: " + show(wire, 400));
    FUZZ_CHECK(parsed->resource() == url->resource());
    FUZZ_CHECK(parsed->header("Host") == std::optional<std::string_view>(want));
    const auto up = proto::check_upgrade_request(*parsed);
    FUZZ_CHECK_MSG(up.ok(), "request for " + show(text) + " refused: " + (up.ok() ? "" : up.error().what()));
    FUZZ_CHECK(parsed->has_header("Authorization") == !url->userinfo().empty());
}

bool offer_is_tokens(const proto::ExtensionOffer& o) {
    if (!ref_is_token(o.name)) return false;
    for (const auto& [k, v] : o.params) {
        if (!ref_is_token(k)) return false;
        if (!v.empty() && !ref_is_token(v)) return false;
    }
    return true;
}

void check_clean(std::string_view s, bool may_be_empty, bool trimmed = true) {
    if (!may_be_empty) FUZZ_CHECK(!s.empty());
    FUZZ_CHECK(s.find(',') == std::string_view::npos && s.find(';') == std::string_view::npos);
    if (trimmed && !s.empty()) {
        FUZZ_CHECK(s.front() != ' ' && s.front() != '\t' && s.back() != ' ' && s.back() != '\t');
    }
}

void fuzz_extensions(std::string_view text) {
    const auto offers = proto::ExtensionOffer::parse_header(text);
    std::string joined;
    for (const auto& o : offers) {
        check_clean(o.name, false);
        for (const auto& [k, v] : o.params) {
            check_clean(k, true);
            check_clean(v, true, false);  // '" x "' unquotes to " x " (not a token anyway)
        }
        if (!joined.empty()) joined += ", ";
        joined += o.to_string();
    }
    FUZZ_CHECK(offers.size() <= static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1);

    const auto back = proto::ExtensionOffer::parse_header(joined);
    FUZZ_CHECK_MSG(back.size() == offers.size(), show(text) + " -> " + show(joined));
    bool tokens = true;
    for (std::size_t i = 0; i < offers.size(); ++i) {
        FUZZ_CHECK(back[i].name == offers[i].name);
        tokens = tokens && offer_is_tokens(offers[i]);
    }
    if (tokens) {
        for (std::size_t i = 0; i < offers.size(); ++i) {
            FUZZ_CHECK_MSG(back[i].params == offers[i].params, show(text) + " -> " + show(joined));
        }
    }

    // The header helpers of Request agree with the parser.
    if (offers.empty()) return;
    Request req;
    for (const auto& o : offers) req.add_extension(o.to_string());
    FUZZ_CHECK(req.extensions().size() == offers.size());
    const std::string name = offers.front().name;
    req.remove_extension(name);
    for (const auto& o : proto::ExtensionOffer::parse_header(req.header_list("Sec-WebSocket-Extensions"))) {
        FUZZ_CHECK(!proto::iequals(o.name, name));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader rd(data, size);
    const std::uint8_t which = rd.u8();
    const std::string text(rd.rest());
    if (which & 1) {
        fuzz_extensions(text);
    } else {
        fuzz_url(text);
    }
    return 0;
}

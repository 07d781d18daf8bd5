#include "ws/http.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "proto/handshake.hpp"

// ws::Request / ws::Response / ws::HeaderList (RFC 9110 field semantics, RFC 6455 4.1 and 4.2
// for the WebSocket-specific helpers, RFC 7239 and X-Forwarded-For for client_addr).

namespace ws {
namespace {

using Strings = std::vector<std::string>;

Url url(std::string_view text) {
    auto u = Url::parse(text);
    EXPECT_TRUE(u.ok()) << text;
    return *u;
}

Request from_url(std::string_view text) {
    auto r = Request::from_url(url(text));
    EXPECT_TRUE(r.ok()) << text;
    return *r;
}

// ---- HeaderList ----------------------------------------------------------------------------

TEST(Http, HeaderNamesAreCaseInsensitive) {
    // RFC 9110 5.1: field names are case-insensitive.
    Request r;
    r.add_header("Sec-WebSocket-Key", "abc");
    EXPECT_EQ(r.header("sec-websocket-key"), "abc");
    EXPECT_EQ(r.header("SEC-WEBSOCKET-KEY"), "abc");
    EXPECT_TRUE(r.has_header("sEc-WeBsOcKeT-kEy"));
    EXPECT_FALSE(r.has_header("Sec-WebSocket-Keys"));
    EXPECT_FALSE(r.header("Sec-WebSocket").has_value());
}

TEST(Http, DuplicatesAreKeptInOrder) {
    Response r;
    r.add_header("X-A", "1");
    r.add_header("x-b", "b");
    r.add_header("x-a", "2");
    ASSERT_EQ(r.headers().size(), 3u);
    EXPECT_EQ(r.header("X-A"), "1");  // the first one
    EXPECT_EQ(r.header_list("X-A"), "1, 2");
    EXPECT_EQ(r.header_list("X-Missing"), "");
    EXPECT_EQ(r.headers()[0].name, "X-A");
    EXPECT_EQ(r.headers()[2].name, "x-a");  // the spelling is kept
}

TEST(Http, SetHeaderReplacesEveryDuplicate) {
    Request r;
    r.add_header("X-A", "1");
    r.add_header("Other", "o");
    r.add_header("x-a", "2");
    r.set_header("X-a", "3");
    EXPECT_EQ(r.header_list("x-a"), "3");
    EXPECT_EQ(r.headers().size(), 2u);
    EXPECT_EQ(r.header("Other"), "o");
}

TEST(Http, RemoveHeaderRemovesEveryDuplicate) {
    Request r;
    r.add_header("X-A", "1");
    r.add_header("Other", "o");
    r.add_header("x-a", "2");
    EXPECT_EQ(r.remove_header("X-A"), 2u);
    EXPECT_FALSE(r.has_header("x-a"));
    EXPECT_EQ(r.headers().size(), 1u);
    EXPECT_EQ(r.remove_header("X-A"), 0u);
}

TEST(Http, HeaderHasTokenMatchesWholeListElements) {
    Request r;
    r.add_header("Connection", "keep-alive, Upgrade");
    EXPECT_TRUE(r.header_has_token("connection", "upgrade"));
    EXPECT_TRUE(r.header_has_token("Connection", "KEEP-ALIVE"));
    EXPECT_FALSE(r.header_has_token("Connection", "close"));
    EXPECT_FALSE(r.header_has_token("Connection", "upgr"));
    EXPECT_FALSE(r.header_has_token("Connection", "keep-alive, Upgrade"));
    EXPECT_FALSE(r.header_has_token("Upgrade", "upgrade"));

    Request prefix;
    prefix.add_header("Connection", "upgrade-insecure-requests");
    EXPECT_FALSE(prefix.header_has_token("Connection", "upgrade"));

    // RFC 9110 5.3: a list may be split over repeated fields; empty elements and OWS ignored.
    Request split;
    split.add_header("Connection", "close");
    split.add_header("connection", " ,\tUpgrade ,, ");
    EXPECT_TRUE(split.header_has_token("Connection", "upgrade"));
}

// ---- subprotocols and extensions ---------------------------------------------------------

TEST(Http, AddAndRemoveProtocol) {
    Request r;
    EXPECT_TRUE(r.protocols().empty());
    r.add_protocol("chat");
    r.add_protocol("superchat");
    r.add_protocol("v3.proto");
    EXPECT_EQ(r.protocols(), (Strings{"chat", "superchat", "v3.proto"}));
    EXPECT_EQ(r.header_list("Sec-WebSocket-Protocol"), "chat, superchat, v3.proto");

    r.remove_protocol("superchat");
    EXPECT_EQ(r.protocols(), (Strings{"chat", "v3.proto"}));
    r.remove_protocol("not-there");
    EXPECT_EQ(r.protocols(), (Strings{"chat", "v3.proto"}));
    r.remove_protocol("chat");
    EXPECT_EQ(r.protocols(), (Strings{"v3.proto"}));
    r.remove_protocol("v3.proto");
    EXPECT_TRUE(r.protocols().empty());
    EXPECT_FALSE(r.has_header("Sec-WebSocket-Protocol"));
}

TEST(Http, ProtocolsAcrossRepeatedHeaders) {
    Request r;
    r.add_header("Sec-WebSocket-Protocol", "a, b");
    r.add_header("sec-websocket-protocol", "c");
    EXPECT_EQ(r.protocols(), (Strings{"a", "b", "c"}));
    r.remove_protocol("b");
    EXPECT_EQ(r.protocols(), (Strings{"a", "c"}));
    r.add_protocol("d");
    EXPECT_EQ(r.protocols(), (Strings{"a", "c", "d"}));
}

TEST(Http, AddAndRemoveRequestExtension) {
    Request r;
    r.add_extension("permessage-deflate; client_max_window_bits");
    r.add_extension("x-webkit-deflate-frame");
    r.add_extension("permessage-deflate");
    EXPECT_EQ(r.extensions(), (Strings{"permessage-deflate; client_max_window_bits", "x-webkit-deflate-frame",
                                       "permessage-deflate"}));
    // Removes every offer of that name, parameters or not, and keeps the others.
    r.remove_extension("permessage-deflate");
    EXPECT_EQ(r.extensions(), (Strings{"x-webkit-deflate-frame"}));
    r.remove_extension("X-WEBKIT-DEFLATE-FRAME");
    EXPECT_TRUE(r.extensions().empty());
    EXPECT_FALSE(r.has_header("Sec-WebSocket-Extensions"));
}

TEST(Http, RemoveExtensionMatchesTheNameNotAPrefix) {
    Request r;
    r.add_extension("permessage-deflate");
    r.add_extension("permessage-deflate-2");
    r.remove_extension("permessage-deflate");
    EXPECT_EQ(r.extensions(), (Strings{"permessage-deflate-2"}));
    r.remove_extension("permessage");
    EXPECT_EQ(r.extensions(), (Strings{"permessage-deflate-2"}));
}

TEST(Http, AddAndRemoveResponseExtension) {
    Response r;
    r.add_extension("permessage-deflate; server_no_context_takeover");
    r.add_extension("x-other");
    EXPECT_EQ(r.extensions(), (Strings{"permessage-deflate; server_no_context_takeover", "x-other"}));
    r.remove_extension("x-other");
    EXPECT_EQ(r.extensions(), (Strings{"permessage-deflate; server_no_context_takeover"}));
    r.remove_extension("permessage-deflate");
    EXPECT_TRUE(r.extensions().empty());
    EXPECT_FALSE(r.has_header("Sec-WebSocket-Extensions"));
}

TEST(Http, ResponseProtocol) {
    Response r;
    EXPECT_FALSE(r.protocol().has_value());
    r.set_protocol("chat");
    EXPECT_EQ(r.protocol(), "chat");
    r.set_protocol("other");
    EXPECT_EQ(r.protocol(), "other");
    EXPECT_EQ(r.header_list("Sec-WebSocket-Protocol"), "other");  // replaced, not appended
}

// ---- client_addr ---------------------------------------------------------------------------

std::optional<std::string> addr_with(std::initializer_list<std::pair<const char*, const char*>> headers) {
    Request r;
    for (const auto& [n, v] : headers) r.add_header(n, v);
    return r.client_addr();
}

TEST(Http, ClientAddrFromXForwardedFor) {
    EXPECT_EQ(addr_with({{"X-Forwarded-For", "203.0.113.7"}}), "203.0.113.7");
    // The left-most entry is the original client; proxies append.
    EXPECT_EQ(addr_with({{"X-Forwarded-For", "203.0.113.7, 10.0.0.1, 10.0.0.2"}}), "203.0.113.7");
    EXPECT_EQ(addr_with({{"x-forwarded-for", "  203.0.113.7  ,10.0.0.1"}}), "203.0.113.7");
    EXPECT_EQ(addr_with({{"X-Forwarded-For", "203.0.113.7:4711"}}), "203.0.113.7");
    EXPECT_EQ(addr_with({{"X-Forwarded-For", "2001:db8::1"}}), "2001:db8::1");
    EXPECT_EQ(addr_with({{"X-Forwarded-For", "[2001:db8::1]:4711"}}), "2001:db8::1");
    EXPECT_EQ(addr_with({{"X-Forwarded-For", "[2001:db8::1]"}}), "2001:db8::1");
}

TEST(Http, ClientAddrFromForwarded) {
    // RFC 7239 section 7.4's examples.
    EXPECT_EQ(addr_with({{"Forwarded", "for=\"_gazonk\""}}), "_gazonk");
    EXPECT_EQ(addr_with({{"Forwarded", "For=\"[2001:db8:cafe::17]:4711\""}}), "2001:db8:cafe::17");
    EXPECT_EQ(addr_with({{"Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43"}}), "192.0.2.60");
    EXPECT_EQ(addr_with({{"Forwarded", "for=192.0.2.43, for=198.51.100.17"}}), "192.0.2.43");
    // Parameter order is free; quoted IPv4 with a port.
    EXPECT_EQ(addr_with({{"Forwarded", "proto=https; by=10.0.0.1; for=\"192.0.2.60:8080\""}}), "192.0.2.60");
    EXPECT_EQ(addr_with({{"Forwarded", "FOR=192.0.2.61"}}), "192.0.2.61");
}

TEST(Http, ClientAddrUnknownOrAbsent) {
    EXPECT_FALSE(addr_with({}).has_value());
    EXPECT_FALSE(addr_with({{"Forwarded", "for=unknown"}}).has_value());
    EXPECT_FALSE(addr_with({{"Forwarded", "for=\"unknown\""}}).has_value());
    EXPECT_FALSE(addr_with({{"Forwarded", "proto=http;by=10.0.0.1"}}).has_value());
    EXPECT_FALSE(addr_with({{"X-Forwarded-For", "unknown"}}).has_value());
    EXPECT_FALSE(addr_with({{"X-Forwarded-For", ""}}).has_value());
    EXPECT_FALSE(addr_with({{"X-Real-Nothing", "1.2.3.4"}}).has_value());
}

TEST(Http, ClientAddrPrefersXForwardedForThenFallsBackToForwarded) {
    EXPECT_EQ(addr_with({{"Forwarded", "for=192.0.2.1"}, {"X-Forwarded-For", "198.51.100.2"}}), "198.51.100.2");
    EXPECT_EQ(addr_with({{"X-Forwarded-For", "unknown"}, {"Forwarded", "for=192.0.2.1"}}), "192.0.2.1");
}

TEST(Http, HandshakeRemoteAddr) {
    Handshake hs;
    EXPECT_FALSE(hs.remote_addr().has_value());
    hs.peer_addr = SocketAddr{"10.1.2.3", 5555, false};
    EXPECT_EQ(hs.remote_addr(), "10.1.2.3");
    hs.request.add_header("X-Forwarded-For", "203.0.113.9");
    EXPECT_EQ(hs.remote_addr(), "203.0.113.9");
}

// ---- Request::from_url -----------------------------------------------------------------------

TEST(Http, FromUrlBuildsAValidOpeningHandshake) {
    const Request r = from_url("ws://example.com/chat?room=1");
    EXPECT_EQ(r.method(), "GET");
    EXPECT_EQ(r.resource(), "/chat?room=1");
    EXPECT_EQ(r.path(), "/chat");
    EXPECT_EQ(r.query(), "room=1");
    EXPECT_EQ(r.version_string(), "HTTP/1.1");
    EXPECT_EQ(r.header("Host"), "example.com");
    EXPECT_TRUE(r.header_has_token("Upgrade", "websocket"));
    EXPECT_TRUE(r.header_has_token("Connection", "Upgrade"));
    EXPECT_EQ(r.header("Sec-WebSocket-Version"), "13");
    ASSERT_TRUE(r.header("Sec-WebSocket-Key").has_value());
    EXPECT_TRUE(proto::is_valid_key(*r.header("Sec-WebSocket-Key")));
    EXPECT_FALSE(r.has_header("Authorization"));
    // What a server checks must pass.
    auto ok = proto::check_upgrade_request(r);
    EXPECT_TRUE(ok.ok()) << ok.error().what();
}

TEST(Http, FromUrlHostHeader) {
    // RFC 6455 4.1 item 4 / RFC 9110 7.2: the port only when it is not the default.
    EXPECT_EQ(from_url("ws://example.com").header("Host"), "example.com");
    EXPECT_EQ(from_url("ws://example.com:80/").header("Host"), "example.com");
    EXPECT_EQ(from_url("ws://example.com:8080/").header("Host"), "example.com:8080");
    EXPECT_EQ(from_url("ws://example.com:443/").header("Host"), "example.com:443");
    EXPECT_EQ(from_url("wss://example.com/").header("Host"), "example.com");
    EXPECT_EQ(from_url("wss://example.com:443/").header("Host"), "example.com");
    EXPECT_EQ(from_url("wss://example.com:80/").header("Host"), "example.com:80");
    EXPECT_EQ(from_url("ws://[::1]:9001/x").header("Host"), "[::1]:9001");
    EXPECT_EQ(from_url("ws://[2001:db8::1]/").header("Host"), "[2001:db8::1]");
    EXPECT_EQ(from_url("ws://127.0.0.1:3012").header("Host"), "127.0.0.1:3012");
}

TEST(Http, FromUrlResource) {
    EXPECT_EQ(from_url("ws://h").resource(), "/");
    EXPECT_EQ(from_url("ws://h/").resource(), "/");
    EXPECT_EQ(from_url("ws://h?x=1").resource(), "/?x=1");
    EXPECT_EQ(from_url("ws://[::1]:9001/x").resource(), "/x");
}

TEST(Http, FromUrlAuthorizationFromUserinfo) {
    EXPECT_EQ(from_url("ws://user:pass@example.com/").header("Authorization"), "Basic dXNlcjpwYXNz");
    EXPECT_EQ(from_url("wss://Aladdin:open%20sesame@h/").has_header("Authorization"), true);
    EXPECT_EQ(from_url("ws://user:pass@example.com/").header("Host"), "example.com");
}

TEST(Http, FromUrlFreshKeyEachCall) {
    std::set<std::string> keys;
    const Url u = url("ws://example.com/");
    for (int i = 0; i < 20; ++i) {
        auto r = Request::from_url(u);
        ASSERT_TRUE(r.ok());
        keys.insert(std::string(*r->header("Sec-WebSocket-Key")));
    }
    EXPECT_EQ(keys.size(), 20u);
}

TEST(Http, RequestKeyVersionAndHashedKey) {
    Request r;
    EXPECT_FALSE(r.key().ok());
    EXPECT_EQ(r.key().error().kind(), ErrorKind::Protocol);
    EXPECT_FALSE(r.version().ok());
    EXPECT_FALSE(r.hashed_key().ok());
    r.add_header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    r.add_header("Sec-WebSocket-Version", "13");
    EXPECT_EQ(*r.key(), "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(*r.version(), "13");
    EXPECT_EQ(*r.hashed_key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_FALSE(r.origin().has_value());
    r.add_header("origin", "http://example.com");
    EXPECT_EQ(r.origin(), "http://example.com");
}

TEST(Http, RequestPathAndQuery) {
    Request r("GET", "/a/b?c=d&e=f");
    EXPECT_EQ(r.path(), "/a/b");
    EXPECT_EQ(r.query(), "c=d&e=f");
    r.set_resource("/plain");
    EXPECT_EQ(r.path(), "/plain");
    EXPECT_EQ(r.query(), "");
    r.set_resource("/?");
    EXPECT_EQ(r.path(), "/");
    EXPECT_EQ(r.query(), "");
}

TEST(Http, RequestFormat) {
    Request r("GET", "/chat");
    r.add_header("Host", "example.com");
    r.add_header("X-Two", "a, b");
    EXPECT_EQ(r.format(), "GET /chat HTTP/1.1\r\nHost: example.com\r\nX-Two: a, b\r\n\r\n");
}

TEST(Http, RequestFormatParsesBack) {
    const Request r = from_url("ws://user:pw@example.com:8080/x?y=z");
    const std::string wire = r.format();
    auto back = proto::parse_request(wire, 64);
    ASSERT_TRUE(back.ok()) << back.error().what();
    EXPECT_EQ(back->resource(), "/x?y=z");
    EXPECT_EQ(back->headers().size(), r.headers().size());
    EXPECT_EQ(back->header("Sec-WebSocket-Key"), r.header("Sec-WebSocket-Key"));
}

// ---- Response ------------------------------------------------------------------------------

TEST(Http, ResponseWithBodyHasContentLength) {
    const Response r(404, "Not Found", "nothing here");
    EXPECT_EQ(r.status(), 404);
    EXPECT_EQ(r.reason(), "Not Found");
    EXPECT_EQ(r.body(), "nothing here");
    EXPECT_EQ(r.header("Content-Length"), "12");
    EXPECT_EQ(r.format(), "HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\nnothing here");
}

TEST(Http, ResponseWithoutBodyHasContentLengthZero) {
    const Response r(200, "OK");
    EXPECT_EQ(r.header("Content-Length"), "0");
    EXPECT_EQ(r.format(), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

TEST(Http, SetBodyReplacesContentLength) {
    Response r(200, "OK", "a");
    r.set_body("hello world");
    EXPECT_EQ(r.header_list("Content-Length"), "11");
    r.set_body(std::string(1000, 'x'));
    EXPECT_EQ(r.header_list("Content-Length"), "1000");
    EXPECT_EQ(r.body().size(), 1000u);
}

TEST(Http, ResponseFromRequest) {
    Request req = from_url("ws://example.com/");
    req.set_header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    auto res = Response::from_request(req);
    ASSERT_TRUE(res.ok()) << res.error().what();
    EXPECT_EQ(res->status(), 101);
    EXPECT_EQ(res->reason(), "Switching Protocols");
    EXPECT_EQ(res->key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_TRUE(res->header_has_token("Upgrade", "websocket"));
    EXPECT_TRUE(res->header_has_token("Connection", "upgrade"));
    EXPECT_FALSE(res->protocol().has_value());
    EXPECT_FALSE(res->has_header("Sec-WebSocket-Extensions"));
    // RFC 9110 8.6: no Content-Length in a 1xx response.
    EXPECT_FALSE(res->has_header("Content-Length"));
    EXPECT_TRUE(proto::check_upgrade_response(req, *res).ok());
}

TEST(Http, ResponseFromInvalidRequestFails) {
    Request req = from_url("ws://example.com/");
    req.remove_header("Sec-WebSocket-Key");
    EXPECT_FALSE(Response::from_request(req).ok());
    Request post = from_url("ws://example.com/");
    post.set_method("POST");
    EXPECT_FALSE(Response::from_request(post).ok());
}

TEST(Http, ReasonFor) {
    EXPECT_EQ(Response::reason_for(101), "Switching Protocols");
    EXPECT_EQ(Response::reason_for(200), "OK");
    EXPECT_EQ(Response::reason_for(400), "Bad Request");
    EXPECT_EQ(Response::reason_for(403), "Forbidden");
    EXPECT_EQ(Response::reason_for(404), "Not Found");
    EXPECT_EQ(Response::reason_for(405), "Method Not Allowed");
    EXPECT_EQ(Response::reason_for(426), "Upgrade Required");
    EXPECT_EQ(Response::reason_for(431), "Request Header Fields Too Large");
    EXPECT_EQ(Response::reason_for(500), "Internal Server Error");
    EXPECT_EQ(Response::reason_for(505), "HTTP Version Not Supported");
    EXPECT_EQ(Response::reason_for(299), "Unknown");
}

TEST(Http, ResponseFormatParsesBack) {
    Response r(403, "Forbidden", "go away");
    r.add_header("X-Why", "because");
    const std::string wire = r.format();
    const std::size_t end = proto::find_head_end(wire);
    ASSERT_NE(end, 0u);
    auto back = proto::parse_response(std::string_view(wire).substr(0, end), 64);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->status(), 403);
    EXPECT_EQ(back->reason(), "Forbidden");
    EXPECT_EQ(back->header("X-Why"), "because");
    EXPECT_EQ(wire.substr(end), "go away");
}

}  // namespace
}  // namespace ws

namespace {
TEST(RequestFromUrlExtra, UserInfoIsPercentDecodedBeforeBase64) {
    // RFC 3986 3.2.1 / RFC 7617: "user:open%20sesame" in the URL is "user:open sesame" on the wire.
    auto url = ws::Url::parse("ws://user:open%20sesame@example.com/");
    ASSERT_TRUE(url);
    auto req = ws::Request::from_url(*url);
    ASSERT_TRUE(req);
    EXPECT_EQ(req->header("Authorization"), "Basic dXNlcjpvcGVuIHNlc2FtZQ==");
}
}  // namespace

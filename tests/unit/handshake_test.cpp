#include "proto/handshake.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

// RFC 6455 section 4 (the opening handshake) and RFC 9112 (the HTTP/1.1 message syntax it
// rides on).

namespace ws::proto {
namespace {

constexpr std::size_t kMaxHeaders = 64;

// RFC 6455 1.2's sample handshake request.
const std::string kSampleRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

const std::string kSampleResponse =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: chat\r\n"
    "\r\n";

Request sample_request() {
    auto r = parse_request(kSampleRequest, kMaxHeaders);
    EXPECT_TRUE(r.ok());
    return *r;
}

Response sample_response() {
    auto r = parse_response(kSampleResponse, kMaxHeaders);
    EXPECT_TRUE(r.ok());
    return *r;
}

// A valid upgrade request with the header `name` removed or replaced.
Request request_with(std::string_view name, std::optional<std::string> value) {
    Request r = sample_request();
    r.remove_header(name);
    if (value) r.add_header(std::string(name), *value);
    return r;
}

int request_status(std::string_view head, std::size_t max_headers = kMaxHeaders) {
    auto r = parse_request(head, max_headers);
    if (r) return 0;
    return r.error().http_status();
}

// ---- keys ----------------------------------------------------------------------------------

TEST(Handshake, AcceptKeyRfc6455Example) {
    // RFC 6455 1.3.
    EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, AcceptKeyOtherKnownValues) {
    // A second, independently computed pair:
    // base64(SHA-1("x3JJHMbDL1EzLkh9GBhXDw==258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
    EXPECT_EQ(accept_key("x3JJHMbDL1EzLkh9GBhXDw=="), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    EXPECT_NE(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), accept_key("dGhlIHNhbXBsZSBub25jZA=="));
    EXPECT_EQ(kAcceptGuid, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
}

TEST(Handshake, Base64Rfc4648Vectors) {
    // RFC 4648 10.
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64_encode(std::string("\xFB\xFF\xBF", 3)), "+/+/");
    EXPECT_EQ(base64_encode(std::string("\0\0\0", 3)), "AAAA");
}

TEST(Handshake, IsValidKeyAcceptsSixteenBytesOfBase64) {
    EXPECT_TRUE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
    EXPECT_TRUE(is_valid_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    EXPECT_TRUE(is_valid_key("/////////////////////w=="));
    EXPECT_TRUE(is_valid_key("x3JJHMbDL1EzLkh9GBhXDw=="));
    EXPECT_TRUE(is_valid_key("+/+/+/+/+/+/+/+/+/+/+w=="));
}

TEST(Handshake, IsValidKeyRejectsEverythingElse) {
    EXPECT_FALSE(is_valid_key(""));
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));     // 23 characters
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ"));      // padding missing
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ===="));  // extra padding
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZ=="));     // 15 bytes
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZSE="));    // 17 bytes
    EXPECT_FALSE(is_valid_key("Zm9vYmFyYmF6cXV4cXV1eHF1dXo="));  // 20 bytes
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25j!Q=="));    // not base64
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25j ZQ="));
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=\n"));
    EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZ-_="));    // base64url alphabet
}

TEST(Handshake, GenerateKeyIsValidAndFresh) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string k = generate_key();
        EXPECT_TRUE(is_valid_key(k)) << k;
        seen.insert(k);
    }
    // RFC 6455 4.1: "randomly selected"; 100 draws of 128 bits do not collide.
    EXPECT_EQ(seen.size(), 100u);
}

// ---- head framing --------------------------------------------------------------------------

TEST(Handshake, FindHeadEnd) {
    EXPECT_EQ(find_head_end(""), 0u);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n"), 0u);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\n\r\n"), 18u);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\n\r\nrest"), 18u);
    EXPECT_EQ(find_head_end("\n\n\r\n\r"), 0u);
    const std::string full = kSampleRequest + "\x81\x80";
    EXPECT_EQ(find_head_end(full), kSampleRequest.size());
}

TEST(Handshake, FindHeadEndResumesAcrossAStraddlingTerminator) {
    const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    for (std::size_t from = 0; from < head.size(); ++from) {
        // The caller had `from` bytes before (without a terminator) and searched them already.
        EXPECT_EQ(find_head_end(head, from), head.size()) << from;
    }
}

// ---- parse_request -------------------------------------------------------------------------

TEST(Handshake, ParsesTheSampleRequest) {
    auto r = parse_request(kSampleRequest, kMaxHeaders);
    ASSERT_TRUE(r.ok()) << r.error().what();
    EXPECT_EQ(r->method(), "GET");
    EXPECT_EQ(r->resource(), "/chat");
    EXPECT_EQ(r->version_string(), "HTTP/1.1");
    EXPECT_EQ(r->headers().size(), 7u);
    EXPECT_EQ(r->header("host"), "server.example.com");
    EXPECT_EQ(r->header("sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
    EXPECT_EQ(r->protocols(), (std::vector<std::string>{"chat", "superchat"}));
}

TEST(Handshake, ParseRequestTrimsOptionalWhitespaceAndKeepsTabsInside) {
    auto r = parse_request("GET / HTTP/1.1\r\nX-A:   spaced value \t \r\nX-B:no-space\r\nX-C:\r\n\r\n", kMaxHeaders);
    ASSERT_TRUE(r.ok()) << r.error().what();
    EXPECT_EQ(r->header("X-A"), "spaced value");
    EXPECT_EQ(r->header("X-B"), "no-space");
    EXPECT_EQ(r->header("X-C"), "");
    auto t = parse_request("GET / HTTP/1.1\r\nX-T: a\tb\r\n\r\n", kMaxHeaders);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->header("X-T"), "a\tb");
}

TEST(Handshake, ParseRequestKeepsObsTextInValues) {
    // RFC 9110 5.5: obs-text (0x80-0xFF) is allowed in field values.
    auto r = parse_request("GET / HTTP/1.1\r\nX-Name: caf\xC3\xA9\r\n\r\n", kMaxHeaders);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->header("X-Name"), "caf\xC3\xA9");
}

TEST(Handshake, ParseRequestKeepsDuplicateHeaders) {
    auto r = parse_request("GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n", kMaxHeaders);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->headers().size(), 2u);
    EXPECT_EQ(r->header_list("X-A"), "1, 2");
}

TEST(Handshake, ParseRequestRejectsMalformedRequestLines) {
    const char* bad[] = {
        "\r\n\r\n",                              // empty request line
        "GET\r\n\r\n",                           // no target, no version
        "GET /\r\n\r\n",                         // no version
        "GET / HTTP/1.1 extra\r\n\r\n",          // too many parts
        "GET  / HTTP/1.1\r\n\r\n",               // two spaces
        "GET /  HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",               // leading space
        "GET\t/\tHTTP/1.1\r\n\r\n",              // tabs are not SP
        "G(T / HTTP/1.1\r\n\r\n",                // method not a token
        "GET /a\x01 HTTP/1.1\r\n\r\n",           // control character in the target
        "GET /a\x7F HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1x\r\n\r\n",
        "GET / http/1.1\r\n\r\n",                // the version name is case-sensitive
        "GET / HTTP/11\r\n\r\n",
        "GET / HTTP/1.\r\n\r\n",
        "GET / HTTP/a.1\r\n\r\n",
        "GET / HTX/1.1\r\n\r\n",
        "GET / HTTP/1.1",                        // no CRLF at all
        "GET / HTTP/1.1\n\n",                    // bare LF line endings
    };
    for (const char* head : bad) {
        auto r = parse_request(head, kMaxHeaders);
        ASSERT_FALSE(r.ok()) << head;
        EXPECT_EQ(r.error().http_status(), 400) << head;
    }
}

TEST(Handshake, ParseRequestRejectsOtherMajorVersionsWith505) {
    EXPECT_EQ(request_status("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
    EXPECT_EQ(request_status("GET / HTTP/0.9\r\nHost: x\r\n\r\n"), 505);
    EXPECT_EQ(request_status("GET / HTTP/3.0\r\nHost: x\r\n\r\n"), 505);
}

TEST(Handshake, ParseRequestAcceptsOtherHttp1Minors) {
    // Parsing is syntax only; check_upgrade_request decides about 1.0.
    auto r = parse_request("GET / HTTP/1.0\r\nHost: x\r\n\r\n", kMaxHeaders);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->version_string(), "HTTP/1.0");
}

TEST(Handshake, ParseRequestRejectsMalformedHeaderLines) {
    const char* bad[] = {
        "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",      // obs-fold (RFC 9112 5.2)
        "GET / HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",                 // space before the colon (RFC 9112 5.1)
        "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost x\r\n\r\n",                   // no colon
        "GET / HTTP/1.1\r\n: x\r\n\r\n",                      // empty name
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nBad(Name): x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\nX-Y: z\r\n\r\n",          // bare LF
        "GET / HTTP/1.1\r\nHost: x\rX-Y: z\r\n\r\n",          // bare CR
        "GET / HTTP/1.1\r\nHost: a\x01z\r\n\r\n",             // control characters
        "GET / HTTP/1.1\r\nHost: a\x7Fz\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\x1Bz\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\0z\r\n\r\n",
    };
    for (const char* head : bad) {
        auto r = parse_request(head, kMaxHeaders);
        ASSERT_FALSE(r.ok()) << head;
        EXPECT_EQ(r.error().http_status(), 400) << head;
    }
    // A NUL byte cannot be written in a C string above; build it explicitly.
    const std::string nul = std::string("GET / HTTP/1.1\r\nHost: a") + '\0' + "z\r\n\r\n";
    EXPECT_EQ(request_status(nul), 400);
}

TEST(Handshake, ParseRequestLimitsTheHeaderCountWith431) {
    std::string head = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 5; ++i) head += "X-H" + std::to_string(i) + ": v\r\n";
    head += "\r\n";
    EXPECT_EQ(request_status(head, 5), 0);
    EXPECT_EQ(request_status(head, 4), 431);
    EXPECT_EQ(request_status(head, 0), 431);
}

// ---- parse_response ------------------------------------------------------------------------

TEST(Handshake, ParsesTheSampleResponse) {
    auto r = parse_response(kSampleResponse, kMaxHeaders);
    ASSERT_TRUE(r.ok()) << r.error().what();
    EXPECT_EQ(r->status(), 101);
    EXPECT_EQ(r->reason(), "Switching Protocols");
    EXPECT_EQ(r->key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    EXPECT_EQ(r->protocol(), "chat");
}

TEST(Handshake, ParseResponseStatusLineForms) {
    auto a = parse_response("HTTP/1.1 404 Not Found\r\n\r\n", kMaxHeaders);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->status(), 404);
    EXPECT_EQ(a->reason(), "Not Found");
    // RFC 9112 4: the reason phrase may be empty.
    auto b = parse_response("HTTP/1.1 101 \r\n\r\n", kMaxHeaders);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->status(), 101);
    EXPECT_EQ(b->reason(), "");
    auto c = parse_response("HTTP/1.0 200 OK\r\n\r\n", kMaxHeaders);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->status(), 200);
}

TEST(Handshake, ParseResponseRejectsMalformedHeads) {
    const char* bad[] = {
        "HTTP/1.1 1O1 Switching\r\n\r\n",
        "HTTP/1.1 10 x\r\n\r\n",
        "HTTP/1.1 1011 x\r\n\r\n",
        "HTTP/1.1  101 x\r\n\r\n",
        "HTTP/2.0 101 x\r\n\r\n",
        "HTTP/1.1\r\n\r\n",
        "http/1.1 101 x\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/1.1 101 x",
        "HTTP/1.1 101 x\r\nUpgrade: websocket\r\n folded\r\n\r\n",
        "HTTP/1.1 101 x\r\nUpgrade : websocket\r\n\r\n",
        "HTTP/1.1 101 x\r\nUpgrade: web\nsocket\r\n\r\n",
        "HTTP/1.1 101 x\r\nUpgrade: web\x01socket\r\n\r\n",
    };
    for (const char* head : bad) EXPECT_FALSE(parse_response(head, kMaxHeaders).ok()) << head;
}

TEST(Handshake, ParseResponseLimitsTheHeaderCount) {
    EXPECT_TRUE(parse_response(kSampleResponse, 4).ok());
    EXPECT_FALSE(parse_response(kSampleResponse, 3).ok());
}

// ---- check_upgrade_request -----------------------------------------------------------------

TEST(Handshake, CheckUpgradeRequestAcceptsTheSample) {
    auto ok = check_upgrade_request(sample_request());
    EXPECT_TRUE(ok.ok()) << ok.error().what();
}

TEST(Handshake, CheckUpgradeRequestAcceptsCaseAndListVariants) {
    // RFC 6455 4.2.1: Upgrade "includes" websocket and Connection "includes" Upgrade, ASCII
    // case-insensitively; both may be lists.
    EXPECT_TRUE(check_upgrade_request(request_with("Upgrade", "WebSocket")).ok());
    EXPECT_TRUE(check_upgrade_request(request_with("Connection", "keep-alive, Upgrade")).ok());
    EXPECT_TRUE(check_upgrade_request(request_with("Connection", "upgrade")).ok());
    EXPECT_TRUE(check_upgrade_request(request_with("Connection", "UPGRADE,keep-alive")).ok());
    Request split = request_with("Connection", "keep-alive");
    split.add_header("Connection", "Upgrade");
    EXPECT_TRUE(check_upgrade_request(split).ok());
    Request lower("GET", "/");
    lower.add_header("host", "h");
    lower.add_header("upgrade", "websocket");
    lower.add_header("connection", "upgrade");
    lower.add_header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    lower.add_header("sec-websocket-version", "13");
    EXPECT_TRUE(check_upgrade_request(lower).ok());
}

TEST(Handshake, CheckUpgradeRequestNonGetIs405) {
    for (const char* method : {"POST", "PUT", "HEAD", "get", "CONNECT"}) {
        Request r = sample_request();
        r.set_method(method);
        auto res = check_upgrade_request(r);
        ASSERT_FALSE(res.ok()) << method;
        EXPECT_EQ(res.error().http_status(), 405) << method;
        EXPECT_EQ(status_for(res.error()), 405);
    }
}

TEST(Handshake, CheckUpgradeRequestNeedsHttp11) {
    Request r = sample_request();
    r.set_version_string("HTTP/1.0");
    auto res = check_upgrade_request(r);
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(status_for(res.error()), 400);
}

TEST(Handshake, CheckUpgradeRequestMissingHostIs400) {
    auto res = check_upgrade_request(request_with("Host", std::nullopt));
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(status_for(res.error()), 400);
}

TEST(Handshake, CheckUpgradeRequestWithoutWebSocketUpgradeIs426) {
    for (std::optional<std::string> value : {std::optional<std::string>(), std::optional<std::string>("h2c"),
                                             std::optional<std::string>("websockets")}) {
        auto res = check_upgrade_request(request_with("Upgrade", value));
        ASSERT_FALSE(res.ok()) << value.value_or("(none)");
        EXPECT_EQ(status_for(res.error()), 426) << value.value_or("(none)");
    }
}

TEST(Handshake, CheckUpgradeRequestWithoutConnectionUpgradeIs400) {
    for (std::optional<std::string> value : {std::optional<std::string>(), std::optional<std::string>("keep-alive"),
                                             std::optional<std::string>("upgrade-insecure")}) {
        auto res = check_upgrade_request(request_with("Connection", value));
        ASSERT_FALSE(res.ok()) << value.value_or("(none)");
        EXPECT_EQ(status_for(res.error()), 400) << value.value_or("(none)");
    }
}

TEST(Handshake, CheckUpgradeRequestWrongVersionIs426WithVersion13) {
    // RFC 6455 4.2.2 item 4 / 4.4: answer with an error and Sec-WebSocket-Version: 13.
    for (const char* v : {"8", "12", "14", "13, 8", "thirteen"}) {
        auto res = check_upgrade_request(request_with("Sec-WebSocket-Version", std::string(v)));
        ASSERT_FALSE(res.ok()) << v;
        EXPECT_EQ(status_for(res.error()), 426) << v;
        const Response answer = error_response(res.error());
        EXPECT_EQ(answer.status(), 426);
        EXPECT_EQ(answer.header("Sec-WebSocket-Version"), "13") << v;
    }
}

TEST(Handshake, CheckUpgradeRequestMissingVersionAnswersWithVersion13) {
    auto res = check_upgrade_request(request_with("Sec-WebSocket-Version", std::nullopt));
    ASSERT_FALSE(res.ok());
    const auto status = status_for(res.error());
    EXPECT_TRUE(status == 400 || status == 426) << status;
    EXPECT_EQ(error_response(res.error()).header("Sec-WebSocket-Version"), "13");
}

TEST(Handshake, CheckUpgradeRequestBadKeyIs400) {
    for (std::optional<std::string> key :
         {std::optional<std::string>(), std::optional<std::string>(""), std::optional<std::string>("short"),
          std::optional<std::string>("dGhlIHNhbXBsZSBub25jZQ"), std::optional<std::string>("Zm9vYmFyYmF6cXV4cXV1eHF1dXo=")}) {
        auto res = check_upgrade_request(request_with("Sec-WebSocket-Key", key));
        ASSERT_FALSE(res.ok()) << key.value_or("(none)");
        EXPECT_EQ(status_for(res.error()), 400) << key.value_or("(none)");
    }
}

// ---- check_upgrade_response ----------------------------------------------------------------

TEST(Handshake, CheckUpgradeResponseAcceptsTheSample) {
    auto ok = check_upgrade_response(sample_request(), sample_response());
    EXPECT_TRUE(ok.ok()) << ok.error().what();
}

TEST(Handshake, CheckUpgradeResponseNon101Fails) {
    for (int status : {200, 301, 400, 403, 404, 426, 500}) {
        Response r = sample_response();
        r.set_status(static_cast<std::uint16_t>(status));
        auto res = check_upgrade_response(sample_request(), r);
        ASSERT_FALSE(res.ok()) << status;
        EXPECT_EQ(res.error().kind(), ErrorKind::Http);
        EXPECT_EQ(res.error().http_status(), status);
    }
}

TEST(Handshake, CheckUpgradeResponseWrongAcceptFails) {
    for (std::optional<std::string> accept :
         {std::optional<std::string>(), std::optional<std::string>(""),
          std::optional<std::string>("s3pPLMBiTxaQ9kYGzzhZRbK+xOo"),
          std::optional<std::string>("S3PPLMBITXAQ9KYGZZHZRBK+XOO="),  // base64 is case-sensitive
          std::optional<std::string>("dGhlIHNhbXBsZSBub25jZQ==")}) {   // the key itself
        Response r = sample_response();
        r.remove_header("Sec-WebSocket-Accept");
        if (accept) r.add_header("Sec-WebSocket-Accept", *accept);
        auto res = check_upgrade_response(sample_request(), r);
        ASSERT_FALSE(res.ok()) << accept.value_or("(none)");
        EXPECT_EQ(res.error().kind(), ErrorKind::Protocol);
    }
}

TEST(Handshake, CheckUpgradeResponseNeedsUpgradeAndConnection) {
    Response no_upgrade = sample_response();
    no_upgrade.remove_header("Upgrade");
    EXPECT_FALSE(check_upgrade_response(sample_request(), no_upgrade).ok());
    Response wrong_upgrade = sample_response();
    wrong_upgrade.set_header("Upgrade", "h2c");
    EXPECT_FALSE(check_upgrade_response(sample_request(), wrong_upgrade).ok());
    Response no_connection = sample_response();
    no_connection.remove_header("Connection");
    EXPECT_FALSE(check_upgrade_response(sample_request(), no_connection).ok());
    Response case_variant = sample_response();
    case_variant.set_header("Upgrade", "WEBSOCKET");
    case_variant.set_header("Connection", "upgrade");
    EXPECT_TRUE(check_upgrade_response(sample_request(), case_variant).ok());
}

TEST(Handshake, CheckUpgradeResponseSubprotocolMustHaveBeenOffered) {
    // RFC 6455 4.1, response check 6.
    Response other = sample_response();
    other.set_protocol("mqtt");
    EXPECT_FALSE(check_upgrade_response(sample_request(), other).ok());
    Response second = sample_response();
    second.set_protocol("superchat");
    EXPECT_TRUE(check_upgrade_response(sample_request(), second).ok());
    Response none = sample_response();
    none.remove_header("Sec-WebSocket-Protocol");
    EXPECT_TRUE(check_upgrade_response(sample_request(), none).ok());
    // Nothing offered, something chosen.
    Request no_offer = sample_request();
    no_offer.remove_header("Sec-WebSocket-Protocol");
    EXPECT_FALSE(check_upgrade_response(no_offer, sample_response()).ok());
}

// ---- error_response and status_for -----------------------------------------------------------

TEST(Handshake, ErrorResponseHeadersAndBody) {
    const Error e = Error(ErrorKind::Http, "no good").with_http_status(400);
    const Response r = error_response(e);
    EXPECT_EQ(r.status(), 400);
    EXPECT_EQ(r.reason(), "Bad Request");
    EXPECT_NE(r.body().find("no good"), std::string::npos);
    EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body().size()));
    EXPECT_TRUE(r.header_has_token("Connection", "close"));
    EXPECT_TRUE(r.header("Content-Type").has_value());
    // It survives a trip through the response parser.
    const std::string wire = r.format();
    const std::size_t end = find_head_end(wire);
    ASSERT_NE(end, 0u);
    auto parsed = parse_response(std::string_view(wire).substr(0, end), kMaxHeaders);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->status(), 400);
    EXPECT_EQ(wire.substr(end), r.body());
}

TEST(Handshake, ErrorResponse405AllowsGet) {
    // RFC 9110 15.5.6: a 405 carries Allow.
    Request r = sample_request();
    r.set_method("POST");
    const Response res = error_response(check_upgrade_request(r).error());
    EXPECT_EQ(res.status(), 405);
    EXPECT_EQ(res.header("Allow"), "GET");
}

TEST(Handshake, ErrorResponse426CarriesUpgrade) {
    // RFC 9110 15.5.22: a 426 sends an Upgrade header.
    const Response res = error_response(check_upgrade_request(request_with("Upgrade", std::nullopt)).error());
    EXPECT_EQ(res.status(), 426);
    EXPECT_TRUE(res.header_has_token("Upgrade", "websocket"));
    EXPECT_EQ(res.header("Sec-WebSocket-Version"), "13");
}

TEST(Handshake, StatusForUsesTheErrorsStatusFirst) {
    EXPECT_EQ(status_for(Error(ErrorKind::Internal, "x").with_http_status(418)), 418);
    EXPECT_EQ(status_for(Error(ErrorKind::Capacity, "x").with_http_status(431)), 431);
    EXPECT_EQ(error_response(Error(ErrorKind::Capacity, "x").with_http_status(431)).status(), 431);
}

TEST(Handshake, StatusForKinds) {
    // The handshake column of the table in ws/error.hpp.
    EXPECT_EQ(status_for(Error(ErrorKind::Internal, "x")), 500);
    EXPECT_EQ(status_for(Error(ErrorKind::Protocol, "x")), 400);
    EXPECT_EQ(status_for(Error(ErrorKind::Encoding, "x")), 400);
    EXPECT_EQ(status_for(Error(ErrorKind::Http, "x")), 400);
    EXPECT_EQ(status_for(Error(ErrorKind::Custom, "x")), 500);
    EXPECT_EQ(status_for(Error(ErrorKind::Policy, "x")), 403);
}

}  // namespace
}  // namespace ws::proto

namespace {
TEST(IsValidKeyExtra, NonCanonicalLastCharacterStillDecodesTo16Bytes) {
    // "dGhlIHNhbXBsZSBub25jZR==" decodes to 16 bytes too (non-zero padding bits).
    EXPECT_TRUE(ws::proto::is_valid_key("dGhlIHNhbXBsZSBub25jZR=="));
    EXPECT_FALSE(ws::proto::is_valid_key("dGhlIHNhbXBsZSBub25jZ*=="));
}
}  // namespace

namespace {
TEST(ParseResponseExtra, StatusOutOfRangeAndControlCharsInReasonAreRefused) {
    EXPECT_FALSE(ws::proto::parse_response("HTTP/1.1 042 Odd\r\n\r\n", 10));
    EXPECT_FALSE(ws::proto::parse_response("HTTP/1.1 600 Odd\r\n\r\n", 10));
    EXPECT_FALSE(ws::proto::parse_response("HTTP/1.1 101 Swi\x01tching\r\n\r\n", 10));
    EXPECT_TRUE(ws::proto::parse_response("HTTP/1.1 101 Switching\tProtocols\r\n\r\n", 10));
}
}  // namespace

#include "proto/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "session_harness.hpp"

// ws::proto::Session in the server role: the opening handshake (RFC 6455 4.2) -- what it
// accepts, what it refuses and with which HTTP status, and what happens to messages and
// closes asked for before it completes.

namespace ws::test {
namespace {

// ===== opening handshake =======================================================================

TEST(SessionServerHandshake, AcceptsAValidUpgradeWith101AndTheRightAccept) {
    Server p;
    p.start();
    EXPECT_EQ(p.s().state(), State::Handshake);
    EXPECT_EQ(p.s().role(), Role::Server);
    const std::string req = upgrade_request();
    EXPECT_EQ(p.feed(req), req.size());
    EXPECT_EQ(p.s().state(), State::Open);
    EXPECT_TRUE(p.s().is_open());
    EXPECT_TRUE(p.s().opened());
    const ParsedOutput o = p.take_output();
    EXPECT_EQ(head_status(o.head), 101);
    EXPECT_EQ(head_header(o.head, "Sec-WebSocket-Accept"), std::string(kSampleAccept));
    ASSERT_TRUE(head_header(o.head, "Upgrade").has_value());
    EXPECT_TRUE(proto::iequals(*head_header(o.head, "Upgrade"), "websocket"));
    ASSERT_TRUE(head_header(o.head, "Connection").has_value());
    EXPECT_TRUE(proto::iequals(*head_header(o.head, "Connection"), "upgrade"));
    // RFC 9110 8.6: no Content-Length in a 1xx response; nothing follows the head.
    EXPECT_FALSE(head_header(o.head, "Content-Length").has_value());
    EXPECT_TRUE(o.frames.empty());
    EXPECT_EQ(o.trailing, 0u);
    // No subprotocol was chosen, so none is named (RFC 6455 4.2.2).
    EXPECT_FALSE(head_header(o.head, "Sec-WebSocket-Protocol").has_value());
    EXPECT_EQ(p.events.log, (std::vector<std::string>{"request GET /chat", "open"}));
    ASSERT_TRUE(p.events.request.has_value());
    EXPECT_EQ(p.events.request->header("Origin"), "http://example.com");
}

TEST(SessionServerHandshake, HandlerPicksAnOfferedSubprotocol) {
    Server p;
    p.events.on_request_fn = [](const Request& req) -> Result<Response> {
        auto res = Response::from_request(req);
        if (res) res->set_protocol("superchat");
        return res;
    };
    p.start();
    p.feed(upgrade_request());
    ASSERT_EQ(p.s().state(), State::Open);
    const ParsedOutput o = p.take_output();
    EXPECT_EQ(head_header(o.head, "Sec-WebSocket-Protocol"), "superchat");
}

TEST(SessionServerHandshake, HandlerPickingAnUnofferedSubprotocolIsRefused) {
    // RFC 6455 4.2.2: the server's choice must be one of the client's values.
    Server p;
    p.events.on_request_fn = [](const Request& req) -> Result<Response> {
        auto res = Response::from_request(req);
        if (res) res->set_protocol("mqtt");
        return res;
    };
    p.start();
    p.feed(upgrade_request());
    EXPECT_EQ(p.s().state(), State::Closed);
    const ParsedOutput o = p.take_output();
    EXPECT_GE(head_status(o.head), 400);
    EXPECT_EQ(p.events.opens, 0);
    EXPECT_FALSE(p.events.errors.empty());
}

TEST(SessionServerHandshake, HandlerReturningABare101GetsTheHandshakeHeadersFilledIn) {
    Server p;
    p.events.on_request_fn = [](const Request&) -> Result<Response> {
        return Response(101, "Switching Protocols");
    };
    p.start();
    p.feed(upgrade_request());
    ASSERT_EQ(p.s().state(), State::Open);
    const Bytes raw = p.out.take();
    const ParsedOutput o = parse_output(raw);
    EXPECT_EQ(head_status(o.head), 101);
    EXPECT_EQ(head_header(o.head, "Sec-WebSocket-Accept"), std::string(kSampleAccept));
    ASSERT_TRUE(head_header(o.head, "Upgrade").has_value());
    EXPECT_TRUE(proto::iequals(*head_header(o.head, "Upgrade"), "websocket"));
    // RFC 9110 8.6: "A server MUST NOT send a Content-Length header field in any response with
    // a status code of 1xx". Anything after the head is WebSocket frames.
    EXPECT_FALSE(head_header(o.head, "Content-Length").has_value());
    EXPECT_EQ(raw.size(), o.head.size());
}

TEST(SessionServerHandshake, HandlerReturning101WithABodySendsNoBody) {
    // Bytes after a 101 head are WebSocket frames to the client: a body there would be read as
    // a (garbage) frame.
    Server p;
    p.events.on_request_fn = [](const Request& req) -> Result<Response> {
        auto res = Response::from_request(req);
        if (res) res->set_body("oops");
        return res;
    };
    p.start();
    p.feed(upgrade_request());
    const Bytes raw = p.out.take();
    const ParsedOutput o = parse_output(raw);
    EXPECT_EQ(head_status(o.head), 101);
    EXPECT_EQ(raw.size(), o.head.size()) << to_string(raw);
    EXPECT_FALSE(head_header(o.head, "Content-Length").has_value());
}

TEST(SessionServerHandshake, NonSwitchingResponseIsWrittenAndTheSessionCloses) {
    Server p;
    p.events.on_request_fn = [](const Request&) -> Result<Response> {
        return Response(404, "Not Found", "no such chat");
    };
    p.start();
    const Bytes input = cat({to_bytes(upgrade_request()), cframe(kText, "ignored")});
    p.feed(input);
    EXPECT_EQ(p.s().state(), State::Closed);
    EXPECT_FALSE(p.s().opened());
    const std::string raw = to_string(p.out.take());
    EXPECT_EQ(head_status(raw), 404);
    EXPECT_EQ(raw.substr(raw.size() - 12), "no such chat");
    EXPECT_EQ(head_header(raw, "Content-Length"), "12");
    // The connection closes after a plain HTTP answer.
    ASSERT_TRUE(head_header(raw, "Connection").has_value());
    EXPECT_TRUE(proto::iequals(*head_header(raw, "Connection"), "close"));
    EXPECT_EQ(p.events.opens, 0);
    EXPECT_TRUE(p.events.messages.empty());
    // Nothing more is read.
    EXPECT_EQ(p.feed(cframe(kText, "more")), 0u);
    EXPECT_TRUE(p.out.data().empty());
}

TEST(SessionServerHandshake, NonSwitchingResponseWithoutBodyGetsContentLengthZero) {
    Server p;
    p.events.on_request_fn = [](const Request&) -> Result<Response> {
        Response r;
        r.set_status(204);
        r.set_reason("No Content");
        return r;
    };
    p.start();
    p.feed(upgrade_request());
    const std::string raw = to_string(p.out.take());
    EXPECT_EQ(head_status(raw), 204);
    EXPECT_EQ(p.s().state(), State::Closed);
}

TEST(SessionServerHandshake, HandlerErrorMapsToTheMatchingHttpStatus) {
    // ws/error.hpp: an error from on_request becomes an HTTP answer.
    struct Case {
        Error error;
        int status;
    };
    const Case cases[] = {
        {Error(ErrorKind::Policy, "not you"), 403},
        {Error(ErrorKind::Internal, "broken"), 500},
        {Error(ErrorKind::Protocol, "bad"), 400},
        {Error(ErrorKind::Encoding, "bad"), 400},
        {Error(ErrorKind::Custom, "custom"), 500},
        {Error(ErrorKind::Http, "auth").with_http_status(401), 401},
        {Error(ErrorKind::Capacity, "too big").with_http_status(413), 413},
        {Error(ErrorKind::Internal, "teapot").with_http_status(418), 418},
    };
    for (const Case& c : cases) {
        Server p;
        p.events.on_request_fn = [&](const Request&) -> Result<Response> { return c.error; };
        p.start();
        p.feed(upgrade_request());
        EXPECT_EQ(p.s().state(), State::Closed) << c.error.what();
        const std::string raw = to_string(p.out.take());
        EXPECT_EQ(head_status(raw), c.status) << c.error.what();
        EXPECT_EQ(p.events.opens, 0);
        ASSERT_EQ(p.events.errors.size(), 1u);
        EXPECT_EQ(p.events.errors[0].kind(), c.error.kind());
    }
}

TEST(SessionServerHandshake, InvalidUpgradeIsRefusedEvenIfTheHandlerSays101) {
    struct Case {
        std::string request;
        int status;
        const char* header;  // a header the answer must carry, or nullptr
        const char* value;
    };
    auto without = [](std::string_view line) {
        std::string r = upgrade_request();
        const std::size_t at = r.find(line);
        EXPECT_NE(at, std::string::npos);
        r.erase(at, line.size());
        return r;
    };
    auto replace = [](std::string_view from, std::string_view to) {
        std::string r = upgrade_request();
        const std::size_t at = r.find(from);
        EXPECT_NE(at, std::string::npos);
        r.replace(at, from.size(), to);
        return r;
    };
    const Case cases[] = {
        {upgrade_request({}, "POST /chat HTTP/1.1"), 405, "Allow", "GET"},
        {upgrade_request({}, "GET /chat HTTP/1.0"), 400, nullptr, nullptr},
        {without("Host: server.example.com\r\n"), 400, nullptr, nullptr},
        {without("Upgrade: websocket\r\n"), 426, "Sec-WebSocket-Version", "13"},
        {replace("Upgrade: websocket", "Upgrade: h2c"), 426, nullptr, nullptr},
        {without("Connection: Upgrade\r\n"), 400, nullptr, nullptr},
        {replace("Connection: Upgrade", "Connection: keep-alive"), 400, nullptr, nullptr},
        {replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), 426, "Sec-WebSocket-Version", "13"},
        {without("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), 400, nullptr, nullptr},
        {replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="), 400, nullptr, nullptr},
    };
    for (const Case& c : cases) {
        Server p;
        p.events.on_request_fn = [](const Request&) -> Result<Response> {
            Response r(101, "Switching Protocols");
            r.add_header("Upgrade", "websocket");
            r.add_header("Connection", "Upgrade");
            return r;
        };
        p.start();
        p.feed(c.request);
        EXPECT_EQ(p.s().state(), State::Closed) << c.request;
        const std::string raw = to_string(p.out.take());
        EXPECT_EQ(head_status(raw), c.status) << c.request;
        if (c.header) {
            EXPECT_EQ(head_header(raw, c.header), c.value) << c.request;
        }
        EXPECT_EQ(p.events.opens, 0);
        EXPECT_FALSE(p.events.errors.empty());
    }
}

TEST(SessionServerHandshake, MalformedRequestsGetTheirStatus) {
    struct Case {
        std::string head;
        int status;
    };
    const Case cases[] = {
        {"GET /chat HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
        {"GET /chat HTTP/1.1\r\nHost : x\r\n\r\n", 400},
        {"GET /chat HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        {"NOT A REQUEST LINE\r\n\r\n", 400},
        {"GET /chat HTTP/1.1\r\nHost: a\x01" "b\r\n\r\n", 400},
    };
    for (const Case& c : cases) {
        Server p;
        p.start();
        p.feed(c.head);
        EXPECT_EQ(p.s().state(), State::Closed) << c.head;
        EXPECT_EQ(head_status(to_string(p.out.take())), c.status) << c.head;
        EXPECT_EQ(p.events.opens, 0);
        EXPECT_FALSE(p.events.has("request GET /chat")) << "the handler sees only well-formed requests";
    }
}

TEST(SessionServerHandshake, TooManyHeadersIs431) {
    Server p;
    p.config.max_headers = 8;
    p.start();
    p.feed(upgrade_request("X-A: 1\r\nX-B: 2\r\n"));  // 9 headers
    EXPECT_EQ(p.s().state(), State::Closed);
    EXPECT_EQ(head_status(to_string(p.out.take())), 431);

    Server q;
    q.config.max_headers = 8;
    q.start();
    q.feed(upgrade_request("X-A: 1\r\n"));  // exactly 8
    EXPECT_EQ(q.s().state(), State::Open);
}

TEST(SessionServerHandshake, HandshakeLargerThanTheLimitIs431) {
    const std::string req = upgrade_request("X-Padding: " + std::string(300, 'p') + "\r\n");
    for (std::size_t piece : {req.size(), std::size_t{1}, std::size_t{7}}) {
        Server p;
        p.config.max_handshake_size = 256;
        p.start();
        for (std::size_t i = 0; i < req.size() && p.s().state() == State::Handshake; i += piece) {
            p.feed(std::string_view(req).substr(i, piece));
        }
        EXPECT_EQ(p.s().state(), State::Closed) << "piece " << piece;
        EXPECT_EQ(head_status(to_string(p.out.take())), 431) << "piece " << piece;
        EXPECT_EQ(p.events.opens, 0);
        EXPECT_TRUE(p.events.has_error(ErrorKind::Capacity));
    }
}

TEST(SessionServerHandshake, HandshakeExactlyAtTheLimitIsAccepted) {
    const std::string req = upgrade_request();
    Server p;
    p.config.max_handshake_size = req.size();
    p.start();
    p.feed(req);
    EXPECT_EQ(p.s().state(), State::Open);
    Server q;
    q.config.max_handshake_size = req.size() - 1;
    q.start();
    q.feed(req);
    EXPECT_EQ(q.s().state(), State::Closed);
    EXPECT_EQ(head_status(to_string(q.out.take())), 431);
}

TEST(SessionServerHandshake, FramesPipelinedRightAfterTheRequestAreProcessed) {
    Server p;
    p.start();
    const Bytes input = cat({to_bytes(upgrade_request()), cframe(kText, "first"), cframe(kPing, "pp"),
                             cframe(kBinary, "second")});
    EXPECT_EQ(p.feed(input), input.size());
    EXPECT_EQ(p.s().state(), State::Open);
    ASSERT_EQ(p.events.messages.size(), 2u);
    EXPECT_EQ(p.events.messages[0], Message::text("first"));
    EXPECT_EQ(p.events.messages[1], Message::binary("second"));
    const ParsedOutput o = p.take_output();
    EXPECT_EQ(head_status(o.head), 101);
    ASSERT_EQ(o.frames.size(), 1u);
    EXPECT_EQ(o.frames[0].opcode, kPong);
    EXPECT_EQ(o.frames[0].payload, "pp");
}

TEST(SessionServerHandshake, SendWhileHandshakingIsHeldThenFlushedAfterThe101) {
    Server p;
    p.start();
    ASSERT_TRUE(p.s().send(OpCode::Text, "early").ok());
    ASSERT_TRUE(p.s().send(OpCode::Binary, "bird").ok());
    EXPECT_EQ(p.s().held_bytes(), 9u);
    EXPECT_TRUE(p.out.data().empty());
    p.feed(upgrade_request());
    EXPECT_EQ(p.s().held_bytes(), 0u);
    const ParsedOutput o = p.take_output();
    EXPECT_EQ(head_status(o.head), 101);
    ASSERT_EQ(o.frames.size(), 2u);
    EXPECT_EQ(o.frames[0].describe(), "TEXT fin=1 rsv=0 masked=0 'early'");
    EXPECT_EQ(o.frames[1].describe(), "BINARY fin=1 rsv=0 masked=0 'bird'");
}

TEST(SessionServerHandshake, HeldMessagesAreDroppedWhenTheHandshakeIsRefused) {
    Server p;
    p.events.on_request_fn = [](const Request&) -> Result<Response> { return Response(403, "Forbidden"); };
    p.start();
    ASSERT_TRUE(p.s().send(OpCode::Text, "never").ok());
    p.feed(upgrade_request());
    const ParsedOutput o = p.take_output();
    EXPECT_EQ(head_status(o.head), 403);
    EXPECT_TRUE(o.frames.empty());
}

TEST(SessionServerHandshake, HandlerMayNotNameExtensionsItself) {
    Server p;
    p.events.on_request_fn = [](const Request& req) -> Result<Response> {
        auto res = Response::from_request(req);
        if (res) res->add_extension("permessage-deflate");
        return res;
    };
    p.start();
    p.feed(upgrade_request("Sec-WebSocket-Extensions: permessage-deflate\r\n"));
    EXPECT_EQ(p.s().state(), State::Closed);
    EXPECT_GE(head_status(to_string(p.out.take())), 500);
}

TEST(SessionServerHandshake, UnknownExtensionOffersAreIgnored) {
    // RFC 6455 9.1: the server answers only with extensions it supports.
    Server p;
    p.start();
    p.feed(upgrade_request("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
    ASSERT_EQ(p.s().state(), State::Open);
    EXPECT_FALSE(head_header(p.take_output().head, "Sec-WebSocket-Extensions").has_value());
    EXPECT_EQ(p.s().extension(), nullptr);
}

TEST(SessionServerHandshake, CloseDuringTheHandshakeIsSentRightAfterIt) {
    // session.hpp: a close asked for before open is held, like messages, and sent in order
    // right after the 101.
    Server p;
    p.start();
    ASSERT_TRUE(p.s().send(OpCode::Text, "first").ok());
    EXPECT_TRUE(p.s().close(CloseCode::Away, "moving").ok());
    EXPECT_EQ(p.s().state(), State::Handshake);
    EXPECT_TRUE(p.out.data().empty());
    // Arguments are still checked at once.
    EXPECT_FALSE(p.s().close(CloseCode::Abnormal).ok());
    p.feed(upgrade_request());
    EXPECT_EQ(p.events.opens, 1);
    EXPECT_EQ(p.s().state(), State::CloseSent);
    const ParsedOutput o = p.take_output();
    EXPECT_EQ(head_status(o.head), 101);
    ASSERT_EQ(o.frames.size(), 2u);
    EXPECT_EQ(o.frames[0].describe(), "TEXT fin=1 rsv=0 masked=0 'first'");
    EXPECT_EQ(o.frames[1].close_code(), 1001);
    EXPECT_EQ(o.frames[1].close_reason(), "moving");
    p.feed(cframe(kClose, close_payload(1001)));
    EXPECT_EQ(p.s().state(), State::Closed);
    EXPECT_TRUE(p.out.data().empty());
}

TEST(SessionServerHandshake, SendAfterAHeldCloseIsDiscarded) {
    // RFC 6455 5.5.1: no data frames after a Close frame. A message asked for after close()
    // must not overtake it on the wire either.
    Server p;
    p.start();
    ASSERT_TRUE(p.s().close(CloseCode::Normal).ok());
    EXPECT_TRUE(p.s().send(OpCode::Text, "too late").ok());
    p.feed(upgrade_request());
    const ParsedOutput o = p.take_output();
    ASSERT_EQ(o.frames.size(), 1u);
    EXPECT_EQ(o.frames[0].opcode, kClose);
    EXPECT_EQ(o.frames[0].close_code(), 1000);
}

TEST(SessionServerHandshake, HeldCloseIsDroppedWhenTheHandshakeIsRefused) {
    Server p;
    p.events.on_request_fn = [](const Request&) -> Result<Response> { return Response(403, "Forbidden"); };
    p.start();
    ASSERT_TRUE(p.s().close(CloseCode::Normal).ok());
    p.feed(upgrade_request());
    const ParsedOutput o = p.take_output();
    EXPECT_EQ(head_status(o.head), 403);
    EXPECT_TRUE(o.frames.empty());
    EXPECT_EQ(p.s().state(), State::Closed);
}

TEST(SessionServerHandshake, OnOpenErrorClosesWithItsCode) {
    Server p;
    p.events.on_open_fn = [](Request&, Response&) -> Result<> { return Error(ErrorKind::Policy, "go away"); };
    p.start();
    p.feed(upgrade_request());
    const ParsedOutput o = p.take_output();
    EXPECT_EQ(head_status(o.head), 101);
    ASSERT_EQ(o.frames.size(), 1u);
    EXPECT_EQ(o.frames[0].close_code(), 1008);
    EXPECT_EQ(p.s().state(), State::CloseSent);
}

}  // namespace
}  // namespace ws::test

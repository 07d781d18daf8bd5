#include "proto/session.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "session_harness.hpp"

// ws::proto::Session in the client role: the opening handshake (RFC 6455 4.1), masking of
// every frame it sends (5.3), and the rules a client enforces on server frames.

namespace ws::test {
namespace {

Request sample_client_request(std::string_view protocols = {}) {
    auto url = Url::parse("ws://server.example.com/chat");
    EXPECT_TRUE(url.ok());
    auto req = Request::from_url(*url);
    EXPECT_TRUE(req.ok());
    req->set_header("Sec-WebSocket-Key", std::string(kSampleKey));
    if (!protocols.empty()) req->add_header("Sec-WebSocket-Protocol", std::string(protocols));
    return *req;
}

// Starts the client with the sample request and discards the request bytes.
void start(Client& c, std::string_view protocols = {}) {
    c.start();
    c.s().start_client(sample_client_request(protocols));
    c.out.clear();
}

// Asserts that the client failed during the handshake: Closed, never opened, nothing written.
void expect_handshake_failed(Client& c) {
    EXPECT_EQ(c.s().state(), State::Closed);
    EXPECT_FALSE(c.s().opened());
    EXPECT_EQ(c.events.opens, 0);
    EXPECT_FALSE(c.events.errors.empty());
    EXPECT_TRUE(c.out.data().empty()) << "a client answers a bad handshake by closing, not with HTTP";
}

// ===== opening handshake =======================================================================

TEST(SessionClient, StartClientWritesTheOpeningRequest) {
    Client c;
    c.start();
    const Request req = sample_client_request("chat, superchat");
    c.s().start_client(req);
    EXPECT_EQ(c.s().state(), State::Handshake);
    EXPECT_EQ(c.s().role(), Role::Client);
    const std::string wire = to_string(c.out.take());
    // The exact bytes of the request (no extension factories configured, so nothing added).
    EXPECT_EQ(wire, req.format());
    EXPECT_EQ(wire.substr(0, 20), "GET /chat HTTP/1.1\r\n");
    EXPECT_EQ(head_header(wire, "Host"), "server.example.com");
    EXPECT_EQ(head_header(wire, "Sec-WebSocket-Key"), std::string(kSampleKey));
    EXPECT_EQ(head_header(wire, "Sec-WebSocket-Version"), "13");
    EXPECT_EQ(head_header(wire, "Sec-WebSocket-Protocol"), "chat, superchat");
    EXPECT_FALSE(head_header(wire, "Sec-WebSocket-Extensions").has_value());
}

TEST(SessionClient, ValidAcceptanceOpens) {
    Client c;
    start(c);
    const std::string res = upgrade_response();
    EXPECT_EQ(c.feed(res), res.size());
    EXPECT_EQ(c.s().state(), State::Open);
    EXPECT_TRUE(c.s().opened());
    EXPECT_EQ(c.events.log, (std::vector<std::string>{"response 101", "open"}));
    ASSERT_TRUE(c.events.response.has_value());
    EXPECT_EQ(c.events.response->key(), std::string(kSampleAccept));
    ASSERT_TRUE(c.events.request.has_value());
    EXPECT_EQ(c.events.request->header("Sec-WebSocket-Key"), std::string(kSampleKey));
    EXPECT_TRUE(c.out.data().empty());
}

TEST(SessionClient, AcceptanceInPiecesOpens) {
    const std::string res = upgrade_response();
    for (std::size_t piece : {1u, 2u, 3u, 5u, 13u}) {
        Client c;
        start(c);
        for (std::size_t i = 0; i < res.size(); i += piece) c.feed(std::string_view(res).substr(i, piece));
        EXPECT_EQ(c.s().state(), State::Open) << piece;
    }
}

TEST(SessionClient, NonSwitchingResponseFails) {
    // RFC 6455 4.1: "If the status code received from the server is not 101, the client
    // handles the response per HTTP procedures" -- it is not a WebSocket connection.
    for (int status : {200, 302, 400, 401, 403, 404, 426, 500, 503}) {
        Client c;
        start(c);
        c.feed("HTTP/1.1 " + std::to_string(status) + " Whatever\r\nContent-Length: 2\r\n\r\nno");
        expect_handshake_failed(c);
        ASSERT_EQ(c.events.errors.size(), 1u);
        EXPECT_EQ(c.events.errors[0].kind(), ErrorKind::Http);
        EXPECT_EQ(c.events.errors[0].http_status(), status);
    }
}

TEST(SessionClient, WrongAcceptFails) {
    // RFC 6455 4.1, response check 4.
    for (std::string_view accept : {std::string_view("s3pPLMBiTxaQ9kYGzzhZRbK+xOp="),
                                    std::string_view("dGhlIHNhbXBsZSBub25jZQ=="), std::string_view("")}) {
        Client c;
        start(c);
        c.feed(upgrade_response({}, accept));
        expect_handshake_failed(c);
        EXPECT_TRUE(c.events.has_error(ErrorKind::Protocol));
    }
    Client c;
    start(c);
    c.feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    expect_handshake_failed(c);
}

TEST(SessionClient, MissingUpgradeOrConnectionFails) {
    // RFC 6455 4.1, response checks 2 and 3.
    const std::string accept = "Sec-WebSocket-Accept: " + std::string(kSampleAccept) + "\r\n";
    for (const std::string& res :
         {"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n" + accept + "\r\n",
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" + accept + "\r\n",
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" + accept + "\r\n"}) {
        Client c;
        start(c);
        c.feed(res);
        expect_handshake_failed(c);
    }
}

TEST(SessionClient, SubprotocolMustHaveBeenOffered) {
    // RFC 6455 4.1, response check 6.
    {
        Client c;
        start(c, "chat, superchat");
        c.feed(upgrade_response("Sec-WebSocket-Protocol: superchat\r\n"));
        EXPECT_EQ(c.s().state(), State::Open);
        EXPECT_EQ(c.events.response->protocol(), "superchat");
    }
    {
        Client c;
        start(c, "chat, superchat");
        c.feed(upgrade_response("Sec-WebSocket-Protocol: mqtt\r\n"));
        expect_handshake_failed(c);
    }
    {
        Client c;
        start(c);
        c.feed(upgrade_response("Sec-WebSocket-Protocol: chat\r\n"));
        expect_handshake_failed(c);
    }
}

TEST(SessionClient, UnofferedExtensionFails) {
    // RFC 6455 4.1, response check 5: an extension not present in the client's handshake
    // fails the connection.
    {
        Client c;
        start(c);
        c.feed(upgrade_response("Sec-WebSocket-Extensions: permessage-deflate\r\n"));
        expect_handshake_failed(c);
        EXPECT_TRUE(c.events.has_error(ErrorKind::Protocol));
    }
    {
        // Offered by hand in the request, but this client cannot run it.
        Client c;
        c.start();
        Request req = sample_client_request();
        req.add_extension("x-unknown");
        c.s().start_client(req);
        c.out.clear();
        c.feed(upgrade_response("Sec-WebSocket-Extensions: x-unknown\r\n"));
        expect_handshake_failed(c);
    }
}

TEST(SessionClient, MalformedResponseFails) {
    for (const char* res : {"HTTP/1.1 1O1 Switching\r\n\r\n", "garbage\r\n\r\n", "HTTP/2 101\r\n\r\n",
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade : websocket\r\n\r\n",
                            "HTTP/1.1 101 Switching Protocols\r\n folded: x\r\n\r\n"}) {
        Client c;
        start(c);
        c.feed(res);
        expect_handshake_failed(c);
    }
}

TEST(SessionClient, OnResponseErrorFails) {
    Client c;
    c.events.on_response_fn = [](const Response&) -> Result<> { return Error(ErrorKind::Policy, "not this server"); };
    start(c);
    c.feed(upgrade_response());
    expect_handshake_failed(c);
    EXPECT_TRUE(c.events.has_error(ErrorKind::Policy));
}

TEST(SessionClient, HandshakeLargerThanTheLimitFails) {
    Client c;
    c.config.max_handshake_size = 200;
    start(c);
    c.feed(upgrade_response("X-Padding: " + std::string(300, 'p') + "\r\n"));
    expect_handshake_failed(c);
    EXPECT_TRUE(c.events.has_error(ErrorKind::Capacity));
}

TEST(SessionClient, FramesRightAfterTheResponseAreProcessed) {
    Client c;
    start(c);
    const Bytes input = cat({to_bytes(upgrade_response()), sframe(kText, "welcome"), sframe(kPing, "hb")});
    EXPECT_EQ(c.feed(input), input.size());
    ASSERT_EQ(c.events.messages.size(), 1u);
    EXPECT_EQ(c.events.messages[0].as_text(), "welcome");
    const auto frames = c.take_output().frames;
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].opcode, kPong);
    EXPECT_TRUE(frames[0].masked);
    EXPECT_EQ(frames[0].payload, "hb");
}

TEST(SessionClient, SendWhileHandshakingIsHeldThenFlushedMasked) {
    Client c;
    start(c);
    ASSERT_TRUE(c.s().send(OpCode::Text, "queued").ok());
    EXPECT_EQ(c.s().held_bytes(), 6u);
    EXPECT_TRUE(c.out.data().empty());
    c.feed(upgrade_response());
    const auto frames = c.take_output().frames;
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].describe(), "TEXT fin=1 rsv=0 masked=1 'queued'");
}

TEST(SessionClient, HeldMessagesAreDroppedWhenTheHandshakeFails) {
    Client c;
    start(c);
    ASSERT_TRUE(c.s().send(OpCode::Text, "never").ok());
    c.feed("HTTP/1.1 403 Forbidden\r\n\r\n");
    EXPECT_TRUE(c.out.data().empty());
}

TEST(SessionClient, CloseBeforeOpenIsSentMaskedRightAfterIt) {
    Client c;
    start(c);
    ASSERT_TRUE(c.s().send(OpCode::Binary, "first").ok());
    ASSERT_TRUE(c.s().close(CloseCode::Normal, "done").ok());
    EXPECT_TRUE(c.s().send(OpCode::Text, "after close").ok());  // discarded
    EXPECT_TRUE(c.out.data().empty());
    c.feed(upgrade_response());
    EXPECT_EQ(c.s().state(), State::CloseSent);
    const auto frames = c.take_output().frames;
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].describe(), "BINARY fin=1 rsv=0 masked=1 'first'");
    EXPECT_TRUE(frames[1].masked);
    EXPECT_EQ(frames[1].close_code(), 1000);
    EXPECT_EQ(frames[1].close_reason(), "done");
}

TEST(SessionClient, DataAfterTheServersCloseIsIgnored) {
    Client c;
    c.open_client();
    const Bytes close = sframe(kClose, close_payload(1001));
    const Bytes input = cat({close, sframe(kText, "after")});
    EXPECT_EQ(c.feed(input), close.size());
    EXPECT_TRUE(c.events.messages.empty());
    EXPECT_EQ(c.feed(sframe(kText, "later")), 0u);
    EXPECT_EQ(c.take_output().frames.size(), 1u);  // just the close reply
}

// ===== masking ==================================================================================

TEST(SessionClient, MaskedServerFrameIs1002) {
    // RFC 6455 5.1: "A client MUST close a connection if it detects a masked frame."
    for (std::uint8_t op : {kText, kBinary, kPing, kClose}) {
        Client c;
        c.open_client();
        c.feed(cframe(op, op == kClose ? close_payload(1000) : "masked"));
        expect_failed_with(c, 1002);
        EXPECT_TRUE(c.events.messages.empty());
    }
}

TEST(SessionClient, EveryFrameIsMaskedWithAFreshKeyFromTheKeySource) {
    // RFC 6455 5.3: a new masking key for each frame, from the configured source.
    Client c;
    c.config.fragment_size = 4;
    c.open_client();
    const std::size_t keys_before = c.masks.given.size();
    ASSERT_TRUE(c.s().send(OpCode::Text, "hello").ok());          // 2 fragments
    ASSERT_TRUE(c.s().send(OpCode::Binary, std::string("\x00\x01\x02", 3)).ok());
    ASSERT_TRUE(c.s().ping("p").ok());
    ASSERT_TRUE(c.s().pong("").ok());
    ASSERT_TRUE(c.s().close(CloseCode::Away, "bye").ok());
    const ParsedOutput o = c.take_output();
    ASSERT_EQ(o.trailing, 0u);
    ASSERT_EQ(o.frames.size(), 6u);
    ASSERT_EQ(c.masks.given.size() - keys_before, 6u);
    std::set<MaskKey> distinct;
    for (std::size_t i = 0; i < o.frames.size(); ++i) {
        EXPECT_TRUE(o.frames[i].masked) << i;
        EXPECT_EQ(o.frames[i].key, c.masks.given[keys_before + i]) << i;
        distinct.insert(o.frames[i].key);
    }
    EXPECT_EQ(distinct.size(), 6u);
    EXPECT_EQ(o.frames[0].describe(), "TEXT fin=0 rsv=0 masked=1 'hell'");
    EXPECT_EQ(o.frames[1].describe(), "CONT fin=1 rsv=0 masked=1 'o'");
    EXPECT_EQ(o.frames[2].describe(), "BINARY fin=1 rsv=0 masked=1 '\\x00\\x01\\x02'");
    EXPECT_EQ(o.frames[3].describe(), "PING fin=1 rsv=0 masked=1 'p'");
    EXPECT_EQ(o.frames[4].describe(), "PONG fin=1 rsv=0 masked=1 ''");
    EXPECT_EQ(o.frames[5].close_code(), 1001);
    EXPECT_EQ(o.frames[5].close_reason(), "bye");
}

TEST(SessionClient, MaskedPayloadBytesOnTheWire) {
    // RFC 6455 5.3, checked on the raw bytes: the first key the source gives is 01 02 03 04.
    Client c;
    c.start();
    c.s().start_client(sample_client_request());
    c.out.clear();
    c.feed(upgrade_response());
    ASSERT_TRUE(c.s().send(OpCode::Text, "Hello").ok());
    const Bytes wire = c.out.take();
    const MaskKey k = c.masks.given.back();
    const Bytes want{0x81, 0x85, k[0], k[1], k[2], k[3], static_cast<std::uint8_t>('H' ^ k[0]),
                     static_cast<std::uint8_t>('e' ^ k[1]), static_cast<std::uint8_t>('l' ^ k[2]),
                     static_cast<std::uint8_t>('l' ^ k[3]), static_cast<std::uint8_t>('o' ^ k[0])};
    EXPECT_EQ(wire, want);
}

TEST(SessionClient, LargeMessageIsMaskedWithTheRightLengthForm) {
    for (std::size_t n : {126u, 65535u, 65536u, 100000u}) {
        Client c;
        c.open_client();
        std::string payload(n, '\0');
        for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(i * 31);
        ASSERT_TRUE(c.s().send(OpCode::Binary, payload).ok());
        const Bytes wire = c.out.take();
        EXPECT_EQ(wire[1] & 0x7F, n <= 0xFFFF ? 126 : 127) << n;
        const ParsedOutput o = parse_output(wire);
        ASSERT_EQ(o.frames.size(), 1u);
        EXPECT_TRUE(o.frames[0].masked);
        EXPECT_EQ(o.frames[0].payload, payload);
    }
}

// ===== server frames ============================================================================

TEST(SessionClient, ReceivesMessagesAndFragments) {
    Client c;
    c.open_client();
    c.feed(cat({sframe(kText, "one"), sframe(kBinary, "tw", false), sframe(kPing, "x"), sframe(kCont, "o", true)}));
    ASSERT_EQ(c.events.messages.size(), 2u);
    EXPECT_EQ(c.events.messages[0], Message::text("one"));
    EXPECT_EQ(c.events.messages[1], Message::binary("two"));
    const auto frames = c.take_output().frames;
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].describe(), "PONG fin=1 rsv=0 masked=1 'x'");
}

TEST(SessionClient, ProtocolViolationsFromTheServer) {
    struct Case {
        Bytes input;
        std::uint16_t code;
    };
    const Case cases[] = {
        {sframe(3, "reserved"), 1002},
        {sframe(0xB, "reserved"), 1002},
        {sframe(kText, "rsv", true, 4), 1002},
        {sframe(kPing, std::string(126, 'p')), 1002},
        {sframe(kPing, "frag", false), 1002},
        {sframe(kCont, "orphan"), 1002},
        {cat({sframe(kText, "a", false), sframe(kBinary, "b")}), 1002},
        {sframe(kText, "\xF4\x90\x80\x80"), 1007},
        {sframe(kClose, "\x03"), 1002},
        {sframe(kClose, close_payload(1005)), 1002},
        {sframe(kClose, close_payload(1000, "\xFF")), 1007},
    };
    for (const Case& k : cases) {
        Client c;
        c.open_client();
        c.feed(k.input);
        expect_failed_with(c, k.code);
    }
}

TEST(SessionClient, ServerCloseIsEchoedMasked) {
    Client c;
    c.open_client();
    c.feed(sframe(kClose, close_payload(1000, "server done")));
    ASSERT_EQ(c.events.closes.size(), 1u);
    EXPECT_EQ(c.events.closes[0].first, CloseCode::Normal);
    EXPECT_EQ(c.events.closes[0].second, "server done");
    const auto frames = c.take_output().frames;
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].opcode, kClose);
    EXPECT_TRUE(frames[0].masked);
    EXPECT_EQ(frames[0].close_code(), 1000);
    EXPECT_EQ(c.s().state(), State::Closed);
}

TEST(SessionClient, ClientInitiatedCloseHandshake) {
    Client c;
    c.open_client();
    ASSERT_TRUE(c.s().close(CloseCode::Normal, "client done").ok());
    EXPECT_EQ(c.s().state(), State::CloseSent);
    auto frames = c.take_output().frames;
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_TRUE(frames[0].masked);
    EXPECT_EQ(frames[0].close_code(), 1000);
    c.feed(sframe(kClose, close_payload(1000)));
    EXPECT_EQ(c.s().state(), State::Closed);
    EXPECT_TRUE(c.s().close_received());
    EXPECT_TRUE(c.out.data().empty());
}

TEST(SessionClient, MaxMessageSizeIs1009) {
    Client c;
    c.config.max_message_size = 5;
    c.open_client();
    c.feed(frame(kBinary, "", header_only(6, false)));
    expect_failed_with(c, 1009);
}

TEST(SessionClient, HandlerErrorClosesWithMaskedFrame) {
    Client c;
    c.events.on_message_fn = [](const Message&) -> Result<> { return Error(ErrorKind::Internal, "oops"); };
    c.open_client();
    c.feed(sframe(kText, "x"));
    const auto frames = c.take_output().frames;
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_TRUE(frames[0].masked);
    EXPECT_EQ(frames[0].close_code(), 1011);
    EXPECT_EQ(c.s().state(), State::CloseSent);
}

}  // namespace
}  // namespace ws::test

#include "proto/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "session_harness.hpp"

// ws::proto::Session's sending side and its hooks (shown in the server role; the client's
// masking is in session_client_test.cpp): send/ping/pong/close and their checks, outgoing
// fragmentation, the on_frame/on_send_frame hooks, and how handler errors become close codes.

namespace ws::test {
namespace {

// ===== sending ==================================================================================

TEST(SessionSend, SendWritesUnmaskedFrames) {
    Server p;
    p.open_server();
    ASSERT_TRUE(p.s().send(OpCode::Text, "hi \xE2\x82\xAC").ok());
    ASSERT_TRUE(p.s().send(OpCode::Binary, std::string("\x00\x01", 2)).ok());
    ASSERT_TRUE(p.s().send(Message::text("msg")).ok());
    ASSERT_TRUE(p.s().send(Message::binary(std::string(300, 'b'))).ok());
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 4u);
    EXPECT_EQ(frames[0].describe(), "TEXT fin=1 rsv=0 masked=0 'hi \\xE2\\x82\\xAC'");
    EXPECT_EQ(frames[1].describe(), "BINARY fin=1 rsv=0 masked=0 '\\x00\\x01'");
    EXPECT_EQ(frames[2].describe(), "TEXT fin=1 rsv=0 masked=0 'msg'");
    EXPECT_EQ(frames[3].payload, std::string(300, 'b'));
}

TEST(SessionSend, EveryShortPayloadLengthIsWrittenExactly) {
    // The open server's common send copies payloads up to 16 bytes with overlapping word moves
    // and longer ones with memcpy, after a 2- or 4-byte header: every length across those
    // edges (and the 7-bit/16-bit length edge) comes out whole, in order, with nothing extra.
    Server p;
    p.open_server();
    p.s().set_frame_hooks(false);  // as for a handler without frame hooks: the common path
    std::vector<std::string> sent;
    for (std::size_t len = 0; len <= 130; ++len) {
        std::string payload(len, '\0');
        for (std::size_t i = 0; i < len; ++i) payload[i] = static_cast<char>('A' + (i * 7 + len) % 26);
        sent.push_back(payload);
        ASSERT_TRUE(p.s().send(len % 2 ? OpCode::Text : OpCode::Binary, payload).ok()) << len;
    }
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(frames[i].payload, sent[i]) << "length " << i;
        EXPECT_EQ(frames[i].opcode, static_cast<std::uint8_t>(i % 2 ? OpCode::Text : OpCode::Binary)) << "length " << i;
    }
}

TEST(SessionSend, PlainFramesOnlyWhereTheFrameDependsOnTheMessageAlone) {
    // Broadcast builds one frame for every session for which sends_plain_frames() holds and
    // hands it to send_plain_frame: that must be exactly what send_validated writes there,
    // and it must not hold where a session would write anything else.
    Server p;
    p.start();
    EXPECT_FALSE(p.s().sends_plain_frames()) << "before the handshake (messages are held)";
    p.open_server();
    EXPECT_FALSE(p.s().sends_plain_frames()) << "with frame hooks";
    p.s().set_frame_hooks(false);
    ASSERT_TRUE(p.s().sends_plain_frames());
    for (std::size_t len : {0, 5, 125, 126, 1024}) {
        const std::string payload(len, 'x');
        const OpCode op = len % 2 ? OpCode::Binary : OpCode::Text;
        ASSERT_TRUE(p.s().send_validated(op, payload).ok());
        const Bytes by_send = p.out.take();
        proto::FrameHeader h;
        h.opcode = static_cast<std::uint8_t>(op);
        h.payload_len = len;
        Bytes frame(proto::kMaxHeaderSize + len);
        const std::size_t head = proto::encode_header(h, frame.data());
        std::copy(payload.begin(), payload.end(), frame.begin() + static_cast<std::ptrdiff_t>(head));
        frame.resize(head + len);
        p.s().send_plain_frame(frame);
        EXPECT_EQ(p.out.take(), by_send) << "length " << len;
    }
    ASSERT_TRUE(p.s().close(CloseCode::Normal).ok());
    EXPECT_FALSE(p.s().sends_plain_frames()) << "once closing";

    Server fragmenting;
    fragmenting.config.fragment_size = 4;
    fragmenting.open_server();
    fragmenting.s().set_frame_hooks(false);
    EXPECT_FALSE(fragmenting.s().sends_plain_frames()) << "with fragmentation";

    Client client;
    client.open_client();
    client.s().set_frame_hooks(false);
    EXPECT_FALSE(client.s().sends_plain_frames()) << "as a client (its frames are masked)";
}

TEST(SessionSend, SendRejectsInvalidTextAndNonDataOpcodes) {
    Server p;
    p.open_server();
    auto bad = p.s().send(OpCode::Text, "\xC0\x80");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind(), ErrorKind::Encoding);
    EXPECT_FALSE(p.s().send(Message::text("\xED\xA0\x80")).ok());
    EXPECT_FALSE(p.s().send(OpCode::Ping, "x").ok());
    EXPECT_FALSE(p.s().send(OpCode::Close, "").ok());
    EXPECT_FALSE(p.s().send(OpCode::Continue, "x").ok());
    EXPECT_TRUE(p.out.data().empty());
    EXPECT_EQ(p.s().state(), State::Open);
}

TEST(SessionSend, SendAfterCloseIsDiscarded) {
    // RFC 6455 5.5.1: "the endpoint MUST NOT send any more data frames" after a Close.
    Server p;
    p.open_server();
    ASSERT_TRUE(p.s().close(CloseCode::Normal).ok());
    p.out.clear();
    EXPECT_TRUE(p.s().send(OpCode::Text, "late").ok());
    EXPECT_TRUE(p.s().ping("late").ok());
    EXPECT_TRUE(p.s().pong("late").ok());
    EXPECT_TRUE(p.out.data().empty());
    p.feed(cframe(kClose, ""));
    EXPECT_TRUE(p.s().send(OpCode::Binary, "later").ok());
    EXPECT_TRUE(p.out.data().empty());
}

TEST(SessionSend, PingAndPongPayloadOver125IsRejected) {
    Server p;
    p.open_server();
    const std::string long_payload(126, 'x');
    auto ping = p.s().ping(long_payload);
    ASSERT_FALSE(ping.ok());
    EXPECT_EQ(ping.error().kind(), ErrorKind::Protocol);
    EXPECT_FALSE(p.s().pong(long_payload).ok());
    EXPECT_TRUE(p.out.data().empty());
    EXPECT_TRUE(p.s().ping(std::string(125, 'y')).ok());
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].opcode, kPing);
    EXPECT_EQ(frames[0].payload, std::string(125, 'y'));
    EXPECT_EQ(p.s().state(), State::Open);
}

TEST(SessionSend, CloseArgumentsAreValidated) {
    // RFC 6455 7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control
    // frame by an endpoint"; 5.5: a control payload (2-byte code + reason) is at most 125 bytes.
    for (std::uint16_t code : std::initializer_list<std::uint16_t>{1, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
        Server p;
        p.open_server();
        auto r = p.s().close(static_cast<CloseCode>(code));
        EXPECT_FALSE(r.ok()) << code;
        EXPECT_TRUE(p.out.data().empty()) << code;
        EXPECT_EQ(p.s().state(), State::Open) << code;
    }
    Server p;
    p.open_server();
    EXPECT_FALSE(p.s().close(CloseCode::Normal, std::string(124, 'r')).ok());
    EXPECT_FALSE(p.s().close(CloseCode::Normal, "\xC0\x80").ok());
    EXPECT_FALSE(p.s().close(CloseCode::Empty, "reason without code").ok());
    EXPECT_TRUE(p.out.data().empty());
    EXPECT_EQ(p.s().state(), State::Open);
    ASSERT_TRUE(p.s().close(CloseCode::Normal, std::string(123, 'r')).ok());
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].payload.size(), 125u);
}

TEST(SessionSend, CloseWithEmptyCodeSendsAnEmptyCloseFrame) {
    Server p;
    p.open_server();
    ASSERT_TRUE(p.s().close(CloseCode::Empty).ok());
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].opcode, kClose);
    EXPECT_EQ(frames[0].payload, "");
}

TEST(SessionSend, ApplicationCloseCodesCanBeSent) {
    for (std::uint16_t code : std::initializer_list<std::uint16_t>{1000, 1001, 1003, 1011, 1014, 3000, 4999}) {
        Server p;
        p.open_server();
        ASSERT_TRUE(p.s().close(static_cast<CloseCode>(code), "r").ok()) << code;
        EXPECT_EQ(frames_of(p).at(0).close_code(), code);
    }
}

TEST(SessionSend, FragmentSizeSplitsOutgoingMessages) {
    // RFC 6455 5.4: first frame with the opcode, then continuations, FIN only on the last.
    Server p;
    p.config.fragment_size = 4;
    p.open_server();
    ASSERT_TRUE(p.s().send(OpCode::Text, "abcdefghij").ok());
    auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0].describe(), "TEXT fin=0 rsv=0 masked=0 'abcd'");
    EXPECT_EQ(frames[1].describe(), "CONT fin=0 rsv=0 masked=0 'efgh'");
    EXPECT_EQ(frames[2].describe(), "CONT fin=1 rsv=0 masked=0 'ij'");

    ASSERT_TRUE(p.s().send(OpCode::Binary, "12345678").ok());
    frames = frames_of(p);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].describe(), "BINARY fin=0 rsv=0 masked=0 '1234'");
    EXPECT_EQ(frames[1].describe(), "CONT fin=1 rsv=0 masked=0 '5678'");

    ASSERT_TRUE(p.s().send(OpCode::Text, "four").ok());
    frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].describe(), "TEXT fin=1 rsv=0 masked=0 'four'");

    // Control frames are never fragmented.
    ASSERT_TRUE(p.s().ping("a longer ping").ok());
    frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].describe(), "PING fin=1 rsv=0 masked=0 'a longer ping'");
}

TEST(SessionSend, FragmentedOutputReassemblesIntoTheOriginalMessage) {
    std::string text;
    for (int i = 0; i < 100; ++i) text += "\xE2\x82\xAC\xF0\x9F\x98\x80";
    for (std::size_t piece : {1u, 2u, 3u, 5u, 64u, 699u, 700u, 701u}) {
        Server p;
        p.config.fragment_size = piece;
        p.open_server();
        ASSERT_TRUE(p.s().send(OpCode::Text, text).ok());
        const auto frames = frames_of(p);
        std::string joined;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            EXPECT_EQ(frames[i].opcode, i == 0 ? kText : kCont);
            EXPECT_EQ(frames[i].fin, i + 1 == frames.size());
            EXPECT_LE(frames[i].payload.size(), piece);
            joined += frames[i].payload;
        }
        EXPECT_EQ(joined, text) << piece;
        EXPECT_EQ(frames.size(), (text.size() + piece - 1) / piece);
    }
}

// ===== hooks ====================================================================================

TEST(SessionSend, OnFrameHookCanDropFrames) {
    Server p;
    p.events.on_frame_fn = [](Frame& f) -> Result<> {
        if (f.payload() == "drop me" || f.opcode() == OpCode::Ping) f.drop();
        return {};
    };
    p.open_server();
    p.feed(cat({cframe(kText, "drop me"), cframe(kText, "keep me"), cframe(kPing, "no pong")}));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0].as_text(), "keep me");
    EXPECT_TRUE(p.out.data().empty()) << "a dropped ping is not answered";
}

TEST(SessionSend, OnFrameHookDroppingFragments) {
    // A dropped middle fragment takes only its own bytes; a dropped final fragment ends its
    // message undelivered, and the next message starts cleanly (no "data frame inside a
    // fragmented message" error).
    Server p;
    p.events.on_frame_fn = [](Frame& f) -> Result<> {
        if (f.payload() == "skip" || f.payload() == "end-dropped") f.drop();
        return {};
    };
    p.open_server();
    p.feed(cat({cframe(kBinary, "a", false), cframe(kCont, "skip", false), cframe(kCont, "b", true)}));
    p.feed(cat({cframe(kText, "lost ", false), cframe(kCont, "end-dropped", true), cframe(kText, "next")}));
    ASSERT_EQ(p.events.messages.size(), 2u);
    EXPECT_EQ(p.events.messages[0], Message::binary("ab"));
    EXPECT_EQ(p.events.messages[1], Message::text("next"));
    EXPECT_EQ(p.s().state(), State::Open);
    EXPECT_TRUE(p.out.data().empty());
}

TEST(SessionSend, OnFrameHookCanReplacePayloads) {
    Server p;
    p.events.on_frame_fn = [](Frame& f) -> Result<> {
        if (f.opcode() == OpCode::Text && f.payload() == "old") f.set_payload("new and longer");
        if (f.opcode() == OpCode::Ping) f.set_payload("rewritten");
        if (f.opcode() == OpCode::Continue && f.payload() == "B") f.set_payload("bee");
        return {};
    };
    p.open_server();
    p.feed(cat({cframe(kText, "old"), cframe(kPing, "orig"), cframe(kBinary, "A", false), cframe(kCont, "B", false),
                cframe(kCont, "C", true)}));
    ASSERT_EQ(p.events.messages.size(), 2u);
    EXPECT_EQ(p.events.messages[0].as_text(), "new and longer");
    EXPECT_EQ(p.events.messages[1].bytes(), "AbeeC");
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].payload, "rewritten");
}

TEST(SessionSend, OnFrameSeesEveryFrameWithItsBits) {
    Server p;
    p.open_server();
    p.feed(cat({cframe(kText, "a", false), cframe(kPing, "p"), cframe(kCont, "b", true)}));
    EXPECT_EQ(p.events.log, (std::vector<std::string>{"request GET /chat", "open", "frame TEXT fin=0 rsv=0 'a'",
                                                      "frame PING fin=1 rsv=0 'p'", "send PONG 'p'",
                                                      "frame CONT fin=1 rsv=0 'b'", "message text 'ab'"}));
}

TEST(SessionSend, OnSendFrameSeesEachMessageOnceBeforeFragmentation) {
    Server p;
    p.config.fragment_size = 3;
    p.open_server();
    ASSERT_TRUE(p.s().send(OpCode::Binary, "0123456789").ok());
    ASSERT_EQ(p.events.sent.size(), 1u);
    EXPECT_EQ(p.events.sent[0].opcode(), OpCode::Binary);
    EXPECT_EQ(p.events.sent[0].payload(), "0123456789");
    EXPECT_TRUE(p.events.sent[0].is_final());
    EXPECT_EQ(frames_of(p).size(), 4u);
    ASSERT_TRUE(p.s().ping("x").ok());
    ASSERT_TRUE(p.s().close(CloseCode::Normal, "r").ok());
    ASSERT_EQ(p.events.sent.size(), 3u);
    EXPECT_EQ(p.events.sent[1].opcode(), OpCode::Ping);
    EXPECT_EQ(p.events.sent[2].opcode(), OpCode::Close);
    EXPECT_EQ(p.events.sent[2].payload(), close_payload(1000, "r"));
}

TEST(SessionSend, OnSendFrameCanDropAndRewrite) {
    Server p;
    p.events.on_send_frame_fn = [](Frame& f) -> Result<> {
        if (f.payload() == "secret") f.drop();
        if (f.payload() == "lower") f.set_payload("UPPER");
        return {};
    };
    p.open_server();
    ASSERT_TRUE(p.s().send(OpCode::Text, "secret").ok());
    ASSERT_TRUE(p.s().send(OpCode::Text, "lower").ok());
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].payload, "UPPER");
}

TEST(SessionSend, OnSendFrameErrorIsReturnedBySend) {
    Server p;
    p.events.on_send_frame_fn = [](Frame&) -> Result<> { return Error(ErrorKind::Custom, "no"); };
    p.open_server();
    auto r = p.s().send(OpCode::Text, "x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::Custom);
    EXPECT_TRUE(p.out.data().empty());
}

TEST(SessionSend, HandlersCanSendFromInsideCallbacks) {
    Server p;
    p.events.on_message_fn = [&p](const Message& m) -> Result<> { return p.s().send(m); };
    p.open_server();
    p.feed(cat({cframe(kText, "echo \xE2\x82\xAC"), cframe(kBinary, "bin", false), cframe(kCont, "ary", true)}));
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].describe(), "TEXT fin=1 rsv=0 masked=0 'echo \\xE2\\x82\\xAC'");
    EXPECT_EQ(frames[1].describe(), "BINARY fin=1 rsv=0 masked=0 'binary'");
}

// A message over the assembly buffer's kept capacity (1 MiB), echoed from on_message: the
// buffer is offered to the output, which may keep it instead of copying it; the Session then
// assembles the next message in a fresh buffer, and the message's view stays valid until
// on_message returns (a second send of it is copied from the buffer the output now holds).
TEST(SessionSend, EchoOfALargeAssembledMessageOffersItsBufferToTheOutput) {
    Server p;
    p.out.take_owned = true;
    int sends = 1;
    std::vector<std::string> seen;
    p.events.on_message_fn = [&](const Message& m) -> Result<> {
        for (int i = 0; i < sends; ++i) {
            if (auto ok = p.s().send(m); !ok) return ok;
        }
        seen.emplace_back(m.bytes());  // still readable after the buffer was taken
        return {};
    };
    p.open_server();
    const auto payload_of = [](std::size_t n, char seed) {
        std::string s(n, '\0');
        for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + static_cast<std::size_t>(seed)) % 26);
        return s;
    };
    const std::string big = payload_of((2u << 20) + 3, 1);
    const Bytes wire = cframe(kText, big);
    std::vector<std::size_t> cuts;  // 64 KiB reads: assembled in the buffer, not delivered in place
    for (std::size_t at = 65536; at < wire.size(); at += 65536) cuts.push_back(at);
    p.feed_pieces(wire, cuts);
    ASSERT_EQ(p.out.owned_offers, 1);
    ASSERT_EQ(p.out.taken.size(), 1u);
    EXPECT_TRUE(std::string_view(p.out.taken[0]) == big);
    auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_TRUE(frames[0].payload == big);
    EXPECT_EQ(frames[0].opcode, kText);

    // The next large message is assembled in a new buffer; sent twice, only the first send
    // offers the buffer (the second sees a buffer that is no longer the Session's).
    sends = 2;
    const std::string big2 = payload_of((3u << 20) + 1, 5);
    const Bytes wire2 = frame(kBinary, big2);
    cuts.clear();
    for (std::size_t at = 100000; at < wire2.size(); at += 100000) cuts.push_back(at);
    p.feed_pieces(wire2, cuts);
    EXPECT_EQ(p.out.owned_offers, 2);
    ASSERT_EQ(p.out.taken.size(), 2u);
    EXPECT_TRUE(std::string_view(p.out.taken[1]) == big2);
    frames = frames_of(p);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_TRUE(frames[0].payload == big2);
    EXPECT_TRUE(frames[1].payload == big2);
    EXPECT_EQ(frames[1].opcode, kBinary);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_TRUE(seen[1] == big2);

    // Up to the kept capacity the buffer stays with the Session (reused): a plain copy.
    sends = 1;
    const std::string mid = payload_of(512u << 10, 9);
    const Bytes wire3 = cframe(kBinary, mid);
    cuts.clear();
    for (std::size_t at = 65536; at < wire3.size(); at += 65536) cuts.push_back(at);
    p.feed_pieces(wire3, cuts);
    EXPECT_EQ(p.out.owned_offers, 2);
    frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_TRUE(frames[0].payload == mid);
    EXPECT_EQ(p.s().state(), State::Open);
}

// A large message delivered where it lies (all of it in one read) is not the Session's to give:
// nothing is offered, and a message sent that merely has the same size is copied.
TEST(SessionSend, LargeMessagesNotInTheAssemblyBufferAreCopied) {
    Server p;
    p.out.take_owned = true;
    const std::string other((2u << 20), 'z');
    p.events.on_message_fn = [&](const Message& m) -> Result<> {
        if (auto ok = p.s().send(m); !ok) return ok;
        return p.s().send(Message::binary_view(std::string_view(other).substr(0, m.size())));
    };
    p.open_server();
    const std::string big((2u << 20), 'q');
    p.feed(cframe(kBinary, big));
    EXPECT_EQ(p.out.owned_offers, 0);
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_TRUE(frames[0].payload == big);
    EXPECT_TRUE(frames[1].payload == other);
}

// ===== handler errors ===========================================================================

TEST(SessionSend, HandlerErrorsMapToCloseCodes) {
    // ws/error.hpp: the "once open" column.
    struct Case {
        ErrorKind kind;
        std::uint16_t code;  // 0: no close frame
        bool abort;
        bool stays_open;
    };
    const Case cases[] = {
        {ErrorKind::Internal, 1011, false, false}, {ErrorKind::Capacity, 1009, false, false},
        {ErrorKind::Protocol, 1002, false, false}, {ErrorKind::Encoding, 1007, false, false},
        {ErrorKind::Policy, 1008, false, false},   {ErrorKind::Timer, 1011, false, false},
        {ErrorKind::Io, 0, true, false},           {ErrorKind::Http, 0, true, false},
        {ErrorKind::Tls, 0, true, false},          {ErrorKind::Timeout, 0, true, false},
        {ErrorKind::Custom, 0, false, true},       {ErrorKind::Queue, 0, false, true},
    };
    for (const Case& c : cases) {
        Server p;
        p.events.on_message_fn = [&](const Message&) -> Result<> { return Error(c.kind, "handler says no"); };
        p.open_server();
        p.feed(cframe(kText, "trigger"));
        SCOPED_TRACE(kind_name(c.kind));
        ASSERT_EQ(p.events.errors.size(), 1u);
        EXPECT_EQ(p.events.errors[0].kind(), c.kind);
        EXPECT_EQ(p.s().abort_transport(), c.abort);
        const auto frames = frames_of(p);
        if (c.code != 0) {
            ASSERT_EQ(frames.size(), 1u);
            EXPECT_EQ(frames[0].close_code(), c.code);
            EXPECT_EQ(frames[0].close_reason(), "handler says no");
            // A graceful closing handshake: we wait for the peer's close.
            EXPECT_EQ(p.s().state(), State::CloseSent);
            p.feed(cframe(kClose, close_payload(c.code)));
            EXPECT_EQ(p.s().state(), State::Closed);
        } else {
            EXPECT_TRUE(frames.empty());
            EXPECT_EQ(p.s().state(), c.stays_open ? State::Open : State::Closed);
        }
        if (c.stays_open) {
            p.feed(cframe(kBinary, "still works"));
            EXPECT_EQ(p.events.messages.size(), 2u);
        }
    }
}

TEST(SessionSend, CloseReasonFromALongErrorIsTruncatedOnACharacterBoundary) {
    // RFC 6455 5.5: 125 bytes of control payload; 5.5.1: the reason is UTF-8.
    // 301 bytes; byte 123 is in the middle of a euro sign.
    std::string details = "x";
    for (int i = 0; i < 100; ++i) details += "\xE2\x82\xAC";
    Server p;
    p.events.on_message_fn = [&](const Message&) -> Result<> { return Error(ErrorKind::Policy, details); };
    p.open_server();
    p.feed(cframe(kText, "x"));
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    const std::string reason = frames[0].close_reason();
    EXPECT_LE(frames[0].payload.size(), 125u);
    EXPECT_EQ(reason.size(), 121u);  // "x" and 40 whole euro signs
    EXPECT_TRUE(proto::is_valid_utf8(reason));
    EXPECT_EQ(details.substr(0, reason.size()), reason);
}

TEST(SessionSend, HandleErrorActsLikeAHandlerError) {
    Server p;
    p.open_server();
    p.s().handle_error(Error(ErrorKind::Capacity, "queue full"));
    EXPECT_EQ(frames_of(p).at(0).close_code(), 1009);
    EXPECT_EQ(p.s().state(), State::CloseSent);
}

TEST(SessionSend, FailSendsTheMatchingCloseAndCloses) {
    Server p;
    p.open_server();
    p.s().fail(Error(ErrorKind::Encoding, "bad text"));
    expect_failed_with(p, 1007);
}

TEST(SessionSend, CloseCodeForEveryKind) {
    using proto::close_code_for;
    EXPECT_EQ(close_code_for(Error(ErrorKind::Internal, "")), CloseCode::Error);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Capacity, "")), CloseCode::Size);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Protocol, "")), CloseCode::Protocol);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Encoding, "")), CloseCode::Invalid);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Policy, "")), CloseCode::Policy);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Timer, "")), CloseCode::Error);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Io, "")), CloseCode::Abnormal);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Http, "")), CloseCode::Abnormal);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Tls, "")), CloseCode::Abnormal);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Timeout, "")), CloseCode::Abnormal);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Custom, "")), CloseCode::Empty);
    EXPECT_EQ(close_code_for(Error(ErrorKind::Queue, "")), CloseCode::Empty);
}

TEST(SessionSend, ParseClosePayload) {
    CloseCode code = CloseCode::Normal;
    std::string_view reason = "x";
    ASSERT_TRUE(proto::parse_close_payload("", code, reason).ok());
    EXPECT_EQ(code, CloseCode::Status);
    EXPECT_EQ(reason, "");
    const std::string payload = close_payload(4321, "why");  // `reason` views into it
    ASSERT_TRUE(proto::parse_close_payload(payload, code, reason).ok());
    EXPECT_EQ(to_u16(code), 4321);
    EXPECT_EQ(reason, "why");
    EXPECT_EQ(proto::parse_close_payload("\x03", code, reason).error().kind(), ErrorKind::Protocol);
    // A 1-byte payload is an error even when the byte after it in memory would complete a code.
    const std::string two = close_payload(1000);
    EXPECT_EQ(proto::parse_close_payload(std::string_view(two).substr(0, 1), code, reason).error().kind(),
              ErrorKind::Protocol);
    EXPECT_EQ(proto::parse_close_payload(close_payload(1005), code, reason).error().kind(), ErrorKind::Protocol);
    EXPECT_EQ(proto::parse_close_payload(close_payload(1000, "\xFF"), code, reason).error().kind(),
              ErrorKind::Encoding);
}

TEST(SessionSend, CheckCloseArgs) {
    using proto::check_close_args;
    EXPECT_TRUE(check_close_args(CloseCode::Normal, "").ok());
    EXPECT_TRUE(check_close_args(CloseCode::Empty, "").ok());
    EXPECT_TRUE(check_close_args(static_cast<CloseCode>(3000), std::string(123, 'a')).ok());
    EXPECT_FALSE(check_close_args(static_cast<CloseCode>(3000), std::string(124, 'a')).ok());
    EXPECT_FALSE(check_close_args(CloseCode::Status, "").ok());
    EXPECT_FALSE(check_close_args(CloseCode::Abnormal, "").ok());
    EXPECT_FALSE(check_close_args(CloseCode::Tls, "").ok());
    EXPECT_EQ(check_close_args(CloseCode::Normal, "\xC0").error().kind(), ErrorKind::Encoding);
}

}  // namespace
}  // namespace ws::test

#include "proto/session.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proto/extension.hpp"
#include "session_harness.hpp"

// Extension routing (RFC 6455 5.2 and 9): once an extension is negotiated, the RSV bits it
// defines are valid on the first frame of a data message and route that message through it,
// in both directions; every other RSV use is still a protocol error.
//
// The extension here is a toy: "x-test" XORs every payload byte with 0x55 and marks such
// messages with RSV1. It is simple enough that the expected bytes are obvious.

namespace ws::test {
namespace {

std::string xor55(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(static_cast<std::uint8_t>(c) ^ 0x55);
    return out;
}

struct ExtensionLog {
    std::vector<std::string> calls;
};

class XorExtension final : public proto::Extension {
public:
    explicit XorExtension(ExtensionLog& log) : log_(log) {}
    std::string_view name() const noexcept override { return "x-test"; }
    std::uint8_t rsv_bits() const noexcept override { return 4; }

    Result<> decode(std::uint8_t rsv, std::span<const std::uint8_t> in, bool fin, proto::MessageBuffer& out,
                    std::size_t limit) override {
        log_.calls.push_back("decode rsv=" + std::to_string(rsv) + " n=" + std::to_string(in.size()) +
                             " fin=" + (fin ? "1" : "0"));
        for (std::uint8_t b : in) {
            const auto c = static_cast<char>(b ^ 0x55);
            // A '*' expands to ten: a tiny "decompression bomb" for the limit test.
            for (int rep = 0; rep < (c == '*' ? 10 : 1); ++rep) {
                if (out.size() >= limit) return Error(ErrorKind::Capacity, "x-test output over the limit");
                out.push_back(c);
            }
        }
        return {};
    }

    std::uint8_t encode(OpCode op, std::string_view payload, std::string& out) override {
        log_.calls.push_back(std::string("encode ") + (op == OpCode::Text ? "text" : "binary"));
        if (payload == "plain") return 0;  // sent unchanged, without RSV1
        out += xor55(payload);
        return 4;
    }

private:
    ExtensionLog& log_;
};

class XorFactory final : public proto::ExtensionFactory {
public:
    explicit XorFactory(ExtensionLog& log) : log_(log) {}
    std::string_view name() const noexcept override { return "x-test"; }
    proto::ExtensionOffer offer() const override { return {"x-test", {}}; }
    Result<std::unique_ptr<proto::Extension>> accept_response(const proto::ExtensionOffer& response) const override {
        for (const auto& [k, v] : response.params) {
            if (k == "unsupported") return Error(ErrorKind::Protocol, "x-test: unsupported parameter");
        }
        return std::unique_ptr<proto::Extension>(std::make_unique<XorExtension>(log_));
    }
    std::optional<Accepted> accept_offer(const proto::ExtensionOffer& offer) const override {
        for (const auto& [k, v] : offer.params) {
            if (k == "decline") return std::nullopt;
        }
        proto::ExtensionOffer response{"x-test", {}};
        if (!offer.params.empty()) response.params.emplace_back("accepted", offer.params.front().first);
        return Accepted{response, std::make_unique<XorExtension>(log_)};
    }

private:
    ExtensionLog& log_;
};

struct ExtPeer : Peer {
    explicit ExtPeer(Role r) : Peer(r), factory(ext_log) { config.extensions.push_back(&factory); }
    ExtensionLog ext_log;
    XorFactory factory;
};

void expect_close(Peer& p, std::uint16_t code) {
    const auto frames = p.take_output().frames;
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].opcode, kClose);
    EXPECT_EQ(frames[0].close_code(), code);
    EXPECT_EQ(p.s().state(), State::Closed);
}

// Server with x-test negotiated.
struct ExtServer : ExtPeer {
    ExtServer() : ExtPeer(Role::Server) {
        start();
        feed(upgrade_request("Sec-WebSocket-Extensions: x-test\r\n"));
        const ParsedOutput o = take_output();
        EXPECT_EQ(head_header(o.head, "Sec-WebSocket-Extensions"), "x-test");
        EXPECT_NE(s().extension(), nullptr);
    }
};

// Client with x-test negotiated.
struct ExtClient : ExtPeer {
    ExtClient() : ExtPeer(Role::Client) { open_client("Sec-WebSocket-Extensions: x-test\r\n"); }
};

// ===== negotiation ==============================================================================

TEST(SessionExtension, ServerNegotiatesAnOfferedExtension) {
    ExtServer p;
    ASSERT_NE(p.s().extension(), nullptr);
    EXPECT_EQ(p.s().extension()->name(), "x-test");
    EXPECT_EQ(p.s().extension()->rsv_bits(), 4);
    EXPECT_EQ(p.s().state(), State::Open);
}

TEST(SessionExtension, ASessionWithAnExtensionSendsNoPlainFrames) {
    // The extension may transform every message, so a broadcast's shared frame is not its
    // frame (Session::sends_plain_frames); without one, the same session would take it.
    ExtServer p;
    p.s().set_frame_hooks(false);
    EXPECT_FALSE(p.s().sends_plain_frames());
    ExtPeer plain(Role::Server);
    plain.open_server();
    plain.s().set_frame_hooks(false);
    EXPECT_TRUE(plain.s().sends_plain_frames());
}

TEST(SessionExtension, ServerWithoutAnOfferNegotiatesNothing) {
    ExtPeer p(Role::Server);
    p.open_server();
    EXPECT_EQ(p.s().extension(), nullptr);
    p.feed(cframe(kText, xor55("hi"), true, 4));
    expect_close(p, 1002);
}

TEST(SessionExtension, ServerTriesTheNextOfferWhenOneIsDeclined) {
    // RFC 6455 9.1: offers are in preference order; a server may accept a later one.
    ExtPeer p(Role::Server);
    p.start();
    p.feed(upgrade_request("Sec-WebSocket-Extensions: x-test; decline, x-test; mode=2\r\n"));
    ASSERT_EQ(p.s().state(), State::Open);
    EXPECT_EQ(head_header(p.take_output().head, "Sec-WebSocket-Extensions"), "x-test; accepted=mode");
    EXPECT_NE(p.s().extension(), nullptr);
}

TEST(SessionExtension, ServerDecliningEveryOfferNegotiatesNothing) {
    ExtPeer p(Role::Server);
    p.start();
    p.feed(upgrade_request("Sec-WebSocket-Extensions: x-test; decline, x-other\r\n"));
    ASSERT_EQ(p.s().state(), State::Open);
    EXPECT_FALSE(head_header(p.take_output().head, "Sec-WebSocket-Extensions").has_value());
    EXPECT_EQ(p.s().extension(), nullptr);
}

TEST(SessionExtension, ClientOffersItsExtensions) {
    ExtPeer c(Role::Client);
    c.start();
    auto url = Url::parse("ws://h/");
    ASSERT_TRUE(url.ok());
    auto req = Request::from_url(*url);
    ASSERT_TRUE(req.ok());
    c.s().start_client(*req);
    const std::string wire = to_string(c.out.take());
    EXPECT_EQ(head_header(wire, "Sec-WebSocket-Extensions"), "x-test");
}

TEST(SessionExtension, ClientAcceptsTheServersAcceptance) {
    ExtClient c;
    ASSERT_NE(c.s().extension(), nullptr);
    EXPECT_EQ(c.s().extension()->name(), "x-test");
}

TEST(SessionExtension, ClientWithoutAcceptanceRunsNoExtension) {
    ExtPeer c(Role::Client);
    c.open_client();
    EXPECT_EQ(c.s().extension(), nullptr);
    c.feed(sframe(kText, xor55("hi"), true, 4));
    expect_close(c, 1002);
}

TEST(SessionExtension, ClientRejectsTwoAcceptedExtensions) {
    ExtPeer c(Role::Client);
    c.start();
    auto url = Url::parse("ws://server.example.com/chat");
    auto req = Request::from_url(*url);
    req->set_header("Sec-WebSocket-Key", std::string(kSampleKey));
    c.s().start_client(*req);
    c.out.clear();
    c.feed(upgrade_response("Sec-WebSocket-Extensions: x-test, x-test\r\n"));
    EXPECT_EQ(c.s().state(), State::Closed);
    EXPECT_EQ(c.events.opens, 0);
}

TEST(SessionExtension, ClientFailsWhenTheFactoryRejectsTheResponse) {
    ExtPeer c(Role::Client);
    c.start();
    auto url = Url::parse("ws://server.example.com/chat");
    auto req = Request::from_url(*url);
    req->set_header("Sec-WebSocket-Key", std::string(kSampleKey));
    c.s().start_client(*req);
    c.out.clear();
    c.feed(upgrade_response("Sec-WebSocket-Extensions: x-test; unsupported\r\n"));
    EXPECT_EQ(c.s().state(), State::Closed);
    EXPECT_EQ(c.events.opens, 0);
    EXPECT_FALSE(c.events.errors.empty());
}

// ===== server role: routing =====================================================================

TEST(SessionExtension, ServerRoutesRsv1MessagesThroughTheExtension) {
    ExtServer p;
    // "héllo" XORed is not valid UTF-8 on the wire; the decoded text is.
    const std::string text = "h\xC3\xA9llo";
    ASSERT_FALSE(proto::is_valid_utf8(xor55(text)));
    p.feed(cframe(kText, xor55(text), true, 4));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0], Message::text(text));
    EXPECT_EQ(p.ext_log.calls.front(), "decode rsv=4 n=6 fin=1");
    // The hook sees the decoded payload and the RSV bit.
    ASSERT_FALSE(p.events.frames.empty());
    EXPECT_TRUE(p.events.frames.back().has_rsv1());
    EXPECT_EQ(p.events.frames.back().payload(), text);
    EXPECT_EQ(p.s().state(), State::Open);
}

TEST(SessionExtension, ServerPassesMessagesWithoutRsv1Unchanged) {
    ExtServer p;
    p.feed(cframe(kBinary, "raw bytes"));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0], Message::binary("raw bytes"));
    EXPECT_TRUE(p.ext_log.calls.empty());
}

TEST(SessionExtension, ServerDecodesAFragmentedMessage) {
    // RFC 7692 6: RSV1 on the first frame only; the continuations belong to the same message.
    ExtServer p;
    const std::string wire = xor55("fragmented message");
    p.feed(cat({cframe(kText, wire.substr(0, 5), false, 4), cframe(kPing, "mid"), cframe(kCont, wire.substr(5, 6), false),
                cframe(kCont, wire.substr(11), true)}));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0].as_text(), "fragmented message");
    EXPECT_EQ(p.ext_log.calls,
              (std::vector<std::string>{"decode rsv=4 n=5 fin=0", "decode rsv=4 n=6 fin=0", "decode rsv=4 n=7 fin=1"}));
    EXPECT_EQ(p.take_output().frames.at(0).describe(), "PONG fin=1 rsv=0 masked=0 'mid'");
}

TEST(SessionExtension, OnlyTheLastPieceOfTheMessageIsMarkedFinal) {
    // The extension learns the message ended exactly once, with its last bytes, however the
    // final frame's payload was cut by the reads.
    ExtServer p;
    const Bytes f = cframe(kBinary, xor55("1234567"), true, 4);
    const std::size_t header = 6;
    p.feed(Bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(header + 3)));
    p.feed(Bytes(f.begin() + static_cast<std::ptrdiff_t>(header + 3), f.end()));
    EXPECT_EQ(p.ext_log.calls, (std::vector<std::string>{"decode rsv=4 n=3 fin=0", "decode rsv=4 n=4 fin=1"}));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0].bytes(), "1234567");
}

TEST(SessionExtension, ServerFinishesAnEmptyFinalFragment) {
    ExtServer p;
    p.feed(cat({cframe(kBinary, xor55("ab"), false, 4), cframe(kCont, "", true)}));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0].bytes(), "ab");
    ASSERT_FALSE(p.ext_log.calls.empty());
    EXPECT_EQ(p.ext_log.calls.back(), "decode rsv=4 n=0 fin=1");
}

TEST(SessionExtension, ServerDecodesAnEmptyMessage) {
    ExtServer p;
    p.feed(cframe(kText, "", true, 4));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0], Message::text(""));
    EXPECT_EQ(p.ext_log.calls, (std::vector<std::string>{"decode rsv=4 n=0 fin=1"}));
}

TEST(SessionExtension, Rsv1OnAContinuationIsStill1002) {
    ExtServer p;
    p.feed(cat({cframe(kText, xor55("ab"), false, 4), cframe(kCont, xor55("cd"), true, 4)}));
    expect_close(p, 1002);
    EXPECT_TRUE(p.events.messages.empty());
}

TEST(SessionExtension, Rsv1OnAContinuationOfAPlainMessageIs1002) {
    ExtServer p;
    p.feed(cat({cframe(kText, "ab", false), cframe(kCont, "cd", true, 4)}));
    expect_close(p, 1002);
}

TEST(SessionExtension, Rsv1OnAControlFrameIsStill1002) {
    // RFC 7692 6: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames".
    for (std::uint8_t op : {kPing, kPong, kClose}) {
        ExtServer p;
        p.feed(cframe(op, op == kClose ? close_payload(1000) : "c", true, 4));
        expect_close(p, 1002);
        EXPECT_TRUE(p.events.closes.empty());
    }
}

TEST(SessionExtension, BitsTheExtensionDoesNotOwnAreStill1002) {
    for (std::uint8_t rsv : std::initializer_list<std::uint8_t>{1, 2, 3, 5, 6, 7}) {
        ExtServer p;
        p.feed(cframe(kText, "x", true, rsv));
        expect_close(p, 1002);
    }
}

TEST(SessionExtension, DecodedTextIsValidatedAsUtf8) {
    ExtServer p;
    // Decodes to "ok " and an overlong NUL (C0 80).
    p.feed(cframe(kText, xor55("ok \xC0\x80"), true, 4));
    expect_close(p, 1007);
    EXPECT_TRUE(p.events.messages.empty());
}

TEST(SessionExtension, MessageLimitAppliesToExtensionMessages) {
    ExtPeer p(Role::Server);
    p.config.max_message_size = 8;
    p.start();
    p.feed(upgrade_request("Sec-WebSocket-Extensions: x-test\r\n"));
    p.out.clear();
    p.feed(cat({cframe(kBinary, xor55("12345"), false, 4), cframe(kCont, xor55("678"), false)}));
    EXPECT_TRUE(p.out.data().empty());
    p.feed(cframe(kCont, xor55("9"), true));
    expect_close(p, 1009);
}

TEST(SessionExtension, ExtensionOutputOverTheLimitIs1009) {
    // The wire size is within the limit; what the extension makes of it is not.
    ExtPeer p(Role::Server);
    p.config.max_message_size = 20;
    p.start();
    p.feed(upgrade_request("Sec-WebSocket-Extensions: x-test\r\n"));
    p.out.clear();
    p.feed(cframe(kBinary, xor55("*"), true, 4));  // 10 bytes: fine
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0].bytes(), std::string(10, '*'));
    p.feed(cframe(kBinary, xor55("***"), true, 4));  // 30 bytes: over
    expect_close(p, 1009);
    EXPECT_TRUE(p.events.has_error(ErrorKind::Capacity));
    EXPECT_EQ(p.events.messages.size(), 1u);
}

TEST(SessionExtension, ServerEncodesOutgoingMessages) {
    ExtServer p;
    ASSERT_TRUE(p.s().send(OpCode::Text, "hello").ok());
    ASSERT_TRUE(p.s().send(OpCode::Binary, "plain").ok());  // the extension leaves this one alone
    ASSERT_TRUE(p.s().ping("ctl").ok());                    // control frames never go through it
    const auto frames = p.take_output().frames;
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0].opcode, kText);
    EXPECT_EQ(frames[0].rsv, 4);
    EXPECT_EQ(frames[0].payload, xor55("hello"));
    EXPECT_FALSE(frames[0].masked);
    EXPECT_EQ(frames[1].rsv, 0);
    EXPECT_EQ(frames[1].payload, "plain");
    EXPECT_EQ(frames[2].describe(), "PING fin=1 rsv=0 masked=0 'ctl'");
    EXPECT_EQ(p.ext_log.calls, (std::vector<std::string>{"encode text", "encode binary"}));
}

TEST(SessionExtension, EncodedMessagesAreFragmentedWithRsv1OnlyOnTheFirstFrame) {
    ExtPeer p(Role::Server);
    p.config.fragment_size = 3;
    p.start();
    p.feed(upgrade_request("Sec-WebSocket-Extensions: x-test\r\n"));
    p.out.clear();
    ASSERT_TRUE(p.s().send(OpCode::Binary, "abcdefgh").ok());
    const auto frames = p.take_output().frames;
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0].opcode, kBinary);
    EXPECT_EQ(frames[0].rsv, 4);
    EXPECT_FALSE(frames[0].fin);
    EXPECT_EQ(frames[1].opcode, kCont);
    EXPECT_EQ(frames[1].rsv, 0);
    EXPECT_EQ(frames[2].rsv, 0);
    EXPECT_TRUE(frames[2].fin);
    EXPECT_EQ(frames[0].payload + frames[1].payload + frames[2].payload, xor55("abcdefgh"));
}

// ===== client role: routing =====================================================================

TEST(SessionExtension, ClientRoutesRsv1MessagesThroughTheExtension) {
    ExtClient c;
    c.feed(cat({sframe(kText, xor55("from server"), true, 4), sframe(kBinary, "raw")}));
    ASSERT_EQ(c.events.messages.size(), 2u);
    EXPECT_EQ(c.events.messages[0], Message::text("from server"));
    EXPECT_EQ(c.events.messages[1], Message::binary("raw"));
}

TEST(SessionExtension, ClientEncodesAndMasksOutgoingMessages) {
    ExtClient c;
    ASSERT_TRUE(c.s().send(OpCode::Text, "to server").ok());
    const auto frames = c.take_output().frames;
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_TRUE(frames[0].masked);
    EXPECT_EQ(frames[0].rsv, 4);
    EXPECT_EQ(frames[0].payload, xor55("to server"));  // unmasked by the parser
}

TEST(SessionExtension, ClientStillRejectsRsv1OnContinuationsAndControlFrames) {
    {
        ExtClient c;
        c.feed(cat({sframe(kText, xor55("a"), false, 4), sframe(kCont, xor55("b"), true, 4)}));
        expect_close(c, 1002);
    }
    {
        ExtClient c;
        c.feed(sframe(kPing, "p", true, 4));
        expect_close(c, 1002);
    }
    {
        ExtClient c;
        c.feed(sframe(kText, "x", true, 2));
        expect_close(c, 1002);
    }
}

// ===== fault injection with the extension ============================================================

TEST(SessionExtension, SplitAtEveryOffsetGivesTheSameEvents) {
    const std::string w = xor55("h\xC3\xA9llo w\xC3\xB6rld");
    const Bytes frames = cat({cframe(kText, w.substr(0, 2), false, 4), cframe(kPing, "p"), cframe(kCont, w.substr(2), true),
                              cframe(kBinary, "plain"), cframe(kBinary, xor55("zz"), true, 4),
                              cframe(kClose, close_payload(1000))});
    auto run = [&](const std::vector<std::size_t>& cuts) {
        ExtServer p;
        p.events.log.clear();
        p.feed_pieces(frames, cuts);
        Transcript t = transcript_of(p);
        // How the extension's input was cut depends on the reads; what it produced does not,
        // and each message reaches its end (fin=1) exactly once, on its last piece.
        int finals = 0;
        for (std::size_t i = 0; i < p.ext_log.calls.size(); ++i) {
            if (p.ext_log.calls[i].ends_with("fin=1")) ++finals;
        }
        EXPECT_EQ(finals, 2);
        EXPECT_TRUE(!p.ext_log.calls.empty() && p.ext_log.calls.back().ends_with("fin=1"));
        return t;
    };
    const Transcript whole = run({});
    ASSERT_EQ(whole.frames.size(), 2u);  // the pong and the close reply
    ASSERT_TRUE(std::find(whole.events.begin(), whole.events.end(),
                          "message text " + show("h\xC3\xA9llo w\xC3\xB6rld")) != whole.events.end());
    for (std::size_t cut = 0; cut <= frames.size(); ++cut) {
        ASSERT_EQ(run({cut}), whole) << "cut at " << cut;
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < frames.size(); ++i) every.push_back(i);
    EXPECT_EQ(run(every), whole) << "one byte at a time";
}

}  // namespace
}  // namespace ws::test

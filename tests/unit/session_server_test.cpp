#include "proto/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "session_harness.hpp"

// ws::proto::Session in the server role: the rules a server enforces on client frames
// (RFC 6455 5 and 7) -- masking, opcodes, RSV bits, control frames, fragmentation, UTF-8
// and size limits. Close frames are session_server_close_test.cpp.

namespace ws::test {
namespace {

// ===== frame rules ==============================================================================

TEST(SessionServer, UnmaskedClientFrameIs1002) {
    // RFC 6455 5.1: "The server MUST close the connection upon receiving a frame that is not
    // masked" (with 1002, 7.4.1).
    for (std::uint8_t op : {kText, kBinary, kPing, kClose}) {
        Server p;
        p.open_server();
        p.feed(sframe(op, op == kClose ? close_payload(1000) : "x"));
        expect_failed_with(p, 1002);
        EXPECT_TRUE(p.events.messages.empty());
        EXPECT_TRUE(p.events.closes.empty());
        EXPECT_TRUE(p.events.has_error(ErrorKind::Protocol));
    }
}

TEST(SessionServer, ReservedOpcodesAre1002) {
    // RFC 6455 5.2: 0x3-0x7 and 0xB-0xF are reserved; "If an unknown opcode is received, the
    // receiving endpoint MUST _Fail the WebSocket Connection_".
    for (std::uint8_t op : std::initializer_list<std::uint8_t>{3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
        Server p;
        p.open_server();
        p.feed(cframe(op, "payload"));
        expect_failed_with(p, 1002);
        EXPECT_TRUE(p.events.frames.empty()) << int(op);
    }
}

TEST(SessionServer, RsvBitsWithoutAnExtensionAre1002) {
    // RFC 6455 5.2: "If a nonzero value is received and none of the negotiated extensions
    // defines the meaning of such a nonzero value, the receiving endpoint MUST _Fail_".
    for (std::uint8_t rsv = 1; rsv < 8; ++rsv) {
        for (std::uint8_t op : {kText, kBinary, kPing, kPong}) {
            Server p;
            p.open_server();
            p.feed(cframe(op, "x", true, rsv));
            expect_failed_with(p, 1002);
            EXPECT_TRUE(p.events.messages.empty());
        }
    }
}

TEST(SessionServer, ControlFramePayloadOver125Is1002) {
    // RFC 6455 5.5: "All control frames MUST have a payload length of 125 bytes or less".
    for (std::uint8_t op : {kPing, kPong, kClose}) {
        Server p;
        p.open_server();
        std::string payload(126, 'c');
        if (op == kClose) payload = close_payload(1000, std::string(124, 'r'));
        p.feed(cframe(op, payload));
        expect_failed_with(p, 1002);
        EXPECT_TRUE(p.events.closes.empty());
    }
}

TEST(SessionServer, ControlFrameAnnouncingTooMuchFailsBeforeItsPayload) {
    Server p;
    p.open_server();
    p.feed(frame(kPing, "", header_only(70000)));  // header only
    expect_failed_with(p, 1002);
}

TEST(SessionServer, FragmentedControlFrameIs1002) {
    // RFC 6455 5.5: "Control frames themselves MUST NOT be fragmented."
    for (std::uint8_t op : {kPing, kPong, kClose}) {
        Server p;
        p.open_server();
        p.feed(cframe(op, op == kClose ? close_payload(1000) : "p", false));
        expect_failed_with(p, 1002);
    }
}

TEST(SessionServer, PingIsAnsweredWithAPongCarryingTheSamePayload) {
    // RFC 6455 5.5.2 / 5.5.3.
    std::string binary125;
    for (int i = 0; i < 125; ++i) binary125.push_back(static_cast<char>(i * 7 + 3));
    for (const std::string& payload : {std::string(), std::string("hello"), binary125}) {
        Server p;
        p.open_server();
        p.feed(cframe(kPing, payload));
        const auto frames = frames_of(p);
        ASSERT_EQ(frames.size(), 1u);
        EXPECT_EQ(frames[0].opcode, kPong);
        EXPECT_TRUE(frames[0].fin);
        EXPECT_FALSE(frames[0].masked);
        EXPECT_EQ(frames[0].rsv, 0);
        EXPECT_EQ(frames[0].payload, payload);
        EXPECT_EQ(p.s().state(), State::Open);
        EXPECT_TRUE(p.events.messages.empty());
    }
}

TEST(SessionServer, EveryPingGetsItsOwnPong) {
    Server p;
    p.open_server();
    p.feed(cat({cframe(kPing, "1"), cframe(kPing, "2"), cframe(kPing, "3")}));
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[0].payload, "1");
    EXPECT_EQ(frames[1].payload, "2");
    EXPECT_EQ(frames[2].payload, "3");
}

TEST(SessionServer, AutoPongCanBeTurnedOff) {
    Server p;
    p.config.auto_pong = false;
    p.open_server();
    p.feed(cframe(kPing, "quiet"));
    EXPECT_TRUE(p.out.data().empty());
    EXPECT_TRUE(p.events.has("frame PING fin=1 rsv=0 'quiet'"));
    EXPECT_TRUE(p.s().pong("quiet").ok());
    EXPECT_EQ(frames_of(p).at(0).describe(), "PONG fin=1 rsv=0 masked=0 'quiet'");
}

TEST(SessionServer, UnsolicitedPongIsAllowed) {
    // RFC 6455 5.5.3: "A response to an unsolicited Pong frame is not expected."
    Server p;
    p.open_server();
    p.feed(cframe(kPong, "heartbeat"));
    EXPECT_EQ(p.s().state(), State::Open);
    EXPECT_TRUE(p.out.data().empty());
    EXPECT_TRUE(p.events.errors.empty());
    EXPECT_TRUE(p.events.has("frame PONG fin=1 rsv=0 'heartbeat'"));
}

TEST(SessionServer, SixtyFourBitLengthWithTheHighBitIs1002) {
    Server p;
    p.open_server();
    Bytes bad{0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
    p.feed(bad);
    expect_failed_with(p, 1002);
}

// ===== messages and fragmentation ===============================================================

TEST(SessionServer, SingleFrameMessages) {
    Server p;
    p.open_server();
    p.feed(cat({cframe(kText, "hello"), cframe(kBinary, std::string("\x00\xFF\x10", 3)), cframe(kText, ""),
                cframe(kBinary, "")}));
    ASSERT_EQ(p.events.messages.size(), 4u);
    EXPECT_EQ(p.events.messages[0], Message::text("hello"));
    EXPECT_EQ(p.events.messages[1], Message::binary(std::string("\x00\xFF\x10", 3)));
    EXPECT_EQ(p.events.messages[2], Message::text(""));
    EXPECT_EQ(p.events.messages[3], Message::binary(""));
    EXPECT_TRUE(p.out.data().empty());
}

TEST(SessionServer, LargeMessagesInEveryLengthForm) {
    for (std::size_t n : {125u, 126u, 65535u, 65536u, 200000u}) {
        std::string payload(n, '\0');
        for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>('a' + i % 26);
        Server p;
        p.open_server();
        const Bytes f = cframe(kText, payload);
        // In one read, and in reads of an awkward size.
        p.feed(f);
        ASSERT_EQ(p.events.messages.size(), 1u) << n;
        EXPECT_EQ(p.events.messages[0].as_text(), payload);
        for (std::size_t i = 0; i < f.size(); i += 4097) {
            p.feed(Bytes(f.begin() + static_cast<std::ptrdiff_t>(i),
                         f.begin() + static_cast<std::ptrdiff_t>(std::min(f.size(), i + 4097))));
        }
        ASSERT_EQ(p.events.messages.size(), 2u) << n;
        EXPECT_EQ(p.events.messages[1].as_text(), payload);
    }
}

TEST(SessionServer, FragmentedMessagesAreAssembled) {
    // RFC 6455 5.4.
    Server p;
    p.open_server();
    p.feed(cat({cframe(kText, "Hel", false), cframe(kCont, "lo", true)}));
    p.feed(cat({cframe(kBinary, "a", false), cframe(kCont, "", false), cframe(kCont, "bc", false),
                cframe(kCont, "d", true)}));
    p.feed(cat({cframe(kText, "", false), cframe(kCont, "", true)}));
    ASSERT_EQ(p.events.messages.size(), 3u);
    EXPECT_EQ(p.events.messages[0], Message::text("Hello"));
    EXPECT_EQ(p.events.messages[1], Message::binary("abcd"));
    EXPECT_EQ(p.events.messages[2], Message::text(""));
    EXPECT_TRUE(p.out.data().empty());
    EXPECT_EQ(p.s().state(), State::Open);
}

TEST(SessionServer, ContinuationWithoutAStartIs1002) {
    // RFC 6455 5.4: a continuation must follow a non-final data frame.
    for (bool fin : {true, false}) {
        Server p;
        p.open_server();
        p.feed(cframe(kCont, "orphan", fin));
        expect_failed_with(p, 1002);
    }
    Server p;
    p.open_server();
    p.feed(cat({cframe(kText, "done"), cframe(kCont, "late")}));
    ASSERT_EQ(p.events.messages.size(), 1u);
    expect_failed_with(p, 1002);
}

TEST(SessionServer, NewDataFrameInsideAFragmentedMessageIs1002) {
    // RFC 6455 5.4: fragments of one message are not interleaved with another message.
    for (std::uint8_t second : {kText, kBinary}) {
        Server p;
        p.open_server();
        p.feed(cat({cframe(kText, "part", false), cframe(second, "intruder", true)}));
        expect_failed_with(p, 1002);
        EXPECT_TRUE(p.events.messages.empty());
    }
}

TEST(SessionServer, ControlFramesBetweenFragmentsAreHandled) {
    // RFC 6455 5.4: "Control frames MAY be injected in the middle of a fragmented message."
    Server p;
    p.open_server();
    p.feed(cat({cframe(kText, "one ", false), cframe(kPing, "mid"), cframe(kCont, "two ", false), cframe(kPong, "x"),
                cframe(kPing, "again"), cframe(kCont, "three", true)}));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0], Message::text("one two three"));
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].describe(), "PONG fin=1 rsv=0 masked=0 'mid'");
    EXPECT_EQ(frames[1].describe(), "PONG fin=1 rsv=0 masked=0 'again'");
    // The pong went out before the message was complete.
    const auto& log = p.events.log;
    const auto pong_at = std::find(log.begin(), log.end(), "send PONG 'mid'");
    const auto msg_at = std::find(log.begin(), log.end(), "message text 'one two three'");
    EXPECT_LT(pong_at, msg_at);
}

TEST(SessionServer, CloseBetweenFragmentsEndsTheSession) {
    Server p;
    p.open_server();
    p.feed(cat({cframe(kText, "unfinished", false), cframe(kClose, close_payload(1001)), cframe(kCont, "!", true)}));
    EXPECT_TRUE(p.events.messages.empty());
    ASSERT_EQ(p.events.closes.size(), 1u);
    EXPECT_EQ(p.events.closes[0].first, CloseCode::Away);
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].close_code(), 1001);
}

TEST(SessionServer, ControlFrameSplitAcrossReadsInsideAFragmentedMessage) {
    Server p;
    p.open_server();
    const Bytes input = cat({cframe(kBinary, "abc", false), cframe(kPing, "ping-payload"), cframe(kCont, "def", true)});
    for (std::size_t i = 0; i < input.size(); ++i) p.feed(Bytes{input[i]});
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0], Message::binary("abcdef"));
    EXPECT_EQ(frames_of(p).at(0).payload, "ping-payload");
}

// ===== UTF-8 ======================================================================================

TEST(SessionServer, InvalidUtf8TextIs1007) {
    // RFC 6455 8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the
    // byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail_" (1007).
    for (const char* bad : {"\xC0\x80", "ab\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "trunc\xE2\x82", "\x80"}) {
        Server p;
        p.open_server();
        p.feed(cframe(kText, bad));
        expect_failed_with(p, 1007);
        EXPECT_TRUE(p.events.messages.empty());
        EXPECT_TRUE(p.events.has_error(ErrorKind::Encoding));
    }
}

TEST(SessionServer, InvalidUtf8InBinaryIsFine) {
    Server p;
    p.open_server();
    p.feed(cframe(kBinary, "\xC0\x80\xFF"));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.s().state(), State::Open);
}

TEST(SessionServer, InvalidUtf8FailsFastInTheFragmentThatHasIt) {
    // Autobahn 6.4.x: the close must come right after the fragment with the invalid byte,
    // before the final fragment is even sent.
    Server p;
    p.open_server();
    p.feed(cframe(kText, "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", false));
    EXPECT_TRUE(p.out.data().empty());
    p.feed(cframe(kCont, "\xED\xA0\x80" "edited", false));
    expect_failed_with(p, 1007);
    EXPECT_EQ(p.feed(cframe(kCont, "", true)), 0u);
    EXPECT_TRUE(p.events.messages.empty());
}

TEST(SessionServer, InvalidUtf8FailsFastInsideAFrameStillArriving) {
    // Autobahn 6.4.3/6.4.4: the frame's payload has not fully arrived, but the bytes already
    // there cannot be valid.
    for (const char* dead : {"\xF4\x90", "\xED\xA0", "\xC0", "\xF5", "\xE0\x80"}) {
        Server p;
        p.open_server();
        const std::string payload = std::string("\xCE\xBA\xE1\xBD\xB9") + dead + "more text to come";
        const Bytes f = cframe(kText, payload);
        const std::size_t upto = 2 + 4 + 5 + std::string_view(dead).size();
        p.feed(Bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(upto)));
        expect_failed_with(p, 1007);
    }
}

TEST(SessionServer, ValidIncompleteUtf8AtTheEndOfAPartialFrameWaits) {
    Server p;
    p.open_server();
    const Bytes f = cframe(kText, "a\xF0\x9F\x98\x80z");
    const std::size_t upto = 2 + 4 + 3;  // header, key, "a\xF0\x9F"
    p.feed(Bytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(upto)));
    EXPECT_EQ(p.s().state(), State::Open);
    EXPECT_TRUE(p.out.data().empty());
    p.feed(Bytes(f.begin() + static_cast<std::ptrdiff_t>(upto), f.end()));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0].as_text(), "a\xF0\x9F\x98\x80z");
}

TEST(SessionServer, TextSplitAcrossFragmentsMidCharacterIsValid) {
    // RFC 6455 5.6: text validity is a property of the whole message, not of each fragment.
    Server p;
    p.open_server();
    p.feed(cat({cframe(kText, "\xE2", false), cframe(kCont, "\x82", false), cframe(kCont, "\xAC!", true)}));
    p.feed(cat({cframe(kText, "x\xF0\x9F", false), cframe(kPing, ""), cframe(kCont, "\x98\x80", true)}));
    ASSERT_EQ(p.events.messages.size(), 2u);
    EXPECT_EQ(p.events.messages[0].as_text(), "\xE2\x82\xAC!");
    EXPECT_EQ(p.events.messages[1].as_text(), "x\xF0\x9F\x98\x80");
    EXPECT_EQ(p.s().state(), State::Open);
}

TEST(SessionServer, TextEndingInsideACharacterIs1007) {
    Server p;
    p.open_server();
    p.feed(cat({cframe(kText, "abc\xE2", false), cframe(kCont, "\x82", true)}));
    expect_failed_with(p, 1007);
    EXPECT_TRUE(p.events.messages.empty());
}

TEST(SessionServer, InvalidUtf8AcrossAFragmentBoundaryIs1007) {
    Server p;
    p.open_server();
    p.feed(cframe(kText, "ok\xF4", false));
    EXPECT_TRUE(p.out.data().empty());
    p.feed(cframe(kCont, "\x90\x80\x80", true));
    expect_failed_with(p, 1007);
}

// ===== limits ===================================================================================

TEST(SessionServer, MaxFrameSizeIs1009AsSoonAsTheHeaderSaysSo) {
    Server p;
    p.config.max_frame_size = 10;
    p.open_server();
    p.feed(cframe(kBinary, std::string(10, 'x')));
    ASSERT_EQ(p.events.messages.size(), 1u);
    p.feed(frame(kBinary, "", header_only(11)));  // the header alone
    expect_failed_with(p, 1009);
    EXPECT_TRUE(p.events.has_error(ErrorKind::Capacity));
}

TEST(SessionServer, MaxFrameSizeAppliesToFragments) {
    Server p;
    p.config.max_frame_size = 10;
    p.open_server();
    p.feed(cframe(kText, std::string(10, 'x'), false));
    p.feed(frame(kCont, "", header_only(1u << 20)));
    expect_failed_with(p, 1009);
}

TEST(SessionServer, MaxMessageSizeIs1009AsSoonAsTheHeaderSaysSo) {
    Server p;
    p.config.max_message_size = 10;
    p.open_server();
    p.feed(cframe(kText, std::string(10, 'x')));
    ASSERT_EQ(p.events.messages.size(), 1u);
    p.feed(frame(kText, "", header_only(11)));
    expect_failed_with(p, 1009);
}

TEST(SessionServer, MaxMessageSizeCountsEveryFragment) {
    Server p;
    p.config.max_message_size = 10;
    p.open_server();
    p.feed(cat({cframe(kText, "12345", false), cframe(kCont, "678", false)}));
    EXPECT_TRUE(p.out.data().empty());
    // 8 so far; a fragment announcing 3 more goes over, before any of it arrives.
    p.feed(frame(kCont, "", header_only(3)));
    expect_failed_with(p, 1009);
    EXPECT_TRUE(p.events.messages.empty());

    Server q;
    q.config.max_message_size = 10;
    q.open_server();
    q.feed(cat({cframe(kText, "12345", false), cframe(kCont, "678", false), cframe(kCont, "90", true)}));
    ASSERT_EQ(q.events.messages.size(), 1u);
    EXPECT_EQ(q.events.messages[0].as_text(), "1234567890");
    // The count starts again with the next message.
    q.feed(cframe(kText, "0123456789"));
    EXPECT_EQ(q.events.messages.size(), 2u);
}

TEST(SessionServer, ControlFramesDoNotCountTowardsTheMessageSize) {
    Server p;
    p.config.max_message_size = 10;
    p.open_server();
    p.feed(cat({cframe(kText, "12345", false), cframe(kPing, std::string(100, 'p')), cframe(kCont, "67890", true)}));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.s().state(), State::Open);
}

// ===== partly received frames and idle buffers ===================================================

TEST(SessionServer, ReceivingIsTrueExactlyWhileAFrameOrMessageIsPartlyReceived) {
    // The Connection reads receiving() after each read to time a message that is arriving.
    Server p;
    p.open_server();
    EXPECT_FALSE(p.s().receiving());
    const Bytes whole = cframe(kText, "hello");
    p.feed(whole);
    EXPECT_FALSE(p.s().receiving());
    // A header's first byte, then the rest of the frame.
    p.feed(Bytes(whole.begin(), whole.begin() + 1));
    EXPECT_TRUE(p.s().receiving());
    p.feed(Bytes(whole.begin() + 1, whole.end()));
    EXPECT_FALSE(p.s().receiving());
    // The whole header and part of the payload.
    p.feed(Bytes(whole.begin(), whole.end() - 2));
    EXPECT_TRUE(p.s().receiving());
    p.feed(Bytes(whole.end() - 2, whole.end()));
    EXPECT_FALSE(p.s().receiving());
    // A whole first fragment: its message is still arriving, across a control frame too.
    p.feed(cframe(kText, "one ", false));
    EXPECT_TRUE(p.s().receiving());
    p.feed(cframe(kPing, "mid"));
    EXPECT_TRUE(p.s().receiving());
    p.feed(cframe(kCont, "two", true));
    EXPECT_FALSE(p.s().receiving());
    ASSERT_EQ(p.events.messages.size(), 4u);
    EXPECT_EQ(p.events.messages[3], Message::text("one two"));
}

TEST(SessionServer, ReleasingIdleBuffersBetweenAnyTwoReadsLosesNothing) {
    // The Connection's sweep calls release_idle_buffers between reads. Whatever is partly
    // received at that moment (a header's first bytes, a frame's payload, a fragmented message
    // with a control frame inside it) must survive it.
    const std::string big(300, 'x');  // the 16-bit length form
    const Bytes input = cat({cframe(kText, "hello"), cframe(kBinary, big), cframe(kText, "one ", false),
                             cframe(kPing, "mid"), cframe(kCont, big, false), cframe(kCont, "end", true),
                             cframe(kPing, "last")});
    Server whole;
    whole.open_server();
    whole.feed(input);
    ASSERT_EQ(whole.events.messages.size(), 3u);
    const Transcript expected = transcript_of(whole);
    const auto at = [&](std::size_t k) { return input.begin() + static_cast<std::ptrdiff_t>(k); };
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        Server p;
        p.open_server();
        p.feed(Bytes(input.begin(), at(cut)));
        p.s().release_idle_buffers();
        p.feed(Bytes(at(cut), input.end()));
        p.s().release_idle_buffers();
        ASSERT_EQ(transcript_of(p), expected) << "released after byte " << cut;
        EXPECT_FALSE(p.s().receiving());
    }
    // And after every byte.
    Server p;
    p.open_server();
    for (const std::uint8_t byte : input) {
        p.feed(Bytes{byte});
        p.s().release_idle_buffers();
    }
    EXPECT_EQ(transcript_of(p), expected);
}

}  // namespace
}  // namespace ws::test

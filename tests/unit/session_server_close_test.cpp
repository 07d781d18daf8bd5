#include "proto/session.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "session_harness.hpp"

// ws::proto::Session in the server role: close frames (RFC 6455 5.5.1, 7.1.5, 7.4) -- the
// status a close reports, which codes and reasons are valid, the reply, and what a session
// does with frames after a close. The other frame rules are session_server_test.cpp.

namespace ws::test {
namespace {

// ===== close frames =============================================================================

TEST(SessionServer, EmptyCloseIsReportedAsStatusAndAnsweredWithAnEmptyClose) {
    // RFC 6455 7.1.5: no status code in the close frame is reported as 1005; the reply may
    // not carry 1005 (7.4.1), so it is empty too.
    Server p;
    p.open_server();
    const Bytes close = cframe(kClose, "");
    EXPECT_EQ(p.feed(close), close.size());
    ASSERT_EQ(p.events.closes.size(), 1u);
    EXPECT_EQ(p.events.closes[0].first, CloseCode::Status);
    EXPECT_EQ(p.events.closes[0].second, "");
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].opcode, kClose);
    EXPECT_EQ(frames[0].payload, "");
    EXPECT_EQ(p.s().state(), State::Closed);
    EXPECT_TRUE(p.s().close_received());
    EXPECT_TRUE(p.events.errors.empty());
}

TEST(SessionServer, OneByteClosePayloadIs1002) {
    // RFC 6455 5.5.1: if there is a body, its first two bytes are the status code.
    Server p;
    p.open_server();
    p.feed(cframe(kClose, "\x03"));
    expect_failed_with(p, 1002);
    EXPECT_TRUE(p.events.closes.empty());
}

TEST(SessionServer, InvalidCloseCodesAre1002) {
    // RFC 6455 7.4: codes that may not appear on the wire.
    for (std::uint16_t code : std::initializer_list<std::uint16_t>{0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        Server p;
        p.open_server();
        p.feed(cframe(kClose, close_payload(code, "why")));
        expect_failed_with(p, 1002);
        EXPECT_TRUE(p.events.closes.empty()) << code;
    }
}

TEST(SessionServer, ValidCloseCodesAreEchoed) {
    // RFC 6455 5.5.1: "the endpoint typically echos the status code it received".
    for (std::uint16_t code : std::initializer_list<std::uint16_t>{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
                               4000, 4999}) {
        Server p;
        p.open_server();
        p.feed(cframe(kClose, close_payload(code, "bye")));
        ASSERT_EQ(p.events.closes.size(), 1u) << code;
        EXPECT_EQ(to_u16(p.events.closes[0].first), code);
        EXPECT_EQ(p.events.closes[0].second, "bye");
        const auto frames = frames_of(p);
        ASSERT_EQ(frames.size(), 1u) << code;
        EXPECT_EQ(frames[0].close_code(), code);
        EXPECT_FALSE(frames[0].masked);
        EXPECT_EQ(p.s().state(), State::Closed);
        EXPECT_TRUE(p.events.errors.empty()) << code;
    }
}

TEST(SessionServer, CloseReasonMustBeUtf8) {
    // RFC 6455 5.5.1 / Autobahn 7.5.1: an invalid reason fails with 1007.
    Server p;
    p.open_server();
    p.feed(cframe(kClose, close_payload(1000, "bad \xC0\x80 reason")));
    expect_failed_with(p, 1007);
    EXPECT_TRUE(p.events.closes.empty());
}

TEST(SessionServer, CloseReasonOf123BytesIsAccepted) {
    Server p;
    p.open_server();
    const std::string reason(123, 'r');
    p.feed(cframe(kClose, close_payload(1000, reason)));
    ASSERT_EQ(p.events.closes.size(), 1u);
    EXPECT_EQ(p.events.closes[0].second, reason);
    EXPECT_EQ(frames_of(p).at(0).close_code(), 1000);
}

TEST(SessionServer, DataAfterCloseIsIgnored) {
    // RFC 6455 5.5.1: after a Close frame, the peer sends no more data; whatever comes is not
    // processed.
    Server p;
    p.open_server();
    const Bytes close = cframe(kClose, close_payload(1000));
    const Bytes input = cat({cframe(kText, "before"), close, cframe(kText, "after"), cframe(kPing, "p")});
    const std::size_t used = p.feed(input);
    EXPECT_EQ(used, input.size() - cframe(kText, "after").size() - cframe(kPing, "p").size());
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0].as_text(), "before");
    const auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].opcode, kClose);
    EXPECT_EQ(p.feed(cframe(kText, "later")), 0u);
    EXPECT_TRUE(p.out.data().empty());
    EXPECT_EQ(p.events.messages.size(), 1u);
}

TEST(SessionServer, OurCloseThenThePeersClose) {
    // RFC 6455 5.5.1 / 7.1.2: the endpoint that sent a Close does not send another.
    Server p;
    p.open_server();
    ASSERT_TRUE(p.s().close(CloseCode::Normal, "done").ok());
    EXPECT_EQ(p.s().state(), State::CloseSent);
    EXPECT_EQ(p.s().sent_close_code(), CloseCode::Normal);
    auto frames = frames_of(p);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].close_code(), 1000);
    EXPECT_EQ(frames[0].close_reason(), "done");
    // A second close() is a no-op.
    EXPECT_TRUE(p.s().close(CloseCode::Away).ok());
    EXPECT_TRUE(p.out.data().empty());
    p.feed(cframe(kClose, close_payload(1000)));
    EXPECT_EQ(p.s().state(), State::Closed);
    ASSERT_EQ(p.events.closes.size(), 1u);
    EXPECT_TRUE(p.out.data().empty()) << "no second close frame";
}

TEST(SessionServer, ProtocolErrorAfterOurCloseSendsNoSecondClose) {
    Server p;
    p.open_server();
    ASSERT_TRUE(p.s().close(CloseCode::Normal).ok());
    p.out.clear();
    p.feed(cframe(7, "reserved"));
    EXPECT_EQ(p.s().state(), State::Closed);
    EXPECT_TRUE(p.out.data().empty());
    EXPECT_TRUE(p.events.has_error(ErrorKind::Protocol));
}

TEST(SessionServer, PingAfterOurCloseGetsNoPong) {
    Server p;
    p.open_server();
    ASSERT_TRUE(p.s().close(CloseCode::Normal).ok());
    p.out.clear();
    p.feed(cframe(kPing, "late"));
    EXPECT_TRUE(p.out.data().empty());
}

}  // namespace
}  // namespace ws::test

#include "ws/message.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ws/close_code.hpp"
#include "ws/error.hpp"
#include "ws/frame.hpp"
#include "ws/opcode.hpp"

// The small vocabulary types of include/ws (implemented in src/proto/vocabulary.cpp):
// Message, Frame, CloseCode (RFC 6455 7.4), OpCode (RFC 6455 5.2), Error, Result.

namespace ws {
namespace {

// ---- CloseCode -----------------------------------------------------------------------------

TEST(CloseCode, RegisteredValues) {
    // RFC 6455 7.4.1 and the IANA WebSocket Close Code Number Registry.
    EXPECT_EQ(to_u16(CloseCode::Normal), 1000);
    EXPECT_EQ(to_u16(CloseCode::Away), 1001);
    EXPECT_EQ(to_u16(CloseCode::Protocol), 1002);
    EXPECT_EQ(to_u16(CloseCode::Unsupported), 1003);
    EXPECT_EQ(to_u16(CloseCode::Status), 1005);
    EXPECT_EQ(to_u16(CloseCode::Abnormal), 1006);
    EXPECT_EQ(to_u16(CloseCode::Invalid), 1007);
    EXPECT_EQ(to_u16(CloseCode::Policy), 1008);
    EXPECT_EQ(to_u16(CloseCode::Size), 1009);
    EXPECT_EQ(to_u16(CloseCode::Extension), 1010);
    EXPECT_EQ(to_u16(CloseCode::Error), 1011);
    EXPECT_EQ(to_u16(CloseCode::Restart), 1012);
    EXPECT_EQ(to_u16(CloseCode::Again), 1013);
    EXPECT_EQ(to_u16(CloseCode::BadGateway), 1014);
    EXPECT_EQ(to_u16(CloseCode::Tls), 1015);
}

TEST(CloseCode, ValidityForEverySixteenBitValue) {
    // RFC 6455 7.4.1/7.4.2: 0-999 unused, 1004 reserved, 1005/1006/1015 never on the wire,
    // 1016-2999 reserved for future protocol revisions (IANA has registered up to 1014),
    // 3000-3999 registered by libraries, 4000-4999 private, 5000+ undefined.
    for (std::uint32_t c = 0; c <= 0xFFFF; ++c) {
        const bool want = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
        ASSERT_EQ(is_valid_close_code(static_cast<std::uint16_t>(c)), want) << c;
    }
}

TEST(CloseCode, Names) {
    EXPECT_EQ(to_string(CloseCode::Normal), "Normal");
    EXPECT_EQ(to_string(CloseCode::Protocol), "Protocol");
    EXPECT_EQ(to_string(CloseCode::Invalid), "Invalid");
    EXPECT_EQ(to_string(CloseCode::Size), "Size");
    EXPECT_EQ(to_string(CloseCode::Status), "Status");
    EXPECT_EQ(to_string(static_cast<CloseCode>(4000)), "Other");
}

// ---- OpCode ----------------------------------------------------------------------------------

TEST(OpCode, ValuesAndClasses) {
    // RFC 6455 5.2.
    EXPECT_EQ(static_cast<int>(OpCode::Continue), 0x0);
    EXPECT_EQ(static_cast<int>(OpCode::Text), 0x1);
    EXPECT_EQ(static_cast<int>(OpCode::Binary), 0x2);
    EXPECT_EQ(static_cast<int>(OpCode::Close), 0x8);
    EXPECT_EQ(static_cast<int>(OpCode::Ping), 0x9);
    EXPECT_EQ(static_cast<int>(OpCode::Pong), 0xA);
    for (std::uint8_t op = 0; op < 16; ++op) {
        EXPECT_EQ(is_control(static_cast<OpCode>(op)), op >= 8) << int(op);
        EXPECT_EQ(is_known_opcode(op), op == 0 || op == 1 || op == 2 || op == 8 || op == 9 || op == 10) << int(op);
    }
    EXPECT_FALSE(is_known_opcode(0x10));
    EXPECT_FALSE(is_known_opcode(0xFF));
}

TEST(OpCode, Names) {
    EXPECT_EQ(to_string(OpCode::Text), "TEXT");
    EXPECT_EQ(to_string(OpCode::Binary), "BINARY");
    EXPECT_EQ(to_string(OpCode::Ping), "PING");
    EXPECT_EQ(to_string(OpCode::Pong), "PONG");
    EXPECT_EQ(to_string(OpCode::Close), "CLOSE");
    EXPECT_EQ(to_string(OpCode::Continue), "CONTINUE");
    EXPECT_EQ(to_string(static_cast<OpCode>(3)), "BAD");
}

// ---- Error and Result ------------------------------------------------------------------------

TEST(Error, Fields) {
    Error e(ErrorKind::Io, "connection reset", -104);
    EXPECT_EQ(e.kind(), ErrorKind::Io);
    EXPECT_EQ(e.details(), "connection reset");
    EXPECT_EQ(e.io_code(), -104);
    EXPECT_EQ(e.http_status(), 0);
    EXPECT_EQ(e.what(), "Io: connection reset");
    e.with_http_status(404);
    EXPECT_EQ(e.http_status(), 404);
    EXPECT_EQ(Error(ErrorKind::Protocol, "x").io_code(), 0);
}

TEST(Error, Equality) {
    EXPECT_EQ(Error(ErrorKind::Protocol, "a"), Error(ErrorKind::Protocol, "a"));
    EXPECT_NE(Error(ErrorKind::Protocol, "a"), Error(ErrorKind::Encoding, "a"));
    EXPECT_NE(Error(ErrorKind::Protocol, "a"), Error(ErrorKind::Protocol, "b"));
}

TEST(Error, KindNames) {
    const std::pair<ErrorKind, const char*> kinds[] = {
        {ErrorKind::Internal, "Internal"}, {ErrorKind::Capacity, "Capacity"}, {ErrorKind::Protocol, "Protocol"},
        {ErrorKind::Encoding, "Encoding"}, {ErrorKind::Io, "Io"},             {ErrorKind::Http, "Http"},
        {ErrorKind::Queue, "Queue"},       {ErrorKind::Custom, "Custom"},     {ErrorKind::Tls, "Tls"},
        {ErrorKind::Timer, "Timer"},       {ErrorKind::Timeout, "Timeout"},   {ErrorKind::Policy, "Policy"},
    };
    for (const auto& [kind, name] : kinds) EXPECT_EQ(to_string(kind), name);
}

TEST(Result, ValueAndError) {
    Result<int> good(42);
    EXPECT_TRUE(good.ok());
    EXPECT_TRUE(static_cast<bool>(good));
    EXPECT_EQ(*good, 42);
    EXPECT_EQ(good.value(), 42);
    Result<int> bad(Error(ErrorKind::Capacity, "full"));
    EXPECT_FALSE(bad.ok());
    EXPECT_FALSE(static_cast<bool>(bad));
    EXPECT_EQ(bad.error().kind(), ErrorKind::Capacity);
    EXPECT_EQ(bad.error().details(), "full");
    Error moved = std::move(bad).error();
    EXPECT_EQ(moved.details(), "full");

    Result<std::string> s(std::string("abc"));
    EXPECT_EQ(s->size(), 3u);
    std::string taken = std::move(s).value();
    EXPECT_EQ(taken, "abc");
}

TEST(Result, Void) {
    Result<> good;
    EXPECT_TRUE(good.ok());
    Result<> bad = Error(ErrorKind::Policy, "no");
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind(), ErrorKind::Policy);
    auto f = []() -> Result<> { return Error(ErrorKind::Custom, "c"); };
    EXPECT_EQ(f().error().kind(), ErrorKind::Custom);
}

// ---- Message ---------------------------------------------------------------------------------

TEST(Message, OwningConstructors) {
    const Message t = Message::text("hello");
    EXPECT_TRUE(t.is_text());
    EXPECT_FALSE(t.is_binary());
    EXPECT_EQ(t.type(), Message::Type::Text);
    EXPECT_EQ(t.opcode(), OpCode::Text);
    EXPECT_EQ(t.as_text(), "hello");
    EXPECT_EQ(t.size(), 5u);
    EXPECT_EQ(t.len(), 5u);
    EXPECT_FALSE(t.empty());
    EXPECT_TRUE(t.is_owned());

    const std::vector<std::uint8_t> raw{0, 1, 2, 255};
    const Message b = Message::binary(raw);
    EXPECT_TRUE(b.is_binary());
    EXPECT_EQ(b.opcode(), OpCode::Binary);
    EXPECT_EQ(b.into_data(), raw);
    EXPECT_EQ(b.size(), 4u);
    EXPECT_TRUE(b.is_owned());
    EXPECT_EQ(Message::binary(std::string("\0x", 2)).size(), 2u);
    EXPECT_TRUE(Message::text("").empty());
}

TEST(Message, ViewsBorrowAndCopiesOwn) {
    std::string source = "borrowed";
    const Message view = Message::text_view(source);
    EXPECT_FALSE(view.is_owned());
    EXPECT_EQ(view.as_text().data(), source.data());
    Message copy = view;  // the documented way to keep a message
    EXPECT_TRUE(copy.is_owned());
    EXPECT_NE(copy.as_text().data(), source.data());
    source[0] = 'X';
    EXPECT_EQ(copy.as_text(), "borrowed");
    EXPECT_EQ(view.as_text(), "Xorrowed");

    Message assigned = Message::text("other");
    assigned = view;
    EXPECT_TRUE(assigned.is_owned());
    EXPECT_EQ(assigned.as_text(), "Xorrowed");

    const std::uint8_t bytes[] = {1, 2, 3};
    const Message bv = Message::binary_view(std::span<const std::uint8_t>(bytes));
    EXPECT_TRUE(bv.is_binary());
    EXPECT_FALSE(bv.is_owned());
    EXPECT_EQ(bv.data().data(), bytes);
}

TEST(Message, CopiesOfOwnedMessagesAreIndependent) {
    Message a = Message::text("abc");
    Message b = a;
    EXPECT_EQ(a, b);
    EXPECT_NE(a.as_text().data(), b.as_text().data());
    std::vector<Message> log;
    log.push_back(a);
    log.push_back(Message::text_view("view"));
    log.push_back(log[1]);
    EXPECT_EQ(log[0].as_text(), "abc");
    EXPECT_EQ(log[2].as_text(), "view");
}

TEST(Message, MoveKeepsTheContent) {
    Message a = Message::text(std::string(100, 'q'));
    const char* p = a.as_text().data();
    Message b = std::move(a);
    EXPECT_EQ(b.as_text(), std::string(100, 'q'));
    EXPECT_TRUE(b.is_owned());
    EXPECT_EQ(b.as_text().data(), p);  // heap buffer moved, not copied

    // A short (SSO) string moved: the view must follow the new owner, not the old one.
    Message s = Message::text("hi");
    Message t = std::move(s);
    s = Message::text("overwritten");
    EXPECT_EQ(t.as_text(), "hi");
    EXPECT_TRUE(t.is_owned());

    std::string src = "view";
    Message v = Message::text_view(src);
    Message w = std::move(v);
    EXPECT_FALSE(w.is_owned());
    EXPECT_EQ(w.as_text().data(), src.data());

    Message x = Message::text("before");
    x = Message::binary("moved-assigned");
    EXPECT_TRUE(x.is_binary());
    EXPECT_EQ(x.bytes(), "moved-assigned");
}

TEST(Message, ImplicitConversions) {
    const Message a = "c-string";
    EXPECT_TRUE(a.is_text());
    EXPECT_EQ(a.as_text(), "c-string");
    const Message b = std::string("owned");
    EXPECT_TRUE(b.is_owned());
    const Message c = std::string_view("sv");
    EXPECT_TRUE(c.is_text());
    const Message d = std::vector<std::uint8_t>{1, 2};
    EXPECT_TRUE(d.is_binary());
    EXPECT_EQ(d.size(), 2u);
}

TEST(Message, Equality) {
    EXPECT_EQ(Message::text("a"), Message::text_view("a"));
    EXPECT_NE(Message::text("a"), Message::binary("a"));
    EXPECT_NE(Message::text("a"), Message::text("b"));
}

TEST(Message, IntoText) {
    auto t = Message::text("txt").into_text();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, "txt");
    auto b = Message::binary("\xE2\x82\xAC").into_text();
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(*b, "\xE2\x82\xAC");
    auto bad = Message::binary(std::string("\xC0\x80", 2)).into_text();
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind(), ErrorKind::Encoding);
    EXPECT_EQ(Message::binary("abc").to_string(), "abc");
}

TEST(Message, Printing) {
    std::ostringstream a;
    a << Message::text("hello");
    EXPECT_EQ(a.str(), "hello");
    std::ostringstream b;
    b << Message::binary("12345");
    EXPECT_EQ(b.str(), "Binary Data<length=5>");
}

// ---- Frame -------------------------------------------------------------------------------

TEST(Frame, Constructors) {
    const Frame m = Frame::message("data", OpCode::Binary, false);
    EXPECT_EQ(m.opcode(), OpCode::Binary);
    EXPECT_FALSE(m.is_final());
    EXPECT_EQ(m.payload(), "data");
    EXPECT_EQ(m.len(), 4u);
    EXPECT_FALSE(m.is_control());
    EXPECT_EQ(m.rsv(), 0);

    const Frame p = Frame::ping("p");
    EXPECT_EQ(p.opcode(), OpCode::Ping);
    EXPECT_TRUE(p.is_final());
    EXPECT_TRUE(p.is_control());
    EXPECT_EQ(Frame::pong("q").opcode(), OpCode::Pong);
}

TEST(Frame, CloseFramePayload) {
    // RFC 6455 5.5.1: a 2-byte big-endian code, then the UTF-8 reason.
    const Frame c = Frame::close(CloseCode::Normal, "bye");
    EXPECT_EQ(c.opcode(), OpCode::Close);
    EXPECT_TRUE(c.is_final());
    EXPECT_EQ(c.payload(), std::string("\x03\xE8" "bye"));
    EXPECT_EQ(Frame::close(static_cast<CloseCode>(4999)).payload(), std::string("\x13\x87"));
    EXPECT_EQ(Frame::close(CloseCode::Empty).payload(), "");
    EXPECT_EQ(Frame::close(CloseCode::Protocol).payload(), std::string("\x03\xEA"));
}

TEST(Frame, RsvBits) {
    Frame f(OpCode::Text, "x");
    EXPECT_FALSE(f.has_rsv1() || f.has_rsv2() || f.has_rsv3());
    f.set_rsv1(true);
    EXPECT_TRUE(f.has_rsv1());
    EXPECT_EQ(f.rsv(), 4);
    f.set_rsv3(true);
    EXPECT_EQ(f.rsv(), 5);
    f.set_rsv1(false);
    EXPECT_EQ(f.rsv(), 1);
    f.set_rsv2(true);
    EXPECT_TRUE(f.has_rsv2());
    EXPECT_EQ(f.rsv(), 3);
    f.set_rsv(0xFF);
    EXPECT_EQ(f.rsv(), 7);
    f.set_rsv(0);
    EXPECT_EQ(f.rsv(), 0);
}

TEST(Frame, SettersDropAndReplace) {
    std::string buf = "original";
    Frame f(OpCode::Text, buf, true);
    EXPECT_FALSE(f.payload_replaced());
    EXPECT_FALSE(f.dropped());
    EXPECT_EQ(f.payload().data(), buf.data());
    f.set_final(false);
    f.set_opcode(OpCode::Binary);
    EXPECT_FALSE(f.is_final());
    EXPECT_EQ(f.opcode(), OpCode::Binary);
    f.set_payload("replacement");
    EXPECT_TRUE(f.payload_replaced());
    EXPECT_EQ(f.payload(), "replacement");
    EXPECT_EQ(f.payload_bytes().size(), 11u);
    f.drop();
    EXPECT_TRUE(f.dropped());
}

TEST(Frame, CopiesAndMoves) {
    Frame owned = Frame::message(std::string(64, 'o'), OpCode::Text, true);
    owned.set_rsv1(true);
    Frame copy = owned;
    EXPECT_EQ(copy.payload(), owned.payload());
    EXPECT_NE(copy.payload().data(), owned.payload().data());
    EXPECT_TRUE(copy.has_rsv1());

    std::string buf = "viewed";
    Frame view(OpCode::Binary, buf);
    Frame vcopy = view;
    EXPECT_EQ(vcopy.payload().data(), buf.data());
    EXPECT_FALSE(vcopy.payload_replaced());

    // A short owned payload moved: the view must follow the new owner.
    Frame small = Frame::ping("ab");
    Frame moved = std::move(small);
    small = Frame::ping("zzzz");
    EXPECT_EQ(moved.payload(), "ab");
    Frame assigned;
    assigned = moved;
    moved = Frame::pong("yy");
    EXPECT_EQ(assigned.payload(), "ab");
    EXPECT_EQ(assigned.opcode(), OpCode::Ping);
}

}  // namespace
}  // namespace ws

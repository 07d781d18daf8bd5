#include "proto/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "session_harness.hpp"

// ws::proto::Session's direct reads: the rest of a large incoming data frame is read by the
// driver straight into the message being assembled (direct_read_target, feed_direct) instead
// of being copied there from the driver's read buffer. Whatever way the bytes come, the
// Session must see exactly what feed() alone would have shown it.

namespace ws::test {
namespace {

// Feeds `input` as io::Stream reads it: reads of `read` bytes (the last one shorter), each
// read's first bytes landing in the room the Session offers (at most `max` bytes), the rest
// going through feed(). With `use_room` false the room is asked for and left unused (the
// Session must then put fed bytes there itself). Returns how many bytes went into the room.
std::size_t feed_as_a_stream(Peer& p, const Bytes& input, std::size_t read, std::size_t max, bool use_room = true) {
    std::size_t direct = 0;
    for (std::size_t pos = 0; pos < input.size();) {
        const std::size_t n = std::min(read, input.size() - pos);
        Bytes piece(input.begin() + static_cast<std::ptrdiff_t>(pos), input.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
        std::size_t k = 0;
        const std::span<std::uint8_t> room = p.s().direct_read_target(max);
        EXPECT_LE(room.size(), max);
        if (use_room && !room.empty()) {
            k = std::min(room.size(), n);
            std::memcpy(room.data(), piece.data(), k);
            p.s().feed_direct(k);
            direct += k;
        }
        if (k < n) p.s().feed(std::span(piece).subspan(k));
    }
    return direct;
}

// Text whose characters are 1 to 4 bytes long, so that reads cut characters everywhere.
std::string mixed_text(std::size_t at_least) {
    std::string s;
    while (s.size() < at_least) s += "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 ";  // a é € 😀
    return s;
}

std::string binary_pattern(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + i / 251) & 0xFF);
    return s;
}

TEST(SessionDirectRead, TheRestOfALargeFrameIsReadIntoTheRoomAndDeliveredIntact) {
    Server p;
    p.open_server();
    const std::string text = mixed_text(300u << 10);
    const std::string bin = binary_pattern(200u << 10);
    const Bytes input = cat({cframe(kText, text), cframe(kBinary, bin), cframe(kText, "after")});
    const std::size_t direct = feed_as_a_stream(p, input, 64u << 10, 64u << 10);
    ASSERT_EQ(p.events.messages.size(), 3u);
    EXPECT_EQ(p.events.messages[0], Message::text(text));
    EXPECT_EQ(p.events.messages[1], Message::binary(bin));
    EXPECT_EQ(p.events.messages[2], Message::text("after"));
    // All but each frame's first read and its last < 64 KiB went through the room.
    EXPECT_GE(direct, text.size() + bin.size() - 4 * (64u << 10));
    EXPECT_EQ(p.s().state(), State::Open);
    EXPECT_FALSE(p.s().receiving());
}

TEST(SessionDirectRead, AClientReadsLargeUnmaskedFramesIntoTheRoom) {
    Peer p(Role::Client);
    p.open_client();
    const std::string text = mixed_text(150u << 10);
    const std::size_t direct = feed_as_a_stream(p, cat({sframe(kText, text), sframe(kPing, "p")}), 10000, 1u << 20);
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0], Message::text(text));
    EXPECT_GT(direct, 0u);
    EXPECT_TRUE(p.events.has("frame PING fin=1 rsv=0 'p'"));
}

TEST(SessionDirectRead, InAnyPiecesItIsWhatFeedingAllAtOnceIs) {
    // With the offer threshold lowered to 1 byte, every frame's payload may go through the
    // room: text cut inside characters, a fragmented message with a ping between its frames,
    // a control frame split across reads, a close. The transcript (events and output) must be
    // the one of a single feed().
    const std::string text = mixed_text(300);
    const Bytes input = cat({cframe(kText, text), cframe(kBinary, binary_pattern(500)),
                             cframe(kText, "frag\xC3", false), cframe(kPing, "between"),
                             cframe(kCont, "\xA9 " + mixed_text(200), false), cframe(kCont, "end", true),
                             cframe(kText, ""), cframe(kClose, close_payload(1000, "bye"))});
    Server whole;
    whole.open_server();
    whole.feed(input);
    ASSERT_EQ(whole.events.messages.size(), 4u);
    const Transcript expected = transcript_of(whole);
    for (const std::size_t read : {1u, 2u, 3u, 7u, 64u, 1000u, 100000u}) {
        for (const std::size_t max : {1u, 5u, 100u, 1u << 20}) {
            for (const bool use_room : {true, false}) {
                Server p;
                p.config.direct_read_min = 1;
                p.open_server();
                const std::size_t direct = feed_as_a_stream(p, input, read, max, use_room);
                ASSERT_EQ(transcript_of(p), expected) << "reads of " << read << ", room of " << max
                                                      << (use_room ? "" : ", unused");
                if (use_room && read < input.size()) {
                    EXPECT_GT(direct, 0u) << "reads of " << read << ", room of " << max;
                }
            }
        }
    }
}

TEST(SessionDirectRead, TheRoomIsOnlyForTheRestOfALargeUncompressedDataFrame) {
    Server p;
    EXPECT_TRUE(p.start().direct_read_target(1u << 20).empty()) << "before the handshake";
    p.open_server();
    EXPECT_TRUE(p.s().direct_read_target(1u << 20).empty()) << "between frames";
    // A small frame's rest: below the threshold.
    const Bytes small = cframe(kBinary, std::string(1000, 's'));
    p.feed(Bytes(small.begin(), small.begin() + 8));
    EXPECT_TRUE(p.s().direct_read_target(1u << 20).empty());
    p.feed(Bytes(small.begin() + 8, small.end()));
    // A 200 KiB frame: room of 64 KiB after its header (at most what the peer has sent, or
    // 64 KiB), or the driver's maximum if smaller; once 128 KiB have come, up to the frame's end.
    const std::string big = binary_pattern(200u << 10);
    const Bytes frame = cframe(kBinary, big);
    const auto at = [&](std::size_t k) { return frame.begin() + static_cast<std::ptrdiff_t>(k); };
    const std::size_t head = frame.size() - big.size();
    p.feed(Bytes(frame.begin(), at(head)));
    EXPECT_EQ(p.s().direct_read_target(4096).size(), 4096u);
    EXPECT_EQ(p.s().direct_read_target(1u << 20).size(), 64u << 10);
    p.feed(Bytes(at(head), at(head + (128u << 10))));  // through the room offered, and past it
    EXPECT_EQ(p.s().direct_read_target(1u << 20).size(), big.size() - (128u << 10));
    // Once less than the threshold is left: no room; the bytes come through feed().
    const std::size_t left = (64u << 10) - 1;
    p.feed(Bytes(at(head + (128u << 10)), frame.end() - static_cast<std::ptrdiff_t>(left)));
    EXPECT_TRUE(p.s().direct_read_target(1u << 20).empty());
    p.feed(Bytes(frame.end() - static_cast<std::ptrdiff_t>(left), frame.end()));
    ASSERT_EQ(p.events.messages.size(), 2u);
    EXPECT_EQ(p.events.messages[1], Message::binary(big));
    // A control frame's payload never goes there, whatever the threshold.
    Server q;
    q.config.direct_read_min = 1;
    q.open_server();
    const Bytes ping = cframe(kPing, "ping payload");
    q.feed(Bytes(ping.begin(), ping.begin() + 6));
    EXPECT_TRUE(q.s().direct_read_target(100).empty());
    q.feed(Bytes(ping.begin() + 6, ping.end()));
    EXPECT_TRUE(q.events.has("frame PING fin=1 rsv=0 'ping payload'"));
}

TEST(SessionDirectRead, AHeaderAloneGetsLittleRoom) {
    // A peer that announces a 16 MiB frame (within the limits) and sends nothing more must not
    // make us set aside 16 MiB: the room grows with what the peer has sent, and covers the
    // frame's rest only once it has sent the up-front limit (1 MiB) of it.
    Server p;
    p.open_server();
    const std::size_t total = 16u << 20;
    const Bytes header = frame(kBinary, "", header_only(total));
    p.feed(header);
    EXPECT_EQ(p.s().direct_read_target(total).size(), proto::kDirectReadMin);
    const std::string first = binary_pattern(2u << 20);
    Bytes masked = frame(kBinary, first);  // the first 2 MiB, masked from the frame's start
    masked.erase(masked.begin(), masked.end() - static_cast<std::ptrdiff_t>(first.size()));
    feed_as_a_stream(p, masked, 256u << 10, total);
    const std::span<std::uint8_t> room = p.s().direct_read_target(total);
    EXPECT_EQ(room.size(), total - first.size()) << "the frame's whole rest";
    EXPECT_TRUE(p.events.messages.empty());
    EXPECT_TRUE(p.s().receiving());
}

TEST(SessionDirectRead, AFewBytesOfAFrameGetLittleRoom) {
    // The room is written when offered (it becomes memory we hold): for a frame within the
    // up-front limit too, a peer that sent a header and a byte gets 64 KiB of room, not the
    // driver's 512 KiB; the room then grows with what the peer sends.
    Server p;
    p.open_server();
    const std::string big = binary_pattern(1u << 20);
    const Bytes frame = cframe(kBinary, big);
    const std::size_t head = frame.size() - big.size();
    p.feed(Bytes(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(head + 1)));
    EXPECT_EQ(p.s().direct_read_target(512u << 10).size(), proto::kDirectReadMin);
    Bytes rest(frame.begin() + static_cast<std::ptrdiff_t>(head + 1), frame.end());
    std::vector<std::size_t> rooms;
    std::size_t pos = 0;
    while (pos < rest.size()) {
        const std::span<std::uint8_t> room = p.s().direct_read_target(512u << 10);
        if (room.empty()) break;
        rooms.push_back(room.size());
        EXPECT_LE(room.size(), std::max<std::size_t>(pos + 1, proto::kDirectReadMin)) << "more room than was sent";
        std::memcpy(room.data(), rest.data() + pos, room.size());
        p.s().feed_direct(room.size());
        pos += room.size();
    }
    p.feed(Bytes(rest.begin() + static_cast<std::ptrdiff_t>(pos), rest.end()));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0], Message::binary(big));
    EXPECT_GE(rooms.size(), 4u);  // 64 KiB, then doubling: 64, 128, 256, 512 KiB
}

TEST(SessionDirectRead, RoomPartlyUsedAndThenFedKeepsTheBytesInOrder) {
    Server p;
    p.open_server();
    const std::string big = binary_pattern(200u << 10);
    const Bytes input = cframe(kBinary, big);
    const std::size_t head = input.size() - big.size();
    p.feed(Bytes(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(head)));
    std::size_t pos = head;
    // Room of 64 KiB, 1,000 bytes read into it; the next 5,000 bytes fed (they fill the room
    // where the read stopped); then room asked for with a smaller maximum, and used whole.
    std::span<std::uint8_t> room = p.s().direct_read_target(64u << 10);
    ASSERT_EQ(room.size(), 64u << 10);
    std::memcpy(room.data(), input.data() + pos, 1000);
    p.s().feed_direct(1000);
    pos += 1000;
    p.feed(Bytes(input.begin() + static_cast<std::ptrdiff_t>(pos), input.begin() + static_cast<std::ptrdiff_t>(pos + 5000)));
    pos += 5000;
    room = p.s().direct_read_target(3000);
    ASSERT_EQ(room.size(), 3000u);
    std::memcpy(room.data(), input.data() + pos, 3000);
    p.s().feed_direct(3000);
    pos += 3000;
    // The rest through feed(), past the room offered earlier and never used.
    p.feed(Bytes(input.begin() + static_cast<std::ptrdiff_t>(pos), input.end()));
    ASSERT_EQ(p.events.messages.size(), 1u);
    EXPECT_EQ(p.events.messages[0], Message::binary(big));
    EXPECT_FALSE(p.s().receiving());
}

TEST(SessionDirectRead, InvalidUtf8ReadIntoTheRoomFailsWith1007AtOnce) {
    // RFC 6455 8.1: the text fails as soon as it goes wrong, not when the frame ends.
    Server p;
    p.open_server();
    std::string text = mixed_text(200u << 10);
    text[30000] = '\xFF';
    const Bytes input = cframe(kText, text);
    const std::size_t head = input.size() - text.size();
    p.feed(Bytes(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(head + 1000)));
    const std::span<std::uint8_t> room = p.s().direct_read_target(128u << 10);
    ASSERT_EQ(room.size(), 64u << 10);  // what a frame's first 1,000 bytes earn
    std::memcpy(room.data(), input.data() + head + 1000, room.size());
    p.s().feed_direct(room.size());
    expect_failed_with(p, 1007);
    EXPECT_TRUE(p.events.messages.empty());
    EXPECT_TRUE(p.events.has_error(ErrorKind::Encoding));
    EXPECT_TRUE(p.s().direct_read_target(128u << 10).empty()) << "nothing more is read once failed";
}

}  // namespace
}  // namespace ws::test

#include "proto/frame_header.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

// RFC 6455 5.2: the base framing protocol. Expected bytes are written out by hand here, never
// produced by the encoder under test.

namespace ws::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encode(const FrameHeader& h) {
    std::array<std::uint8_t, kMaxHeaderSize + 8> buf{};
    buf.fill(0xEE);  // so a write past the returned size would be visible
    const std::size_t n = encode_header(h, buf.data());
    EXPECT_LE(n, kMaxHeaderSize);
    for (std::size_t i = n; i < buf.size(); ++i) EXPECT_EQ(buf[i], 0xEE) << "encoder wrote past its size at " << i;
    return Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
}

FrameHeader make(std::uint64_t len, bool masked = false, std::uint8_t opcode = 0x2, bool fin = true,
                 std::uint8_t rsv = 0) {
    FrameHeader h;
    h.fin = fin;
    h.rsv = rsv;
    h.opcode = opcode;
    h.masked = masked;
    h.mask = {0x11, 0x22, 0x33, 0x44};
    h.payload_len = len;
    return h;
}

// The wire form of a length, as RFC 6455 5.2 spells it out.
struct LengthCase {
    std::uint64_t len;
    Bytes unmasked;  // the whole header of an unmasked FIN binary frame
};

std::vector<LengthCase> length_cases() {
    return {
        {0, {0x82, 0x00}},
        {1, {0x82, 0x01}},
        {125, {0x82, 0x7D}},
        {126, {0x82, 0x7E, 0x00, 0x7E}},
        {127, {0x82, 0x7E, 0x00, 0x7F}},
        {256, {0x82, 0x7E, 0x01, 0x00}},
        {65535, {0x82, 0x7E, 0xFF, 0xFF}},
        {65536, {0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}},
        {0xFFFFFFFFull, {0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF}},
        {0x100000000ull, {0x82, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}},
        {0x0123456789ABCDEFull, {0x82, 0x7F, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}},
        {0x7FFFFFFFFFFFFFFFull, {0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
    };
}

TEST(FrameHeader, EncodesEveryLengthFormUnmasked) {
    for (const auto& c : length_cases()) {
        EXPECT_EQ(encode(make(c.len)), c.unmasked) << "length " << c.len;
    }
}

TEST(FrameHeader, EncodesEveryLengthFormMasked) {
    for (const auto& c : length_cases()) {
        Bytes want = c.unmasked;
        want[1] |= 0x80;
        want.insert(want.end(), {0x11, 0x22, 0x33, 0x44});
        EXPECT_EQ(encode(make(c.len, true)), want) << "length " << c.len;
    }
}

TEST(FrameHeader, MinimalLengthFormIsChosen) {
    // RFC 6455 5.2: "the minimal number of bytes MUST be used to encode the length".
    EXPECT_EQ(encode(make(125)).size(), 2u);
    EXPECT_EQ(encode(make(126)).size(), 4u);
    EXPECT_EQ(encode(make(65535)).size(), 4u);
    EXPECT_EQ(encode(make(65536)).size(), 10u);
    EXPECT_EQ(encode(make(125, true)).size(), 6u);
    EXPECT_EQ(encode(make(126, true)).size(), 8u);
    EXPECT_EQ(encode(make(65535, true)).size(), 8u);
    EXPECT_EQ(encode(make(65536, true)).size(), 14u);
}

TEST(FrameHeader, HeaderSizeMatchesTheWireForm) {
    for (const auto& c : length_cases()) {
        EXPECT_EQ(header_size(c.len, false), c.unmasked.size()) << c.len;
        EXPECT_EQ(header_size(c.len, true), c.unmasked.size() + 4) << c.len;
    }
    static_assert(header_size(0, false) == 2);
    static_assert(header_size(65536, true) == kMaxHeaderSize);
}

TEST(FrameHeader, EncodesFirstByteBits) {
    // FIN is bit 7, RSV1..3 bits 6..4, opcode bits 3..0.
    EXPECT_EQ(encode(make(0, false, 0x1, true, 0))[0], 0x81);
    EXPECT_EQ(encode(make(0, false, 0x1, false, 0))[0], 0x01);
    EXPECT_EQ(encode(make(0, false, 0x0, false, 0))[0], 0x00);
    EXPECT_EQ(encode(make(0, false, 0x9, true, 0))[0], 0x89);
    EXPECT_EQ(encode(make(0, false, 0xA, true, 0))[0], 0x8A);
    EXPECT_EQ(encode(make(0, false, 0x8, true, 0))[0], 0x88);
    EXPECT_EQ(encode(make(0, false, 0x1, true, 4))[0], 0xC1);  // RSV1
    EXPECT_EQ(encode(make(0, false, 0x1, true, 2))[0], 0xA1);  // RSV2
    EXPECT_EQ(encode(make(0, false, 0x1, true, 1))[0], 0x91);  // RSV3
    EXPECT_EQ(encode(make(0, false, 0x2, false, 7))[0], 0x72);
}

TEST(FrameHeader, DecodesEveryLengthForm) {
    for (const auto& c : length_cases()) {
        FrameHeader h;
        h.payload_len = 999;
        const auto r = decode_header(c.unmasked, h);
        ASSERT_EQ(r.status, DecodeStatus::Ok) << c.len;
        EXPECT_EQ(r.consumed, c.unmasked.size());
        EXPECT_EQ(h.payload_len, c.len);
        EXPECT_TRUE(h.fin);
        EXPECT_EQ(h.rsv, 0);
        EXPECT_EQ(h.opcode, 0x2);
        EXPECT_FALSE(h.masked);
    }
}

TEST(FrameHeader, DecodesMaskedHeaderAndKey) {
    for (const auto& c : length_cases()) {
        Bytes in = c.unmasked;
        in[1] |= 0x80;
        in.insert(in.end(), {0xDE, 0xAD, 0xBE, 0xEF});
        FrameHeader h;
        const auto r = decode_header(in, h);
        ASSERT_EQ(r.status, DecodeStatus::Ok) << c.len;
        EXPECT_EQ(r.consumed, in.size());
        EXPECT_TRUE(h.masked);
        EXPECT_EQ(h.payload_len, c.len);
        EXPECT_EQ(h.mask, (MaskKey{0xDE, 0xAD, 0xBE, 0xEF}));
    }
}

TEST(FrameHeader, DecodesFirstByteBits) {
    struct {
        std::uint8_t b0;
        bool fin;
        std::uint8_t rsv;
        std::uint8_t opcode;
    } cases[] = {
        {0x81, true, 0, 0x1}, {0x01, false, 0, 0x1}, {0x80, true, 0, 0x0}, {0xC2, true, 4, 0x2},
        {0xA2, true, 2, 0x2}, {0x92, true, 1, 0x2},  {0xF3, true, 7, 0x3}, {0x7F, false, 7, 0xF},
        {0x8B, true, 0, 0xB},
    };
    for (const auto& c : cases) {
        const Bytes in{c.b0, 0x00};
        FrameHeader h;
        ASSERT_EQ(decode_header(in, h).status, DecodeStatus::Ok);
        EXPECT_EQ(h.fin, c.fin) << int(c.b0);
        EXPECT_EQ(h.rsv, c.rsv) << int(c.b0);
        EXPECT_EQ(h.opcode, c.opcode) << int(c.b0);
    }
}

TEST(FrameHeader, DecodeIgnoresBytesAfterTheHeader) {
    const Bytes in{0x81, 0x85, 1, 2, 3, 4, 'x', 'y', 'z', 'z', 'y'};
    FrameHeader h;
    const auto r = decode_header(in, h);
    ASSERT_EQ(r.status, DecodeStatus::Ok);
    EXPECT_EQ(r.consumed, 6u);
    EXPECT_EQ(h.payload_len, 5u);
    EXPECT_EQ(h.op(), OpCode::Text);
}

TEST(FrameHeader, NeedMoreAtEveryTruncationPoint) {
    for (const auto& c : length_cases()) {
        for (bool masked : {false, true}) {
            Bytes full = c.unmasked;
            if (masked) {
                full[1] |= 0x80;
                full.insert(full.end(), {9, 8, 7, 6});
            }
            for (std::size_t cut = 0; cut < full.size(); ++cut) {
                FrameHeader h;
                const auto r = decode_header(std::span<const std::uint8_t>(full.data(), cut), h);
                EXPECT_EQ(r.status, DecodeStatus::NeedMore) << "len " << c.len << " masked " << masked << " cut " << cut;
                // With fewer than 2 bytes the length form is unknown: at least 2 are needed.
                // From then on the exact header size is known.
                EXPECT_EQ(r.consumed, cut < 2 ? 2u : full.size()) << "len " << c.len << " cut " << cut;
                EXPECT_GT(r.consumed, cut);
            }
            FrameHeader h;
            EXPECT_EQ(decode_header(full, h).status, DecodeStatus::Ok);
        }
    }
}

TEST(FrameHeader, SixtyFourBitLengthWithMostSignificantBitIsRejected) {
    // RFC 6455 5.2: "the most significant bit MUST be 0".
    const Bytes cases[] = {
        {0x82, 0x7F, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
        {0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
        {0x82, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 1, 2, 3, 4},
    };
    for (const auto& in : cases) {
        FrameHeader h;
        EXPECT_EQ(decode_header(in, h).status, DecodeStatus::LengthTooBig);
    }
}

TEST(FrameHeader, RoundTripsEveryFieldCombination) {
    const std::uint64_t lens[] = {0, 5, 125, 126, 1000, 65535, 65536, 1ull << 32, (1ull << 63) - 1};
    for (std::uint64_t len : lens) {
        for (std::uint8_t op = 0; op < 16; ++op) {
            for (std::uint8_t rsv = 0; rsv < 8; ++rsv) {
                for (bool fin : {false, true}) {
                    for (bool masked : {false, true}) {
                        FrameHeader in = make(len, masked, op, fin, rsv);
                        in.mask = {static_cast<std::uint8_t>(op), rsv, 0xA5, 0x5A};
                        const Bytes wire = encode(in);
                        FrameHeader out;
                        const auto r = decode_header(wire, out);
                        ASSERT_EQ(r.status, DecodeStatus::Ok);
                        EXPECT_EQ(r.consumed, wire.size());
                        EXPECT_EQ(out.fin, fin);
                        EXPECT_EQ(out.rsv, rsv);
                        EXPECT_EQ(out.opcode, op);
                        EXPECT_EQ(out.masked, masked);
                        EXPECT_EQ(out.payload_len, len);
                        if (masked) {
                            EXPECT_EQ(out.mask, in.mask);
                        }
                    }
                }
            }
        }
    }
}

TEST(FrameHeader, OpReportsTheOpcode) {
    FrameHeader h;
    h.opcode = 0x9;
    EXPECT_EQ(h.op(), OpCode::Ping);
    h.opcode = 0x0;
    EXPECT_EQ(h.op(), OpCode::Continue);
}

}  // namespace
}  // namespace ws::proto

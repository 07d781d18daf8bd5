#include "proto/mask.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

// RFC 6455 5.3: octet i of the transformed data is octet i of the original XOR octet
// (i MOD 4) of the masking key. The reference below is that sentence, byte by byte. The
// lengths cross every loop's edge: 8- and 16-byte words, 64-byte blocks, and (from 256 bytes,
// on a CPU with AVX2) the 32- and 128-byte blocks.

namespace ws::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr MaskKey kKey{0x37, 0xFA, 0x21, 0x3D};

Bytes pattern(std::size_t n, std::uint8_t seed = 1) {
    Bytes b(n);
    std::uint32_t x = seed * 2654435761u + 12345u;
    for (auto& v : b) {
        x = x * 1103515245u + 12345u;
        v = static_cast<std::uint8_t>(x >> 16);
    }
    return b;
}

// Masking with the key starting at key byte `phase`.
Bytes naive_mask(const Bytes& in, MaskKey key, std::size_t phase) {
    Bytes out(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = in[i] ^ key[(phase + i) % 4];
    return out;
}

TEST(Mask, Rfc6455Example) {
    // RFC 6455 5.7: "Hello" masked with 37 fa 21 3d.
    Bytes data{'H', 'e', 'l', 'l', 'o'};
    apply_mask(data.data(), data.size(), kKey);
    EXPECT_EQ(data, (Bytes{0x7F, 0x9F, 0x4D, 0x51, 0x58}));
}

TEST(Mask, ApplyMaskMatchesNaiveXorForEveryLengthAndPhase) {
    for (std::size_t len = 0; len <= 300; ++len) {
        for (std::size_t phase = 0; phase < 4; ++phase) {
            const Bytes original = pattern(len, static_cast<std::uint8_t>(len));
            Bytes data = original;
            const std::size_t next = apply_mask(data.data(), data.size(), kKey, phase);
            ASSERT_EQ(data, naive_mask(original, kKey, phase)) << "len " << len << " phase " << phase;
            EXPECT_EQ(next, (phase + len) % 4) << "len " << len << " phase " << phase;
        }
    }
}

TEST(Mask, InlineUnmaskMatchesNaiveXorAtEveryLengthAndOffset) {
    // unmask() does payloads up to kInlineUnmaskMax itself (16-byte steps, then 8, then
    // bytes) and hands longer ones to apply_mask: both sides of that edge, every alignment,
    // and not a byte outside the range touched.
    for (std::size_t offset = 0; offset < 16; ++offset) {
        for (std::size_t len = 0; len <= kInlineUnmaskMax + 40; ++len) {
            const Bytes original = pattern(offset + len + 16, static_cast<std::uint8_t>(len + offset));
            Bytes buf = original;
            unmask(buf.data() + offset, len, kKey);
            for (std::size_t i = 0; i < buf.size(); ++i) {
                const bool inside = i >= offset && i < offset + len;
                const std::uint8_t want = inside ? static_cast<std::uint8_t>(original[i] ^ kKey[(i - offset) % 4]) : original[i];
                ASSERT_EQ(buf[i], want) << "offset " << offset << " len " << len << " i " << i;
            }
        }
    }
}

TEST(Mask, ApplyMaskOnUnalignedPointersTouchesOnlyItsRange) {
    for (std::size_t offset = 0; offset < 16; ++offset) {
        for (std::size_t len : {0u, 1u, 3u, 7u, 8u, 15u, 16u, 17u, 31u, 63u, 64u, 65u, 127u, 200u, 255u, 256u, 257u, 291u, 383u, 1029u, 4100u}) {
            for (std::size_t phase = 0; phase < 4; ++phase) {
                Bytes buf = pattern(offset + len + 32, 7);
                const Bytes original = buf;
                apply_mask(buf.data() + offset, len, kKey, phase);
                const Bytes expected_mid =
                    naive_mask(Bytes(original.begin() + static_cast<std::ptrdiff_t>(offset),
                                     original.begin() + static_cast<std::ptrdiff_t>(offset + len)),
                               kKey, phase);
                for (std::size_t i = 0; i < buf.size(); ++i) {
                    const std::uint8_t want = (i >= offset && i < offset + len) ? expected_mid[i - offset] : original[i];
                    ASSERT_EQ(buf[i], want) << "offset " << offset << " len " << len << " phase " << phase << " i " << i;
                }
            }
        }
    }
}

TEST(Mask, PhaseAbove3IsTakenModulo4) {
    const Bytes original = pattern(37);
    Bytes a = original;
    Bytes b = original;
    const std::size_t na = apply_mask(a.data(), a.size(), kKey, 6);
    const std::size_t nb = apply_mask(b.data(), b.size(), kKey, 2);
    EXPECT_EQ(a, b);
    EXPECT_EQ(na, nb);
}

TEST(Mask, SplitApplicationEqualsWhole) {
    // A payload unmasked in pieces as it arrives, carrying the phase from piece to piece.
    for (std::size_t len : {1u, 5u, 17u, 64u, 100u, 257u}) {
        const Bytes original = pattern(len, 3);
        const Bytes whole = naive_mask(original, kKey, 0);
        for (std::size_t cut1 = 0; cut1 <= len; ++cut1) {
            for (std::size_t cut2 = cut1; cut2 <= len; cut2 += (len > 64 ? 13 : 1)) {
                Bytes data = original;
                std::size_t phase = 0;
                phase = apply_mask(data.data(), cut1, kKey, phase);
                phase = apply_mask(data.data() + cut1, cut2 - cut1, kKey, phase);
                phase = apply_mask(data.data() + cut2, len - cut2, kKey, phase);
                ASSERT_EQ(data, whole) << "len " << len << " cuts " << cut1 << "," << cut2;
                EXPECT_EQ(phase, len % 4);
            }
        }
    }
}

TEST(Mask, ByteAtATimeEqualsWhole) {
    const Bytes original = pattern(300, 9);
    Bytes data = original;
    std::size_t phase = 0;
    for (std::size_t i = 0; i < data.size(); ++i) phase = apply_mask(data.data() + i, 1, kKey, phase);
    EXPECT_EQ(data, naive_mask(original, kKey, 0));
}

TEST(Mask, MaskingTwiceRestoresTheData) {
    const Bytes original = pattern(300, 5);
    Bytes data = original;
    apply_mask(data.data(), data.size(), kKey);
    EXPECT_NE(data, original);
    apply_mask(data.data(), data.size(), kKey);
    EXPECT_EQ(data, original);
}

TEST(Mask, CopyMaskedMatchesNaiveXorForEveryLength) {
    for (std::size_t len = 0; len <= 300; ++len) {
        const Bytes src = pattern(len, static_cast<std::uint8_t>(len + 1));
        Bytes dst(len + 8, 0xCC);
        copy_masked(dst.data(), src.data(), len, kKey);
        const Bytes want = naive_mask(src, kKey, 0);
        for (std::size_t i = 0; i < len; ++i) ASSERT_EQ(dst[i], want[i]) << "len " << len << " i " << i;
        for (std::size_t i = len; i < dst.size(); ++i) ASSERT_EQ(dst[i], 0xCC) << "wrote past the end, len " << len;
    }
}

TEST(Mask, CopyMaskedWithUnalignedPointers) {
    for (std::size_t src_off = 0; src_off < 8; ++src_off) {
        for (std::size_t dst_off = 0; dst_off < 8; ++dst_off) {
            for (std::size_t len : {0u, 1u, 4u, 9u, 16u, 33u, 100u, 255u, 256u, 259u, 383u, 1029u}) {
                const Bytes srcbuf = pattern(src_off + len, 11);
                Bytes dstbuf(dst_off + len + 4, 0xAB);
                copy_masked(dstbuf.data() + dst_off, srcbuf.data() + src_off, len, kKey);
                const Bytes src(srcbuf.begin() + static_cast<std::ptrdiff_t>(src_off), srcbuf.end());
                const Bytes want = naive_mask(src, kKey, 0);
                for (std::size_t i = 0; i < dstbuf.size(); ++i) {
                    const std::uint8_t expect = (i >= dst_off && i < dst_off + len) ? want[i - dst_off] : 0xAB;
                    ASSERT_EQ(dstbuf[i], expect) << "src_off " << src_off << " dst_off " << dst_off << " len " << len;
                }
                EXPECT_EQ(Bytes(srcbuf.begin() + static_cast<std::ptrdiff_t>(src_off), srcbuf.end()), src)
                    << "the source must not change";
            }
        }
    }
}

TEST(Mask, CopyMaskedThenApplyMaskRoundTrips) {
    for (std::size_t len : {0u, 1u, 2u, 3u, 150u, 299u}) {
        const Bytes src = pattern(len, 21);
        Bytes dst(len);
        copy_masked(dst.data(), src.data(), len, kKey);
        apply_mask(dst.data(), len, kKey, 0);
        EXPECT_EQ(dst, src);
    }
}

TEST(Mask, ZeroKeyIsIdentity) {
    const Bytes original = pattern(100);
    Bytes data = original;
    apply_mask(data.data(), data.size(), MaskKey{0, 0, 0, 0}, 1);
    EXPECT_EQ(data, original);
}

}  // namespace
}  // namespace ws::proto

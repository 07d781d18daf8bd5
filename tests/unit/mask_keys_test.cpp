#include "proto/mask_keys.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>

// RFC 6455 5.3: "The masking key needs to be unpredictable ... the masking key for each frame
// MUST be derived from a strong source of entropy". A statistical smoke test: a constant,
// repeating or mostly-zero key source fails it.

namespace ws::proto {
namespace {

std::uint32_t as_u32(MaskKey k) {
    return std::uint32_t{k[0]} << 24 | std::uint32_t{k[1]} << 16 | std::uint32_t{k[2]} << 8 | k[3];
}

TEST(MaskKeys, KeysAreFreshAcrossManyBatches) {
    BatchedMaskKeys keys;
    std::set<std::uint32_t> seen;
    constexpr int kDraws = 10000;  // well past one refill of the pool
    std::array<int, 256> byte_counts{};
    for (int i = 0; i < kDraws; ++i) {
        const MaskKey k = keys.next();
        seen.insert(as_u32(k));
        for (std::uint8_t b : k) ++byte_counts[b];
    }
    // 10000 draws from 2^32: a collision or two at most.
    EXPECT_GE(seen.size(), static_cast<std::size_t>(kDraws - 5));
    // Every byte value shows up (expected 156 each out of 40000 bytes).
    for (int v = 0; v < 256; ++v) EXPECT_GT(byte_counts[static_cast<std::size_t>(v)], 50) << v;
}

TEST(MaskKeys, TwoSourcesDiffer) {
    BatchedMaskKeys a;
    BatchedMaskKeys b;
    int same = 0;
    for (int i = 0; i < 100; ++i) same += a.next() == b.next() ? 1 : 0;
    EXPECT_LT(same, 2);
}

}  // namespace
}  // namespace ws::proto

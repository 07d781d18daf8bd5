// RFC 6455 5.3: client-to-server masking. XOR with a 4-byte key, repeated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ws::proto {

using MaskKey = std::array<std::uint8_t, 4>;

// The longest payload unmask() handles inline (longer ones go to apply_mask).
inline constexpr std::size_t kInlineUnmaskMax = 128;

// XORs src[i, len) into dst (the same buffer when unmasking in place) with the key word k32
// (the key byte due at i first, in memory order), 16 bytes at a time (SSE2, x86-64's baseline)
// and then 8, and returns where it stopped: fewer than 8 bytes before len, for the caller's
// byte loop. Unaligned loads and stores.
inline std::size_t xor_words(std::uint8_t* dst, const std::uint8_t* src, std::size_t i, std::size_t len,
                             std::uint32_t k32) noexcept {
#if defined(__SSE2__)
    const __m128i k128 = _mm_set1_epi32(static_cast<int>(k32));
    for (; i + 16 <= len; i += 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k128));
    }
#endif
    const std::uint64_t k64 = (static_cast<std::uint64_t>(k32) << 32) | k32;
    for (; i + 8 <= len; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, src + i, 8);
        w ^= k64;
        std::memcpy(dst + i, &w, 8);
    }
    return i;
}

// XORs `len` bytes at `data` in place with `key`, starting at key byte `phase` (0..3), and
// returns the phase for the byte after the last one, so a payload can be unmasked in pieces
// as it arrives. Works a vector at a time (16 bytes; 32 from 256 bytes on a CPU with AVX2); no
// alignment requirement on `data`.
std::size_t apply_mask(std::uint8_t* data, std::size_t len, MaskKey key,
                       std::size_t phase = 0) noexcept;

// apply_mask for a payload that starts at key phase 0, inline for the short payloads most
// messages have (below 16 bytes a call and the SIMD setup cost more than the work; up to 128,
// the call and apply_mask's dispatch cost as much as the 16-byte steps done here).
inline void unmask(std::uint8_t* data, std::size_t len, MaskKey key) noexcept {
    if (len > kInlineUnmaskMax) {
        apply_mask(data, len, key, 0);
        return;
    }
    std::uint32_t k32;
    std::memcpy(&k32, key.data(), 4);
    std::size_t i = xor_words(data, data, 0, len, k32);
    for (std::size_t j = 0; i < len; ++i, ++j) data[i] ^= key[j & 3];  // i is a multiple of 4 here
}

// Copies `len` bytes from `src` to `dst` masking them on the way (one pass; the client's send
// path writes the masked payload straight into the output buffer). `dst` and `src` must not
// overlap.
void copy_masked(std::uint8_t* dst, const std::uint8_t* src, std::size_t len,
                 MaskKey key) noexcept;

}  // namespace ws::proto

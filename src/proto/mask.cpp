#include "proto/mask.hpp"

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ws::proto {
namespace {

// The key as a word whose byte 0 (in memory order) is key[phase].
std::uint32_t rotated_key(MaskKey key, std::size_t phase) noexcept {
    std::uint32_t k;
    std::memcpy(&k, key.data(), 4);
    if constexpr (std::endian::native == std::endian::little) {
        return std::rotr(k, static_cast<int>(8 * phase));
    } else {
        return std::rotl(k, static_cast<int>(8 * phase));
    }
}

std::uint64_t key64(std::uint32_t k32) noexcept {
    return (static_cast<std::uint64_t>(k32) << 32) | k32;
}

}  // namespace

std::size_t apply_mask(std::uint8_t* data, std::size_t len, MaskKey key,
                       std::size_t phase) noexcept {
    phase &= 3;
    const std::uint32_t k32 = rotated_key(key, phase);
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i k128 = _mm_set1_epi32(static_cast<int>(k32));
    for (; i + 64 <= len; i += 64) {
        __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
        __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + 16));
        __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + 32));
        __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + 48));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(data + i), _mm_xor_si128(a, k128));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(data + i + 16), _mm_xor_si128(b, k128));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(data + i + 32), _mm_xor_si128(c, k128));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(data + i + 48), _mm_xor_si128(d, k128));
    }
    for (; i + 16 <= len; i += 16) {
        __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(data + i), _mm_xor_si128(a, k128));
    }
#endif
    const std::uint64_t k64 = key64(k32);
    for (; i + 8 <= len; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, data + i, 8);
        w ^= k64;
        std::memcpy(data + i, &w, 8);
    }
    // Every block above is a multiple of 4 bytes, so the key is still aligned at byte i.
    for (std::size_t j = 0; i < len; ++i, ++j) data[i] ^= key[(phase + j) & 3];
    return (phase + len) & 3;
}

void copy_masked(std::uint8_t* dst, const std::uint8_t* src, std::size_t len,
                 MaskKey key) noexcept {
    const std::uint32_t k32 = rotated_key(key, 0);
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i k128 = _mm_set1_epi32(static_cast<int>(k32));
    for (; i + 16 <= len; i += 16) {
        __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k128));
    }
#endif
    const std::uint64_t k64 = key64(k32);
    for (; i + 8 <= len; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, src + i, 8);
        w ^= k64;
        std::memcpy(dst + i, &w, 8);
    }
    for (; i < len; ++i) dst[i] = src[i] ^ key[i & 3];
}

}  // namespace ws::proto

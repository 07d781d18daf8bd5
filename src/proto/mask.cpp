#include "proto/mask.hpp"

#include <bit>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define WS_MASK_X86 1
#elif defined(__SSE2__)
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

// XORs `len` bytes of `src` into `dst` (the same buffer when unmasking in place) with `key`
// from key byte `phase`, starting at byte `i` (a multiple of 4: the key is aligned there):
// 16 bytes at a time (SSE2, x86-64's baseline), then 8, then single bytes. Unaligned loads
// and stores: payloads start wherever a frame's header ends. Returns the phase after the end.
inline std::size_t xor_from(std::uint8_t* dst, const std::uint8_t* src, std::size_t i, std::size_t len, MaskKey key,
                            std::size_t phase) noexcept {
    const std::uint32_t k32 = rotated_key(key, phase);
#if defined(__SSE2__)
    const __m128i k128 = _mm_set1_epi32(static_cast<int>(k32));
    for (; i + 64 <= len; i += 64) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
        const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
        const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, k128));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), _mm_xor_si128(b, k128));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 32), _mm_xor_si128(c, k128));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 48), _mm_xor_si128(d, k128));
    }
#endif
    i = xor_words(dst, src, i, len, k32);
    for (std::size_t j = 0; i < len; ++i, ++j) dst[i] = src[i] ^ key[(phase + j) & 3];
    return (phase + len) & 3;
}

#if WS_MASK_X86
// 32 bytes at a time where the CPU has AVX2 (this function alone is compiled for it, and
// called only after asking the CPU), then xor_from for the last bytes. Not AVX-512: its
// 64-byte stores would halve the stores again, but on many Xeons they also lower the core's
// clock for everything else the server does.
[[gnu::target("avx2")]] std::size_t xor_avx2(std::uint8_t* dst, const std::uint8_t* src, std::size_t len, MaskKey key,
                                             std::size_t phase) noexcept {
    const __m256i k = _mm256_set1_epi32(static_cast<int>(rotated_key(key, phase)));
    std::size_t i = 0;
    for (; i + 128 <= len; i += 128) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 32));
        const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 64));
        const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 96));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, k));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 32), _mm256_xor_si256(b, k));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 64), _mm256_xor_si256(c, k));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 96), _mm256_xor_si256(d, k));
    }
    for (; i + 32 <= len; i += 32) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_xor_si256(a, k));
    }
    return xor_from(dst, src, i, len, key, phase);
}

// Asked once, as the library loads (false until then: a mask applied from another static
// initializer just takes the SSE2 loop).
const bool kHasAvx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
}();

// From this size on the AVX2 loop pays for its call; below, the SSE2 loop is as fast.
constexpr std::size_t kAvx2From = 256;
#endif

// Chooses the loop; small payloads go straight to the inline one.
inline std::size_t xor_with_key(std::uint8_t* dst, const std::uint8_t* src, std::size_t len, MaskKey key,
                                std::size_t phase) noexcept {
#if WS_MASK_X86
    if (len >= kAvx2From && kHasAvx2) return xor_avx2(dst, src, len, key, phase);
#endif
    return xor_from(dst, src, 0, len, key, phase);
}

}  // namespace

std::size_t apply_mask(std::uint8_t* data, std::size_t len, MaskKey key, std::size_t phase) noexcept {
    return xor_with_key(data, data, len, key, phase & 3);
}

void copy_masked(std::uint8_t* dst, const std::uint8_t* src, std::size_t len, MaskKey key) noexcept {
    (void)xor_with_key(dst, src, len, key, 0);
}

}  // namespace ws::proto

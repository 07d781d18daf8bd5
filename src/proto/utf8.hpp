// Incremental UTF-8 validation (RFC 3629) for text messages that arrive in pieces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ws::proto {

// Whole-buffer check (SIMD, through simdjson with runtime CPU dispatch).
bool validate_utf8(const std::uint8_t* data, std::size_t len) noexcept;
// The same, with the common short ASCII text answered inline (up to 256 bytes, a call and
// the validator's dispatch cost more than the ASCII test); anything else, or any text with a
// byte above 0x7F, goes to validate_utf8.
inline bool is_valid_utf8(const std::uint8_t* data, std::size_t len) noexcept {
    if (len <= 16) {
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        if (len >= 8) {
            std::memcpy(&a, data, 8);
            std::memcpy(&b, data + len - 8, 8);  // overlaps when len < 16: fine for a test
        } else {
            for (std::size_t i = 0; i < len; ++i) a |= data[i];
        }
        if (((a | b) & 0x8080808080808080ull) == 0) return true;
    }
#if defined(__SSE2__)
    else if (len <= 256) {
        // The last 16 bytes first (they overlap the loop's when len is not a multiple of 16).
        __m128i any = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + len - 16));
        for (std::size_t i = 0; i + 16 <= len; i += 16)
            any = _mm_or_si128(any, _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i)));
        if (_mm_movemask_epi8(any) == 0) return true;
    }
#endif
    return validate_utf8(data, len);
}
inline bool is_valid_utf8(std::string_view s) noexcept {
    return is_valid_utf8(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Validates a text message chunk by chunk and fails fast: feed() returns false as soon as the
// bytes seen so far cannot be the start of valid UTF-8, even in the middle of a character
// (F4 90 is already beyond U+10FFFF; ED A0 is already a surrogate). Each chunk goes through the
// SIMD validator at once; only a character split across two chunks (at most 3 bytes kept here)
// goes through the small scalar step.
class Utf8Validator {
public:
    bool feed(const std::uint8_t* data, std::size_t len) noexcept;
    // True when the text fed so far ends on a character boundary (a message may end here).
    bool complete() const noexcept { return pending_len_ == 0; }
    void reset() noexcept { pending_len_ = 0; }

private:
    std::uint8_t pending_[4] = {};
    std::uint8_t pending_len_ = 0;
};

// For a sequence starting at lead byte s[0] with n bytes present (1..4): false when those
// bytes can no longer be (the start of) a valid character. With n equal to the sequence's full
// length this is a complete check of one character. Exposed for the tests.
bool utf8_prefix_ok(const std::uint8_t* s, std::size_t n) noexcept;
// The length of the sequence a lead byte announces: 1-4, or 0 for a byte that cannot start one.
std::size_t utf8_sequence_length(std::uint8_t lead) noexcept;

}  // namespace ws::proto

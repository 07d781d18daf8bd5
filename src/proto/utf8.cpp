#include "proto/utf8.hpp"

#include <simdjson.h>

#include <cstring>

namespace ws::proto {

namespace {

// True when every byte is ASCII; 32 bytes at a time.
bool all_ascii(const std::uint8_t* data, std::size_t len) noexcept {
    std::uint64_t acc = 0;
    std::size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        std::uint64_t w[4];
        std::memcpy(w, data + i, 32);
        acc |= w[0] | w[1] | w[2] | w[3];
    }
    for (; i + 8 <= len; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, data + i, 8);
        acc |= w;
    }
    for (; i < len; ++i) acc |= data[i];
    return (acc & 0x8080808080808080ull) == 0;
}

// Below this, simdjson's fixed cost (runtime dispatch and setup: about 11 ns, some 100
// instructions, measured) exceeds the work; short messages are mostly ASCII, which this
// checks at 32 bytes per step (a 128-byte message in about 15 instructions).
constexpr std::size_t kShortText = 256;

}  // namespace

bool validate_utf8(const std::uint8_t* data, std::size_t len) noexcept {
    if (len == 0) return true;
    if (len < kShortText && all_ascii(data, len)) return true;
    return simdjson::validate_utf8(reinterpret_cast<const char*>(data), len);
}

std::size_t utf8_sequence_length(std::uint8_t lead) noexcept {
    if (lead < 0x80) return 1;
    if (lead < 0xC2) return 0;  // continuation byte, or C0/C1 (always overlong)
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    if (lead < 0xF5) return 4;
    return 0;  // F5..FF: beyond U+10FFFF or not UTF-8 at all
}

bool utf8_prefix_ok(const std::uint8_t* s, std::size_t n) noexcept {
    const std::size_t len = utf8_sequence_length(s[0]);
    if (len == 0 || n > len) return false;
    if (n >= 2) {
        // RFC 3629 section 4: the second byte's range depends on the lead, which rules out
        // overlongs (E0, F0), surrogates (ED) and code points past U+10FFFF (F4).
        std::uint8_t lo = 0x80, hi = 0xBF;
        switch (s[0]) {
            case 0xE0: lo = 0xA0; break;
            case 0xED: hi = 0x9F; break;
            case 0xF0: lo = 0x90; break;
            case 0xF4: hi = 0x8F; break;
            default: break;
        }
        if (s[1] < lo || s[1] > hi) return false;
    }
    for (std::size_t i = 2; i < n; ++i) {
        if ((s[i] & 0xC0) != 0x80) return false;
    }
    return true;
}

namespace {

// How many bytes at the end of [p, p+n) are an unfinished sequence (0-3).
std::size_t unfinished_tail(const std::uint8_t* p, std::size_t n) noexcept {
    const std::size_t look = n < 3 ? n : 3;
    for (std::size_t k = 1; k <= look; ++k) {
        const std::uint8_t b = p[n - k];
        if ((b & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for its lead
        if (b < 0x80) return 0;
        const std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
        return len > k ? k : 0;
    }
    return 0;
}

}  // namespace

bool Utf8Validator::feed(const std::uint8_t* data, std::size_t len) noexcept {
    std::size_t i = 0;
    if (pending_len_ > 0) {
        const std::size_t need = utf8_sequence_length(pending_[0]);
        while (pending_len_ < need && i < len) {
            pending_[pending_len_++] = data[i++];
            if (!utf8_prefix_ok(pending_, pending_len_)) return false;
        }
        if (pending_len_ < need) return true;  // the chunk ended inside the character again
        pending_len_ = 0;
    }
    const std::uint8_t* rest = data + i;
    const std::size_t rest_len = len - i;
    const std::size_t tail = unfinished_tail(rest, rest_len);
    if (!is_valid_utf8(rest, rest_len - tail)) return false;
    for (std::size_t k = 0; k < tail; ++k) pending_[k] = rest[rest_len - tail + k];
    pending_len_ = static_cast<std::uint8_t>(tail);
    return tail == 0 || utf8_prefix_ok(pending_, pending_len_);
}

}  // namespace ws::proto

// Helpers shared by the libFuzzer targets in tests/fuzz: invariant checks that abort (libFuzzer
// and the replay runner both report an abort as a crash), a reader over the fuzz input, a small
// deterministic PRNG seeded from the input, a memory probe (ASan builds), and reference
// implementations written from the RFCs independently of src/proto, so that a bug in the library
// cannot hide itself in the oracle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define WS_FUZZ_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WS_FUZZ_HAVE_ASAN 1
#endif
#endif
#ifdef WS_FUZZ_HAVE_ASAN
// From the sanitizer allocator interface (GCC's libasan exports it but ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <openssl/evp.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace ws::fuzz {

[[noreturn]] inline void check_failed(const char* file, int line, const char* expr, const std::string& note) {
    std::fprintf(stderr, "\n%s:%d: fuzz invariant violated: %s%s%s\n", file, line, expr, note.empty() ? "" : "\n  ",
                 note.c_str());
    std::fflush(stderr);
    std::abort();
}

// FUZZ_CHECK(cond) / FUZZ_CHECK_MSG(cond, std::string-expression): abort with a message.
#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) ::ws::fuzz::check_failed(__FILE__, __LINE__, #cond, std::string()); \
    } while (0)
#define FUZZ_CHECK_MSG(cond, note)                                           \
    do {                                                                     \
        if (!(cond)) ::ws::fuzz::check_failed(__FILE__, __LINE__, #cond, (note)); \
    } while (0)

inline std::string_view as_text(const std::uint8_t* p, std::size_t n) {
    return {reinterpret_cast<const char*>(p), n};
}

// Printable form of bytes for failure messages.
inline std::string show(std::string_view s, std::size_t max = 120) {
    static const char* digits = "0123456789ABCDEF";
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < max; ++i) {
        const auto u = static_cast<std::uint8_t>(s[i]);
        if (u >= 0x20 && u < 0x7F && u != '\\' && u != '\'') {
            out += s[i];
        } else {
            out += "\\x";
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
    return out + "'";
}

// Reads the fuzz input front to back; past the end every read yields zeros / empty.
class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
    std::uint8_t u8() { return i_ < n_ ? p_[i_++] : 0; }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(u8()) << (8 * k);
        return v;
    }
    std::string_view take(std::size_t n) {
        const std::size_t m = n < n_ - i_ ? n : n_ - i_;
        const std::string_view s = as_text(p_ + i_, m);
        i_ += m;
        return s;
    }
    std::string_view rest() { return take(n_ - i_); }
    std::size_t left() const { return n_ - i_; }

private:
    const std::uint8_t* p_;
    std::size_t n_;
    std::size_t i_ = 0;
};

// splitmix64: deterministic choices derived from bytes of the input.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform-ish in [0, n); n > 0.
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    bool one_in(std::size_t n) { return below(n) == 0; }
    void mix(std::uint64_t v) { s_ ^= v * 0xD6E8FEB86659FD93ull; }

private:
    std::uint64_t s_;
};

// Cuts [0, total) into pieces whose sizes come from `rng`: single bytes, a few bytes, a few
// hundred, or everything left, so headers, payloads and UTF-8 sequences get split everywhere.
inline std::size_t next_piece(Rng& rng, std::size_t left) {
    if (left == 0) return 0;
    std::size_t n;
    switch (rng.below(5)) {
        case 0: n = 1; break;
        case 1: n = 1 + rng.below(4); break;
        case 2: n = 1 + rng.below(24); break;
        case 3: n = 1 + rng.below(400); break;
        default: n = left; break;
    }
    return n < left ? n : left;
}

// ---- memory ------------------------------------------------------------------------------

// Bytes currently allocated by the process (ASan's allocator statistics), or 0 when this build
// cannot tell. Used to check that a Session's memory stays within its configured limits.
inline constexpr bool kCanMeasureMemory =
#ifdef WS_FUZZ_HAVE_ASAN
    true;
#else
    false;
#endif

inline std::size_t allocated_bytes() {
#ifdef WS_FUZZ_HAVE_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    return 0;
#endif
}

// ---- reference UTF-8 (RFC 3629 section 4, the ABNF table) ---------------------------------

struct Utf8Scan {
    bool valid;   // the bytes are well-formed UTF-8
    bool viable;  // the bytes are a prefix of some well-formed UTF-8 (valid implies viable)
};

// For a lead byte, the allowed range of each byte that follows it (RFC 3629's table):
//   UTF8-1 = %x00-7F
//   UTF8-2 = %xC2-DF UTF8-tail
//   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2UTF8-tail / %xED %x80-9F UTF8-tail / %xEE-EF 2UTF8-tail
//   UTF8-4 = %xF0 %x90-BF 2UTF8-tail / %xF1-F3 3UTF8-tail / %xF4 %x80-8F 2UTF8-tail
struct Utf8Rule {
    std::uint8_t lead_lo, lead_hi;
    std::uint8_t follow;  // bytes after the lead
    std::uint8_t lo[3], hi[3];
};
inline constexpr Utf8Rule kUtf8Rules[] = {
    {0x00, 0x7F, 0, {0, 0, 0}, {0, 0, 0}},
    {0xC2, 0xDF, 1, {0x80, 0, 0}, {0xBF, 0, 0}},
    {0xE0, 0xE0, 2, {0xA0, 0x80, 0}, {0xBF, 0xBF, 0}},
    {0xE1, 0xEC, 2, {0x80, 0x80, 0}, {0xBF, 0xBF, 0}},
    {0xED, 0xED, 2, {0x80, 0x80, 0}, {0x9F, 0xBF, 0}},
    {0xEE, 0xEF, 2, {0x80, 0x80, 0}, {0xBF, 0xBF, 0}},
    {0xF0, 0xF0, 3, {0x90, 0x80, 0x80}, {0xBF, 0xBF, 0xBF}},
    {0xF1, 0xF3, 3, {0x80, 0x80, 0x80}, {0xBF, 0xBF, 0xBF}},
    {0xF4, 0xF4, 3, {0x80, 0x80, 0x80}, {0x8F, 0xBF, 0xBF}},
};

inline const Utf8Rule* utf8_rule(std::uint8_t lead) {
    for (const Utf8Rule& r : kUtf8Rules) {
        if (lead >= r.lead_lo && lead <= r.lead_hi) return &r;
    }
    return nullptr;
}

inline Utf8Scan ref_utf8(const std::uint8_t* s, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        const Utf8Rule* rule = utf8_rule(s[i]);
        if (rule == nullptr) return {false, false};
        for (std::size_t k = 0; k < rule->follow; ++k) {
            if (i + 1 + k >= n) return {false, true};  // cut short: a prefix, not yet valid
            const std::uint8_t b = s[i + 1 + k];
            if (b < rule->lo[k] || b > rule->hi[k]) return {false, false};
        }
        i += 1 + rule->follow;
    }
    return {true, true};
}
inline Utf8Scan ref_utf8(std::string_view s) {
    return ref_utf8(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// ---- reference close codes (RFC 6455 7.4.1, 7.4.2 and the IANA registry) --------------------

// May this code appear on the wire? 1004 reserved, 1005/1006/1015 never sent, 1016-2999
// reserved for RFCs, 3000-3999 registered libraries, 4000-4999 private use.
inline bool ref_close_code_on_wire(std::uint16_t c) {
    if (c >= 1000 && c <= 1003) return true;
    if (c >= 1007 && c <= 1014) return true;  // 1012-1014 are IANA registrations
    return c >= 3000 && c <= 4999;
}

// Tiny helpers shared by targets.
inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return out;
}

inline bool ref_token_char(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
inline bool ref_is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (!ref_token_char(c)) return false;
    }
    return true;
}

// Does a comma-separated header value contain `token` (ASCII case-insensitive)?
inline bool list_has_token(std::string_view value, std::string_view token) {
    const std::string want = lower(token);
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t end = value.find(',', start);
        if (end == std::string_view::npos) end = value.size();
        std::string_view item = value.substr(start, end - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (lower(item) == want) return true;
        start = end + 1;
    }
    return false;
}

// base64 (RFC 4648 section 4), written here rather than taken from the library under test.
inline std::string ref_base64(std::string_view in) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << 16) |
                                (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i + 1])) << 8) |
                                static_cast<std::uint8_t>(in[i + 2]);
        out += a[(v >> 18) & 63];
        out += a[(v >> 12) & 63];
        out += a[(v >> 6) & 63];
        out += a[v & 63];
    }
    const std::size_t r = in.size() - i;
    if (r == 1) {
        const std::uint32_t v = static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << 16;
        out += a[(v >> 18) & 63];
        out += a[(v >> 12) & 63];
        out += "==";
    } else if (r == 2) {
        const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << 16) |
                                (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i + 1])) << 8);
        out += a[(v >> 18) & 63];
        out += a[(v >> 12) & 63];
        out += a[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

// Sec-WebSocket-Accept for `key` (RFC 6455 4.2.2 item 5.4): SHA-1 from OpenSSL, the rest here.
inline std::string sha1_accept(std::string_view key) {
    const std::string input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
    return ref_base64(std::string_view(reinterpret_cast<const char*>(digest), len));
}

inline bool ref_valid_key(std::string_view key) {
    if (key.size() != 24 || key.substr(22) != "==") return false;
    for (std::size_t i = 0; i < 22; ++i) {
        const char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return false;
    }
    return true;
}

// ---- HTTP heads, read by hand ---------------------------------------------------------------

struct Head {
    std::string first_line;
    std::vector<std::pair<std::string, std::string>> headers;  // values trimmed
    std::size_t size = 0;                                      // bytes through the empty line

    std::vector<std::string> all(std::string_view name) const {
        std::vector<std::string> out;
        const std::string want = lower(name);
        for (const auto& [k, v] : headers) {
            if (lower(k) == want) out.push_back(v);
        }
        return out;
    }
    bool has(std::string_view name) const { return !all(name).empty(); }
    bool has_token(std::string_view name, std::string_view token) const {
        for (const std::string& v : all(name)) {
            if (list_has_token(v, token)) return true;
        }
        return false;
    }
};

// Splits an HTTP head at the start of `bytes` into lines; false when it is not a complete,
// well-formed head (every line "name: value", CRLF endings, an empty line at the end).
inline bool read_head(std::string_view bytes, Head& head) {
    const std::size_t end = bytes.find("\r\n\r\n");
    if (end == std::string_view::npos) return false;
    head.size = end + 4;
    std::string_view lines = bytes.substr(0, end + 2);
    std::size_t eol = lines.find("\r\n");
    head.first_line = std::string(lines.substr(0, eol));
    lines.remove_prefix(eol + 2);
    while (!lines.empty()) {
        eol = lines.find("\r\n");
        const std::string_view line = lines.substr(0, eol);
        lines.remove_prefix(eol + 2);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return false;
        for (char c : line) {
            if (c == '\r' || c == '\n') return false;
        }
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        head.headers.emplace_back(std::string(line.substr(0, colon)), std::string(v));
    }
    return true;
}

}  // namespace ws::fuzz

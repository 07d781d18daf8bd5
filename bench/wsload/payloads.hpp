// wsload's payloads: what message #seq holds, and the check of every echoed byte against it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace wsload {

// Message #seq: up to 16 ASCII hex digits of seq (the low ones when S < 16), then the bytes
// of body variant seq % V at the same offsets. Expected bytes are never generated per
// message: the comparison reads the prefix and the variant.
class Payloads {
public:
    Payloads(std::size_t size, bool text, bool mixed) : size_(size), prefix_(std::min<std::size_t>(size, 16)) {
        constexpr std::size_t kBudget = 32u << 20;
        variants_ = std::clamp<std::size_t>(size == 0 ? 64 : kBudget / size, 1, 64);
        data_.resize(variants_ * size_);
        std::uint64_t state = 0x9E3779B97F4A7C15ull;
        auto next = [&state] {  // xorshift64*: deterministic filler, not a secret
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            return state * 0x2545F4914F6CDD1Dull;
        };
        for (std::size_t v = 0; v < variants_; ++v) {
            std::uint8_t* d = data_.data() + v * size_;
            std::size_t i = prefix_;
            while (i < size_) {
                const std::uint64_t r = next();
                if (!text) {
                    d[i++] = static_cast<std::uint8_t>(r);
                    continue;
                }
                const std::size_t room = size_ - i;
                const std::size_t want = mixed ? 1 + (r >> 60) % 4 : 1;
                const std::size_t len = std::min(want, room);
                const auto cp_bits = static_cast<std::uint32_t>(r);
                if (len == 1) {
                    d[i++] = static_cast<std::uint8_t>(0x20 + cp_bits % 95);  // printable ASCII
                } else if (len == 2) {
                    const std::uint32_t cp = 0x80 + cp_bits % (0x800 - 0x80);
                    d[i++] = static_cast<std::uint8_t>(0xC0 | (cp >> 6));
                    d[i++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                } else if (len == 3) {
                    std::uint32_t cp = 0x800 + cp_bits % (0x10000 - 0x800 - 0x800);
                    if (cp >= 0xD800) cp += 0x800;  // skip the surrogates
                    d[i++] = static_cast<std::uint8_t>(0xE0 | (cp >> 12));
                    d[i++] = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
                    d[i++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                } else {
                    const std::uint32_t cp = 0x10000 + cp_bits % (0x110000 - 0x10000);
                    d[i++] = static_cast<std::uint8_t>(0xF0 | (cp >> 18));
                    d[i++] = static_cast<std::uint8_t>(0x80 | ((cp >> 12) & 0x3F));
                    d[i++] = static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F));
                    d[i++] = static_cast<std::uint8_t>(0x80 | (cp & 0x3F));
                }
            }
        }
    }

    std::size_t size() const noexcept { return size_; }
    std::size_t prefix_size() const noexcept { return prefix_; }
    // The prefix of message #seq (prefix_size() bytes).
    void prefix(std::uint64_t seq, std::uint8_t* out) const noexcept {
        static constexpr char kHex[] = "0123456789abcdef";
        std::uint8_t all[16];
        for (int i = 15; i >= 0; --i) {
            all[i] = static_cast<std::uint8_t>(kHex[seq & 15]);
            seq >>= 4;
        }
        std::memcpy(out, all + (16 - prefix_), prefix_);
    }
    const std::uint8_t* body(std::uint64_t seq) const noexcept { return data_.data() + (seq % variants_) * size_; }

    // Checks bytes [off, off + n) of message #seq; on a mismatch returns false and where.
    bool check(std::uint64_t seq, std::size_t off, const std::uint8_t* p, std::size_t n, std::size_t& bad,
               std::uint8_t& want) const noexcept {
        std::size_t i = 0;
        if (off < prefix_) {
            std::uint8_t pre[16];
            prefix(seq, pre);
            for (; i < n && off + i < prefix_; ++i) {
                if (p[i] != pre[off + i]) {
                    bad = off + i;
                    want = pre[off + i];
                    return false;
                }
            }
        }
        if (i < n) {
            const std::uint8_t* b = body(seq) + off + i;
            if (std::memcmp(p + i, b, n - i) != 0) {
                while (p[i] == b[0]) {
                    ++i;
                    ++b;
                }
                bad = off + i;
                want = b[0];
                return false;
            }
        }
        return true;
    }

private:
    std::size_t size_;
    std::size_t prefix_;
    std::size_t variants_ = 1;
    std::vector<std::uint8_t> data_;
};

}  // namespace wsload

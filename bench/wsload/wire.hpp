// wsload's wire: what it needs of HTTP and of RFC 6455 framing, written here and not taken from
// ws-cpp, so that ws-cpp is measured by the same code as every other server. Failing loudly,
// the handshake's helpers, masking keys and masking, the output buffer, frame headers. What
// runs per message (masking, the buffer, headers) is inline here.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace wsload {

// Prints "wsload: FAIL: ..." and a RESULT line with status=fail, and exits 1.
[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// ---- handshake helpers -------------------------------------------------------------------

std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s);
// Whether a comma-separated header value holds `token` (lower case), in any case.
bool has_token(std::string_view list, std::string_view token);
std::string base64(const unsigned char* data, std::size_t n);
// Sec-WebSocket-Accept for a key (RFC 6455 4.2.2): base64(SHA-1(key + GUID)).
std::string accept_for(const std::string& key);
// From OpenSSL's CSPRNG; fails the run when it cannot.
void random_bytes(unsigned char* p, std::size_t n);

// ---- masking and output -------------------------------------------------------------------

// Masking keys from the CSPRNG, 1024 per RAND_bytes call.
class MaskKeys {
public:
    std::uint32_t next() {
        if (used_ == kBatch) {
            random_bytes(reinterpret_cast<unsigned char*>(keys_), sizeof keys_);
            used_ = 0;
        }
        return keys_[used_++];
    }

private:
    static constexpr std::size_t kBatch = 1024;
    std::uint32_t keys_[kBatch] = {};
    std::size_t used_ = kBatch;
};

// dst = src XOR key, starting at byte `phase` of the key; returns the phase after.
inline std::size_t copy_masked(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint32_t key,
                               std::size_t phase) noexcept {
    std::uint8_t k[4];
    std::memcpy(k, &key, 4);
    std::uint8_t r[8];
    for (std::size_t i = 0; i < 8; ++i) r[i] = k[(phase + i) & 3];
    std::uint64_t k64;
    std::memcpy(&k64, r, 8);
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        std::uint64_t w[4];
        std::memcpy(w, src + i, 32);
        w[0] ^= k64;
        w[1] ^= k64;
        w[2] ^= k64;
        w[3] ^= k64;
        std::memcpy(dst + i, w, 32);
    }
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, src + i, 8);
        w ^= k64;
        std::memcpy(dst + i, &w, 8);
    }
    for (; i < n; ++i) dst[i] = src[i] ^ r[i & 7];
    return (phase + n) & 3;
}

// A growable byte buffer with a read offset; keeps its capacity (no allocation per message).
class ByteBuf {
public:
    ByteBuf() = default;
    ByteBuf(const ByteBuf&) = delete;
    ByteBuf& operator=(const ByteBuf&) = delete;
    ~ByteBuf() { std::free(data_); }

    std::uint8_t* reserve(std::size_t n) {
        if (off_ == size_) off_ = size_ = 0;
        if (cap_ - size_ < n) {
            if (off_ > 0) {  // slide what is left to the front first
                std::memmove(data_, data_ + off_, size_ - off_);
                size_ -= off_;
                off_ = 0;
            }
            if (cap_ - size_ < n) {
                std::size_t cap = std::max<std::size_t>(cap_ * 2, 512);
                if (cap < size_ + n) cap = size_ + n;
                void* p = std::realloc(data_, cap);
                if (p == nullptr) fail("out of memory (%zu bytes)", cap);
                data_ = static_cast<std::uint8_t*>(p);
                cap_ = cap;
            }
        }
        return data_ + size_;
    }
    void commit(std::size_t n) noexcept { size_ += n; }
    const std::uint8_t* pending() const noexcept { return data_ + off_; }
    std::size_t pending_size() const noexcept { return size_ - off_; }
    void consume(std::size_t n) noexcept { off_ += n; }
    bool empty() const noexcept { return off_ == size_; }

private:
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t off_ = 0;
    std::size_t cap_ = 0;
};

// ---- frame headers -----------------------------------------------------------------------

struct FrameHeader {
    bool fin;
    std::uint8_t rsv;
    std::uint8_t op;
    bool masked;
    std::uint64_t len;
};

// Decodes a server frame header from p[0, n): the header size, 0 when more bytes are needed.
inline std::size_t decode_header(const std::uint8_t* p, std::size_t n, FrameHeader& h) {
    if (n < 2) return 0;
    h.fin = (p[0] & 0x80) != 0;
    h.rsv = static_cast<std::uint8_t>((p[0] >> 4) & 7);
    h.op = static_cast<std::uint8_t>(p[0] & 0x0F);
    h.masked = (p[1] & 0x80) != 0;
    const std::uint8_t len7 = p[1] & 0x7F;
    std::size_t size = 2;
    if (len7 == 126) {
        size = 4;
        if (n < size) return 0;
        h.len = (std::uint64_t{p[2]} << 8) | p[3];
    } else if (len7 == 127) {
        size = 10;
        if (n < size) return 0;
        h.len = 0;
        for (int i = 2; i < 10; ++i) h.len = (h.len << 8) | p[i];
    } else {
        h.len = len7;
    }
    if (h.masked) size += 4;
    if (n < size) return 0;
    return size;
}

inline constexpr std::size_t kMaxHeader = 14;

// Writes a final, masked client frame header (RFC 6455 5.2) for an n-byte payload; its size.
inline std::size_t encode_header(std::uint8_t* d, std::uint8_t op, std::size_t n, std::uint32_t key) noexcept {
    std::size_t h = 0;
    d[h++] = static_cast<std::uint8_t>(0x80 | op);
    if (n < 126) {
        d[h++] = static_cast<std::uint8_t>(0x80 | n);
    } else if (n < 65536) {
        d[h++] = 0x80 | 126;
        d[h++] = static_cast<std::uint8_t>(n >> 8);
        d[h++] = static_cast<std::uint8_t>(n);
    } else {
        d[h++] = 0x80 | 127;
        for (int s = 56; s >= 0; s -= 8) d[h++] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(n) >> s);
    }
    std::memcpy(d + h, &key, 4);
    return h + 4;
}

}  // namespace wsload

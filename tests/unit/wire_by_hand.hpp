// Test-only bytes on the wire, built and read by hand: HTTP heads, and a frame builder and
// parser written from RFC 6455 5.2 independently of src/proto's codec, so a bug in the codec
// cannot hide itself in the tests (session_harness.hpp drives a Session with them).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/mask.hpp"

namespace ws::test {

using Bytes = std::vector<std::uint8_t>;
using proto::MaskKey;

// ---- bytes ---------------------------------------------------------------------------------

inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string to_string(const Bytes& b) { return std::string(b.begin(), b.end()); }
inline Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}
inline void append(Bytes& to, const Bytes& more) { to.insert(to.end(), more.begin(), more.end()); }

// Printable form of a payload for logs and failure messages; long payloads are summarised.
inline std::string show(std::string_view s) {
    if (s.size() > 80) {
        std::uint32_t h = 2166136261u;
        for (char c : s) h = (h ^ static_cast<std::uint8_t>(c)) * 16777619u;
        return "<" + std::to_string(s.size()) + " bytes, fnv " + std::to_string(h) + ">";
    }
    static const char* digits = "0123456789ABCDEF";
    std::string out = "'";
    for (char c : s) {
        const auto u = static_cast<std::uint8_t>(c);
        if (u >= 0x20 && u < 0x7F && c != '\\') {
            out += c;
        } else {
            out += "\\x";
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    return out + "'";
}

// ---- HTTP heads, read by hand ---------------------------------------------------------------

// The status code of a response head ("HTTP/1.1 404 ..." -> 404), or 0.
inline int head_status(std::string_view head) {
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return 0;
    int v = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (head[i] < '0' || head[i] > '9') return 0;
        v = v * 10 + (head[i] - '0');
    }
    return v;
}

// Every value of header `name` (ASCII case-insensitive) in a head, in order.
inline std::vector<std::string> head_headers(std::string_view head, std::string_view name) {
    auto lower = [](std::string_view s) {
        std::string l(s);
        for (char& c : l) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
        return l;
    };
    std::vector<std::string> out;
    const std::string want = lower(name);
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
        const std::size_t start = pos + 2;
        const std::size_t end = head.find("\r\n", start);
        if (end == std::string_view::npos || end == start) break;
        const std::string_view line = head.substr(start, end - start);
        const std::size_t colon = line.find(':');
        if (colon != std::string_view::npos && lower(line.substr(0, colon)) == want) {
            std::string_view v = line.substr(colon + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            out.emplace_back(v);
        }
        pos = end;
    }
    return out;
}

inline std::optional<std::string> head_header(std::string_view head, std::string_view name) {
    auto all = head_headers(head, name);
    if (all.empty()) return std::nullopt;
    return all.front();
}

// ---- frames, built by hand -----------------------------------------------------------------

inline constexpr MaskKey kTestKey{0x37, 0xFA, 0x21, 0x3D};

struct FrameOpts {
    bool fin = true;
    std::uint8_t rsv = 0;  // RSV1 = 4, RSV2 = 2, RSV3 = 1
    bool masked = true;
    MaskKey key = kTestKey;
    // Announce this length instead of the payload's (a header alone, or a lie).
    std::optional<std::uint64_t> announce;
};

inline FrameOpts opts(bool fin, std::uint8_t rsv, bool masked) {
    FrameOpts o;
    o.fin = fin;
    o.rsv = rsv;
    o.masked = masked;
    return o;
}

// Only a header announcing `len` payload bytes (what a peer sends before the payload).
inline FrameOpts header_only(std::uint64_t len, bool masked = true, bool fin = true) {
    FrameOpts o = opts(fin, 0, masked);
    o.announce = len;
    return o;
}

// One frame on the wire (RFC 6455 5.2), with the minimal length form.
inline Bytes frame(std::uint8_t opcode, std::string_view payload, const FrameOpts& o = {}) {
    Bytes b;
    b.push_back(static_cast<std::uint8_t>((o.fin ? 0x80 : 0x00) | ((o.rsv & 7) << 4) | (opcode & 0x0F)));
    const std::uint64_t len = o.announce.value_or(payload.size());
    const std::uint8_t mask_bit = o.masked ? 0x80 : 0x00;
    if (len <= 125) {
        b.push_back(static_cast<std::uint8_t>(mask_bit | len));
    } else if (len <= 0xFFFF) {
        b.push_back(static_cast<std::uint8_t>(mask_bit | 126));
        b.push_back(static_cast<std::uint8_t>(len >> 8));
        b.push_back(static_cast<std::uint8_t>(len & 0xFF));
    } else {
        b.push_back(static_cast<std::uint8_t>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>((len >> shift) & 0xFF));
    }
    if (o.masked) b.insert(b.end(), o.key.begin(), o.key.end());
    for (std::size_t i = 0; i < payload.size(); ++i) {
        const auto c = static_cast<std::uint8_t>(payload[i]);
        b.push_back(o.masked ? static_cast<std::uint8_t>(c ^ o.key[i % 4]) : c);
    }
    return b;
}

// Opcodes by name, so tests read like the RFC.
inline constexpr std::uint8_t kCont = 0x0, kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

// Client-to-server frames are masked (RFC 6455 5.3); server-to-client frames are not.
inline Bytes cframe(std::uint8_t op, std::string_view payload, bool fin = true, std::uint8_t rsv = 0) {
    return frame(op, payload, opts(fin, rsv, true));
}
inline Bytes sframe(std::uint8_t op, std::string_view payload, bool fin = true, std::uint8_t rsv = 0) {
    return frame(op, payload, opts(fin, rsv, false));
}

inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
    std::string p;
    p.push_back(static_cast<char>(code >> 8));
    p.push_back(static_cast<char>(code & 0xFF));
    p.append(reason);
    return p;
}

// ---- frames, parsed by hand ----------------------------------------------------------------

struct WireFrame {
    bool fin = false;
    std::uint8_t rsv = 0;
    std::uint8_t opcode = 0;
    bool masked = false;
    MaskKey key{};
    std::string payload;  // unmasked

    // For close frames: the code (0 when the payload is empty) and the reason.
    std::uint16_t close_code() const {
        if (payload.size() < 2) return 0;
        return static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                          static_cast<std::uint8_t>(payload[1]));
    }
    std::string close_reason() const { return payload.size() < 2 ? std::string() : payload.substr(2); }
    std::string describe() const;
};

inline const char* opcode_name(std::uint8_t op) {
    switch (op) {
        case kCont: return "CONT";
        case kText: return "TEXT";
        case kBinary: return "BINARY";
        case kClose: return "CLOSE";
        case kPing: return "PING";
        case kPong: return "PONG";
        default: return "RESERVED";
    }
}

inline std::string WireFrame::describe() const {
    std::string s = std::string(opcode_name(opcode)) + " fin=" + (fin ? "1" : "0") + " rsv=" + std::to_string(rsv) +
                    " masked=" + (masked ? "1" : "0");
    // A close reason is free text (diagnostics); the code is the protocol's answer.
    if (opcode == kClose) return s + " code=" + std::to_string(close_code());
    return s + " " + show(payload);
}

struct ParsedOutput {
    std::string head;  // an HTTP head at the start, if any (through the empty line)
    std::vector<WireFrame> frames;
    std::size_t trailing = 0;  // bytes left that do not make a whole frame
};

inline ParsedOutput parse_output(const Bytes& bytes) {
    ParsedOutput out;
    std::size_t i = 0;
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (text.substr(0, 5) == "HTTP/" || text.substr(0, 4) == "GET ") {
        const std::size_t end = text.find("\r\n\r\n");
        if (end == std::string_view::npos) {
            out.head = std::string(text);
            return out;
        }
        out.head = std::string(text.substr(0, end + 4));
        i = end + 4;
        // A response with a body (a refusal) carries Content-Length bytes after the head.
        const std::string lower_head = [&] {
            std::string l = out.head;
            for (char& c : l) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            return l;
        }();
        if (out.head.substr(0, 12) != "HTTP/1.1 101") {
            const std::size_t cl = lower_head.find("\r\ncontent-length:");
            if (cl != std::string::npos) {
                const std::size_t n = std::stoul(lower_head.substr(cl + 17));
                out.head.append(text.substr(i, n));
                i += std::min(n, bytes.size() - i);
            }
        }
    }
    while (i < bytes.size()) {
        const std::size_t start = i;
        if (bytes.size() - i < 2) break;
        WireFrame f;
        f.fin = (bytes[i] & 0x80) != 0;
        f.rsv = static_cast<std::uint8_t>((bytes[i] >> 4) & 7);
        f.opcode = static_cast<std::uint8_t>(bytes[i] & 0x0F);
        f.masked = (bytes[i + 1] & 0x80) != 0;
        std::uint64_t len = bytes[i + 1] & 0x7F;
        i += 2;
        std::size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
        if (bytes.size() - i < ext) {
            i = start;
            break;
        }
        if (ext > 0) {
            len = 0;
            for (std::size_t k = 0; k < ext; ++k) len = (len << 8) | bytes[i + k];
            i += ext;
        }
        if (f.masked) {
            if (bytes.size() - i < 4) {
                i = start;
                break;
            }
            for (std::size_t k = 0; k < 4; ++k) f.key[k] = bytes[i + k];
            i += 4;
        }
        if (bytes.size() - i < len) {
            i = start;
            break;
        }
        for (std::size_t k = 0; k < len; ++k) {
            const std::uint8_t c = bytes[i + k];
            f.payload.push_back(static_cast<char>(f.masked ? c ^ f.key[k % 4] : c));
        }
        i += static_cast<std::size_t>(len);
        out.frames.push_back(std::move(f));
    }
    out.trailing = bytes.size() - i;
    return out;
}

}  // namespace ws::test

// The Session fuzzer's stand-ins (session_fuzz.hpp): the toy extension it negotiates, an
// Output that gives every prepare() its own exact-size heap block, a counting mask-key
// source, and a parser of the frames the Session wrote.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.hpp"
#include "proto/extension.hpp"
#include "proto/session.hpp"

namespace ws::fuzz {

using proto::MaskKey;

// ---- the toy extension ----------------------------------------------------------------------
// "x-fuzz" claims RSV1. Incoming: XORs bytes with 0x3C; a decoded 0xFD expands to eight 'z'
// (a tiny decompression bomb, to exercise the limit); a decoded 0xFF is a decode error.
// Outgoing: messages of even length are XORed and flagged with RSV1, odd ones go out as they are.

inline constexpr std::uint8_t kXor = 0x3C;

inline std::string xor_bytes(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(static_cast<std::uint8_t>(c) ^ kXor);
    return out;
}
inline bool toy_encodes(std::string_view payload) { return payload.size() % 2 == 0; }

class ToyExtension final : public proto::Extension {
public:
    std::string_view name() const noexcept override { return "x-fuzz"; }
    std::uint8_t rsv_bits() const noexcept override { return 4; }
    Result<> decode(std::uint8_t rsv, std::span<const std::uint8_t> in, bool, proto::MessageBuffer& out,
                    std::size_t limit) override {
        FUZZ_CHECK(rsv != 0 && (rsv & ~4) == 0);
        for (const std::uint8_t b : in) {
            const auto c = static_cast<std::uint8_t>(b ^ kXor);
            if (c == 0xFF) return Error(ErrorKind::Protocol, "x-fuzz: corrupt data");
            const int reps = c == 0xFD ? 8 : 1;
            for (int r = 0; r < reps; ++r) {
                if (out.size() >= limit) return Error(ErrorKind::Capacity, "x-fuzz: output over the limit");
                out.push_back(c == 0xFD ? 'z' : static_cast<char>(c));
            }
        }
        return {};
    }
    std::uint8_t encode(OpCode, std::string_view payload, std::string& out) override {
        if (!toy_encodes(payload)) return 0;
        out += xor_bytes(payload);
        return 4;
    }
};

class ToyFactory final : public proto::ExtensionFactory {
public:
    std::string_view name() const noexcept override { return "x-fuzz"; }
    proto::ExtensionOffer offer() const override { return {"x-fuzz", {{"level", "3"}}}; }
    Result<std::unique_ptr<proto::Extension>> accept_response(const proto::ExtensionOffer& response) const override {
        for (const auto& [k, v] : response.params) {
            if (k == "bad") return Error(ErrorKind::Protocol, "x-fuzz: parameter 'bad' refused");
        }
        return std::unique_ptr<proto::Extension>(std::make_unique<ToyExtension>());
    }
    std::optional<Accepted> accept_offer(const proto::ExtensionOffer& offer) const override {
        for (const auto& [k, v] : offer.params) {
            if (k == "decline") return std::nullopt;
        }
        return Accepted{proto::ExtensionOffer{"x-fuzz", {}}, std::make_unique<ToyExtension>()};
    }
};

// ---- fakes --------------------------------------------------------------------------------

// Every prepare() gets its own heap block of exactly the size asked, so AddressSanitizer sees
// any byte written past the room the Session reserved.
class CheckedOutput final : public proto::Output {
public:
    std::uint8_t* prepare(std::size_t n) override {
        FUZZ_CHECK_MSG(n <= max_prepare, "prepare(" + std::to_string(n) + ") is larger than anything this run sends");
        room_.assign(n, 0);
        prepared_ = true;
        return room_.data();
    }
    void commit(std::size_t n) override {
        FUZZ_CHECK(prepared_);
        FUZZ_CHECK(n <= room_.size());
        data.insert(data.end(), room_.begin(), room_.begin() + static_cast<std::ptrdiff_t>(n));
        prepared_ = false;
        std::vector<std::uint8_t>().swap(room_);
    }
    std::vector<std::uint8_t> data;
    std::size_t max_prepare = 0;

private:
    std::vector<std::uint8_t> room_;
    bool prepared_ = false;
};

class CountingMasks final : public proto::MaskKeySource {
public:
    MaskKey next() override {
        MaskKey k;
        for (auto& b : k) b = next_++;
        given.push_back(k);
        return k;
    }
    std::vector<MaskKey> given;

private:
    std::uint8_t next_ = 0x11;
};

// One frame the Session must write: computed from what on_send_frame let through.
struct WireFrame {
    bool fin = true;
    std::uint8_t rsv = 0;
    std::uint8_t opcode = 0;
    bool masked = false;
    MaskKey key{};
    std::string payload;  // unmasked

    bool operator==(const WireFrame& o) const {
        return fin == o.fin && rsv == o.rsv && opcode == o.opcode && payload == o.payload;
    }
    std::string describe() const {
        return "op=" + std::to_string(opcode) + " fin=" + (fin ? "1" : "0") + " rsv=" + std::to_string(rsv) +
               " masked=" + (masked ? "1" : "0") + " " + show(payload, 40);
    }
};

// Parses frames by hand (RFC 6455 5.2), independently of proto/frame_header.
inline std::vector<WireFrame> parse_frames(std::string_view bytes, std::size_t& trailing) {
    std::vector<WireFrame> frames;
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(bytes[k]); };
    while (bytes.size() - i >= 2) {
        WireFrame f;
        f.fin = (at(i) & 0x80) != 0;
        f.rsv = static_cast<std::uint8_t>((at(i) >> 4) & 7);
        f.opcode = at(i) & 0x0F;
        f.masked = (at(i + 1) & 0x80) != 0;
        std::uint64_t len = at(i + 1) & 0x7F;
        std::size_t p = i + 2;
        const std::size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
        if (bytes.size() - p < ext) break;
        if (ext > 0) {
            len = 0;
            for (std::size_t k = 0; k < ext; ++k) len = (len << 8) | at(p + k);
            // RFC 6455 5.2: the minimal number of bytes MUST be used for the length.
            FUZZ_CHECK_MSG(ext == 2 ? len >= 126 : len > 0xFFFF, "non-minimal length encoding");
            p += ext;
        }
        if (f.masked) {
            if (bytes.size() - p < 4) break;
            for (std::size_t k = 0; k < 4; ++k) f.key[k] = at(p + k);
            p += 4;
        }
        if (bytes.size() - p < len) break;
        f.payload.resize(static_cast<std::size_t>(len));
        for (std::size_t k = 0; k < len; ++k) {
            f.payload[k] = static_cast<char>(f.masked ? at(p + k) ^ f.key[k % 4] : at(p + k));
        }
        i = p + static_cast<std::size_t>(len);
        frames.push_back(std::move(f));
    }
    trailing = bytes.size() - i;
    return frames;
}

}  // namespace ws::fuzz

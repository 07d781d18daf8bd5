#include "proto/frame_header.hpp"

#include <cstring>

namespace ws::proto {

std::size_t encode_header(const FrameHeader& h, std::uint8_t* out) noexcept {
    out[0] = static_cast<std::uint8_t>((h.fin ? 0x80 : 0) | ((h.rsv & 7) << 4) | (h.opcode & 0x0F));
    const std::uint8_t mask_bit = h.masked ? 0x80 : 0;
    std::size_t n;
    if (h.payload_len < 126) {
        out[1] = static_cast<std::uint8_t>(mask_bit | h.payload_len);
        n = 2;
    } else if (h.payload_len <= 0xFFFF) {
        out[1] = mask_bit | 126;
        out[2] = static_cast<std::uint8_t>(h.payload_len >> 8);
        out[3] = static_cast<std::uint8_t>(h.payload_len);
        n = 4;
    } else {
        out[1] = mask_bit | 127;
        for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(h.payload_len >> (56 - 8 * i));
        n = 10;
    }
    if (h.masked) {
        std::memcpy(out + n, h.mask.data(), 4);
        n += 4;
    }
    return n;
}

DecodeResult decode_header(std::span<const std::uint8_t> in, FrameHeader& h) noexcept {
    if (in.size() < 2) return {DecodeStatus::NeedMore, 2};
    const std::uint8_t b0 = in[0];
    const std::uint8_t b1 = in[1];
    const std::uint8_t len7 = b1 & 0x7F;
    const bool masked = (b1 & 0x80) != 0;
    const std::size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
    if (in.size() < need) return {DecodeStatus::NeedMore, need};

    h.fin = (b0 & 0x80) != 0;
    h.rsv = (b0 >> 4) & 7;
    h.opcode = b0 & 0x0F;
    h.masked = masked;
    std::size_t p = 2;
    if (len7 == 126) {
        h.payload_len = (std::uint64_t{in[2]} << 8) | in[3];
        p = 4;
    } else if (len7 == 127) {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | in[2 + i];
        if (v >> 63) return {DecodeStatus::LengthTooBig, need};
        h.payload_len = v;
        p = 10;
    } else {
        h.payload_len = len7;
    }
    if (masked) {
        std::memcpy(h.mask.data(), in.data() + p, 4);
    } else {
        h.mask = {};
    }
    return {DecodeStatus::Ok, need};
}

}  // namespace ws::proto

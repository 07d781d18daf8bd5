// The frame header codec of RFC 6455 section 5.2, for every length form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/mask.hpp"
#include "ws/opcode.hpp"

namespace ws::proto {

// The largest header: 2 bytes + 8 bytes of extended length + 4 bytes of masking key.
inline constexpr std::size_t kMaxHeaderSize = 14;
// RFC 6455 5.5: control frames carry at most 125 bytes.
inline constexpr std::size_t kMaxControlPayload = 125;
// RFC 6455 5.5.1: a close frame's reason follows its 2-byte code in a control payload.
inline constexpr std::size_t kMaxCloseReason = kMaxControlPayload - 2;

struct FrameHeader {
    bool fin = true;
    std::uint8_t rsv = 0;  // RSV1..RSV3 as three bits, RSV1 = 4
    std::uint8_t opcode = 0;  // raw, so reserved opcodes can be reported
    bool masked = false;
    MaskKey mask{};
    std::uint64_t payload_len = 0;

    OpCode op() const noexcept { return static_cast<OpCode>(opcode); }
};

// Bytes the header of a frame with this payload length takes.
constexpr std::size_t header_size(std::uint64_t payload_len, bool masked) noexcept {
    return (payload_len < 126 ? 2 : payload_len <= 0xFFFF ? 4 : 10) + (masked ? 4 : 0);
}

// Writes the header into `out` (room for kMaxHeaderSize bytes) with the shortest length form
// (RFC 6455 5.2: "the minimal number of bytes MUST be used"); returns the bytes written.
std::size_t encode_header(const FrameHeader& h, std::uint8_t* out) noexcept;

enum class DecodeStatus : std::uint8_t {
    Ok,            // header decoded; `consumed` bytes
    NeedMore,      // not enough bytes yet; `consumed` is how many the header needs at least
    LengthTooBig,  // 64-bit length with the most significant bit set (RFC 6455 5.2)
};

struct DecodeResult {
    DecodeStatus status;
    std::size_t consumed;
};

// Decodes a header from the start of `in`. Only the wire format is checked here; the protocol
// rules (opcodes, RSV bits, masking direction, control-frame limits) are the Session's.
DecodeResult decode_header(std::span<const std::uint8_t> in, FrameHeader& h) noexcept;

}  // namespace ws::proto

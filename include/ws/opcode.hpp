// ws::OpCode: the frame opcodes of RFC 6455 section 5.2.
#pragma once

#include <cstdint>
#include <string_view>

namespace ws {

enum class OpCode : std::uint8_t {
    Continue = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// Control frames have the high bit of the opcode set (RFC 6455 5.5).
constexpr bool is_control(OpCode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

// True for the six opcodes RFC 6455 defines; 0x3-0x7 and 0xB-0xF are reserved.
constexpr bool is_known_opcode(std::uint8_t op) noexcept {
    return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

std::string_view to_string(OpCode op) noexcept;

}  // namespace ws

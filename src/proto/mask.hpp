// RFC 6455 5.3: client-to-server masking. XOR with a 4-byte key, repeated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ws::proto {

using MaskKey = std::array<std::uint8_t, 4>;

// XORs `len` bytes at `data` in place with `key`, starting at key byte `phase` (0..3), and
// returns the phase for the byte after the last one, so a payload can be unmasked in pieces
// as it arrives. Works a vector (16 bytes) at a time; no alignment requirement on `data`.
std::size_t apply_mask(std::uint8_t* data, std::size_t len, MaskKey key,
                       std::size_t phase = 0) noexcept;

// Copies `len` bytes from `src` to `dst` masking them on the way (one pass; the client's send
// path writes the masked payload straight into the output buffer). `dst` and `src` must not
// overlap.
void copy_masked(std::uint8_t* dst, const std::uint8_t* src, std::size_t len,
                 MaskKey key) noexcept;

}  // namespace ws::proto

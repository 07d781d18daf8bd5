// Masking keys for client frames from OpenSSL's CSPRNG, fetched in batches: one RAND_bytes
// call serves 64 frames, so a fresh unpredictable key costs a few nanoseconds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "proto/session.hpp"

namespace ws::proto {

class BatchedMaskKeys final : public MaskKeySource {
public:
    MaskKey next() override;

private:
    void refill();
    std::array<std::uint8_t, 256> pool_{};
    std::size_t used_ = sizeof(pool_);
};

}  // namespace ws::proto

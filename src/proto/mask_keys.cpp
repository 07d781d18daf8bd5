#include "proto/mask_keys.hpp"

#include <openssl/rand.h>

#include <cstring>
#include <random>

namespace ws::proto {

void BatchedMaskKeys::refill() {
    if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) {
        // No CSPRNG output (should not happen on Linux): fall back to the OS random device
        // rather than sending predictable keys or stopping.
        std::random_device rd;
        for (std::size_t i = 0; i < pool_.size(); i += 4) {
            const auto v = rd();
            std::memcpy(pool_.data() + i, &v, 4);
        }
    }
    used_ = 0;
}

MaskKey BatchedMaskKeys::next() {
    if (used_ + 4 > pool_.size()) refill();
    MaskKey key;
    std::memcpy(key.data(), pool_.data() + used_, 4);
    used_ += 4;
    return key;
}

}  // namespace ws::proto

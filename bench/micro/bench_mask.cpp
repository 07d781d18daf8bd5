// Masking (RFC 6455 5.3) against its physical limit: memcpy over the same bytes.
//
// apply_mask reads and writes one buffer in place (the receive path unmasks in place);
// copy_masked reads one buffer and writes another (the client's send path), which is exactly
// what memcpy does, so memcpy is the ceiling for both. Sizes 16 B to 1 MiB; "aligned" starts
// on a 64-byte boundary, "unaligned" one byte past it (source and destination both).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "proto/mask.hpp"

namespace {

constexpr std::size_t kAlign = 64;

struct FreeDeleter {
    void operator()(std::uint8_t* p) const noexcept { std::free(p); }
};
using AlignedBytes = std::unique_ptr<std::uint8_t, FreeDeleter>;

// A 64-byte aligned buffer with room for `len` bytes after an offset of up to 63.
AlignedBytes make_buffer(std::size_t len) {
    const std::size_t size = (len + 2 * kAlign) / kAlign * kAlign;
    auto* p = static_cast<std::uint8_t*>(std::aligned_alloc(kAlign, size));
    if (p == nullptr) std::abort();
    for (std::size_t i = 0; i < size; ++i) p[i] = static_cast<std::uint8_t>(i * 31 + 7);
    return AlignedBytes(p);
}

std::size_t len_of(const benchmark::State& state) { return static_cast<std::size_t>(state.range(0)); }
std::size_t offset_of(const benchmark::State& state) { return static_cast<std::size_t>(state.range(1)); }

constexpr ws::proto::MaskKey kKey{0x37, 0xfa, 0x21, 0x3d};

void set_label_and_bytes(benchmark::State& state) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
    state.SetLabel(offset_of(state) == 0 ? "aligned" : "unaligned");
}

// In place, as the receive path does.
void BM_apply_mask(benchmark::State& state) {
    const std::size_t len = len_of(state);
    auto buf = make_buffer(len);
    std::uint8_t* data = buf.get() + offset_of(state);
    for (auto _ : state) {
        benchmark::DoNotOptimize(data);
        const std::size_t phase = ws::proto::apply_mask(data, len, kKey, 0);
        benchmark::DoNotOptimize(phase);
        benchmark::ClobberMemory();
    }
    set_label_and_bytes(state);
}

// Source to destination, as the client's send path does.
void BM_copy_masked(benchmark::State& state) {
    const std::size_t len = len_of(state);
    auto src_buf = make_buffer(len);
    auto dst_buf = make_buffer(len);
    const std::uint8_t* src = src_buf.get() + offset_of(state);
    std::uint8_t* dst = dst_buf.get() + offset_of(state);
    for (auto _ : state) {
        benchmark::DoNotOptimize(src);
        benchmark::DoNotOptimize(dst);
        ws::proto::copy_masked(dst, src, len, kKey);
        benchmark::ClobberMemory();
    }
    set_label_and_bytes(state);
}

// The ceiling: glibc's memcpy (runtime-dispatched to the widest vector unit) over the same
// buffers as BM_copy_masked.
void BM_memcpy(benchmark::State& state) {
    const std::size_t len = len_of(state);
    auto src_buf = make_buffer(len);
    auto dst_buf = make_buffer(len);
    const std::uint8_t* src = src_buf.get() + offset_of(state);
    std::uint8_t* dst = dst_buf.get() + offset_of(state);
    for (auto _ : state) {
        benchmark::DoNotOptimize(src);
        benchmark::DoNotOptimize(dst);
        std::memcpy(dst, src, len);
        benchmark::ClobberMemory();
    }
    set_label_and_bytes(state);
}

void mask_sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"bytes", "offset"});
    for (const std::int64_t offset : {0, 1}) {
        for (const std::int64_t len : {16, 128, 1 << 10, 64 << 10, 1 << 20}) b->Args({len, offset});
    }
}

}  // namespace

BENCHMARK(BM_memcpy)->Apply(mask_sizes);
BENCHMARK(BM_apply_mask)->Apply(mask_sizes);
BENCHMARK(BM_copy_masked)->Apply(mask_sizes);

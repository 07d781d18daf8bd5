// The frame header codec (RFC 6455 5.2) in ns per header, for each length form (7-bit,
// 16-bit, 64-bit), masked (client to server) and unmasked (server to client).
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "proto/frame_header.hpp"

namespace {

using ws::proto::FrameHeader;

FrameHeader header_for(const benchmark::State& state) {
    FrameHeader h;
    h.fin = true;
    h.opcode = 2;  // binary
    h.payload_len = static_cast<std::uint64_t>(state.range(0));
    h.masked = state.range(1) != 0;
    if (h.masked) h.mask = {0x11, 0x22, 0x33, 0x44};
    return h;
}

void label(benchmark::State& state) {
    const auto len = state.range(0);
    const char* form = len < 126 ? "7-bit len" : len <= 0xFFFF ? "16-bit len" : "64-bit len";
    state.SetLabel(std::string(form) + (state.range(1) != 0 ? ", masked" : ", unmasked"));
}

void BM_decode_header(benchmark::State& state) {
    const FrameHeader in = header_for(state);
    std::array<std::uint8_t, ws::proto::kMaxHeaderSize> wire{};
    const std::size_t n = ws::proto::encode_header(in, wire.data());
    const std::uint8_t* p = wire.data();
    FrameHeader out;
    for (auto _ : state) {
        benchmark::DoNotOptimize(p);  // the compiler may not assume the bytes are known
        const auto r = ws::proto::decode_header(std::span<const std::uint8_t>(p, n), out);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(out);
    }
    if (out.payload_len != in.payload_len || out.masked != in.masked) state.SkipWithError("decode mismatch");
    label(state);
}

void BM_encode_header(benchmark::State& state) {
    FrameHeader h = header_for(state);
    std::array<std::uint8_t, ws::proto::kMaxHeaderSize> wire{};
    std::uint8_t* out = wire.data();
    for (auto _ : state) {
        benchmark::DoNotOptimize(h);  // the header may have changed: nothing to hoist
        const std::size_t n = ws::proto::encode_header(h, out);
        benchmark::DoNotOptimize(n);
        benchmark::ClobberMemory();
    }
    label(state);
}

void length_forms(benchmark::internal::Benchmark* b) {
    b->ArgNames({"len", "masked"});
    for (const std::int64_t masked : {0, 1}) {
        for (const std::int64_t len : {16, 1000, 100000}) b->Args({len, masked});
    }
}

}  // namespace

BENCHMARK(BM_decode_header)->Apply(length_forms);
BENCHMARK(BM_encode_header)->Apply(length_forms);

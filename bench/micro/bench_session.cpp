// One echo round through a server proto::Session, no I/O: a client's masked frame is fed in,
// the Session unmasks it in place, validates it (text), delivers it to on_message, which sends
// it back into a reused Output; ns per message.
//
// Feeding unmasks the bytes in place, so each round first copies the wire frame into the
// "receive buffer" again: that copy stands in for the kernel's copy into the loop's receive
// buffer and is measured alone by BM_session_echo_refill_only (subtract it to get the
// Session's own cost).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "session_fixture.hpp"

namespace {

using ws::OpCode;

std::string payload_of(std::size_t len) {
    std::string s(len, 'a');
    for (std::size_t i = 0; i < len; ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
}

// The unmasked frame a server sends back.
std::string server_frame(OpCode op, std::string_view payload) {
    ws::proto::FrameHeader h;
    h.opcode = static_cast<std::uint8_t>(op);
    h.payload_len = payload.size();
    std::string wire(ws::proto::header_size(payload.size(), false), '\0');
    ws::proto::encode_header(h, reinterpret_cast<std::uint8_t*>(wire.data()));
    wire.append(payload);
    return wire;
}

OpCode op_of(const benchmark::State& state) { return state.range(1) != 0 ? OpCode::Binary : OpCode::Text; }

void finish(benchmark::State& state, std::size_t payload) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload));
    state.SetLabel(state.range(1) != 0 ? "binary" : "text");
}

// Feeds the frame in pieces of at most `read_size` bytes (as reads into a receive buffer of
// that size would deliver it), refilling from `wire` first.
void echo_round(ws::bench::OpenServer& s, const std::vector<std::uint8_t>& wire, std::vector<std::uint8_t>& rx,
                std::size_t read_size) {
    std::memcpy(rx.data(), wire.data(), wire.size());
    for (std::size_t off = 0; off < rx.size(); off += read_size) {
        const std::size_t n = rx.size() - off < read_size ? rx.size() - off : read_size;
        s.session.feed({rx.data() + off, n});
    }
}

void run_echo(benchmark::State& state, std::size_t read_size) {
    const auto len = static_cast<std::size_t>(state.range(0));
    const OpCode op = op_of(state);
    const std::string payload = payload_of(len);
    const std::vector<std::uint8_t> wire = ws::bench::client_frame(op, payload);
    std::vector<std::uint8_t> rx(wire.size());
    ws::bench::OpenServer s;
    if (!s.open()) {
        state.SkipWithError("handshake failed");
        return;
    }
    // Check one round before timing: exactly the expected echo frame comes out.
    echo_round(s, wire, rx, read_size);
    if (s.out.view() != server_frame(op, payload) || s.events.messages != 1) {
        state.SkipWithError("wrong echo");
        return;
    }
    s.out.clear();
    for (auto _ : state) {
        echo_round(s, wire, rx, read_size);
        benchmark::DoNotOptimize(s.out.view().data());
        benchmark::ClobberMemory();
        s.out.clear();  // the flush: the output keeps its capacity
    }
    if (s.events.errors != 0 || !s.session.is_open()) state.SkipWithError("session failed");
    finish(state, len);
}

// The whole frame in one read (what 16 B and 1 KiB messages always get, and 64 KiB ones with a
// receive buffer larger than the frame).
void BM_session_echo(benchmark::State& state) { run_echo(state, static_cast<std::size_t>(-1) / 2); }

// A 64 KiB message through the loop's default 64 KiB receive buffer arrives in two reads
// (65,528 payload bytes, then 8): the Session assembles it instead of delivering a view.
void BM_session_echo_64k_reads(benchmark::State& state) { run_echo(state, 64u << 10); }

// Only the refill copy that BM_session_echo makes each round.
void BM_session_echo_refill_only(benchmark::State& state) {
    const auto len = static_cast<std::size_t>(state.range(0));
    const std::vector<std::uint8_t> wire = ws::bench::client_frame(op_of(state), payload_of(len));
    std::vector<std::uint8_t> rx(wire.size());
    for (auto _ : state) {
        benchmark::DoNotOptimize(rx.data());
        std::memcpy(rx.data(), wire.data(), wire.size());
        benchmark::ClobberMemory();
    }
    finish(state, len);
}

void echo_sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"bytes", "binary"});
    for (const std::int64_t binary : {0, 1}) {
        for (const std::int64_t len : {16, 1 << 10, 64 << 10}) b->Args({len, binary});
    }
}

}  // namespace

BENCHMARK(BM_session_echo)->Apply(echo_sizes);
BENCHMARK(BM_session_echo_64k_reads)->ArgNames({"bytes", "binary"})->Args({64 << 10, 0})->Args({64 << 10, 1});
BENCHMARK(BM_session_echo_refill_only)->Apply(echo_sizes);

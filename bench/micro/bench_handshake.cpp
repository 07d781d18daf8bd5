// The opening handshake (RFC 6455 4.2) in ns: parsing a typical browser request and checking
// it, building the 101 response, and a server Session's whole handshake (request bytes in,
// response bytes out), which is what each new connection costs in proto/.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/handshake.hpp"
#include "session_fixture.hpp"

namespace {

using ws::bench::kBrowserRequest;

constexpr std::size_t kMaxHeaders = 124;  // Settings::max_headers' default

void BM_parse_request(benchmark::State& state) {
    std::string_view head = kBrowserRequest;
    for (auto _ : state) {
        benchmark::DoNotOptimize(head);
        auto req = ws::proto::parse_request(head, kMaxHeaders);
        benchmark::DoNotOptimize(req);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * head.size()));
}

void BM_parse_request_and_check(benchmark::State& state) {
    std::string_view head = kBrowserRequest;
    bool ok = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(head);
        auto req = ws::proto::parse_request(head, kMaxHeaders);
        ok &= req.ok() && ws::proto::check_upgrade_request(*req).ok();
        benchmark::DoNotOptimize(req);
    }
    if (!ok) state.SkipWithError("the request did not pass");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * head.size()));
}

// Just the upgrade checks on an already parsed request.
void BM_check_upgrade_request(benchmark::State& state) {
    const auto req = ws::proto::parse_request(kBrowserRequest, kMaxHeaders);
    for (auto _ : state) {
        auto r = ws::proto::check_upgrade_request(*req);
        benchmark::DoNotOptimize(r);
    }
}

// base64(SHA-1(key + GUID)) through OpenSSL.
void BM_accept_key(benchmark::State& state) {
    std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==";
    for (auto _ : state) {
        benchmark::DoNotOptimize(key);
        auto accept = ws::proto::accept_key(key);
        benchmark::DoNotOptimize(accept);
    }
}

// The 101 as the default Handler::on_request builds it (checks, accept key) and its bytes.
void BM_build_response(benchmark::State& state) {
    const auto req = ws::proto::parse_request(kBrowserRequest, kMaxHeaders);
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto res = ws::Response::from_request(*req);
        std::string wire = res->format();
        bytes = wire.size();
        benchmark::DoNotOptimize(wire);
    }
    state.counters["response_bytes"] = static_cast<double>(bytes);
}

// Just formatting a ready 101 response.
void BM_format_response(benchmark::State& state) {
    const auto req = ws::proto::parse_request(kBrowserRequest, kMaxHeaders);
    const auto res = ws::Response::from_request(*req);
    for (auto _ : state) {
        std::string wire = res->format();
        benchmark::DoNotOptimize(wire);
    }
}

// A whole server-side handshake in a fresh Session: request bytes in, 101 bytes out.
void BM_session_server_handshake(benchmark::State& state) {
    std::string request(kBrowserRequest);
    ws::proto::SessionConfig config;
    bool ok = true;
    for (auto _ : state) {
        ws::bench::EchoEvents events;
        ws::bench::VectorOutput out;
        ws::proto::Session session(ws::proto::Role::Server, config, events, out);
        events.session = &session;
        session.feed({reinterpret_cast<std::uint8_t*>(request.data()), request.size()});
        ok &= session.is_open();
        benchmark::DoNotOptimize(out.view().data());
        benchmark::ClobberMemory();
    }
    if (!ok) state.SkipWithError("the handshake failed");
}

}  // namespace

BENCHMARK(BM_parse_request);
BENCHMARK(BM_check_upgrade_request);
BENCHMARK(BM_parse_request_and_check);
BENCHMARK(BM_accept_key);
BENCHMARK(BM_format_response);
BENCHMARK(BM_build_response);
BENCHMARK(BM_session_server_handshake);

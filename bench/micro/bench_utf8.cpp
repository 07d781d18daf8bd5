// UTF-8 validation against a bare simdjson::validate_utf8 call on the same bytes, so the cost
// of ws-cpp's wrappers is visible: proto::is_valid_utf8 (the whole-message path), and the
// streaming proto::Utf8Validator fed the whole message at once or in 4 KiB chunks (the path of
// a message that spans reads). Texts: pure ASCII, and mixed Latin/Greek/CJK/emoji (1-4 byte
// characters, so 4 KiB chunk boundaries fall inside characters), 16 B to 1 MiB.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "proto/utf8.hpp"

namespace {

enum Kind : std::int64_t { kAscii = 0, kMixed = 1 };

// Exactly `len` bytes of valid UTF-8 text.
std::string make_text(Kind kind, std::size_t len) {
    static constexpr std::array<std::string_view, 6> ascii_words{
        "The ", "quick ", "brown ", "fox ", "jumps over ", "the lazy dog. "};
    static constexpr std::array<std::string_view, 8> mixed_words{
        "Grüße aus Köln, ", "καλημέρα κόσμε ", "日本語のテキスト", "😀🎉🚀 ",
        "naïve café ", "Ελληνικά ", "中文字符 ", "emoji 👍 "};
    std::string s;
    s.reserve(len);
    std::size_t i = 0;
    while (true) {
        const std::string_view w = kind == kAscii ? ascii_words[i % ascii_words.size()]
                                                  : mixed_words[i % mixed_words.size()];
        if (s.size() + w.size() > len) break;
        s.append(w);
        ++i;
    }
    s.append(len - s.size(), 'x');  // pad with ASCII so the text ends on a character boundary
    if (!simdjson::validate_utf8(s.data(), s.size())) std::abort();
    return s;
}

const std::string& text(Kind kind, std::size_t len) {
    static std::map<std::pair<std::int64_t, std::size_t>, std::string> cache;
    auto [it, fresh] = cache.try_emplace({kind, len});
    if (fresh) it->second = make_text(kind, len);
    return it->second;
}

const std::string& setup(const benchmark::State& state) {
    const auto kind = static_cast<Kind>(state.range(1));
    return text(kind, static_cast<std::size_t>(state.range(0)));
}

void finish(benchmark::State& state, bool ok) {
    if (!ok) state.SkipWithError("validation failed on valid text");
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
    state.SetLabel(state.range(1) == kAscii ? "ascii" : "mixed");
}

// The floor: simdjson's own entry point, nothing around it.
void BM_simdjson_validate_utf8(benchmark::State& state) {
    const std::string& s = setup(state);
    const char* p = s.data();
    bool ok = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(p);
        ok &= simdjson::validate_utf8(p, s.size());
        benchmark::DoNotOptimize(ok);
    }
    finish(state, ok);
}

// ws-cpp's whole-message check (what a message that arrived in one read goes through).
void BM_is_valid_utf8(benchmark::State& state) {
    const std::string& s = setup(state);
    const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
    bool ok = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(p);
        ok &= ws::proto::is_valid_utf8(p, s.size());
        benchmark::DoNotOptimize(ok);
    }
    finish(state, ok);
}

// The streaming validator given the whole message as one chunk.
void BM_Utf8Validator_whole(benchmark::State& state) {
    const std::string& s = setup(state);
    const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
    ws::proto::Utf8Validator v;
    bool ok = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(p);
        v.reset();
        ok &= v.feed(p, s.size()) && v.complete();
        benchmark::DoNotOptimize(ok);
    }
    finish(state, ok);
}

// The streaming validator fed 4 KiB at a time (chunk boundaries split characters in the mixed
// text, so the scalar step for split characters is exercised).
void BM_Utf8Validator_4k_chunks(benchmark::State& state) {
    const std::string& s = setup(state);
    const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
    const std::size_t len = s.size();
    constexpr std::size_t kChunk = 4096;
    ws::proto::Utf8Validator v;
    bool ok = true;
    for (auto _ : state) {
        benchmark::DoNotOptimize(p);
        v.reset();
        for (std::size_t off = 0; off < len; off += kChunk) {
            const std::size_t n = len - off < kChunk ? len - off : kChunk;
            ok &= v.feed(p + off, n);
        }
        ok &= v.complete();
        benchmark::DoNotOptimize(ok);
    }
    finish(state, ok);
}

void utf8_sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"bytes", "mixed"});
    for (const std::int64_t kind : {kAscii, kMixed}) {
        for (const std::int64_t len : {16, 128, 256, 512, 1 << 10, 64 << 10, 1 << 20}) b->Args({len, kind});
    }
}

// Chunking changes nothing below one chunk: only the sizes that span several.
void chunked_sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"bytes", "mixed"});
    for (const std::int64_t kind : {kAscii, kMixed}) {
        for (const std::int64_t len : {64 << 10, 1 << 20}) b->Args({len, kind});
    }
}

}  // namespace

BENCHMARK(BM_simdjson_validate_utf8)->Apply(utf8_sizes);
BENCHMARK(BM_is_valid_utf8)->Apply(utf8_sizes);
BENCHMARK(BM_Utf8Validator_whole)->Apply(utf8_sizes);
BENCHMARK(BM_Utf8Validator_4k_chunks)->Apply(chunked_sizes);

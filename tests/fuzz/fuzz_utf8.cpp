// Fuzz target 5: UTF-8 validation (RFC 3629), the whole-buffer check (simdjson) and the
// incremental Utf8Validator the Session feeds text through as it arrives.
//
// Input: byte 0 seeds where the text is cut into feed() calls; the rest is the text.
//
// Invariants, against a scalar validator written here from RFC 3629's table:
//   - is_valid_utf8(text) == reference
//   - fed in pieces, Utf8Validator::feed returns true exactly while the bytes so far are a
//     prefix of some valid UTF-8 (it fails fast, mid-character included, and never early);
//     when every piece was accepted, complete() says whether the text is valid
//   - the same after reset() and with the text fed at once
//   - utf8_sequence_length and utf8_prefix_ok agree with the table
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "proto/utf8.hpp"

using namespace ws;
using namespace ws::fuzz;

namespace {

bool ref_prefix_ok(const std::uint8_t* s, std::size_t n) {
    const Utf8Rule* rule = utf8_rule(s[0]);
    if (rule == nullptr || n > 1u + rule->follow) return false;
    for (std::size_t k = 1; k < n; ++k) {
        if (s[k] < rule->lo[k - 1] || s[k] > rule->hi[k - 1]) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader rd(data, size);
    const std::uint8_t seed = rd.u8();
    const std::string_view rest = rd.rest();
    // An exact-size heap copy, so that a read past the end is an ASan report.
    const std::vector<std::uint8_t> text(rest.begin(), rest.end());
    const std::uint8_t* p = text.data();
    const std::size_t n = text.size();
    const Utf8Scan ref = ref_utf8(p, n);

    FUZZ_CHECK_MSG(proto::is_valid_utf8(p, n) == ref.valid, "is_valid_utf8 disagrees on " + show(as_text(p, n)));

    // Piece by piece.
    Rng rng(seed);
    rng.mix(n);
    proto::Utf8Validator v;
    std::size_t fed = 0;
    bool all_ok = true;
    while (fed < n) {
        const std::size_t len = next_piece(rng, n - fed);
        std::vector<std::uint8_t> piece(p + fed, p + fed + len);
        const bool ok = v.feed(piece.data(), piece.size());
        fed += len;
        const bool viable = ref_utf8(p, fed).viable;
        FUZZ_CHECK_MSG(ok == viable, std::string("feed() ") + (ok ? "accepted" : "refused") + " after " +
                                         std::to_string(fed) + " bytes of " + show(as_text(p, n)));
        if (!ok) {
            all_ok = false;
            break;
        }
        if (rng.one_in(8)) FUZZ_CHECK(v.feed(p, 0));  // an empty piece changes nothing
    }
    if (all_ok) FUZZ_CHECK_MSG(v.complete() == ref.valid, "complete() wrong after " + show(as_text(p, n)));

    // At once, after reset().
    v.reset();
    FUZZ_CHECK(v.complete());
    const bool whole = v.feed(p, n);
    FUZZ_CHECK(whole == ref.viable);
    if (whole) FUZZ_CHECK(v.complete() == ref.valid);

    // The per-character helpers, on the first bytes.
    if (n > 0) {
        const Utf8Rule* rule = utf8_rule(p[0]);
        FUZZ_CHECK(proto::utf8_sequence_length(p[0]) == (rule ? 1u + rule->follow : 0u));
        for (std::size_t k = 1; k <= 4 && k <= n; ++k) {
            FUZZ_CHECK_MSG(proto::utf8_prefix_ok(p, k) == ref_prefix_ok(p, k),
                           "utf8_prefix_ok(" + show(as_text(p, k)) + ")");
        }
    }
    return 0;
}

#include "proto/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// RFC 3629 section 4 (the UTF8-octets ABNF) and RFC 6455 8.1 (text must be valid UTF-8, and
// an endpoint fails as soon as it sees an invalid sequence). The reference below is written
// straight from the ABNF, one row per rule.

namespace ws::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// One row of the ABNF: a lead byte range and the allowed range of each following byte.
struct Rule {
    std::uint8_t lead_lo, lead_hi;
    std::uint8_t count;  // bytes after the lead
    std::uint8_t lo[3], hi[3];
};

constexpr Rule kRules[] = {
    {0x00, 0x7F, 0, {0, 0, 0}, {0, 0, 0}},                          // UTF8-1
    {0xC2, 0xDF, 1, {0x80, 0, 0}, {0xBF, 0, 0}},                    // UTF8-2
    {0xE0, 0xE0, 2, {0xA0, 0x80, 0}, {0xBF, 0xBF, 0}},              // E0 A0-BF UTF8-tail
    {0xE1, 0xEC, 2, {0x80, 0x80, 0}, {0xBF, 0xBF, 0}},              // E1-EC 2( UTF8-tail )
    {0xED, 0xED, 2, {0x80, 0x80, 0}, {0x9F, 0xBF, 0}},              // ED 80-9F UTF8-tail
    {0xEE, 0xEF, 2, {0x80, 0x80, 0}, {0xBF, 0xBF, 0}},              // EE-EF 2( UTF8-tail )
    {0xF0, 0xF0, 3, {0x90, 0x80, 0x80}, {0xBF, 0xBF, 0xBF}},        // F0 90-BF 2( UTF8-tail )
    {0xF1, 0xF3, 3, {0x80, 0x80, 0x80}, {0xBF, 0xBF, 0xBF}},        // F1-F3 3( UTF8-tail )
    {0xF4, 0xF4, 3, {0x80, 0x80, 0x80}, {0x8F, 0xBF, 0xBF}},        // F4 80-8F 2( UTF8-tail )
};

enum class Verdict { Valid, Incomplete, Invalid };

// Valid: the bytes are UTF8-octets. Incomplete: a proper prefix of some valid text.
// Invalid: no continuation can make them valid.
Verdict reference(const std::uint8_t* s, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        const Rule* rule = nullptr;
        for (const Rule& r : kRules) {
            if (s[i] >= r.lead_lo && s[i] <= r.lead_hi) rule = &r;
        }
        if (rule == nullptr) return Verdict::Invalid;
        for (std::size_t k = 0; k < rule->count; ++k) {
            if (i + 1 + k >= n) return Verdict::Incomplete;
            const std::uint8_t b = s[i + 1 + k];
            if (b < rule->lo[k] || b > rule->hi[k]) return Verdict::Invalid;
        }
        i += 1 + rule->count;
    }
    return Verdict::Valid;
}
Verdict reference(const Bytes& b) { return reference(b.data(), b.size()); }

const char* name(Verdict v) {
    return v == Verdict::Valid ? "valid" : v == Verdict::Incomplete ? "incomplete" : "invalid";
}

std::string hex(const Bytes& b) {
    static const char* digits = "0123456789ABCDEF";
    std::string s;
    for (std::uint8_t c : b) {
        if (!s.empty()) s += ' ';
        s += digits[c >> 4];
        s += digits[c & 15];
    }
    return s;
}

// Feeds `b` in the given pieces; returns false as soon as a feed() does (and where).
struct FeedOutcome {
    bool ok;
    bool complete;
    std::size_t failed_piece;
};

FeedOutcome feed_pieces(const Bytes& b, const std::vector<std::size_t>& cuts) {
    Utf8Validator v;
    std::size_t start = 0;
    for (std::size_t p = 0; p <= cuts.size(); ++p) {
        const std::size_t end = p < cuts.size() ? cuts[p] : b.size();
        if (!v.feed(b.data() + start, end - start)) return {false, false, p};
        start = end;
    }
    return {true, v.complete(), 0};
}

const std::vector<std::string> kValid = {
    "",
    "Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1-UTF-8!!",  // Autobahn 6.2.1
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",                         // kosme (Autobahn 6.5)
    "plain ASCII with \x01 control and \x7F DEL",
    std::string("\0", 1),
    "\xC2\x80",              // U+0080, the first 2-byte character
    "\xDF\xBF",              // U+07FF
    "\xE0\xA0\x80",          // U+0800, the first 3-byte character
    "\xE2\x82\xAC",          // U+20AC EURO SIGN
    "\xED\x9F\xBF",          // U+D7FF, just below the surrogates
    "\xEE\x80\x80",          // U+E000, just above them
    "\xEF\xBF\xBD",          // U+FFFD
    "\xEF\xBF\xBE",          // U+FFFE (a noncharacter, still valid UTF-8)
    "\xEF\xBF\xBF",          // U+FFFF
    "\xF0\x90\x80\x80",      // U+10000, the first 4-byte character
    "\xF0\x9F\x98\x80",      // U+1F600
    "\xF3\xBF\xBF\xBF",      // U+FFFFF
    "\xF4\x80\x80\x80",      // U+100000
    "\xF4\x8F\xBF\xBF",      // U+10FFFF, the last code point
    "a\xF0\x9F\x98\x80" "b\xE2\x82\xAC" "c\xC3\xA9" "d",
    std::string(1000, 'x') + "\xF0\x9F\x98\x80" + std::string(33, 'y') + "\xE2\x82\xAC",
};

const std::vector<std::string> kInvalid = {
    "\x80",                    // lone continuation byte
    "\xBF",
    "a\x80z",
    "\xC0\x80",                // overlong NUL
    "\xC0\xAF",                // overlong '/'
    "\xC1\xBF",                // overlong
    "\xE0\x80\x80",            // overlong 3-byte
    "\xE0\x9F\xBF",            // overlong U+07FF
    "\xF0\x80\x80\x80",        // overlong 4-byte
    "\xF0\x8F\xBF\xBF",        // overlong U+FFFF
    "\xED\xA0\x80",            // U+D800 (surrogate)
    "\xED\xAD\xBF",            // U+DB7F
    "\xED\xBF\xBF",            // U+DFFF
    "\xED\xA0\x80\xED\xB0\x80",  // a surrogate pair in CESU-8
    "\xF4\x90\x80\x80",        // U+110000
    "\xF4\xBF\xBF\xBF",
    "\xF5\x80\x80\x80",
    "\xF7\xBF\xBF\xBF",
    "\xF8\x88\x80\x80\x80",    // 5-byte form
    "\xFC\x84\x80\x80\x80\x80",  // 6-byte form
    "\xFE",
    "\xFF",
    "\xC2",                    // truncated at the end
    "\xE2\x82",
    "\xF0\x9F\x98",
    "abc\xF4\x8F\xBF",
    "\xC2\x41",                // lead followed by ASCII
    "\xE2\x28\xA1",
    "\xE2\x82\x28",
    "\xF0\x9F\x98\x28",
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80" "edited",  // Autobahn 6.4
};

TEST(Utf8, ReferenceAgreesWithHandPickedCases) {
    // The reference itself must be right before anything is compared with it.
    for (const auto& s : kValid) EXPECT_EQ(reference(bytes(s)), Verdict::Valid) << hex(bytes(s));
    for (const auto& s : kInvalid) EXPECT_NE(reference(bytes(s)), Verdict::Valid) << hex(bytes(s));
}

TEST(Utf8, WholeBufferAcceptsValidText) {
    for (const auto& s : kValid) EXPECT_TRUE(is_valid_utf8(s)) << hex(bytes(s));
}

TEST(Utf8, WholeBufferRejectsInvalidText) {
    for (const auto& s : kInvalid) EXPECT_FALSE(is_valid_utf8(s)) << hex(bytes(s));
}

TEST(Utf8, InvalidBytesDeepInsideLongAsciiText) {
    // Far past any vector-width boundary.
    for (std::size_t pos : {0u, 15u, 16u, 31u, 32u, 63u, 64u, 100u, 511u}) {
        for (const char* bad : {"\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80", "\xFF"}) {
            std::string s(600, 'a');
            s.insert(pos, bad);
            EXPECT_FALSE(is_valid_utf8(s)) << "at " << pos << ": " << hex(bytes(bad));
            Utf8Validator v;
            EXPECT_FALSE(v.feed(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
        }
    }
}

TEST(Utf8, ShortTextWithOneNonAsciiSequenceAtEveryPosition) {
    // is_valid_utf8 answers ASCII text up to 256 bytes inline and sends anything with a byte
    // above 0x7F to the full validator: one sequence at every position of every length up to
    // past that edge must get the validator's verdict, never the ASCII answer.
    for (std::size_t len = 0; len <= 272; ++len) {
        const std::string ascii(len, 'a');
        ASSERT_TRUE(is_valid_utf8(ascii)) << len;
        for (std::size_t pos = 0; pos <= len; ++pos) {
            for (const char* seq : {"\xFF", "\x80", "\xC3", "\xED\xA0\x80", "\xC3\xA9", "\xE2\x82\xAC"}) {
                std::string s = ascii;
                s.insert(pos, seq);
                const bool want = reference(bytes(s)) == Verdict::Valid;
                ASSERT_EQ(is_valid_utf8(s), want) << "len " << len << " at " << pos << ": " << hex(bytes(seq));
            }
        }
    }
}

TEST(Utf8, ExhaustiveOneAndTwoByteInputs) {
    for (unsigned a = 0; a < 256; ++a) {
        const Bytes one{static_cast<std::uint8_t>(a)};
        ASSERT_EQ(is_valid_utf8(one.data(), 1), reference(one) == Verdict::Valid) << hex(one);
        for (unsigned b = 0; b < 256; ++b) {
            const Bytes two{static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)};
            const Verdict want = reference(two);
            ASSERT_EQ(is_valid_utf8(two.data(), 2), want == Verdict::Valid) << hex(two);
            Utf8Validator v;
            const bool ok = v.feed(two.data(), 2);
            ASSERT_EQ(ok, want != Verdict::Invalid) << hex(two) << " ref " << name(want);
            if (ok) {
                ASSERT_EQ(v.complete(), want == Verdict::Valid) << hex(two);
            }
        }
    }
}

TEST(Utf8, ExhaustiveThreeByteInputsWithNonAsciiLead) {
    for (unsigned a = 0x80; a < 256; ++a) {
        for (unsigned b = 0; b < 256; ++b) {
            for (unsigned c = 0; c < 256; ++c) {
                const Bytes in{static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(c)};
                const Verdict want = reference(in);
                ASSERT_EQ(is_valid_utf8(in.data(), 3), want == Verdict::Valid) << hex(in);
                Utf8Validator v;
                const bool ok = v.feed(in.data(), 3);
                ASSERT_EQ(ok, want != Verdict::Invalid) << hex(in) << " ref " << name(want);
                if (ok) {
                    ASSERT_EQ(v.complete(), want == Verdict::Valid) << hex(in);
                }
            }
        }
    }
}

TEST(Utf8, FourByteSequencesAroundEveryBoundary) {
    const std::uint8_t interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xF4, 0xFF};
    for (unsigned a = 0xF0; a < 256; ++a) {
        for (std::uint8_t b : interesting) {
            for (std::uint8_t c : interesting) {
                for (std::uint8_t d : interesting) {
                    const Bytes in{static_cast<std::uint8_t>(a), b, c, d};
                    const Verdict want = reference(in);
                    ASSERT_EQ(is_valid_utf8(in.data(), 4), want == Verdict::Valid) << hex(in);
                    // Byte by byte: fails exactly when the reference says the prefix is dead.
                    Utf8Validator v;
                    for (std::size_t i = 0; i < 4; ++i) {
                        const Verdict prefix = reference(in.data(), i + 1);
                        const bool ok = v.feed(in.data() + i, 1);
                        ASSERT_EQ(ok, prefix != Verdict::Invalid) << hex(in) << " after byte " << i;
                        if (!ok) break;
                        ASSERT_EQ(v.complete(), prefix == Verdict::Valid) << hex(in) << " after byte " << i;
                    }
                }
            }
        }
    }
}

TEST(Utf8, ValidatorAcceptsValidTextWhole) {
    for (const auto& s : kValid) {
        Utf8Validator v;
        EXPECT_TRUE(v.feed(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())) << hex(bytes(s));
        EXPECT_TRUE(v.complete()) << hex(bytes(s));
    }
}

TEST(Utf8, ValidatorEveryTwoAndThreeWaySplitGivesTheWholeVerdict) {
    std::vector<std::string> all = kValid;
    all.insert(all.end(), kInvalid.begin(), kInvalid.end());
    for (const auto& s : all) {
        const Bytes b = bytes(s);
        if (b.size() > 80) continue;  // the long one is covered by the byte-at-a-time test
        const Verdict want = reference(b);
        for (std::size_t i = 0; i <= b.size(); ++i) {
            for (std::size_t j = i; j <= b.size(); ++j) {
                const auto got = feed_pieces(b, {i, j});
                ASSERT_EQ(got.ok && got.complete, want == Verdict::Valid) << hex(b) << " split " << i << "," << j;
                ASSERT_EQ(got.ok, want != Verdict::Invalid) << hex(b) << " split " << i << "," << j;
            }
        }
    }
}

TEST(Utf8, ValidatorByteAtATimeFailsAtTheFirstImpossibleByte) {
    std::vector<std::string> all = kValid;
    all.insert(all.end(), kInvalid.begin(), kInvalid.end());
    for (const auto& s : all) {
        const Bytes b = bytes(s);
        Utf8Validator v;
        for (std::size_t i = 0; i < b.size(); ++i) {
            const Verdict prefix = reference(b.data(), i + 1);
            const bool ok = v.feed(b.data() + i, 1);
            ASSERT_EQ(ok, prefix != Verdict::Invalid) << hex(b) << " at byte " << i;
            if (!ok) break;
            ASSERT_EQ(v.complete(), prefix == Verdict::Valid) << hex(b) << " at byte " << i;
        }
    }
}

TEST(Utf8, ValidatorChunksFailAsSoonAsThePrefixIsImpossible) {
    // Chunks of every size: a feed() fails exactly when the text up to the end of that chunk
    // can no longer be valid.
    std::vector<std::string> all = kValid;
    all.insert(all.end(), kInvalid.begin(), kInvalid.end());
    for (const auto& s : all) {
        const Bytes b = bytes(s);
        for (std::size_t chunk = 1; chunk <= 7; ++chunk) {
            Utf8Validator v;
            for (std::size_t start = 0; start < b.size(); start += chunk) {
                const std::size_t n = std::min(chunk, b.size() - start);
                const Verdict prefix = reference(b.data(), start + n);
                const bool ok = v.feed(b.data() + start, n);
                ASSERT_EQ(ok, prefix != Verdict::Invalid) << hex(b) << " chunk " << chunk << " at " << start;
                if (!ok) break;
                ASSERT_EQ(v.complete(), prefix == Verdict::Valid);
            }
        }
    }
}

TEST(Utf8, FailFastOnImpossiblePrefixes) {
    // RFC 6455 8.1 / Autobahn 6.x: these cannot start valid text whatever follows.
    const char* dead[] = {"\xF4\x90", "\xED\xA0", "\xC0", "\xC1", "\xE0\x80", "\xE0\x9F", "\xF0\x80",
                          "\xF0\x8F", "\xF5", "\xFF", "\x80", "\xF4\xBF", "\xED\xBF", "\xE2\x82\x41"};
    for (const char* d : dead) {
        const Bytes b = bytes(d);
        Utf8Validator v;
        EXPECT_FALSE(v.feed(b.data(), b.size())) << hex(b);
        // The same after valid text already went through.
        Utf8Validator w;
        const Bytes ok = bytes("valid \xE2\x82\xAC text ");
        ASSERT_TRUE(w.feed(ok.data(), ok.size()));
        EXPECT_FALSE(w.feed(b.data(), b.size())) << hex(b);
    }
}

TEST(Utf8, ValidIncompletePrefixIsAcceptedButNotComplete) {
    const char* partial[] = {"\xC2", "\xDF", "\xE0\xA0", "\xE2", "\xE2\x82", "\xED\x9F", "\xEF\xBF",
                             "\xF0\x90", "\xF0\x9F\x98", "\xF4", "\xF4\x8F", "\xF4\x8F\xBF", "abc\xF1"};
    for (const char* p : partial) {
        const Bytes b = bytes(p);
        Utf8Validator v;
        EXPECT_TRUE(v.feed(b.data(), b.size())) << hex(b);
        EXPECT_FALSE(v.complete()) << hex(b);
    }
}

TEST(Utf8, ValidatorCompletesAcrossChunks) {
    Utf8Validator v;
    const Bytes a{0xF0}, b{0x9F}, c{0x98}, d{0x80, 'x'};
    EXPECT_TRUE(v.feed(a.data(), 1));
    EXPECT_FALSE(v.complete());
    EXPECT_TRUE(v.feed(b.data(), 1));
    EXPECT_FALSE(v.complete());
    EXPECT_TRUE(v.feed(c.data(), 1));
    EXPECT_FALSE(v.complete());
    EXPECT_TRUE(v.feed(d.data(), 2));
    EXPECT_TRUE(v.complete());
}

TEST(Utf8, EmptyFeedsChangeNothing) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(nullptr, 0));
    EXPECT_TRUE(v.complete());
    const Bytes lead{0xE2};
    ASSERT_TRUE(v.feed(lead.data(), 1));
    EXPECT_TRUE(v.feed(nullptr, 0));
    EXPECT_FALSE(v.complete());
    const Bytes rest{0x82, 0xAC};
    EXPECT_TRUE(v.feed(rest.data(), 2));
    EXPECT_TRUE(v.complete());
}

TEST(Utf8, ResetForgetsAPendingSequence) {
    Utf8Validator v;
    const Bytes lead{0xE2, 0x82};
    ASSERT_TRUE(v.feed(lead.data(), 2));
    v.reset();
    EXPECT_TRUE(v.complete());
    // Without the reset, 'a' would break the pending sequence.
    const Bytes a{'a'};
    EXPECT_TRUE(v.feed(a.data(), 1));
    EXPECT_TRUE(v.complete());
}

TEST(Utf8, SequenceLength) {
    for (unsigned b = 0; b < 256; ++b) {
        const auto lead = static_cast<std::uint8_t>(b);
        std::size_t want = 0;
        if (b <= 0x7F) want = 1;
        else if (b >= 0xC2 && b <= 0xDF) want = 2;
        else if (b >= 0xE0 && b <= 0xEF) want = 3;
        else if (b >= 0xF0 && b <= 0xF4) want = 4;
        EXPECT_EQ(utf8_sequence_length(lead), want) << b;
    }
}

TEST(Utf8, PrefixOkMatchesTheReference) {
    const std::uint8_t probe[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    for (unsigned a = 0; a < 256; ++a) {
        for (std::uint8_t b : probe) {
            for (std::uint8_t c : probe) {
                const std::uint8_t s[3] = {static_cast<std::uint8_t>(a), b, c};
                const std::size_t len = utf8_sequence_length(s[0]);
                for (std::size_t n = 1; n <= 3; ++n) {
                    // Within one sequence, prefix_ok is "not dead yet" per the reference.
                    const Verdict want = reference(s, n);
                    const bool in_one = len >= n;
                    EXPECT_EQ(utf8_prefix_ok(s, n), in_one && want != Verdict::Invalid)
                        << hex(Bytes(s, s + n));
                }
            }
        }
    }
}

}  // namespace
}  // namespace ws::proto

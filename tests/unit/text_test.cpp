#include "proto/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

// RFC 9110 5.6: tokens, optional whitespace and comma-separated lists in header values.

namespace ws::proto {
namespace {

using Views = std::vector<std::string_view>;

TEST(Text, TokenCharsAreExactlyRfc9110Tchar) {
    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    //         / DIGIT / ALPHA
    const std::string specials = "!#$%&'*+-.^_`|~";
    for (int i = 0; i < 256; ++i) {
        const char c = static_cast<char>(i);
        const bool want = (i >= '0' && i <= '9') || (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z') ||
                          specials.find(c) != std::string::npos;
        EXPECT_EQ(is_token_char(c), want) << i;
    }
}

TEST(Text, AsciiCaseFolding) {
    EXPECT_TRUE(iequals("Upgrade", "upgrade"));
    EXPECT_TRUE(iequals("WEBSOCKET", "websocket"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("upgrade", "upgrades"));
    EXPECT_FALSE(iequals("a", "b"));
    // Only ASCII letters fold: '[' (0x5B) and '{' (0x7B) differ by 0x20 but are not letters.
    EXPECT_FALSE(iequals("[", "{"));
    EXPECT_FALSE(iequals("@", "`"));
    EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));
    EXPECT_EQ(ascii_lower('Z'), 'z');
    EXPECT_EQ(ascii_lower('['), '[');
}

TEST(Text, TrimOws) {
    // OWS = *( SP / HTAB )
    EXPECT_EQ(trim_ows("  a b \t"), "a b");
    EXPECT_EQ(trim_ows("\t\t"), "");
    EXPECT_EQ(trim_ows(""), "");
    EXPECT_EQ(trim_ows("x"), "x");
    EXPECT_EQ(trim_ows("\r x \n"), "\r x \n");  // CR and LF are not OWS
}

TEST(Text, SplitList) {
    // RFC 9110 5.6.1: empty elements are ignored, OWS around elements dropped.
    EXPECT_EQ(split_list("a, b,c"), (Views{"a", "b", "c"}));
    EXPECT_EQ(split_list(" , ,a,, b ,"), (Views{"a", "b"}));
    EXPECT_EQ(split_list(""), Views{});
    EXPECT_EQ(split_list(" , "), Views{});
    EXPECT_EQ(split_list("x; y=1 ;z", ';'), (Views{"x", "y=1", "z"}));
    EXPECT_EQ(split_list("one"), (Views{"one"}));
}

}  // namespace
}  // namespace ws::proto

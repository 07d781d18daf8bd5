#include "proto/extension.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

// RFC 6455 9.1: Sec-WebSocket-Extensions = extension-list
//   extension-list = 1#extension; extension = extension-token *( ";" extension-param )
//   extension-param = token [ "=" (token | quoted-string) ]

namespace ws::proto {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(ExtensionOffer, ParsesNamesAndParameters) {
    const auto offers = ExtensionOffer::parse_header(
        "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate");
    ASSERT_EQ(offers.size(), 2u);
    EXPECT_EQ(offers[0].name, "permessage-deflate");
    EXPECT_EQ(offers[0].params, (Params{{"client_max_window_bits", ""}, {"server_max_window_bits", "10"}}));
    EXPECT_EQ(offers[1].name, "permessage-deflate");
    EXPECT_TRUE(offers[1].params.empty());
}

TEST(ExtensionOffer, UnquotesQuotedValuesAndTrimsWhitespace) {
    // RFC 6455 9.1: "When using the quoted-string syntax variant, the value after
    // quoted-string unescaping MUST conform to the 'token' ABNF."
    const auto offers = ExtensionOffer::parse_header("  x-test ;  a = \"12\" ;b=3 ,\tmux");
    ASSERT_EQ(offers.size(), 2u);
    EXPECT_EQ(offers[0].name, "x-test");
    EXPECT_EQ(offers[0].params, (Params{{"a", "12"}, {"b", "3"}}));
    EXPECT_EQ(offers[1].name, "mux");
}

TEST(ExtensionOffer, EmptyElementsAreIgnored) {
    EXPECT_TRUE(ExtensionOffer::parse_header("").empty());
    EXPECT_TRUE(ExtensionOffer::parse_header(" , ,").empty());
    EXPECT_EQ(ExtensionOffer::parse_header(", a ,").size(), 1u);
}

TEST(ExtensionOffer, ToStringRoundTrips) {
    ExtensionOffer o;
    o.name = "permessage-deflate";
    o.params = {{"client_max_window_bits", ""}, {"server_max_window_bits", "12"}};
    const std::string s = o.to_string();
    EXPECT_EQ(s, "permessage-deflate; client_max_window_bits; server_max_window_bits=12");
    const auto back = ExtensionOffer::parse_header(s);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0].name, o.name);
    EXPECT_EQ(back[0].params, o.params);
    ExtensionOffer bare;
    bare.name = "x";
    EXPECT_EQ(bare.to_string(), "x");
}

}  // namespace
}  // namespace ws::proto

namespace {
TEST(ExtensionOfferExtra, ElementsWithoutATokenNameAreNotOffers) {
    EXPECT_TRUE(ws::proto::ExtensionOffer::parse_header("; client_max_window_bits=10").empty());
    EXPECT_TRUE(ws::proto::ExtensionOffer::parse_header("a b; x").empty());
    const auto offers = ws::proto::ExtensionOffer::parse_header("permessage-deflate; x, ; y, other");
    ASSERT_EQ(offers.size(), 2u);
    EXPECT_EQ(offers[0].name, "permessage-deflate");
    EXPECT_EQ(offers[1].name, "other");
}
}  // namespace

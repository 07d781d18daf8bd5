#include "ws/url.hpp"

#include <gtest/gtest.h>

#include <string>

// RFC 6455 section 3: ws-URI = "ws:" "//" host [ ":" port ] path [ "?" query ], wss likewise;
// default ports 80 and 443; fragment identifiers MUST NOT be used. Hosts and ports follow
// RFC 3986 3.2.

namespace ws {
namespace {

Url ok(std::string_view text) {
    auto u = Url::parse(text);
    EXPECT_TRUE(u.ok()) << text << ": " << (u.ok() ? "" : u.error().what());
    return u.ok() ? *u : Url();
}

TEST(Url, WsDefaults) {
    const Url u = ok("ws://example.com");
    EXPECT_EQ(u.scheme(), "ws");
    EXPECT_FALSE(u.is_secure());
    EXPECT_EQ(u.host(), "example.com");
    EXPECT_FALSE(u.host_is_ipv6());
    EXPECT_EQ(u.port(), 80);
    EXPECT_FALSE(u.has_explicit_port());
    EXPECT_EQ(u.resource(), "/");
    EXPECT_EQ(u.userinfo(), "");
    EXPECT_EQ(u.host_header(), "example.com");
}

TEST(Url, WssDefaults) {
    const Url u = ok("wss://example.com/");
    EXPECT_EQ(u.scheme(), "wss");
    EXPECT_TRUE(u.is_secure());
    EXPECT_EQ(u.port(), 443);
    EXPECT_FALSE(u.has_explicit_port());
    EXPECT_EQ(u.host_header(), "example.com");
}

TEST(Url, SchemeIsCaseInsensitive) {
    // RFC 3986 3.1.
    EXPECT_EQ(ok("WS://example.com").scheme(), "ws");
    EXPECT_EQ(ok("Wss://example.com").scheme(), "wss");
    EXPECT_EQ(ok("WSS://example.com").port(), 443);
}

TEST(Url, ExplicitPorts) {
    const Url a = ok("ws://example.com:9001/chat");
    EXPECT_EQ(a.port(), 9001);
    EXPECT_TRUE(a.has_explicit_port());
    EXPECT_EQ(a.resource(), "/chat");
    EXPECT_EQ(a.host_header(), "example.com:9001");
    EXPECT_EQ(ok("ws://h:1").port(), 1);
    EXPECT_EQ(ok("ws://h:65535").port(), 65535);
    const Url b = ok("wss://h:443/");
    EXPECT_TRUE(b.has_explicit_port());
    EXPECT_EQ(b.host_header(), "h");
    EXPECT_EQ(ok("wss://h:80/").host_header(), "h:80");
    EXPECT_EQ(ok("ws://h:443/").host_header(), "h:443");
}

TEST(Url, Ipv6Literals) {
    const Url a = ok("ws://[::1]:9001/x");
    EXPECT_EQ(a.host(), "::1");
    EXPECT_TRUE(a.host_is_ipv6());
    EXPECT_EQ(a.port(), 9001);
    EXPECT_EQ(a.resource(), "/x");
    EXPECT_EQ(a.host_header(), "[::1]:9001");
    const Url b = ok("wss://[2001:db8::7]/");
    EXPECT_EQ(b.host(), "2001:db8::7");
    EXPECT_EQ(b.port(), 443);
    EXPECT_EQ(b.host_header(), "[2001:db8::7]");
    const Url c = ok("ws://[::ffff:192.0.2.1]");
    EXPECT_EQ(c.host(), "::ffff:192.0.2.1");
    EXPECT_EQ(c.resource(), "/");
}

TEST(Url, Ipv4Host) {
    const Url u = ok("ws://127.0.0.1:3012");
    EXPECT_EQ(u.host(), "127.0.0.1");
    EXPECT_FALSE(u.host_is_ipv6());
    EXPECT_EQ(u.port(), 3012);
    EXPECT_EQ(u.resource(), "/");
}

TEST(Url, ResourceKeepsPathAndQuery) {
    EXPECT_EQ(ok("ws://h/").resource(), "/");
    EXPECT_EQ(ok("ws://h/a/b/c").resource(), "/a/b/c");
    EXPECT_EQ(ok("ws://h/a?b=c&d=e").resource(), "/a?b=c&d=e");
    EXPECT_EQ(ok("ws://h:99/a%20b").resource(), "/a%20b");
    // RFC 6455 3: an empty path is "/", and the query follows it.
    EXPECT_EQ(ok("ws://h?x=1").resource(), "/?x=1");
    EXPECT_EQ(ok("ws://h:8080?x=1").resource(), "/?x=1");
    EXPECT_EQ(ok("ws://h:8080?x=1").port(), 8080);
    EXPECT_EQ(ok("ws://[::1]?x=1").resource(), "/?x=1");
}

TEST(Url, Userinfo) {
    const Url u = ok("ws://user:pass@example.com:8080/x");
    EXPECT_EQ(u.userinfo(), "user:pass");
    EXPECT_EQ(u.host(), "example.com");
    EXPECT_EQ(u.port(), 8080);
    EXPECT_EQ(u.host_header(), "example.com:8080");  // never the user info
    EXPECT_EQ(ok("ws://user@h").userinfo(), "user");
    EXPECT_EQ(ok("ws://user@h").host(), "h");
    const Url v = ok("ws://u:p@[::1]:1/");
    EXPECT_EQ(v.userinfo(), "u:p");
    EXPECT_EQ(v.host(), "::1");
    EXPECT_EQ(v.port(), 1);
}

TEST(Url, FragmentsAreRejected) {
    // RFC 6455 3: "Fragment identifiers are meaningless in the context of WebSocket URIs and
    // MUST NOT be used on these URIs."
    for (const char* text : {"ws://h/#frag", "ws://h#f", "ws://h/a?b#c", "wss://h:1/#", "ws://h/%23ok#no"}) {
        EXPECT_FALSE(Url::parse(text).ok()) << text;
    }
    EXPECT_TRUE(Url::parse("ws://h/%23ok").ok());
}

TEST(Url, BadSchemesAreRejected) {
    for (const char* text : {"http://h/", "https://h/", "ftp://h/", "wsx://h/", "w://h/", "://h/", "h/", "ws:/h/",
                             "ws:h", "", "ws//h", " ws://h/"}) {
        auto u = Url::parse(text);
        ASSERT_FALSE(u.ok()) << text;
        EXPECT_EQ(u.error().kind(), ErrorKind::Internal);
    }
}

TEST(Url, BadPortsAreRejected) {
    for (const char* text : {"ws://h:0/", "ws://h:65536/", "ws://h:99999/", "ws://h:abc/", "ws://h:/", "ws://h:-1/",
                             "ws://h:80x/", "ws://h:+80/", "ws://h: 80/", "ws://h:4294967376/",
                             "ws://[::1]:/", "ws://[::1]:0/", "ws://[::1]:x/"}) {
        EXPECT_FALSE(Url::parse(text).ok()) << text;
    }
}

TEST(Url, BadHostsAreRejected) {
    for (const char* text : {"ws:///", "ws://", "ws://:80/", "ws://?x", "ws://user@/", "ws://[::1/", "ws://[::1]x/",
                             "ws://::1/", "ws://2001:db8::1/", "ws://h st/", "ws://h\t/", "ws://[]/"}) {
        EXPECT_FALSE(Url::parse(text).ok()) << text;
    }
}

TEST(Url, SpacesAndControlsInTheResourceAreRejected) {
    for (const char* text : {"ws://h/a b", "ws://h/a\x01", "ws://h/\x7F", "ws://h/?q=a b"}) {
        EXPECT_FALSE(Url::parse(text).ok()) << text;
    }
}

TEST(Url, ToStringRoundTrips) {
    for (const char* text : {"ws://example.com/", "wss://example.com:8443/chat?x=1", "ws://[::1]:9001/x",
                             "ws://user:pass@h:81/p", "wss://[2001:db8::1]/"}) {
        const Url u = ok(text);
        EXPECT_EQ(u.to_string(), text);
        const Url again = ok(u.to_string());
        EXPECT_EQ(again.host(), u.host());
        EXPECT_EQ(again.port(), u.port());
        EXPECT_EQ(again.resource(), u.resource());
        EXPECT_EQ(again.userinfo(), u.userinfo());
    }
    EXPECT_EQ(ok("ws://h").to_string(), "ws://h/");
    EXPECT_EQ(ok("ws://h?x=1").to_string(), "ws://h/?x=1");
}

}  // namespace
}  // namespace ws

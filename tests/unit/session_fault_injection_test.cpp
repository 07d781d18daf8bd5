#include "proto/session.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "session_harness.hpp"

// Beast-style fault injection for the sans-I/O Session:
//  * the same bytes fed whole, split at every offset, split three ways, and one byte at a time
//    must produce identical events, output and final state (a read boundary is never visible);
//  * every callback, in turn, fails (n = 0, 1, 2, ... until no failure is injected), and the
//    Session must stay sane each time: the error is reported, at most one close frame is sent,
//    nothing follows it, and the output is always whole frames.

namespace ws::test {
namespace {

using Configure = std::function<void(proto::SessionConfig&)>;

struct Scenario {
    const char* name;
    Role role;
    Bytes input;  // the peer's bytes, starting with its handshake head
    Configure configure = {};
    std::function<void(Recorder&, Session&)> setup = {};
};

Transcript run(const Scenario& sc, const std::vector<std::size_t>& cuts) {
    Peer p(sc.role);
    if (sc.configure) sc.configure(p.config);
    p.start();
    if (sc.setup) sc.setup(p.events, p.s());
    if (sc.role == Role::Client) {
        auto url = Url::parse("ws://server.example.com/chat");
        auto req = Request::from_url(*url);
        req->set_header("Sec-WebSocket-Key", std::string(kSampleKey));
        p.s().start_client(*req);
        p.out.clear();
    }
    p.feed_pieces(sc.input, cuts);
    return transcript_of(p);
}

void check_every_split(const Scenario& sc, std::size_t three_way_stride) {
    SCOPED_TRACE(sc.name);
    const Transcript whole = run(sc, {});
    const std::size_t n = sc.input.size();
    for (std::size_t cut = 0; cut <= n; ++cut) {
        const Transcript t = run(sc, {cut});
        ASSERT_EQ(t, whole) << "split at " << cut << " of " << n;
    }
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < n; ++i) every.push_back(i);
    ASSERT_EQ(run(sc, every), whole) << "one byte at a time";
    if (three_way_stride > 0) {
        for (std::size_t a = 1; a < n; a += three_way_stride) {
            for (std::size_t b = a; b < n; b += three_way_stride) {
                ASSERT_EQ(run(sc, {a, b}), whole) << "split at " << a << " and " << b;
            }
        }
    }
}

Bytes request_bytes() { return to_bytes(upgrade_request()); }
Bytes response_bytes() { return to_bytes(upgrade_response()); }

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + 1) & 0xFF);
    return s;
}

// Client frames of a conversation with every kind of frame.
Bytes conversation_from_client() {
    return cat({cframe(kText, "Hel", false), cframe(kPing, "p1"), cframe(kCont, "lo w\xC3", false),
                cframe(kPong, "unsolicited"), cframe(kCont, "\xB6rld \xE2\x82\xAC", true), cframe(kBinary, pattern(300)),
                cframe(kText, ""), cframe(kBinary, "", false), cframe(kCont, "late", true),
                cframe(kClose, close_payload(1000, "bye")), cframe(kText, "after close")});
}

Bytes conversation_from_server() {
    return cat({sframe(kText, "Hel", false), sframe(kPing, "p1"), sframe(kCont, "lo w\xC3", false),
                sframe(kPong, "unsolicited"), sframe(kCont, "\xB6rld \xE2\x82\xAC", true), sframe(kBinary, pattern(300)),
                sframe(kText, ""), sframe(kClose, close_payload(4000, "bye")), sframe(kText, "after close")});
}

TEST(SessionFaultInjection, ServerConversationSplitAnywhere) {
    const Scenario sc{"server conversation", Role::Server, cat({request_bytes(), conversation_from_client()})};
    // Sanity: the whole run did what the conversation says.
    const Transcript whole = run(sc, {});
    EXPECT_EQ(whole.state, State::Closed);
    ASSERT_EQ(whole.frames.size(), 2u);
    EXPECT_EQ(whole.frames[0], "PONG fin=1 rsv=0 masked=0 'p1'");
    EXPECT_EQ(whole.frames[1], "CLOSE fin=1 rsv=0 masked=0 code=1000");
    const auto& ev = whole.events;
    EXPECT_NE(std::find(ev.begin(), ev.end(), "message text 'Hello w\\xC3\\xB6rld \\xE2\\x82\\xAC'"), ev.end());
    EXPECT_NE(std::find(ev.begin(), ev.end(), "message binary 'late'"), ev.end());
    EXPECT_EQ(std::find(ev.begin(), ev.end(), "message text 'after close'"), ev.end());
    check_every_split(sc, 23);
}

TEST(SessionFaultInjection, ServerEchoSplitAnywhere) {
    Scenario sc{"server echo", Role::Server, cat({request_bytes(), conversation_from_client()})};
    sc.setup = [](Recorder& r, Session& s) {
        r.on_message_fn = [&s](const Message& m) -> Result<> { return s.send(m); };
    };
    check_every_split(sc, 0);
}

TEST(SessionFaultInjection, ClientConversationSplitAnywhere) {
    const Scenario sc{"client conversation", Role::Client, cat({response_bytes(), conversation_from_server()})};
    const Transcript whole = run(sc, {});
    EXPECT_EQ(whole.state, State::Closed);
    ASSERT_EQ(whole.frames.size(), 2u);
    EXPECT_EQ(whole.frames[0], "PONG fin=1 rsv=0 masked=1 'p1'");
    EXPECT_EQ(whole.frames[1], "CLOSE fin=1 rsv=0 masked=1 code=4000");
    check_every_split(sc, 23);
}

TEST(SessionFaultInjection, InvalidUtf8MidMessageSplitAnywhere) {
    for (Role role : {Role::Server, Role::Client}) {
        const bool server = role == Role::Server;
        auto f = [&](std::uint8_t op, std::string_view payload, bool fin) {
            return server ? cframe(op, payload, fin) : sframe(op, payload, fin);
        };
        const Scenario sc{server ? "server invalid utf8" : "client invalid utf8", role,
                          cat({server ? request_bytes() : response_bytes(), f(kText, "valid \xCE\xBA", false),
                               f(kCont, "a\xF4\x90zz", false), f(kCont, "end", true)})};
        const Transcript whole = run(sc, {});
        ASSERT_EQ(whole.frames.size(), 1u);
        EXPECT_NE(whole.frames[0].find("code=1007"), std::string::npos);
        check_every_split(sc, 11);
    }
}

TEST(SessionFaultInjection, TruncatedUtf8AtTheEndSplitAnywhere) {
    const Scenario sc{"truncated utf8", Role::Server,
                      cat({request_bytes(), cframe(kText, "ok\xF0\x9F", false), cframe(kCont, "\x98", true)})};
    const Transcript whole = run(sc, {});
    ASSERT_EQ(whole.frames.size(), 1u);
    EXPECT_NE(whole.frames[0].find("code=1007"), std::string::npos);
    check_every_split(sc, 11);
}

TEST(SessionFaultInjection, ProtocolErrorsSplitAnywhere) {
    const Bytes tails[] = {
        cat({cframe(kText, "one"), cframe(kBinary, "rsv", true, 2), cframe(kText, "two")}),
        cat({cframe(kPing, "x"), cframe(kClose, close_payload(1005))}),
        cat({cframe(kText, "a", false), cframe(kText, "b")}),
        cat({cframe(kText, "a"), sframe(kText, "unmasked")}),
        cat({cframe(kCont, "orphan")}),
        cat({cframe(kPing, std::string(126, 'x'))}),
        cat({cframe(0xC, "reserved")}),
        cat({cframe(kClose, close_payload(1000, "\xED\xA0\x80"))}),
    };
    for (const Bytes& tail : tails) {
        const Scenario sc{"protocol error", Role::Server, cat({request_bytes(), tail})};
        const Transcript whole = run(sc, {});
        EXPECT_EQ(whole.state, State::Closed);
        ASSERT_FALSE(whole.frames.empty());
        EXPECT_EQ(whole.frames.back().rfind("CLOSE", 0), 0u);
        check_every_split(sc, 0);
    }
}

TEST(SessionFaultInjection, LimitsSplitAnywhere) {
    Scenario sc{"max frame size", Role::Server,
                cat({request_bytes(), cframe(kText, "small"), cframe(kBinary, pattern(200)), cframe(kText, "never")})};
    sc.configure = [](proto::SessionConfig& c) { c.max_frame_size = 100; };
    const Transcript whole = run(sc, {});
    ASSERT_EQ(whole.frames.size(), 1u);
    EXPECT_NE(whole.frames[0].find("code=1009"), std::string::npos);
    check_every_split(sc, 0);
}

TEST(SessionFaultInjection, HandshakeLimitSplitAnywhere) {
    Scenario sc{"handshake limit", Role::Server, request_bytes()};
    sc.configure = [](proto::SessionConfig& c) { c.max_handshake_size = 100; };
    const Transcript whole = run(sc, {});
    EXPECT_EQ(head_status(whole.head), 431);
    check_every_split(sc, 0);
}

TEST(SessionFaultInjection, SixtyFourBitLengthFrameSplitNearItsEdges) {
    // Every offset would be 70000 runs of 70000 bytes; the header and the end are what matter.
    const Scenario sc{"64-bit length", Role::Server,
                      cat({request_bytes(), cframe(kBinary, pattern(70000)), cframe(kText, "next")})};
    const Transcript whole = run(sc, {});
    ASSERT_EQ(std::count_if(whole.events.begin(), whole.events.end(),
                            [](const std::string& e) { return e.rfind("message", 0) == 0; }),
              2);
    const std::size_t head = request_bytes().size();
    const std::size_t n = sc.input.size();
    for (std::size_t cut = head; cut < head + 40; ++cut) ASSERT_EQ(run(sc, {cut}), whole) << cut;
    for (std::size_t cut = n - 40; cut <= n; ++cut) ASSERT_EQ(run(sc, {cut}), whole) << cut;
    for (std::size_t cut = head; cut < n; cut += 997) ASSERT_EQ(run(sc, {cut}), whole) << cut;
    std::vector<std::size_t> many;
    for (std::size_t i = 1; i < n; i += 3) many.push_back(i);
    EXPECT_EQ(run(sc, many), whole) << "every third byte";
}

// ---- failing callbacks ------------------------------------------------------------------------

struct FaultRun {
    bool injected = false;
    const char* where = "";
    Transcript transcript;
    std::vector<Error> errors;
};

FaultRun run_with_fault(const Scenario& sc, int fail_at, const std::vector<std::size_t>& cuts) {
    Peer p(sc.role);
    if (sc.configure) sc.configure(p.config);
    p.start();
    if (sc.setup) sc.setup(p.events, p.s());
    FaultRun fr;
    p.events.inject = [&](int call, const char* what) -> std::optional<Error> {
        if (call != fail_at) return std::nullopt;
        fr.injected = true;
        fr.where = what;
        return Error(ErrorKind::Internal, "injected");
    };
    if (sc.role == Role::Client) {
        auto url = Url::parse("ws://server.example.com/chat");
        auto req = Request::from_url(*url);
        req->set_header("Sec-WebSocket-Key", std::string(kSampleKey));
        p.s().start_client(*req);
        p.out.clear();
    }
    p.feed_pieces(sc.input, cuts);
    fr.transcript = transcript_of(p);
    fr.errors = p.events.errors;
    return fr;
}

void check_every_failure_point(const Scenario& sc) {
    SCOPED_TRACE(sc.name);
    int n = 0;
    for (;; ++n) {
        ASSERT_LT(n, 1000) << "runaway";
        const FaultRun fr = run_with_fault(sc, n, {});
        if (!fr.injected) break;
        SCOPED_TRACE(std::string("failing callback #") + std::to_string(n) + " (" + fr.where + ")");
        const Transcript& t = fr.transcript;
        // The injected error is reported.
        bool reported = false;
        for (const Error& e : fr.errors) reported |= e.kind() == ErrorKind::Internal && e.details() == "injected";
        EXPECT_TRUE(reported);
        // The output is well formed; at most one close frame, and nothing after it.
        EXPECT_EQ(t.trailing, 0u) << t;
        std::size_t closes = 0;
        for (std::size_t i = 0; i < t.frames.size(); ++i) {
            if (t.frames[i].rfind("CLOSE", 0) == 0) {
                ++closes;
                EXPECT_EQ(i + 1, t.frames.size()) << "a frame after the close" << t;
            }
        }
        EXPECT_LE(closes, 1u) << t;
        if (std::string_view(fr.where) == "request") {
            // Failing on_request: an HTTP 500 and nothing else.
            EXPECT_EQ(head_status(t.head), 500) << t;
            EXPECT_TRUE(t.frames.empty());
            EXPECT_EQ(t.state, State::Closed);
        } else if (std::string_view(fr.where) == "response") {
            EXPECT_TRUE(t.frames.empty());
            EXPECT_EQ(t.state, State::Closed);
        } else {
            // Once open, an Internal error is a graceful close with 1011 (unless the close
            // frame itself was the one refused by the send hook).
            EXPECT_NE(t.state, State::Open) << t;
            if (closes == 1 && std::string_view(fr.where) != "send") {
                bool any_1011 = false;
                for (const auto& f : t.frames) any_1011 |= f.find("code=1011") != std::string::npos;
                // The error may come after the peer's close was answered (e.g. in on_close's
                // wake); then the echo is the only close. Otherwise 1011 is what was sent.
                const bool peer_close_seen = std::find_if(t.events.begin(), t.events.end(), [](const std::string& e) {
                                                 return e.rfind("close ", 0) == 0;
                                             }) != t.events.end();
                EXPECT_TRUE(any_1011 || peer_close_seen) << t;
            }
        }
        // Splitting the input still gives the same story under the same failure.
        if (n % 3 == 0) {
            const Transcript bytewise = [&] {
                std::vector<std::size_t> every;
                for (std::size_t i = 1; i < sc.input.size(); ++i) every.push_back(i);
                return run_with_fault(sc, n, every).transcript;
            }();
            EXPECT_EQ(bytewise, t);
        }
    }
    EXPECT_GT(n, 5) << "the scenario should make several callbacks";
}

TEST(SessionFaultInjection, EveryServerCallbackFailingInTurn) {
    Scenario sc{"server callbacks", Role::Server, cat({request_bytes(), conversation_from_client()})};
    sc.setup = [](Recorder& r, Session& s) {
        r.on_message_fn = [&s](const Message& m) -> Result<> { return s.send(m); };
    };
    check_every_failure_point(sc);
}

TEST(SessionFaultInjection, EveryClientCallbackFailingInTurn) {
    Scenario sc{"client callbacks", Role::Client, cat({response_bytes(), conversation_from_server()})};
    sc.setup = [](Recorder& r, Session& s) {
        r.on_message_fn = [&s](const Message& m) -> Result<> { return s.send(m); };
    };
    check_every_failure_point(sc);
}

}  // namespace
}  // namespace ws::test

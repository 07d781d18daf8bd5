// Test-only drivers for ws::proto::Session: an Output that collects bytes, a SessionEvents that
// records every callback (with configurable answers), a deterministic MaskKeySource, and peers
// that feed a Session and read what it wrote with the hand-written frame builder and parser of
// wire_by_hand.hpp.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/session.hpp"
#include "proto/text.hpp"
#include "proto/utf8.hpp"
#include "wire_by_hand.hpp"

namespace ws::test {

using proto::Role;
using proto::Session;
using State = proto::Session::State;

// ---- fakes ---------------------------------------------------------------------------------

class CollectingOutput final : public proto::Output {
public:
    std::uint8_t* prepare(std::size_t n) override {
        base_ = data_.size();
        prepared_ = n;
        data_.resize(base_ + n);
        return data_.data() + base_;
    }
    void commit(std::size_t n) override {
        EXPECT_LE(n, prepared_) << "committed more than prepared";
        data_.resize(base_ + n);
        prepared_ = 0;
    }
    // A large echoed message's buffer offered to the output: counted; with `take_owned`, kept
    // (as a Stream keeps it for what the kernel does not take), otherwise copied (the default).
    void write_gather_owned(std::span<const std::uint8_t> head, proto::MessageBuffer& storage) override {
        ++owned_offers;
        if (!take_owned) {
            proto::Output::write_gather_owned(head, storage);
            return;
        }
        data_.insert(data_.end(), head.begin(), head.end());
        data_.insert(data_.end(), storage.data(), storage.data() + storage.size());
        taken.push_back(std::move(storage));  // the bytes stay where they are, as in a Stream
    }
    bool take_owned = false;
    int owned_offers = 0;
    std::vector<proto::MessageBuffer> taken;

    const Bytes& data() const noexcept { return data_; }
    Bytes take() { return std::exchange(data_, Bytes()); }
    void clear() { data_.clear(); }

private:
    Bytes data_;
    std::size_t base_ = 0;
    std::size_t prepared_ = 0;
};

// Keys 01 02 03 04, 05 06 07 08, ...: predictable on purpose, and each frame's differs.
class CountingMasks final : public proto::MaskKeySource {
public:
    MaskKey next() override {
        MaskKey k;
        for (auto& b : k) b = next_++;
        if (next_ == 0) next_ = 1;
        given.push_back(k);
        return k;
    }
    std::vector<MaskKey> given;

private:
    std::uint8_t next_ = 1;
};

inline const char* kind_name(ErrorKind k) {
    switch (k) {
        case ErrorKind::Internal: return "Internal";
        case ErrorKind::Capacity: return "Capacity";
        case ErrorKind::Protocol: return "Protocol";
        case ErrorKind::Encoding: return "Encoding";
        case ErrorKind::Io: return "Io";
        case ErrorKind::Http: return "Http";
        case ErrorKind::Queue: return "Queue";
        case ErrorKind::Custom: return "Custom";
        case ErrorKind::Tls: return "Tls";
        case ErrorKind::Timer: return "Timer";
        case ErrorKind::Timeout: return "Timeout";
        case ErrorKind::Policy: return "Policy";
    }
    return "?";
}

// Records every callback as a line of `log`, keeps owned copies, and answers as configured.
class Recorder final : public proto::SessionEvents {
public:
    std::vector<std::string> log;
    std::vector<Message> messages;
    std::vector<std::pair<CloseCode, std::string>> closes;
    std::vector<Error> errors;
    std::vector<Frame> frames;  // what on_frame saw
    std::vector<Frame> sent;    // what on_send_frame saw
    std::optional<Request> request;
    std::optional<Response> response;
    int opens = 0;

    // Answers; unset means the default (accept the upgrade, Ok).
    std::function<Result<Response>(const Request&)> on_request_fn;
    std::function<Result<>(const Response&)> on_response_fn;
    std::function<Result<>(Request&, Response&)> on_open_fn;
    std::function<Result<>(Frame&)> on_frame_fn;
    std::function<Result<>(const Message&)> on_message_fn;
    std::function<Result<>(Frame&)> on_send_frame_fn;
    // Called before each callback's answer, with a running count; return an Error to inject a
    // failure at that callback (fault injection). Not consulted for on_close / on_error.
    std::function<std::optional<Error>(int call, const char* what)> inject;
    int calls = 0;

    Result<Response> on_request(const Request& req) override {
        log.push_back("request " + req.method() + " " + req.resource());
        request = req;
        if (auto e = injected("request")) return *e;
        if (on_request_fn) return on_request_fn(req);
        return Response::from_request(req);
    }
    Result<> on_response(const Response& res) override {
        log.push_back("response " + std::to_string(res.status()));
        response = res;
        if (auto e = injected("response")) return *e;
        return on_response_fn ? on_response_fn(res) : Result<>();
    }
    Result<> on_open(Request& req, Response& res) override {
        log.push_back("open");
        ++opens;
        if (!request) request = req;
        if (!response) response = res;
        if (auto e = injected("open")) return *e;
        return on_open_fn ? on_open_fn(req, res) : Result<>();
    }
    Result<> on_frame(Frame& f) override {
        log.push_back(std::string("frame ") + opcode_name(static_cast<std::uint8_t>(f.opcode())) +
                      " fin=" + (f.is_final() ? "1" : "0") + " rsv=" + std::to_string(f.rsv()) + " " + show(f.payload()));
        frames.push_back(f);
        frames.back().set_payload(std::string(f.payload()));
        if (auto e = injected("frame")) return *e;
        return on_frame_fn ? on_frame_fn(f) : Result<>();
    }
    Result<> on_message(const Message& m) override {
        log.push_back(std::string("message ") + (m.is_text() ? "text " : "binary ") + show(m.bytes()));
        messages.push_back(m);  // a copy owns its bytes
        if (auto e = injected("message")) return *e;
        return on_message_fn ? on_message_fn(m) : Result<>();
    }
    void on_close(CloseCode code, std::string_view reason) override {
        log.push_back("close " + std::to_string(to_u16(code)) + " " + show(reason));
        closes.emplace_back(code, std::string(reason));
    }
    void on_error(const Error& e) override {
        log.push_back(std::string("error ") + kind_name(e.kind()));
        errors.push_back(e);
    }
    Result<> on_send_frame(Frame& f) override {
        log.push_back(std::string("send ") + opcode_name(static_cast<std::uint8_t>(f.opcode())) + " " + show(f.payload()));
        sent.push_back(f);
        sent.back().set_payload(std::string(f.payload()));
        if (auto e = injected("send")) return *e;
        return on_send_frame_fn ? on_send_frame_fn(f) : Result<>();
    }

    bool has(std::string_view line) const {
        for (const auto& l : log) {
            if (l == line) return true;
        }
        return false;
    }
    bool has_error(ErrorKind kind) const {
        for (const auto& e : errors) {
            if (e.kind() == kind) return true;
        }
        return false;
    }

private:
    std::optional<Error> injected(const char* what) {
        const int n = calls++;
        if (inject) return inject(n, what);
        return std::nullopt;
    }
};

// ---- handshakes ----------------------------------------------------------------------------

inline constexpr std::string_view kSampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view kSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// RFC 6455 1.2's sample request, with extra header lines inserted before the empty line.
inline std::string upgrade_request(std::string_view extra_headers = {}, std::string_view first_line = "GET /chat HTTP/1.1") {
    std::string r(first_line);
    r += "\r\n"
         "Host: server.example.com\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Origin: http://example.com\r\n"
         "Sec-WebSocket-Protocol: chat, superchat\r\n"
         "Sec-WebSocket-Version: 13\r\n";
    r += extra_headers;
    r += "\r\n";
    return r;
}

// A server's acceptance of a request carrying kSampleKey.
inline std::string upgrade_response(std::string_view extra_headers = {},
                                    std::string_view accept = kSampleAccept) {
    std::string r =
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    r += accept;
    r += "\r\n";
    r += extra_headers;
    r += "\r\n";
    return r;
}

// A Session with its fakes. Configure `config` and `events` before start().
struct Peer {
    explicit Peer(Role r) : role(r) { config.masks = &masks; }
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    Role role;
    proto::SessionConfig config;
    CountingMasks masks;
    CollectingOutput out;
    Recorder events;
    std::unique_ptr<Session> session;

    Session& start() {
        session = std::make_unique<Session>(role, config, events, out);
        return *session;
    }
    Session& s() { return *session; }

    // Feeds a copy (the Session unmasks in place). Returns what feed() returned.
    std::size_t feed(const Bytes& bytes) {
        Bytes copy = bytes;
        return session->feed(copy);
    }
    std::size_t feed(std::string_view text) { return feed(to_bytes(text)); }

    // Feeds `bytes` cut at the given offsets (ascending); returns the sum of feed() results.
    std::size_t feed_pieces(const Bytes& bytes, const std::vector<std::size_t>& cuts) {
        std::size_t start = 0;
        std::size_t used = 0;
        for (std::size_t k = 0; k <= cuts.size(); ++k) {
            const std::size_t end = k < cuts.size() ? cuts[k] : bytes.size();
            Bytes piece(bytes.begin() + static_cast<std::ptrdiff_t>(start), bytes.begin() + static_cast<std::ptrdiff_t>(end));
            used += session->feed(piece);
            start = end;
        }
        return used;
    }

    ParsedOutput take_output() { return parse_output(out.take()); }

    // Server: receives the sample request and answers it; leaves the output empty.
    void open_server(std::string_view extra_headers = {}) {
        if (!session) start();
        feed(upgrade_request(extra_headers));
        ASSERT_EQ(s().state(), State::Open) << to_string(out.data());
        const ParsedOutput o = take_output();
        ASSERT_EQ(o.head.substr(0, 12), "HTTP/1.1 101");
        ASSERT_TRUE(o.frames.empty());
    }

    // Client: sends a request with kSampleKey and receives the sample acceptance.
    void open_client(std::string_view extra_response_headers = {}, std::string_view protocols = {}) {
        if (!session) start();
        auto url = Url::parse("ws://server.example.com/chat");
        ASSERT_TRUE(url.ok());
        auto req = Request::from_url(*url);
        ASSERT_TRUE(req.ok());
        req->set_header("Sec-WebSocket-Key", std::string(kSampleKey));
        if (!protocols.empty()) req->add_header("Sec-WebSocket-Protocol", std::string(protocols));
        s().start_client(std::move(*req));
        const ParsedOutput sent = take_output();
        ASSERT_EQ(sent.head.substr(0, 4), "GET ");
        feed(upgrade_response(extra_response_headers));
        ASSERT_EQ(s().state(), State::Open);
        ASSERT_TRUE(out.data().empty());
    }
};

struct Server : Peer {
    Server() : Peer(Role::Server) {}
};
struct Client : Peer {
    Client() : Peer(Role::Client) {}
};

inline std::vector<WireFrame> frames_of(Peer& p) { return p.take_output().frames; }

// Asserts the Session failed the connection: its output is exactly one close frame with
// `code` (masked exactly when the Session is a client, RFC 6455 5.1), it is Closed, and it
// reported an error.
inline void expect_failed_with(Peer& p, std::uint16_t code) {
    const ParsedOutput o = p.take_output();
    ASSERT_EQ(o.frames.size(), 1u) << "expected one close frame";
    EXPECT_EQ(o.frames[0].opcode, kClose);
    EXPECT_TRUE(o.frames[0].fin);
    EXPECT_EQ(o.frames[0].masked, p.role == Role::Client) << "clients always mask, servers never";
    EXPECT_EQ(o.frames[0].close_code(), code);
    EXPECT_EQ(o.trailing, 0u);
    EXPECT_EQ(p.s().state(), State::Closed);
    EXPECT_FALSE(p.events.errors.empty());
}

// Everything observable about one run, for comparing runs fed in different pieces.
struct Transcript {
    std::vector<std::string> events;
    std::string head;
    std::vector<std::string> frames;
    std::size_t trailing = 0;
    State state = State::Handshake;
    bool abort = false;

    friend bool operator==(const Transcript&, const Transcript&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const Transcript& t) {
    os << "\n  state=" << static_cast<int>(t.state) << " abort=" << t.abort << " trailing=" << t.trailing;
    os << "\n  head: " << show(t.head);
    for (const auto& e : t.events) os << "\n  event: " << e;
    for (const auto& f : t.frames) os << "\n  out:   " << f;
    return os;
}

inline Transcript transcript_of(Peer& p) {
    Transcript t;
    t.events = p.events.log;
    const ParsedOutput o = parse_output(p.out.data());
    t.head = o.head;
    for (const auto& f : o.frames) t.frames.push_back(f.describe());
    t.trailing = o.trailing;
    t.state = p.s().state();
    t.abort = p.s().abort_transport();
    return t;
}

}  // namespace ws::test

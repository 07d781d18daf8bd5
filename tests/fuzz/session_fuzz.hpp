// The Session fuzzer, shared by the server-role and client-role targets.
//
// Input layout:
//   bytes 0-3   configuration word (see the kCfg* bits below): limits, auto-pong, outgoing
//               fragmentation, the toy extension, sends before the handshake, max headers,
//               the idle sweep between reads, reads into the Session's direct-read room,
//               frame hooks off (the common paths)
//   bytes 4-7   seed of the choices: where the stream is cut into feed() calls, and how every
//               callback answers (send, close, ping, drop or rewrite a frame, return an error)
//   bytes 8-    the byte stream a peer sends: a request head (server) or a response head
//               (client), then frames, or anything at all
//
// Invariants checked, at every callback and after every call into the Session:
//   - no crash, no sanitizer report; every byte the Session writes lands inside the room it
//     asked the Output for (each prepare() is its own exact-size heap block)
//   - the state only moves forward: Handshake -> Open -> CloseSent -> Closed
//   - feed() consumes everything unless the Session is Closed
//   - nothing is written once the Session is Closed; on_send_frame only runs while Open (so no
//     frame at all, data or control, follows a close frame)
//   - the output is: server, an HTTP response (a 101 with a correct Sec-WebSocket-Accept and no
//     body, followed only by frames; or a refusal with exactly Content-Length bytes of body and
//     nothing after); client, the request followed (once open) only by frames
//   - the frames are well-formed (RFC 6455 5.2), unmasked from a server and masked from a
//     client with the keys the MaskKeySource gave, in order; text is valid UTF-8; control
//     frames are final and <= 125 bytes; a close frame carries a sendable code and a UTF-8
//     reason; at most one close frame, and it is the last frame
//   - the frames are exactly what went through on_send_frame, fragmented by fragment_size and
//     encoded by the toy extension (a model of the send path)
//   - delivered frames and messages respect max_frame_size / max_message_size, text messages are
//     valid UTF-8 (checked against an independent RFC 3629 validator), close codes received are
//     valid, on_open / on_close happen at most once
//   - with AddressSanitizer: the memory the run holds stays within a bound computed from the
//     configured limits and the input size
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_util.hpp"
#include "proto/extension.hpp"
#include "proto/session.hpp"
#include "session_fuzz_fakes.hpp"

namespace ws::fuzz {

using proto::Role;
using proto::Session;
using State = Session::State;

inline constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";       // RFC 6455 1.3's sample key
inline constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // and its accept value

// Configuration word bits.
inline constexpr std::uint32_t kCfgLimitsMask = 0x3;   // 0 defaults, 1 small, 2 tiny, 3 big frames/small messages
inline constexpr std::uint32_t kCfgNoAutoPong = 0x4;
inline constexpr std::uint32_t kCfgFragShift = 3;      // 2 bits: fragment_size 0, 1, 5, 64
inline constexpr std::uint32_t kCfgExtension = 0x20;   // offer/accept the toy "x-fuzz" extension
inline constexpr std::uint32_t kCfgPreOpen = 0x40;     // send (and maybe close) before the handshake
inline constexpr std::uint32_t kCfgFewHeaders = 0x80;  // max_headers = 8
inline constexpr std::uint32_t kCfgProtocols = 0x100;  // client: offer subprotocols "chat, superchat"
// release_idle_buffers() after every read, as the Connection's sweep may call it between any
// two reads: a partly received header, frame or message must survive it.
inline constexpr std::uint32_t kCfgSweep = 0x200;
// Read as a Stream does when the Session offers room for a large payload: the first bytes of
// a piece go into direct_read_target's room (feed_direct), the rest through feed(); now and
// then the room is asked for and left unused. The offer threshold is lowered to 1-8 bytes.
inline constexpr std::uint32_t kCfgDirect = 0x400;
// Frame hooks off, as for every handler without on_frame / on_send_frame: frames then take the
// Session's common paths (a read's run of whole data frames delivered in one call, the open
// server's direct send). Nothing shows the frames to the model, so the written frames are
// checked for every rule below but not against the model's list.
inline constexpr std::uint32_t kCfgNoHooks = 0x800;

// ---- the driver ---------------------------------------------------------------------------

class SessionFuzzer final : public proto::SessionEvents {
public:
    SessionFuzzer(Role role, const std::uint8_t* data, std::size_t size) : role_(role), rng_(0) {
        Reader rd(data, size);
        cfg_ = rd.u32();
        rng_ = Rng(rd.u32() | (std::uint64_t{cfg_} << 32));
        const std::string_view s = rd.rest();
        stream_.assign(s.begin(), s.end());
        input_size_ = size;
    }

    void run() {
        baseline_ = allocated_bytes();
        configure();
        out_.max_prepare = (64u << 10) + 16 * input_size_;
        session_ = std::make_unique<Session>(role_, config_, *this, out_);
        if (cfg_ & kCfgNoHooks) {
            hooks_ = false;
            session_->set_frame_hooks(false);
        }
        if (role_ == Role::Client) start_client();
        observe();
        if (cfg_ & kCfgPreOpen) {
            for (std::size_t k = rng_.below(4); k > 0; --k) outside_action(true);
            observe();
        }
        std::size_t pos = 0;
        while (pos < stream_.size()) {
            const std::size_t n = next_piece(rng_, stream_.size() - pos);
            // An exact-size heap copy: the Session unmasks in place, and ASan sees any overrun.
            std::vector<std::uint8_t> chunk(stream_.begin() + static_cast<std::ptrdiff_t>(pos),
                                            stream_.begin() + static_cast<std::ptrdiff_t>(pos + n));
            const std::size_t direct = (cfg_ & kCfgDirect) ? read_direct(chunk) : 0;
            observe();
            const std::size_t used = direct + session_->feed(std::span(chunk).subspan(direct));
            FUZZ_CHECK(used <= n);
            FUZZ_CHECK_MSG(used == n || session_->state() == State::Closed,
                           "feed() consumed " + std::to_string(used) + " of " + std::to_string(n));
            pos += n;
            if (cfg_ & kCfgSweep) session_->release_idle_buffers();
            observe();
            check_error_closed();
            if (rng_.one_in(3)) {
                outside_action(false);
                observe();
            }
        }
        final_check();
    }

    // ---- SessionEvents ----------------------------------------------------------------------

    Result<Response> on_request(const Request& req) override {
        observe();
        FUZZ_CHECK(role_ == Role::Server);
        FUZZ_CHECK(session_->state() == State::Handshake);
        FUZZ_CHECK(!requested_);
        requested_ = true;
        request_ = req;
        switch (rng_.below(16)) {
            case 8: {
                auto res = Response::from_request(req);
                if (res && !req.protocols().empty()) res->set_protocol(req.protocols().front());
                return res;
            }
            case 9: {
                auto res = Response::from_request(req);
                if (res) {
                    res->set_protocol("x-never-offered");
                    must_refuse_ = !list_offers(req, "x-never-offered");
                }
                return res;
            }
            case 10: return Response(404, "Not Found", "no such resource\n");
            case 11: return random_error();
            case 12: {
                Response res;
                res.set_status(101);
                res.set_reason("Switching");
                res.add_header("Connection", "keep-alive");
                res.set_body("a body a 101 must not carry");
                return res;
            }
            case 13: {
                auto res = Response::from_request(req);
                if (res) {
                    res->add_extension("x-handler-picked");
                    must_refuse_ = true;
                }
                return res;
            }
            case 14: {
                Response res(200, "OK", "plain page");
                res.remove_header("Connection");
                return res;
            }
            default: return Response::from_request(req);
        }
    }

    Result<> on_response(const Response& res) override {
        observe();
        FUZZ_CHECK(role_ == Role::Client);
        FUZZ_CHECK(session_->state() == State::Handshake);
        // Only a response that passed RFC 6455 4.1's checks reaches the handler.
        FUZZ_CHECK(res.status() == 101);
        FUZZ_CHECK(res.header_has_token("Upgrade", "websocket"));
        FUZZ_CHECK(res.header("Sec-WebSocket-Accept") == std::optional<std::string_view>(kAccept));
        if (auto p = res.protocol()) FUZZ_CHECK((cfg_ & kCfgProtocols) && (*p == "chat" || *p == "superchat"));
        if (rng_.one_in(16)) return random_error();
        return {};
    }

    Result<> on_open(Request& req, Response& res) override {
        observe();
        FUZZ_CHECK(!opened_);
        opened_ = true;
        FUZZ_CHECK(session_->state() == State::Open || session_->state() == State::CloseSent);
        FUZZ_CHECK(session_->opened());
        if (role_ == Role::Server) {
            // RFC 6455 4.2.1: only a valid upgrade request opens a connection.
            FUZZ_CHECK(req.method() == "GET");
            FUZZ_CHECK(req.has_header("Host"));
            FUZZ_CHECK(req.header_has_token("Upgrade", "websocket"));
            FUZZ_CHECK(req.header_has_token("Connection", "upgrade"));
            FUZZ_CHECK(req.header("Sec-WebSocket-Version") == std::optional<std::string_view>("13"));
            FUZZ_CHECK(ref_valid_key(req.header("Sec-WebSocket-Key").value_or("")));
            FUZZ_CHECK(!must_refuse_);
            server_key_ = std::string(*req.header("Sec-WebSocket-Key"));
        } else {
            FUZZ_CHECK(res.status() == 101);
            FUZZ_CHECK(res.header("Sec-WebSocket-Accept") == std::optional<std::string_view>(kAccept));
        }
        if (session_->extension() != nullptr) FUZZ_CHECK(cfg_ & kCfgExtension);
        switch (rng_.below(8)) {
            case 0: (void)session_->send(OpCode::Text, "hello from on_open"); break;
            case 1: (void)session_->ping("p"); break;
            case 2: return callback_error();
            default: break;
        }
        return {};
    }

    Result<> on_frame(Frame& f) override {
        observe();
        FUZZ_CHECK(opened_);
        FUZZ_CHECK(session_->state() == State::Open || session_->state() == State::CloseSent);
        const auto op = static_cast<std::uint8_t>(f.opcode());
        FUZZ_CHECK(op <= 2 || (op >= 8 && op <= 10));
        const bool ext = session_->extension() != nullptr;
        if (f.is_control()) {
            FUZZ_CHECK(f.is_final());
            FUZZ_CHECK(f.len() <= 125);
            FUZZ_CHECK(f.rsv() == 0);
        } else {
            const std::uint64_t cap = ext ? std::max(config_.max_frame_size, config_.max_message_size) : config_.max_frame_size;
            FUZZ_CHECK_MSG(f.len() <= cap, "frame of " + std::to_string(f.len()) + " bytes delivered");
            // RSV bits: only RSV1, only with the extension, only on a message's first frame.
            if (f.rsv() != 0) FUZZ_CHECK(ext && f.rsv() == 4 && f.opcode() != OpCode::Continue);
            if (f.opcode() == OpCode::Continue) {
                FUZZ_CHECK(in_message_);
            } else {
                FUZZ_CHECK(!in_message_);
                replaced_in_message_ = false;
            }
            in_message_ = !f.is_final();
        }
        switch (rng_.below(16)) {
            case 0:
                // Drop the frame: a final one drops the whole message; a fragment leaves a
                // message the Session can no longer vouch for (UTF-8 followed piece by piece).
                f.drop();
                if (!f.is_control()) {
                    if (f.is_final()) {
                        in_message_ = false;
                        replaced_in_message_ = false;
                    } else {
                        replaced_in_message_ = true;
                    }
                }
                break;
            case 1:
                // Rewrite the payload, sometimes with bytes that are not UTF-8.
                f.set_payload(rng_.one_in(2) ? std::string("rewritten") : std::string("\xC3\x28 bad", 6));
                if (!f.is_control()) replaced_in_message_ = true;
                break;
            case 2: (void)session_->send(OpCode::Binary, "from on_frame"); break;
            case 3: (void)session_->ping("hook"); break;
            case 4: if (rng_.one_in(4)) (void)session_->close(CloseCode::Away, "bye from on_frame"); break;
            case 5: return callback_error();
            default: break;
        }
        return {};
    }

    Result<> on_message(const Message& m) override {
        observe();
        FUZZ_CHECK(opened_);
        FUZZ_CHECK(session_->state() == State::Open || session_->state() == State::CloseSent);
        const bool replaced = replaced_in_message_;
        replaced_in_message_ = false;
        in_message_ = false;
        if (!replaced) {
            FUZZ_CHECK_MSG(m.size() <= config_.max_message_size,
                           "message of " + std::to_string(m.size()) + " bytes delivered");
            if (m.is_text()) FUZZ_CHECK_MSG(ref_utf8(m.bytes()).valid, "text message " + show(m.bytes()));
        }
        // Some bits of the message itself choose the answer.
        Rng pick(rng_.next());
        if (!m.empty()) pick.mix(static_cast<std::uint8_t>(m.bytes()[0]));
        switch (pick.below(10)) {
            case 0:
            case 1: (void)session_->send(m); break;  // echo (takes the "already validated" path)
            case 2: (void)session_->send(m.opcode(), m.bytes()); break;
            case 3: (void)session_->send(OpCode::Binary, m.bytes()); break;
            case 4: {
                // A close code and reason taken from the message: valid or not, the Session
                // must send exactly what check_close_args allows.
                const auto b = m.bytes();
                const auto code = static_cast<std::uint16_t>(
                    b.size() >= 2 ? (static_cast<std::uint8_t>(b[0]) << 8) | static_cast<std::uint8_t>(b[1]) : 1000);
                try_close(static_cast<CloseCode>(code), b.size() > 2 ? b.substr(2) : std::string_view());
                break;
            }
            case 5: (void)session_->ping(m.bytes().substr(0, 125)); break;
            case 6: return callback_error();
            default: break;
        }
        return {};
    }

    void on_close(CloseCode code, std::string_view reason) override {
        observe();
        FUZZ_CHECK(!close_seen_);
        close_seen_ = true;
        FUZZ_CHECK(session_->state() == State::Open || session_->state() == State::CloseSent);
        FUZZ_CHECK(code == CloseCode::Status || ref_close_code_on_wire(to_u16(code)));
        if (code == CloseCode::Status) FUZZ_CHECK(reason.empty());
        FUZZ_CHECK(reason.size() <= 123);
        FUZZ_CHECK(ref_utf8(reason).valid);
        if (rng_.one_in(4)) (void)session_->send(OpCode::Text, "last words");
        if (rng_.one_in(8)) try_close(CloseCode::Normal, "closing first");
    }

    void on_error(const Error&) override {
        observe();
        if (rng_.one_in(8)) (void)session_->send(OpCode::Binary, "after an error");
        if (rng_.one_in(8)) try_close(CloseCode::Error, "after an error");
    }

    Result<> on_send_frame(Frame& f) override {
        observe();
        // Frames are written only while open: never before the handshake, never after a close.
        FUZZ_CHECK_MSG(session_->state() == State::Open,
                       "on_send_frame in state " + std::to_string(static_cast<int>(session_->state())));
        FUZZ_CHECK(!close_passed_);
        const OpCode op = f.opcode();
        if (op == OpCode::Text && !f.payload_replaced())
            FUZZ_CHECK_MSG(ref_utf8(f.payload()).valid, "text frame about to be sent: " + show(f.payload()));
        switch (rng_.below(32)) {
            case 0: f.drop(); return {};
            case 1: ++hook_errors_; return random_error();
            case 2:
                if (op == OpCode::Ping || op == OpCode::Pong) {
                    f.set_payload(std::string(rng_.below(140), 'q'));  // over 125: the Session truncates
                } else if (op == OpCode::Binary) {
                    f.set_payload("replaced");
                } else if (op == OpCode::Text) {
                    f.set_payload("r\xC3\xA9");  // still valid UTF-8
                }
                break;
            default: break;
        }
        model_send(f);
        return {};
    }

private:
    // What a Stream does when the Session offers room: the piece's first bytes land there and
    // are reported with feed_direct. Returns how many went that way.
    std::size_t read_direct(std::span<std::uint8_t> piece) {
        const std::size_t max = 1 + rng_.below(64);
        const std::span<std::uint8_t> room = session_->direct_read_target(max);
        if (room.empty()) return 0;
        FUZZ_CHECK(room.size() <= max);
        FUZZ_CHECK(session_->receiving());
        if (rng_.one_in(4)) return 0;  // asked for, not used: the bytes come through feed()
        const std::size_t k = std::min(room.size(), piece.size());
        std::memcpy(room.data(), piece.data(), k);
        session_->feed_direct(k);
        return k;
    }

    void configure() {
        switch (cfg_ & kCfgLimitsMask) {
            case 1:
                config_.max_frame_size = 256;
                config_.max_message_size = 1024;
                config_.max_handshake_size = 1024;
                break;
            case 2:
                config_.max_frame_size = 16;
                config_.max_message_size = 48;
                config_.max_handshake_size = 400;
                break;
            case 3:
                config_.max_frame_size = 64u << 10;
                config_.max_message_size = 300;
                config_.max_handshake_size = 2048;
                break;
            default: break;  // the library's defaults (16 MiB, 16 KiB)
        }
        config_.auto_pong = (cfg_ & kCfgNoAutoPong) == 0;
        static constexpr std::size_t kFrag[] = {0, 1, 5, 64};
        config_.fragment_size = kFrag[(cfg_ >> kCfgFragShift) & 3];
        if (cfg_ & kCfgFewHeaders) config_.max_headers = 8;
        if (cfg_ & kCfgExtension) config_.extensions.push_back(&factory_);
        if (cfg_ & kCfgDirect) config_.direct_read_min = 1 + rng_.below(8);
        config_.masks = &masks_;
    }

    void start_client() {
        Request req("GET", "/chat");
        req.add_header("Host", "server.example.com");
        req.add_header("Upgrade", "websocket");
        req.add_header("Connection", "Upgrade");
        req.add_header("Sec-WebSocket-Key", std::string(kKey));
        req.add_header("Sec-WebSocket-Version", "13");
        if (cfg_ & kCfgProtocols) req.add_header("Sec-WebSocket-Protocol", "chat, superchat");
        session_->start_client(std::move(req));
        FUZZ_CHECK(session_->state() == State::Handshake);
        Head head;
        FUZZ_CHECK(read_head(as_text(out_.data.data(), out_.data.size()), head));
        FUZZ_CHECK(head.size == out_.data.size());
        FUZZ_CHECK(head.first_line == "GET /chat HTTP/1.1");
        FUZZ_CHECK(head.all("Sec-WebSocket-Key") == std::vector<std::string>{std::string(kKey)});
        if (cfg_ & kCfgExtension) FUZZ_CHECK(head.has_token("Sec-WebSocket-Extensions", "x-fuzz; level=3"));
    }

    static bool list_offers(const Request& req, std::string_view protocol) {
        const auto offered = req.protocols();
        return std::find(offered.begin(), offered.end(), protocol) != offered.end();
    }

    Error random_error() {
        static constexpr ErrorKind kinds[] = {ErrorKind::Internal, ErrorKind::Capacity, ErrorKind::Protocol,
                                              ErrorKind::Encoding, ErrorKind::Io,       ErrorKind::Http,
                                              ErrorKind::Queue,    ErrorKind::Custom,   ErrorKind::Tls,
                                              ErrorKind::Timer,    ErrorKind::Timeout,  ErrorKind::Policy};
        const ErrorKind kind = kinds[rng_.below(std::size(kinds))];
        // Sometimes details long enough (and non-ASCII) to test the 123-byte reason cut.
        std::string details = rng_.one_in(4) ? std::string(60, 'x') + std::string(40, '\xC3') : "injected";
        if (rng_.one_in(4)) {
            details.clear();
            for (int i = 0; i < 50; ++i) details += "\xE2\x82\xAC";  // euro signs, cut mid-character at 123
        }
        return Error(kind, std::move(details));
    }

    // An error returned from on_open / on_frame / on_message. ws/error.hpp's table: once open,
    // every kind but the "report only" ones (Queue, Custom) closes the connection (a close
    // frame, or dropping it); so when feed() returns, the Session must no longer be Open.
    Error callback_error() {
        Error e = random_error();
        if (session_->state() == State::Open && closes_connection(e.kind())) error_must_close_ = true;
        return e;
    }
    static bool closes_connection(ErrorKind k) { return k != ErrorKind::Queue && k != ErrorKind::Custom; }

    void check_error_closed() {
        if (!error_must_close_) return;
        FUZZ_CHECK_MSG(session_->state() != State::Open,
                       "a handler returned an error that must close the connection, but the Session is still Open");
        error_must_close_ = false;
    }

    // Calls close() and checks its result against the RFC's rules, independently modelled.
    void try_close(CloseCode code, std::string_view reason) {
        const std::uint16_t c = to_u16(code);
        const bool allowed = (code == CloseCode::Empty ? reason.empty() : ref_close_code_on_wire(c)) &&
                             reason.size() <= 123 && ref_utf8(reason).valid;
        const State before = session_->state();
        const std::size_t out_before = out_.data.size();
        const auto r = session_->close(code, reason);
        FUZZ_CHECK_MSG(r.ok() == allowed, "close(" + std::to_string(c) + ", " + show(reason) + ") returned " +
                                              (r.ok() ? "ok" : r.error().what()));
        if (!allowed) FUZZ_CHECK(out_.data.size() == out_before && session_->state() == before);
        observe();
    }

    // Calls made by the owner between reads (a Sender, a timer).
    void outside_action(bool before_open) {
        static constexpr std::string_view kTexts[] = {"", "hi", "h\xC3\xA9llo \xF0\x9F\x98\x80", "\xED\xA0\x80",
                                                      "ok\xC3"};
        const std::string_view slice = stream_slice();
        switch (rng_.below(before_open ? 3 : 9)) {
            case 0: {
                const std::string_view t = kTexts[rng_.below(std::size(kTexts))];
                const auto r = session_->send(OpCode::Text, t);
                if (!ref_utf8(t).valid) FUZZ_CHECK(!r.ok() && r.error().kind() == ErrorKind::Encoding);
                break;
            }
            case 1: (void)session_->send(OpCode::Binary, slice); break;
            case 2: {
                static constexpr std::uint16_t kCodes[] = {0,    1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007,
                                                           1011, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 999};
                static constexpr std::string_view kReasons[] = {"", "done", "\xC3\xA9t\xC3\xA9", "\xC3"};
                std::string reason(kReasons[rng_.below(std::size(kReasons))]);
                if (rng_.one_in(6)) reason = std::string(123 + rng_.below(2), 'r');
                try_close(static_cast<CloseCode>(kCodes[rng_.below(std::size(kCodes))]), reason);
                break;
            }
            case 3: {
                const auto r = session_->ping(slice.substr(0, 130));
                if (slice.size() > 125) FUZZ_CHECK(!r.ok());
                break;
            }
            case 4: (void)session_->pong(slice.substr(0, 125)); break;
            case 5: {
                // A text message from the stream: valid or not, the Session must agree with the
                // reference validator.
                const std::string_view t = slice.substr(0, 200);
                const std::size_t hook_errors = hook_errors_;
                const auto r = session_->send(OpCode::Text, t);
                if (ref_utf8(t).valid) {
                    FUZZ_CHECK(r.ok() || hook_errors_ != hook_errors);  // only on_send_frame may refuse it
                } else {
                    FUZZ_CHECK(!r.ok() && r.error().kind() == ErrorKind::Encoding && hook_errors_ == hook_errors);
                }
                break;
            }
            case 6:
                if (rng_.one_in(8)) {
                    const Error e = random_error();
                    const State before = session_->state();
                    session_->fail(e);
                    // fail(): Closed, except for the report-only kinds on an open connection.
                    if (before == State::Handshake || closes_connection(e.kind()))
                        FUZZ_CHECK(session_->state() == State::Closed);
                }
                break;
            case 7:
                if (rng_.one_in(4)) {
                    const Error e = random_error();
                    const State before = session_->state();
                    session_->handle_error(e);
                    if (before == State::Open && closes_connection(e.kind())) {
                        FUZZ_CHECK_MSG(session_->state() != State::Open,
                                       "handle_error(" + e.what() + ") left the connection open");
                    }
                }
                break;
            default: break;
        }
    }

    std::string_view stream_slice() {
        if (stream_.empty()) return {};
        const std::size_t start = rng_.below(stream_.size());
        const std::size_t len = rng_.below(std::min<std::size_t>(stream_.size() - start, 300) + 1);
        return as_text(stream_.data() + start, len);
    }

    // What the Session must write for a frame that on_send_frame let through; the checks made
    // at every callback and after every call into the Session; the whole output at the end
    // (session_fuzz_oracle.hpp).
    void model_send(const Frame& f);
    void observe();
    void final_check();

    Role role_;
    std::uint32_t cfg_ = 0;
    bool hooks_ = true;  // frame hooks on (off with kCfgNoHooks)
    Rng rng_;
    std::vector<std::uint8_t> stream_;
    std::size_t input_size_ = 0;
    std::size_t baseline_ = 0;

    proto::SessionConfig config_;
    ToyFactory factory_;
    CountingMasks masks_;
    CheckedOutput out_;
    std::unique_ptr<Session> session_;

    State last_state_ = State::Handshake;
    std::optional<std::size_t> closed_output_;
    bool requested_ = false;
    bool opened_ = false;
    bool close_seen_ = false;
    bool close_passed_ = false;
    bool must_refuse_ = false;
    bool in_message_ = false;
    bool replaced_in_message_ = false;
    bool error_must_close_ = false;
    std::size_t hook_errors_ = 0;  // errors on_send_frame returned
    std::optional<Request> request_;
    std::string server_key_;
    std::vector<WireFrame> expected_;
};

}  // namespace ws::fuzz

#include "session_fuzz_oracle.hpp"

namespace ws::fuzz {

inline int run_session_fuzzer(Role role, const std::uint8_t* data, std::size_t size) {
    SessionFuzzer fuzzer(role, data, size);
    fuzzer.run();
    return 0;
}

}  // namespace ws::fuzz

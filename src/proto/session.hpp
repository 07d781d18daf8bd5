// ws::proto::Session: one WebSocket connection's protocol state machine, with no I/O.
//
// Bytes in (feed), events and bytes out. It drives the opening handshake (either role), parses
// frames incrementally (unmasking in place), validates UTF-8 as text arrives, assembles
// fragments, enforces every rule of RFC 6455 sections 5 and 7, answers pings and close frames,
// and routes RSV bits to a negotiated Extension. Any event loop can drive it; ws-cpp's own
// Connection does, and so do the unit tests and fuzzers.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proto/extension.hpp"
#include "proto/frame_header.hpp"
#include "proto/message_buffer.hpp"
#include "proto/utf8.hpp"
#include "ws/close_code.hpp"
#include "ws/error.hpp"
#include "ws/frame.hpp"
#include "ws/http.hpp"
#include "ws/message.hpp"

namespace ws::proto {

enum class Role : std::uint8_t { Client, Server };

// Where the Session writes bytes: reserve room, fill it, commit what was filled.
class Output {
public:
    virtual ~Output() = default;
    // Room for at least `n` bytes; valid until commit() or the next prepare().
    virtual std::uint8_t* prepare(std::size_t n) = 0;
    virtual void commit(std::size_t n) = 0;
    // A frame whose payload is large and needs no masking: `head` then `body`, in order after
    // everything written before. An output that can hand `body` to the kernel from where it
    // is (and copy only what the kernel leaves) overrides this; the default copies both.
    virtual void write_gather(std::span<const std::uint8_t> head, std::span<const std::uint8_t> body) {
        std::uint8_t* dst = prepare(head.size() + body.size());
        std::memcpy(dst, head.data(), head.size());
        if (!body.empty()) std::memcpy(dst + head.size(), body.data(), body.size());
        commit(head.size() + body.size());
    }
    // The same for a body that is the whole of `storage`, a buffer its owner gives up once this
    // returns (a large received message being echoed). An output that keeps what the kernel
    // does not take may take `storage` over (move from it) instead of copying that part; it
    // must then leave the bytes where they are until they are written, and in any case until
    // the callback now running has returned (views of them stay valid until then). The default
    // is write_gather.
    virtual void write_gather_owned(std::span<const std::uint8_t> head, MessageBuffer& storage) {
        write_gather(head, {reinterpret_cast<const std::uint8_t*>(storage.data()), storage.size()});
    }
};

// Fresh masking keys for a client's frames (RFC 6455 5.3: unpredictable, from a strong source).
class MaskKeySource {
public:
    virtual ~MaskKeySource() = default;
    virtual MaskKey next() = 0;
};

// What a Session reports to its owner. Callbacks may call back into the Session (send, close).
class SessionEvents {
public:
    virtual ~SessionEvents() = default;
    // Server: a complete, syntactically valid request; return the response. A 101 accepts (the
    // Session then checks that the request really is a valid upgrade); anything else is sent
    // as plain HTTP and the connection closes after it.
    virtual Result<Response> on_request(const Request& request) = 0;
    // Client: the server's 101 passed every check; an error fails the connection.
    virtual Result<> on_response(const Response& response) = 0;
    // The handshake completed. The owner may move from `request` and `response`.
    virtual Result<> on_open(Request& request, Response& response) = 0;
    // Every complete incoming frame, after unmasking and validation, before built-in handling.
    virtual Result<> on_frame(Frame& frame) = 0;
    // A complete text or binary message (a view, valid during the call).
    virtual Result<> on_message(const Message& message) = 0;
    // The peer's close frame (CloseCode::Status when it carried no code).
    virtual void on_close(CloseCode code, std::string_view reason) = 0;
    // Something went wrong; the Session has already acted on it (closed, failed, answered).
    virtual void on_error(const Error& error) = 0;
    // Every outgoing message (once, before fragmentation) and control frame.
    virtual Result<> on_send_frame(Frame& frame) = 0;
};

// The assembly buffer keeps up to this much capacity between messages, so that a stream of
// large messages does not allocate each time; more is released after the message (or
// handed to the output, when the message is echoed), and an idle connection gives all of
// it back (release_idle_buffers, from the Connection's sweep).
constexpr std::size_t kKeepBufferCapacity = 1u << 20;

// A frame's payload is read directly into the assembly buffer (direct_read_target) while at
// least this much of it is still to come; smaller remainders are not worth a second buffer in
// the read.
constexpr std::size_t kDirectReadMin = 64u << 10;

struct SessionConfig {
    std::uint64_t max_frame_size = 16u << 20;
    std::uint64_t max_message_size = 16u << 20;
    std::size_t max_handshake_size = 16u << 10;
    std::size_t max_headers = 124;
    std::size_t fragment_size = 0;  // 0: never fragment outgoing messages
    bool auto_pong = true;
    // direct_read_target offers room while at least this much of a frame's payload is still
    // to come (tests and fuzzers lower it to reach the path with small inputs).
    std::size_t direct_read_min = kDirectReadMin;
    MaskKeySource* masks = nullptr;  // required for clients
    // Scratch space for an extension's encoded output, shared by the loop's sessions (one
    // loop, one thread); a thread-local one is used when null.
    std::string* scratch = nullptr;
    // Extensions this side can run, in order of preference. Not owned.
    std::vector<const ExtensionFactory*> extensions;
};

class Session {
public:
    enum class State : std::uint8_t {
        Handshake,  // waiting for the request (server) or the response (client)
        Open,       // messages flow both ways
        CloseSent,  // we sent a close frame and wait for the peer's
        Closed,     // done: flush the output, then close the transport
    };

    Session(Role role, const SessionConfig& config, SessionEvents& events, Output& out) noexcept;
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Client: writes the opening request (adding the extension offers) and waits for the
    // response.
    void start_client(Request request);
    // The same in two steps, for a driver that has the request before it can send it (a TCP
    // connect in between): keep it here (where it stays, as the request sent, until open)...
    void hold_client_request(Request request);
    // ... and send it.
    void start_client();

    // Processes received bytes. The bytes are modified (unmasked in place). Returns the number
    // of bytes consumed: all of them, unless the Session reached Closed, after which input is
    // ignored.
    // Inline, for every read's common case: an open session with no frame hooks, between
    // frames, whose read holds whole data frames only (feed_rest does everything else).
    std::size_t feed(std::span<std::uint8_t> data) {
        std::size_t used = 0;
        if (const Receive* rx = receive_state(); state_ == State::Open && !frame_hooks_ &&
                                                 (rx == nullptr || !rx->busy())) [[likely]] {
            used = whole_data_frames(data.data(), data.size());
            if (used == data.size()) return used;
        }
        return feed_rest(data, used);
    }
    // Large payloads read where they are assembled, not copied there from the driver's read
    // buffer. While the rest of an incoming data frame that no extension transforms is at
    // least config.direct_read_min bytes, this is room at the end of the message being assembled, at
    // most `max` bytes and never past the frame's end (empty otherwise). A driver may read
    // into it instead of its own buffer; it then calls feed_direct with how many bytes landed
    // there (from its start), before feeding anything else, and feeds what followed them as
    // usual. A driver that does not use the room simply feeds the bytes: the Session puts
    // them there itself.
    std::span<std::uint8_t> direct_read_target(std::size_t max);
    // `n` bytes (at most the room last offered) were written at the start of that room:
    // they are processed as feed() would process them.
    void feed_direct(std::size_t n);

    // Sends a message (fragmenting it if configured). Before the handshake completes, it is
    // held and sent right after (as WS-RS). On a closing or closed session it is discarded and
    // Ok is returned (RFC 6455 5.5.1: no data after a close frame). Errors: a text message
    // that is not UTF-8 (Encoding), an error from the on_send_frame hook.
    Result<> send(OpCode op, std::string_view payload);
    // A Message: text this Session received (and so validated) is not checked again, nor is
    // binary.
    Result<> send(const Message& msg) {
        if (msg.utf8_checked() || !msg.is_text()) return send_validated(msg.opcode(), msg.bytes());
        return send(msg.opcode(), msg.bytes());
    }
    // The same for a payload whose UTF-8 is already known to be valid (a received text message
    // echoed back): skips the check.
    Result<> send_validated(OpCode op, std::string_view payload);
    // Broadcast's shortcut. True when a data message leaves this session as one frame that
    // depends on the message alone (FIN, its opcode, the shortest length, no mask, no RSV):
    // an open server session with no frame hooks, no extension and no fragmentation, the
    // case send_validated takes first. One such frame, built once (encode_header and the
    // payload), then serves every session for which this holds.
    bool sends_plain_frames() const noexcept {
        return state_ == State::Open && role_ == Role::Server && !frame_hooks_ && !extension_ &&
               config_.fragment_size == 0;
    }
    // Writes such a frame, whole (only while sends_plain_frames()).
    void send_plain_frame(std::span<const std::uint8_t> frame);
    // Control frames. Payload at most 125 bytes (Protocol error otherwise).
    Result<> ping(std::string_view payload);
    Result<> pong(std::string_view payload);
    // Starts the closing handshake (RFC 6455 7.1.2). The code must be sendable (1000-1003,
    // 1007-1014, 3000-4999, or CloseCode::Empty for no payload) and the reason at most 123
    // bytes of UTF-8; otherwise a Protocol error and nothing is sent. A no-op once closing.
    // Before the handshake completes, the close is held like messages and sent, in order,
    // right after it.
    Result<> close(CloseCode code, std::string_view reason = {});

    // Fails the connection because of `error`: reports it, sends the matching close frame (or,
    // during the handshake, the matching HTTP error response as a server) and goes to Closed.
    // Errors of kinds that are "reported only" (Queue, Custom) just go to on_error.
    void fail(const Error& error);
    // Acts on an error a handler returned (on_timeout, on_open, ...): reports it, then closes
    // with the matching code (a graceful closing handshake), drops the connection, or, for
    // the "report only" kinds, does nothing more.
    void handle_error(Error error) { (void)check_failed(std::move(error)); }

    // Whether the owner's on_frame / on_send_frame hooks want to see frames (on by default).
    // A driver whose hooks do nothing turns them off, and the Session then neither builds a
    // Frame per frame nor makes the two calls.
    void set_frame_hooks(bool on) noexcept { frame_hooks_ = on; }

    State state() const noexcept { return state_; }
    Role role() const noexcept { return role_; }
    bool is_open() const noexcept { return state_ == State::Open; }
    // Gives back the memory of the receive state (the message assembly buffer included) when
    // no frame or message is partly received; with only a frame header's first bytes received,
    // just the assembly buffer's.
    void release_idle_buffers() noexcept {
        Receive* rx = receive_state();
        if (rx == nullptr) return;
        if (!rx->busy()) {
            phase_.reset();
        } else if (!rx->in_message && !rx->in_payload) {
            rx->buffer.release();
        }
    }
    // True while an incoming frame or message is only partly received.
    bool receiving() const noexcept {
        const Receive* rx = receive_state();
        return rx != nullptr && rx->busy();
    }
    // True once on_open ran.
    bool opened() const noexcept { return opened_; }
    // True once the peer's close frame was received (on_close ran).
    bool close_received() const noexcept { return close_received_; }
    // True when the transport should be dropped at once rather than shut down gracefully
    // (an I/O-kind error); the owner still flushes nothing more.
    bool abort_transport() const noexcept { return abort_; }
    const Extension* extension() const noexcept { return extension_.get(); }

    // Bytes of messages held until the handshake completes.
    std::size_t held_bytes() const noexcept {
        if (state_ != State::Handshake) return 0;  // held messages leave as the handshake ends
        const BeforeOpen* b = before_open_state();
        return b != nullptr ? b->held_bytes : 0;
    }
    // The close code and reason we sent, if any.
    CloseCode sent_close_code() const noexcept { return sent_code_; }

private:
    // Opening handshake.
    std::size_t feed_handshake(std::span<std::uint8_t> data);
    void handle_head(std::string_view head);
    void handle_request(std::string_view head);
    void handle_response(std::string_view head);
    void finish_open(Request& request, Response& response);
    void negotiate_server_extensions(const Request& request, Response& response);
    Result<> accept_client_extensions(const Response& response);

    // Frames.
    struct Receive;
    // feed() from byte `used` on: the handshake, partial frames, control frames, the rest.
    std::size_t feed_rest(std::span<std::uint8_t> data, std::size_t used);
    std::size_t feed_frames(std::uint8_t* p, std::size_t n);
    // The run of common whole data frames at p: each decoded, checked and delivered; returns
    // the bytes they took, stopping before any other frame (which it leaves untouched), or
    // after the one that ended the session. Only outside a frame or message, with frame hooks
    // off.
    std::size_t whole_data_frames(std::uint8_t* p, std::size_t n);
    [[gnu::cold, gnu::noinline]] void invalid_text();
    // The rules a frame's header must pass (RFC 6455 5.1-5.5, the size limits) before any of
    // its payload is looked at. These and the functions below return false once failed.
    bool check_header(const FrameHeader& h);
    // A control frame or a whole uncompressed message, all in this read: unmasked, validated
    // and delivered where it lies.
    bool frame_in_place(const FrameHeader& h, std::uint8_t* payload, std::size_t len);
    bool deliver_whole(OpCode op, std::string_view data, bool utf8_vouched);
    // Any other frame: its state goes to Receive, and its payload through payload_chunk.
    bool begin_frame(const FrameHeader& h);
    bool payload_chunk(std::uint8_t* p, std::size_t n);
    // After a data frame's payload bytes: end_frame once all of them are here.
    bool payload_end(Receive& rx);
    bool decode_chunk(const std::uint8_t* p, std::size_t n, bool last);
    bool end_frame(std::string_view payload, std::size_t frame_start_in_buffer);
    bool handle_control(OpCode op, std::string_view payload);
    bool handle_close_frame(std::string_view payload);
    bool protocol_error(std::string details, CloseCode code = CloseCode::Protocol);
    // Acts on a callback's result; inline so that the common success costs one test.
    bool check(Result<>&& r) {
        if (r.ok()) [[likely]]
            return true;
        return check_failed(std::move(r).error());
    }
    bool check_failed(Error error);

    // Output.
    void write_frame(bool fin, std::uint8_t rsv, OpCode op, std::string_view payload);
    Result<> send_control(OpCode op, std::string_view payload);
    // send_validated's every case but the common one (held before open, dropped after close,
    // or through hooks, extension and fragmentation).
    [[gnu::noinline]] Result<> send_other(OpCode op, std::string_view payload);
    Result<> send_now(OpCode op, std::string_view payload);
    void send_close_frame(CloseCode code, std::string_view reason);
    void write_raw(std::string_view bytes);
    void flush_held();

    // sizeof(Session) is what every connection costs for as long as it lives, idle or not
    // (48 bytes on x86-64, asserted in session.cpp): the three references, two owners of what
    // only some connections or some moments need, and one word of flags. Whatever is larger
    // lives out of line, allocated when first needed.
    Role role_;
    State state_ = State::Handshake;
    bool opened_ = false;
    bool close_received_ = false;
    bool abort_ = false;
    bool frame_hooks_ = true;
    CloseCode sent_code_ = CloseCode::Empty;

    const SessionConfig& config_;
    SessionEvents& events_;
    Output& out_;

    // What only matters until the opening handshake completes, allocated when first needed and
    // freed on open, so that an open connection carries none of it.
    struct BeforeOpen {
        std::string head;                             // a head split across reads
        std::unique_ptr<Request> client_request;      // the request we sent (client)
        std::vector<std::pair<OpCode, std::string>> held;  // messages sent before open
        std::size_t held_bytes = 0;
        std::unique_ptr<std::pair<CloseCode, std::string>> close_after_open;  // a close asked for before open
    };

    // The parsing and assembly state of a frame or message that cannot be delivered from one
    // read's bytes where they lie: split across reads, fragmented, or compressed. A frame that
    // can (a control frame or a whole uncompressed message, all in one read) is parsed and
    // delivered with locals only, so steady traffic of such messages never allocates this.
    // Once allocated it stays, with its buffer's capacity (up to a limit), while the connection
    // is active, so that a stream of large messages allocates nothing either;
    // release_idle_buffers frees it when nothing is in progress.
    struct Receive {
        // The frame being parsed.
        FrameHeader frame{};
        std::uint64_t payload_left = 0;
        // Where this frame's payload starts in `buffer`.
        std::size_t frame_start = 0;
        // The message being assembled (data frames) followed, while one is arriving, by a
        // control frame's payload; reused across messages.
        MessageBuffer buffer;
        std::uint64_t message_size = 0;  // wire bytes received for this message
        // The last `direct_room` bytes of `buffer` are room offered by direct_read_target,
        // not payload yet (always at most payload_left; 0 outside a data frame's payload).
        std::size_t direct_room = 0;
        std::uint8_t header_buf[kMaxHeaderSize] = {};  // a header split across reads
        std::uint8_t header_have = 0;
        std::uint8_t mask_phase = 0;
        bool in_payload = false;
        bool frame_buffered = false;
        bool in_message = false;
        OpCode message_op = OpCode::Text;
        std::uint8_t message_rsv = 0;
        // A hook dropped or replaced a fragment of this message: its UTF-8 can no longer be
        // followed piece by piece, so it is not vouched for (utf8_checked_) on delivery.
        bool message_altered = false;
        // on_message is running on the message in `buffer`: a send of exactly that message may
        // hand the buffer to the output (write_gather_owned) rather than have it copied.
        bool delivering = false;
        Utf8Validator utf8;

        // The message is complete (delivered or dropped): ready for the next one.
        void end_message() noexcept {
            in_message = false;
            message_rsv = 0;
            message_size = 0;
            message_altered = false;
            utf8.reset();
        }
        // A frame or message is partly received.
        bool busy() const noexcept { return in_message || in_payload || header_have != 0; }
        // Inside a frame: its header or its payload is partly received.
        bool mid_frame() const noexcept { return in_payload || header_have != 0; }
    };

    // Out of line, one phase's state at a time: BeforeOpen until the connection opens, then
    // Receive. They never live together (frames are parsed only once open, and BeforeOpen is
    // freed as it opens), so they share one owner: one pointer in every Session, not two.
    using PhaseState = std::variant<BeforeOpen, Receive>;
    std::unique_ptr<PhaseState> phase_;
    const BeforeOpen* before_open_state() const noexcept { return std::get_if<BeforeOpen>(phase_.get()); }
    Receive* receive_state() noexcept { return std::get_if<Receive>(phase_.get()); }
    const Receive* receive_state() const noexcept { return std::get_if<Receive>(phase_.get()); }
    // Allocated on first use: before_open() only before open, receive() only once open (the
    // phases rule out a mix-up, which std::get would report by throwing).
    BeforeOpen& before_open() {
        if (!phase_) phase_ = std::make_unique<PhaseState>(std::in_place_type<BeforeOpen>);
        return std::get<BeforeOpen>(*phase_);
    }
    Receive& receive() {
        if (!phase_) phase_ = std::make_unique<PhaseState>(std::in_place_type<Receive>);
        return std::get<Receive>(*phase_);
    }

    std::unique_ptr<Extension> extension_;
};

// Checks the arguments of a close we are asked to send: a sendable code (or Empty with no
// reason) and a reason of at most 123 bytes of UTF-8.
Result<> check_close_args(CloseCode code, std::string_view reason);

// Helpers shared with the tests.
// Validates a close frame payload (RFC 6455 5.5.1, 7.4): empty, or a valid code and a UTF-8
// reason. On success sets `code` (Status when empty) and `reason`.
Result<> parse_close_payload(std::string_view payload, CloseCode& code, std::string_view& reason);
// Which close code an error maps to once a connection is open; Empty for "report only",
// Abnormal for "drop the connection without a close frame".
CloseCode close_code_for(const Error& error) noexcept;

}  // namespace ws::proto

// ws::proto::Session, the receiving half: parsing, validating and assembling what arrives once
// the connection is open (RFC 6455 sections 5 and 7), and failing it. Writing frames is
// session_send.cpp; the opening handshake is session_handshake.cpp.
#include "proto/session.hpp"

#include <algorithm>
#include <cstring>

#include "proto/handshake.hpp"  // error_response, for a server failing during the handshake
#include "proto/utf8.hpp"

namespace ws::proto {

namespace {

// A buffered frame up to this size gets its whole payload reserved when its first piece
// arrives (one allocation instead of doubling); larger ones grow as their bytes arrive, so a
// header alone cannot make us reserve much.
constexpr std::size_t kReserveFrameLimit = 1u << 20;

// The longest prefix of `s` that is at most `max` bytes and ends on a UTF-8 character boundary.
std::string_view utf8_prefix(std::string_view s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

// An error's details as a close reason: at most 123 bytes, and empty unless valid UTF-8 (a
// close must never fail because of its reason).
std::string_view close_reason_for(const Error& error) {
    const std::string_view r = utf8_prefix(error.details(), kMaxCloseReason);
    return is_valid_utf8(r) ? r : std::string_view();
}

// Empties the assembly buffer after a message, keeping its capacity up to kKeepBufferCapacity.
void clear_buffer(MessageBuffer& buffer) noexcept {
    if (buffer.capacity() > kKeepBufferCapacity) {
        buffer.release();
    } else {
        buffer.clear();
    }
}

}  // namespace

// ---- helpers shared with the tests ----------------------------------------------------------

Result<> parse_close_payload(std::string_view payload, CloseCode& code, std::string_view& reason) {
    if (payload.empty()) {
        code = CloseCode::Status;
        reason = {};
        return {};
    }
    if (payload.size() == 1) return Error(ErrorKind::Protocol, "close frame with a 1-byte payload");
    const auto raw = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                static_cast<unsigned char>(payload[1]));
    if (!is_valid_close_code(raw))
        return Error(ErrorKind::Protocol, "invalid close code " + std::to_string(raw));
    reason = payload.substr(2);
    if (!is_valid_utf8(reason)) return Error(ErrorKind::Encoding, "close reason is not valid UTF-8");
    code = static_cast<CloseCode>(raw);
    return {};
}

CloseCode close_code_for(const Error& error) noexcept {
    switch (error.kind()) {
        case ErrorKind::Internal:
        case ErrorKind::Timer: return CloseCode::Error;
        case ErrorKind::Capacity: return CloseCode::Size;
        case ErrorKind::Protocol: return CloseCode::Protocol;
        case ErrorKind::Encoding: return CloseCode::Invalid;
        case ErrorKind::Policy: return CloseCode::Policy;
        case ErrorKind::Queue:
        case ErrorKind::Custom: return CloseCode::Empty;
        case ErrorKind::Io:
        case ErrorKind::Http:
        case ErrorKind::Tls:
        case ErrorKind::Timeout: return CloseCode::Abnormal;
    }
    return CloseCode::Error;
}

// ---- construction ------------------------------------------------------------------------

Session::Session(Role role, const SessionConfig& config, SessionEvents& events, Output& out) noexcept
    : role_(role), config_(config), events_(events), out_(out) {}

Session::~Session() = default;

// Every connection carries a Session for its whole life, an idle one included, so its size is
// part of the cost of an idle connection: 3 references, 2 owners (the phase's state: before
// open or a partly received frame or message; the extension) and 8 bytes of state, 48 bytes
// on a 64-bit target. What is needed only at some moments (the handshake, a frame split
// across reads, a fragmented message) lives out of line; keep it so.
static_assert(sizeof(Session) <= 5 * sizeof(void*) + 8, "Session grew: move the new state out of line");

// ---- input -------------------------------------------------------------------------------

std::size_t Session::feed_rest(std::span<std::uint8_t> data, std::size_t used) {
    if (state_ == State::Handshake) used = feed_handshake(data);
    if (used < data.size() && (state_ == State::Open || state_ == State::CloseSent)) {
        used += feed_frames(data.data() + used, data.size() - used);
    }
    return state_ == State::Closed ? used : data.size();
}

// The frame nearly every message is: final, no RSV bits, text or binary, a 7- or 16-bit
// length, masked exactly when it comes from a client, outside a fragmented message, within
// the frame and message limits, and all here. It passes every check of check_header and needs
// nothing frame_in_place does beyond unmasking, validating and delivering, so it is decoded
// and checked here in a few tests on its first two bytes. Anything else (and everything when
// frame hooks are on) takes the general path below, which decides the same way. One call
// handles the whole run of such frames a read brings, so the call's own cost is paid once
// per read, not once per message.
std::size_t Session::whole_data_frames(std::uint8_t* p, std::size_t n) {
    const std::uint8_t mask_bit = role_ == Role::Server ? 0x80 : 0x00;
    const std::uint64_t limit = std::min(config_.max_frame_size, config_.max_message_size);
    std::size_t i = 0;
    while (n - i >= 2) {
        std::uint8_t* const f = p + i;
        const std::uint8_t b0 = f[0];
        const std::uint8_t b1 = f[1];
        if (b0 != 0x81 && b0 != 0x82) break;   // FIN, no RSV, text or binary
        if ((b1 & 0x80) != mask_bit) break;    // masked exactly when a client sent it
        std::size_t len = b1 & 0x7F;
        std::size_t head = 2;
        if (len == 126) {
            if (n - i < 4) break;
            len = (std::size_t{f[2]} << 8) | f[3];
            head = 4;
        } else if (len == 127) {
            break;
        }
        const std::size_t key_at = head;
        if (mask_bit != 0) head += 4;
        if (n - i < head || n - i - head < len || len > limit) break;
        std::uint8_t* payload = f + head;
        if (mask_bit != 0) {
            MaskKey key;
            std::memcpy(key.data(), f + key_at, 4);
            unmask(payload, len, key);
        }
        i += head + len;
        const bool text = b0 == 0x81;
        if (text && !is_valid_utf8(payload, len)) [[unlikely]] {
            invalid_text();
            break;
        }
        const std::string_view data(reinterpret_cast<const char*>(payload), len);
        Message message = text ? Message::text_view(data) : Message::binary_view(data);
        message.utf8_checked_ = text;
        // The handler may have closed the session (or the peer's frame may end it): stop here.
        if (!check(events_.on_message(message)) || (state_ != State::Open && state_ != State::CloseSent)) break;
    }
    return i;
}

void Session::invalid_text() { (void)protocol_error("text message is not valid UTF-8", CloseCode::Invalid); }

std::size_t Session::feed_frames(std::uint8_t* p, std::size_t n) {
    std::size_t i = 0;
    while (i < n && (state_ == State::Open || state_ == State::CloseSent)) {
        // Outside any frame or message, with no hooks to show frames to: a run of the common
        // whole data frames, each checked and delivered by whole_data_frames.
        if (const Receive* partial = receive_state(); !frame_hooks_ && (partial == nullptr || !partial->busy())) [[likely]] {
            i += whole_data_frames(p + i, n - i);
            if (i == n || (state_ != State::Open && state_ != State::CloseSent)) return i;
        }
        FrameHeader h;
        DecodeResult r;
        if (Receive* state = receive_state(); state != nullptr && state->mid_frame()) [[unlikely]] {
            Receive& rx = *state;
            if (rx.in_payload) {
                const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(rx.payload_left, n - i));
                const bool ok = payload_chunk(p + i, take);
                i += take;
                if (!ok) break;
                continue;
            }
            // A header split across reads: complete it in header_buf.
            const std::size_t take = std::min(kMaxHeaderSize - rx.header_have, n - i);
            std::memcpy(rx.header_buf + rx.header_have, p + i, take);
            r = decode_header({rx.header_buf, rx.header_have + take}, h);
            if (r.status == DecodeStatus::NeedMore) {
                rx.header_have = static_cast<std::uint8_t>(rx.header_have + take);
                return n;
            }
            i += r.consumed - rx.header_have;
            rx.header_have = 0;
        } else {
            r = decode_header({p + i, n - i}, h);
            if (r.status == DecodeStatus::NeedMore) [[unlikely]] {
                Receive& rx = receive();
                std::memcpy(rx.header_buf, p + i, n - i);  // less than a full header: <= 13 bytes
                rx.header_have = static_cast<std::uint8_t>(n - i);
                return n;
            }
            i += r.consumed;
        }
        if (r.status == DecodeStatus::LengthTooBig) {
            protocol_error("frame length with the most significant bit set");
            break;
        }
        if (!check_header(h)) break;
        // A control frame, or a whole message that no extension transformed, stands alone: when
        // all of it is here, it is delivered from these bytes, with no copy and no state kept.
        const OpCode op = h.op();
        const bool alone = is_control(op) || (h.fin && op != OpCode::Continue && h.rsv == 0);
        if (alone && h.payload_len <= n - i) [[likely]] {
            const auto len = static_cast<std::size_t>(h.payload_len);
            std::uint8_t* payload = p + i;
            i += len;
            if (!frame_in_place(h, payload, len)) break;
            continue;
        }
        if (!begin_frame(h)) break;
    }
    return i;
}

bool Session::protocol_error(std::string details, CloseCode code) {
    const ErrorKind kind = code == CloseCode::Invalid ? ErrorKind::Encoding
                           : code == CloseCode::Size  ? ErrorKind::Capacity
                                                      : ErrorKind::Protocol;
    fail(Error(kind, std::move(details)));
    return false;
}

bool Session::check_header(const FrameHeader& h) {
    // RFC 6455 5.1: a server MUST close on an unmasked frame, a client on a masked one.
    if (role_ == Role::Server && !h.masked) return protocol_error("client frame is not masked");
    if (role_ == Role::Client && h.masked) return protocol_error("server frame is masked");
    if (!is_known_opcode(h.opcode)) return protocol_error("reserved opcode " + std::to_string(h.opcode));
    const OpCode op = h.op();
    const std::uint8_t allowed_rsv = extension_ ? extension_->rsv_bits() : 0;
    if ((h.rsv & ~allowed_rsv) != 0) return protocol_error("reserved bits set without a negotiated extension");
    const Receive* rx = receive_state();
    const bool in_message = rx != nullptr && rx->in_message;
    if (is_control(op)) {
        // RFC 6455 5.5: control frames are never fragmented and carry at most 125 bytes.
        if (!h.fin) return protocol_error("fragmented control frame");
        if (h.payload_len > kMaxControlPayload) return protocol_error("control frame payload longer than 125 bytes");
        if (h.rsv != 0) return protocol_error("RSV bit on a control frame");
    } else if (op == OpCode::Continue) {
        // RFC 6455 5.4: a continuation continues a message; the RSV bits an extension gives a
        // meaning to are on a message's first frame only (RFC 7692 6.1).
        if (!in_message) return protocol_error("continuation frame with no message to continue");
        if (h.rsv != 0) return protocol_error("RSV bit on a continuation frame");
    } else if (in_message) {
        return protocol_error("new data frame inside a fragmented message");
    }
    if (h.payload_len > config_.max_frame_size) {
        return protocol_error("frame of " + std::to_string(h.payload_len) + " bytes exceeds max_frame_size",
                              CloseCode::Size);
    }
    if (!is_control(op)) {
        const std::uint64_t before = op == OpCode::Continue ? rx->message_size : 0;
        if (before + h.payload_len > config_.max_message_size) {
            return protocol_error("message exceeds max_message_size", CloseCode::Size);
        }
    }
    return true;
}

bool Session::frame_in_place(const FrameHeader& h, std::uint8_t* payload, std::size_t len) {
    const OpCode op = h.op();
    if (h.masked) apply_mask(payload, len, h.mask, 0);
    if (op == OpCode::Text && !is_valid_utf8(payload, len))
        return protocol_error("text message is not valid UTF-8", CloseCode::Invalid);
    const std::string_view chunk(reinterpret_cast<const char*>(payload), len);
    if (!frame_hooks_) [[likely]]
        return deliver_whole(op, chunk, op == OpCode::Text);
    Frame frame(op, chunk, true);  // final: a control frame (checked) or a whole message
    frame.set_rsv(h.rsv);
    if (!check(events_.on_frame(frame))) return false;
    if (frame.dropped()) return true;
    const bool replaced = frame.payload_replaced();
    return deliver_whole(op, replaced ? frame.payload() : chunk, op == OpCode::Text && !replaced);
}

// A control frame or a whole message, from bytes that stay valid during the call.
bool Session::deliver_whole(OpCode op, std::string_view data, bool utf8_vouched) {
    if (is_control(op)) return handle_control(op, data);
    Message message = op == OpCode::Text ? Message::text_view(data) : Message::binary_view(data);
    message.utf8_checked_ = utf8_vouched;
    return check(events_.on_message(message));
}

bool Session::begin_frame(const FrameHeader& h) {
    Receive& rx = receive();
    rx.frame = h;
    rx.mask_phase = 0;
    rx.payload_left = h.payload_len;
    const OpCode op = h.op();
    if (!is_control(op)) {
        if (op != OpCode::Continue) {
            rx.in_message = true;
            rx.message_op = op;
            rx.message_rsv = h.rsv;
            rx.message_size = 0;
            rx.message_altered = false;
            rx.utf8.reset();
        }
        rx.message_size += h.payload_len;
    }
    rx.frame_start = rx.buffer.size();
    rx.frame_buffered = false;
    if (h.payload_len == 0) {
        // Only a fragment or a compressed message gets here (feed_frames delivers the others
        // in place). A compressed message's final frame may be empty; the extension still
        // finishes it.
        if (rx.message_rsv != 0 && h.fin && !decode_chunk(nullptr, 0, true)) return false;
        return end_frame(std::string_view(rx.buffer).substr(rx.frame_start), rx.frame_start);
    }
    rx.in_payload = true;
    return true;
}

bool Session::payload_chunk(std::uint8_t* p, std::size_t n) {
    Receive& rx = *receive_state();
    MessageBuffer& buffer = rx.buffer;
    if (rx.frame.masked) {
        rx.mask_phase = static_cast<std::uint8_t>(apply_mask(p, n, rx.frame.mask, rx.mask_phase));
    }
    rx.payload_left -= n;
    const OpCode op = rx.frame.op();
    const std::string_view chunk(reinterpret_cast<const char*>(p), n);

    if (is_control(op)) {
        // A control frame split across reads waits after the message bytes in the buffer.
        buffer.append(chunk);
        rx.frame_buffered = true;
        if (rx.payload_left != 0) return true;
        rx.in_payload = false;
        const std::size_t start = rx.frame_start;
        const bool ok = end_frame(std::string_view(buffer).substr(start), start);
        buffer.truncate(start);
        return ok;
    }

    if (!rx.frame_buffered && rx.message_rsv == 0 && rx.frame.payload_len <= kReserveFrameLimit) {
        buffer.reserve(rx.frame_start + static_cast<std::size_t>(rx.frame.payload_len));
    }
    rx.frame_buffered = true;
    if (rx.message_rsv != 0) {
        if (!decode_chunk(p, n, rx.frame.fin && rx.payload_left == 0)) return false;
        if (rx.payload_left != 0) return true;
        rx.in_payload = false;
        return end_frame(std::string_view(buffer).substr(rx.frame_start), rx.frame_start);
    }
    // RFC 6455 8.1 and Autobahn 6.x: fail as soon as the text goes wrong, not at the end.
    if (rx.message_op == OpCode::Text && !rx.message_altered && !rx.utf8.feed(p, n))
        return protocol_error("text message is not valid UTF-8", CloseCode::Invalid);
    if (rx.direct_room != 0) {
        // Room offered for a direct read that the driver did not use: the bytes go there.
        const std::size_t into = std::min(n, rx.direct_room);
        std::memcpy(buffer.data() + (buffer.size() - rx.direct_room), p, into);
        rx.direct_room -= into;
        buffer.append(chunk.substr(into));
    } else {
        // A frame over the up-front limit grows by doubling at first; once the peer has sent
        // that much of it, room for the rest of the frame is made at once (its length passed
        // the message-size check): no more copies and no transient doubled buffer for a
        // 16 MiB message.
        if (buffer.capacity() - buffer.size() < n && buffer.size() - rx.frame_start >= kReserveFrameLimit)
            buffer.reserve(buffer.size() + n + static_cast<std::size_t>(rx.payload_left));
        buffer.append(chunk);
    }
    return payload_end(rx);
}

std::span<std::uint8_t> Session::direct_read_target(std::size_t max) {
    Receive* rx = receive_state();
    if (rx == nullptr || !rx->in_payload || rx->payload_left < config_.direct_read_min || rx->message_rsv != 0 ||
        is_control(rx->frame.op()) || (state_ != State::Open && state_ != State::CloseSent))
        return {};
    MessageBuffer& buffer = rx->buffer;
    const std::size_t received = buffer.size() - rx->direct_room;
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(rx->payload_left, max));
    // The same reservations as payload_chunk: a frame within the up-front limit reserves all
    // of itself at once, a larger one its rest once the peer has sent that much of it. Until
    // then the room is never larger than what the peer has sent of the frame (or 64 KiB), so
    // that a header and a few bytes cannot make the buffer grow much.
    const std::size_t have = received - rx->frame_start;
    if (rx->frame.payload_len <= kReserveFrameLimit) {
        buffer.reserve(rx->frame_start + static_cast<std::size_t>(rx->frame.payload_len));
    } else if (have >= kReserveFrameLimit) {
        buffer.reserve(received + static_cast<std::size_t>(rx->payload_left));
    }
    if (have < kReserveFrameLimit) want = std::min(want, std::max(have, kDirectReadMin));
    rx->frame_buffered = true;
    if (want > rx->direct_room) {
        buffer.grow(received + want - buffer.size());  // unwritten: the read fills it
        rx->direct_room = want;
    }
    return {reinterpret_cast<std::uint8_t*>(buffer.data()) + received, std::min(want, rx->direct_room)};
}

void Session::feed_direct(std::size_t n) {
    Receive* rx = receive_state();
    if (n == 0 || rx == nullptr || n > rx->direct_room || (state_ != State::Open && state_ != State::CloseSent)) return;
    auto* p = reinterpret_cast<std::uint8_t*>(rx->buffer.data()) + (rx->buffer.size() - rx->direct_room);
    rx->direct_room -= n;
    if (rx->frame.masked) {
        rx->mask_phase = static_cast<std::uint8_t>(apply_mask(p, n, rx->frame.mask, rx->mask_phase));
    }
    rx->payload_left -= n;
    if (rx->message_op == OpCode::Text && !rx->message_altered && !rx->utf8.feed(p, n)) {
        invalid_text();
        return;
    }
    (void)payload_end(*rx);
}

bool Session::payload_end(Receive& rx) {
    if (rx.payload_left != 0) return true;
    rx.in_payload = false;
    return end_frame(std::string_view(rx.buffer).substr(rx.frame_start), rx.frame_start);
}

bool Session::decode_chunk(const std::uint8_t* p, std::size_t n, bool last) {
    Receive& rx = *receive_state();
    const std::size_t before = rx.buffer.size();
    if (auto ok = extension_->decode(rx.message_rsv, {p, n}, last, rx.buffer, config_.max_message_size); !ok) {
        fail(ok.error());
        return false;
    }
    const auto* out = reinterpret_cast<const std::uint8_t*>(rx.buffer.data());
    if (rx.message_op == OpCode::Text && !rx.utf8.feed(out + before, rx.buffer.size() - before))
        return protocol_error("text message is not valid UTF-8", CloseCode::Invalid);
    return true;
}

bool Session::check_failed(Error error) {
    events_.on_error(error);
    const CloseCode code = close_code_for(error);
    if (code == CloseCode::Empty) return state_ == State::Open || state_ == State::CloseSent;
    if (code == CloseCode::Abnormal) {
        abort_ = true;
        state_ = State::Closed;
        return false;
    }
    (void)close(code, close_reason_for(error));
    return state_ == State::Open || state_ == State::CloseSent;
}

bool Session::end_frame(std::string_view payload, std::size_t start) {
    Receive& rx = *receive_state();
    const OpCode op = rx.frame.op();
    Frame frame(op, payload, rx.frame.fin);
    frame.set_rsv(rx.frame.rsv);
    if (frame_hooks_ && !check(events_.on_frame(frame))) return false;
    if (frame.dropped()) {
        if (!is_control(op) && rx.frame.fin) {
            // The message ends here, undelivered (earlier fragments included).
            rx.end_message();
            clear_buffer(rx.buffer);
        } else if (!is_control(op)) {
            rx.buffer.truncate(start);  // just this fragment's payload goes
            rx.message_altered = true;
        }
        return true;
    }
    if (frame.payload_replaced()) {
        if (!is_control(op)) {
            rx.buffer.truncate(start);
            rx.buffer.append(frame.payload());
            rx.message_altered = true;
        }
        payload = frame.payload();
    }
    if (is_control(op)) return handle_control(op, payload);
    if (!rx.frame.fin) return true;
    const bool text = rx.message_op == OpCode::Text;
    if (text && !rx.message_altered && !rx.utf8.complete())
        return protocol_error("text message ends inside a UTF-8 sequence", CloseCode::Invalid);
    Message message = text ? Message::text_view(rx.buffer) : Message::binary_view(rx.buffer);
    message.utf8_checked_ = text && !rx.message_altered;
    rx.end_message();
    rx.delivering = true;
    const bool ok = check(events_.on_message(message));
    rx.delivering = false;
    clear_buffer(rx.buffer);  // empty if a send took it over
    return ok;
}

bool Session::handle_control(OpCode op, std::string_view payload) {
    switch (op) {
        case OpCode::Ping:
            // RFC 6455 5.5.2: answer with a Pong carrying the same payload.
            if (state_ == State::Open && config_.auto_pong) return check(send_control(OpCode::Pong, payload));
            return true;
        case OpCode::Pong: return true;  // unsolicited pongs are allowed (5.5.3); the hook saw it
        case OpCode::Close: return handle_close_frame(payload);
        default: return true;
    }
}

bool Session::handle_close_frame(std::string_view payload) {
    CloseCode code = CloseCode::Status;
    std::string_view reason;
    if (auto ok = parse_close_payload(payload, code, reason); !ok) {
        fail(ok.error());
        return false;
    }
    close_received_ = true;
    events_.on_close(code, reason);
    if (state_ == State::Open) {
        // RFC 6455 5.5.1: reply with a Close frame, typically echoing the status code.
        send_close_frame(code == CloseCode::Status ? CloseCode::Empty : code, {});
    }
    state_ = State::Closed;
    return false;
}

void Session::fail(const Error& error) {
    events_.on_error(error);
    if (state_ == State::Closed) return;
    if (state_ == State::Handshake) {
        if (role_ == Role::Server) write_raw(error_response(error).format());
        state_ = State::Closed;
        return;
    }
    const CloseCode code = close_code_for(error);
    if (code == CloseCode::Empty) return;  // report only
    if (code == CloseCode::Abnormal) {
        abort_ = true;
    } else if (state_ == State::Open) {
        send_close_frame(code, close_reason_for(error));
    }
    // RFC 6455 7.1.7: after failing, no more data is processed; the transport closes.
    state_ = State::Closed;
}

}  // namespace ws::proto

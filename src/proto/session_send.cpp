// ws::proto::Session, the sending half: messages (held before open, fragmented if configured,
// through the on_send_frame hook and the extension), control frames and the closing handshake
// (RFC 6455 sections 5.4, 5.5 and 7.1.2). Receiving is session.cpp.
#include "proto/session.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "proto/utf8.hpp"

namespace ws::proto {

namespace {
// Unmasked payloads from this size on are written with Output::write_gather.
constexpr std::size_t kGatherPayload = 16u << 10;
}  // namespace

void Session::write_raw(std::string_view bytes) {
    if (bytes.empty()) return;
    std::uint8_t* dst = out_.prepare(bytes.size());
    std::memcpy(dst, bytes.data(), bytes.size());
    out_.commit(bytes.size());
}

void Session::write_frame(bool fin, std::uint8_t rsv, OpCode op, std::string_view payload) {
    FrameHeader h;
    h.fin = fin;
    h.rsv = rsv;
    h.opcode = static_cast<std::uint8_t>(op);
    h.masked = role_ == Role::Client;
    h.payload_len = payload.size();
    if (h.masked) h.mask = config_.masks->next();
    const std::size_t hs = header_size(payload.size(), h.masked);
    if (!h.masked && payload.size() >= kGatherPayload) {
        // A large payload goes to the output as it is (no copy into the output buffer when
        // the kernel takes it at once).
        std::uint8_t head[kMaxHeaderSize];
        encode_header(h, head);
        // Echoing the large message on_message is delivering from the assembly buffer, which
        // would be freed after it anyway: the output may keep that buffer for what the kernel
        // does not take now, instead of copying it (a 16 MiB echo then touches 16 MiB of fresh
        // memory, not 30).
        if (Receive* rx = receive_state(); rx != nullptr && rx->delivering &&
                                           payload.data() == rx->buffer.data() && payload.size() == rx->buffer.size() &&
                                           rx->buffer.capacity() > kKeepBufferCapacity) {
            out_.write_gather_owned({head, hs}, rx->buffer);
            return;
        }
        out_.write_gather({head, hs}, {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
        return;
    }
    std::uint8_t* dst = out_.prepare(hs + payload.size());
    encode_header(h, dst);
    const auto* src = reinterpret_cast<const std::uint8_t*>(payload.data());
    if (h.masked) {
        copy_masked(dst + hs, src, payload.size(), h.mask);
    } else if (!payload.empty()) {
        std::memcpy(dst + hs, src, payload.size());
    }
    out_.commit(hs + payload.size());
}

Result<> Session::send(OpCode op, std::string_view payload) {
    if (op != OpCode::Text && op != OpCode::Binary)
        return Error(ErrorKind::Internal, "send() takes a text or binary message; use ping/pong/close");
    if (op == OpCode::Text && !is_valid_utf8(payload))
        return Error(ErrorKind::Encoding, "text message is not valid UTF-8");
    return send_validated(op, payload);
}

namespace {

// Copies len bytes, sizeof(Word) <= len <= 2 * sizeof(Word), with two word moves that overlap
// when len is below twice the word.
template <class Word>
inline void copy_two_words(std::uint8_t* dst, const char* src, std::size_t len) noexcept {
    Word head;
    Word tail;
    std::memcpy(&head, src, sizeof(Word));
    std::memcpy(&tail, src + len - sizeof(Word), sizeof(Word));
    std::memcpy(dst, &head, sizeof(Word));
    std::memcpy(dst + len - sizeof(Word), &tail, sizeof(Word));
}

// Copies a payload of at most 16 bytes with a few overlapping word moves: for the messages
// most traffic is made of, a call to memcpy costs more than the copy.
inline void copy_short(std::uint8_t* dst, const char* src, std::size_t len) noexcept {
    if (len >= 8) {
        copy_two_words<std::uint64_t>(dst, src, len);
    } else if (len >= 4) {
        copy_two_words<std::uint32_t>(dst, src, len);
    } else {
        for (std::size_t i = 0; i < len; ++i) dst[i] = static_cast<std::uint8_t>(src[i]);
    }
}

}  // namespace

Result<> Session::send_validated(OpCode op, std::string_view payload) {
    // The common case, flat: an open server session whose frames nothing changes (no hooks, no
    // extension, no fragmentation) writes a small message as header and payload at once.
    // Everything else is send_other, out of line, so that this path saves no registers for it.
    if (state_ == State::Open && role_ == Role::Server && !frame_hooks_ && !extension_ &&
        config_.fragment_size == 0 && payload.size() < kGatherPayload) [[likely]] {
        const std::size_t len = payload.size();
        std::uint8_t* dst = out_.prepare(len + 4);  // the header is 2 or 4 bytes below 64 KiB
        std::size_t head = 2;
        dst[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op));
        if (len < 126) {
            dst[1] = static_cast<std::uint8_t>(len);
        } else {
            dst[1] = 126;
            dst[2] = static_cast<std::uint8_t>(len >> 8);
            dst[3] = static_cast<std::uint8_t>(len);
            head = 4;
        }
        if (len <= 16) {
            copy_short(dst + head, payload.data(), len);
        } else {
            std::memcpy(dst + head, payload.data(), len);
        }
        out_.commit(head + len);
        return {};
    }
    return send_other(op, payload);
}

void Session::send_plain_frame(std::span<const std::uint8_t> frame) {
    assert(sends_plain_frames());
    std::uint8_t* dst = out_.prepare(frame.size());
    std::memcpy(dst, frame.data(), frame.size());
    out_.commit(frame.size());
}

Result<> Session::send_other(OpCode op, std::string_view payload) {
    if (state_ == State::Handshake) {
        // RFC 6455 5.5.1: no data after a Close; one asked for before open is already queued.
        BeforeOpen& b = before_open();
        if (b.close_after_open) return {};
        b.held.emplace_back(op, std::string(payload));
        b.held_bytes += payload.size();
        return {};
    }
    if (state_ != State::Open) return {};
    return send_now(op, payload);
}

Result<> Session::send_now(OpCode op, std::string_view payload) {
    if (!frame_hooks_ && !extension_ && config_.fragment_size == 0) [[likely]] {
        write_frame(true, 0, op, payload);  // the common case: nothing changes the frame
        return {};
    }
    Frame frame(op, payload, true);
    if (frame_hooks_) {
        if (auto ok = events_.on_send_frame(frame); !ok) return ok;
    }
    if (frame.dropped()) return {};
    op = frame.opcode();
    std::string_view data = frame.payload();
    std::uint8_t rsv = frame.rsv();
    if (is_control(op)) {
        write_frame(true, rsv, op, data);
        return {};
    }
    if (extension_) {
        thread_local std::string fallback;  // for drivers that give no scratch (tests, fuzzers)
        std::string& scratch = config_.scratch != nullptr ? *config_.scratch : fallback;
        scratch.clear();
        if (const std::uint8_t bits = extension_->encode(op, data, scratch); bits != 0) {
            rsv |= bits;
            data = scratch;
        }
    }
    const std::size_t piece = config_.fragment_size;
    if (piece == 0 || data.size() <= piece || !frame.is_final()) {
        write_frame(frame.is_final(), rsv, op, data);
        return {};
    }
    // RFC 6455 5.4: the first fragment carries the opcode (and the extension's RSV bits),
    // the rest are continuations; the last has FIN.
    std::size_t off = 0;
    bool first = true;
    while (off < data.size()) {
        const std::size_t n = std::min(piece, data.size() - off);
        const bool last = off + n == data.size();
        write_frame(last, first ? rsv : 0, first ? op : OpCode::Continue, data.substr(off, n));
        off += n;
        first = false;
    }
    return {};
}

Result<> Session::send_control(OpCode op, std::string_view payload) {
    if (payload.size() > kMaxControlPayload)
        return Error(ErrorKind::Protocol, "control frame payload longer than 125 bytes");
    Frame frame(op, payload, true);
    if (frame_hooks_) {
        if (auto ok = events_.on_send_frame(frame); !ok) return ok;
    }
    if (frame.dropped()) return {};
    write_frame(true, frame.rsv(), frame.opcode(), frame.payload().substr(0, kMaxControlPayload));
    return {};
}

Result<> Session::ping(std::string_view payload) {
    if (payload.size() > kMaxControlPayload) return Error(ErrorKind::Protocol, "ping payload longer than 125 bytes");
    if (state_ != State::Open) return {};
    return send_control(OpCode::Ping, payload);
}

Result<> Session::pong(std::string_view payload) {
    if (payload.size() > kMaxControlPayload) return Error(ErrorKind::Protocol, "pong payload longer than 125 bytes");
    if (state_ != State::Open) return {};
    return send_control(OpCode::Pong, payload);
}

Result<> check_close_args(CloseCode code, std::string_view reason) {
    if (code != CloseCode::Empty && !is_valid_close_code(to_u16(code)))
        return Error(ErrorKind::Protocol, "close code " + std::to_string(to_u16(code)) + " may not be sent");
    if (code == CloseCode::Empty && !reason.empty())
        return Error(ErrorKind::Protocol, "a close reason needs a close code");
    if (reason.size() > kMaxCloseReason) return Error(ErrorKind::Protocol, "close reason longer than 123 bytes");
    if (!is_valid_utf8(reason)) return Error(ErrorKind::Encoding, "close reason is not valid UTF-8");
    return {};
}

Result<> Session::close(CloseCode code, std::string_view reason) {
    if (auto ok = check_close_args(code, reason); !ok) return ok;
    if (state_ == State::Handshake) {
        // Keep the order of what was asked before open: held messages, then this close.
        BeforeOpen& b = before_open();
        if (!b.close_after_open) b.close_after_open = std::make_unique<std::pair<CloseCode, std::string>>(code, reason);
        return {};
    }
    if (state_ != State::Open) return {};
    send_close_frame(code, reason);
    state_ = State::CloseSent;
    return {};
}

void Session::send_close_frame(CloseCode code, std::string_view reason) {
    char payload[kMaxControlPayload];
    std::size_t n = 0;
    if (code != CloseCode::Empty) {
        const auto c = to_u16(code);
        payload[0] = static_cast<char>(c >> 8);
        payload[1] = static_cast<char>(c & 0xFF);
        reason = reason.substr(0, kMaxCloseReason);
        if (!reason.empty()) std::memcpy(payload + 2, reason.data(), reason.size());
        n = 2 + reason.size();
    }
    sent_code_ = code;
    if (auto ok = send_control(OpCode::Close, std::string_view(payload, n)); !ok) events_.on_error(ok.error());
}

}  // namespace ws::proto

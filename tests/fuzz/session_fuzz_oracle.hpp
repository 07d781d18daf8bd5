// The Session fuzzer's oracle (session_fuzz.hpp): the model of what the Session must write for
// each frame let through, the checks made at every callback, and the check of the whole output
// at the end (the HTTP head, then every frame against RFC 6455 and against the model).
#pragma once

#include "session_fuzz.hpp"

namespace ws::fuzz {

// What the Session must write for a frame that on_send_frame let through.
inline void SessionFuzzer::model_send(const Frame& f) {
    const OpCode op = f.opcode();
    std::string data(f.payload());
    std::uint8_t rsv = f.rsv();
    if (is_control(op)) {
        if (op == OpCode::Close) close_passed_ = true;
        expected_.push_back(WireFrame{true, rsv, static_cast<std::uint8_t>(op), false, {}, data.substr(0, 125)});
        return;
    }
    if (session_->extension() != nullptr && toy_encodes(data)) {
        data = xor_bytes(data);
        rsv |= 4;
    }
    const std::size_t piece = config_.fragment_size;
    if (piece == 0 || data.size() <= piece || !f.is_final()) {
        expected_.push_back(WireFrame{f.is_final(), rsv, static_cast<std::uint8_t>(op), false, {}, data});
        return;
    }
    for (std::size_t off = 0; off < data.size(); off += piece) {
        const bool first = off == 0;
        const bool last = off + piece >= data.size();
        expected_.push_back(WireFrame{last, first ? rsv : std::uint8_t{0},
                                      static_cast<std::uint8_t>(first ? op : OpCode::Continue), false, {},
                                      data.substr(off, piece)});
    }
}

// Called at every callback and after every call into the Session.
inline void SessionFuzzer::observe() {
    FUZZ_CHECK(session_ != nullptr);
    const State s = session_->state();
    FUZZ_CHECK_MSG(static_cast<int>(s) >= static_cast<int>(last_state_),
                   "state went back from " + std::to_string(static_cast<int>(last_state_)) + " to " +
                       std::to_string(static_cast<int>(s)));
    last_state_ = s;
    if (s == State::Closed) {
        if (!closed_output_) closed_output_ = out_.data.size();
        FUZZ_CHECK_MSG(out_.data.size() == *closed_output_, "bytes written after the Session was Closed");
    }
    if (session_->opened()) FUZZ_CHECK(s != State::Handshake);
    if (kCanMeasureMemory) {
        const std::size_t now = allocated_bytes();
        const std::size_t held = now > baseline_ ? now - baseline_ : 0;
        const std::size_t bound = (256u << 10) + 4 * config_.max_handshake_size +
                                  3 * static_cast<std::size_t>(std::min<std::uint64_t>(
                                          config_.max_message_size, 1u << 30)) +
                                  64 * input_size_ + 8 * out_.data.size() + 256 * expected_.size();
        FUZZ_CHECK_MSG(held <= bound, "the run holds " + std::to_string(held) + " bytes, bound " +
                                          std::to_string(bound));
    }
}

inline void SessionFuzzer::final_check() {
    observe();
    const std::string_view all = as_text(out_.data.data(), out_.data.size());
    std::size_t frames_at = 0;
    if (role_ == Role::Server) {
        if (all.empty()) {
            // No answer yet (the request head is incomplete), or the owner dropped the
            // connection (handle_error with an I/O-kind error: no answer at all).
            FUZZ_CHECK(session_->state() == State::Handshake || session_->abort_transport());
            FUZZ_CHECK(expected_.empty());
            return;
        }
        Head head;
        FUZZ_CHECK_MSG(read_head(all, head), "malformed response head: " + show(all));
        const bool switching = head.first_line.rfind("HTTP/1.1 101 ", 0) == 0;
        FUZZ_CHECK(head.first_line.rfind("HTTP/1.1 ", 0) == 0 && head.first_line.size() >= 12);
        if (switching) {
            FUZZ_CHECK(session_->opened());
            FUZZ_CHECK(!must_refuse_);
            FUZZ_CHECK(head.has_token("Upgrade", "websocket"));
            FUZZ_CHECK(head.has_token("Connection", "upgrade"));
            FUZZ_CHECK(head.all("Sec-WebSocket-Accept") == std::vector<std::string>{sha1_accept(server_key_)});
            // RFC 9110 15.2: a 1xx response has no content (and so no Content-Length).
            FUZZ_CHECK(!head.has("Content-Length"));
            if (head.has("Sec-WebSocket-Protocol")) {
                FUZZ_CHECK(request_ && list_offers(*request_, head.all("Sec-WebSocket-Protocol").front()));
            }
            FUZZ_CHECK(head.has("Sec-WebSocket-Extensions") == (session_->extension() != nullptr));
            frames_at = head.size;
        } else {
            FUZZ_CHECK(!session_->opened());
            FUZZ_CHECK(session_->state() == State::Closed);
            const auto lengths = head.all("Content-Length");
            FUZZ_CHECK(lengths.size() == 1);
            FUZZ_CHECK_MSG(lengths.front() == std::to_string(all.size() - head.size),
                           "Content-Length " + lengths.front() + " but " + std::to_string(all.size() - head.size) +
                               " bytes follow the head");
            FUZZ_CHECK(expected_.empty());
            return;
        }
    } else {
        Head head;
        FUZZ_CHECK(read_head(all, head));
        frames_at = head.size;
        if (!session_->opened()) {
            FUZZ_CHECK(all.size() == head.size);
            FUZZ_CHECK(expected_.empty());
            return;
        }
    }

    std::size_t trailing = 0;
    const std::vector<WireFrame> frames = parse_frames(all.substr(frames_at), trailing);
    FUZZ_CHECK_MSG(trailing == 0, std::to_string(trailing) + " bytes after the last whole frame");
    if (hooks_) {
        FUZZ_CHECK_MSG(frames.size() == expected_.size(),
                       std::to_string(frames.size()) + " frames written, " + std::to_string(expected_.size()) +
                           " expected");
    }
    bool in_data = false;
    bool compressed = false;
    std::string text;
    bool is_text = false;
    std::size_t closes = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const WireFrame& f = frames[i];
        if (hooks_) {
            FUZZ_CHECK_MSG(f == expected_[i], "frame " + std::to_string(i) + ": " + f.describe() +
                                                  " expected " + expected_[i].describe());
        }
        // RFC 6455 5.1 / 5.3: a client masks every frame with a fresh key, a server never.
        FUZZ_CHECK(f.masked == (role_ == Role::Client));
        if (f.masked) {
            FUZZ_CHECK(i < masks_.given.size());
            FUZZ_CHECK(f.key == masks_.given[i]);
        }
        FUZZ_CHECK_MSG(closes == 0, "a frame after the close frame: " + f.describe());
        FUZZ_CHECK(f.opcode <= 2 || (f.opcode >= 8 && f.opcode <= 10));
        if (f.opcode >= 8) {
            FUZZ_CHECK(f.fin && f.payload.size() <= 125 && f.rsv == 0);
            if (f.opcode == 8) {
                ++closes;
                if (!f.payload.empty()) {
                    FUZZ_CHECK(f.payload.size() >= 2);
                    const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(f.payload[0]) << 8) |
                                                                 static_cast<std::uint8_t>(f.payload[1]));
                    FUZZ_CHECK_MSG(ref_close_code_on_wire(code), "sent close code " + std::to_string(code));
                    FUZZ_CHECK_MSG(ref_utf8(std::string_view(f.payload).substr(2)).valid,
                                   "close reason " + show(f.payload));
                }
            }
            continue;
        }
        // Data frames: RFC 6455 5.4 fragmentation rules.
        if (f.opcode == 0) {
            FUZZ_CHECK(in_data);
            FUZZ_CHECK(f.rsv == 0);
        } else {
            FUZZ_CHECK(!in_data);
            FUZZ_CHECK(f.rsv == 0 || (f.rsv == 4 && session_->extension() != nullptr));
            compressed = f.rsv == 4;
            is_text = f.opcode == 1;
            text.clear();
        }
        if (config_.fragment_size != 0) FUZZ_CHECK(f.payload.size() <= config_.fragment_size);
        text += f.payload;
        in_data = !f.fin;
        if (f.fin && is_text) {
            const std::string plain = compressed ? xor_bytes(text) : text;
            FUZZ_CHECK_MSG(ref_utf8(plain).valid, "text message sent: " + show(plain));
        }
    }
    FUZZ_CHECK(closes <= 1);
}

}  // namespace ws::fuzz

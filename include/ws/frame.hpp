// ws::Frame: one WebSocket frame, as the Handler::on_frame / on_send_frame hooks see it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ws/close_code.hpp"
#include "ws/opcode.hpp"

namespace ws {

// A frame's header bits and its (unmasked) payload. In the hooks the payload is a view into
// ws-cpp's buffers, valid only during the call. A hook can rewrite the frame in place
// (set_final, set_rsv*, set_opcode, set_payload) or drop it (drop()).
class Frame {
public:
    Frame() = default;
    Frame(OpCode opcode, std::string_view payload, bool fin = true) noexcept
        : opcode_(opcode), fin_(fin), payload_(payload) {}

    // Owning constructors for frames built by the user (WS-RS's Frame::message/ping/pong/close).
    static Frame message(std::string payload, OpCode opcode, bool fin);
    static Frame ping(std::string payload) { return message(std::move(payload), OpCode::Ping, true); }
    static Frame pong(std::string payload) { return message(std::move(payload), OpCode::Pong, true); }
    // CloseCode::Empty gives an empty payload; otherwise two bytes of code then the reason.
    static Frame close(CloseCode code, std::string_view reason = {});

    Frame(const Frame& other) { *this = other; }
    Frame& operator=(const Frame& other);
    Frame(Frame&& other) noexcept { *this = std::move(other); }
    Frame& operator=(Frame&& other) noexcept;

    bool is_final() const noexcept { return fin_; }
    bool has_rsv1() const noexcept { return (rsv_ & 4) != 0; }
    bool has_rsv2() const noexcept { return (rsv_ & 2) != 0; }
    bool has_rsv3() const noexcept { return (rsv_ & 1) != 0; }
    // RSV1..RSV3 as three bits, RSV1 the highest (4).
    std::uint8_t rsv() const noexcept { return rsv_; }
    OpCode opcode() const noexcept { return opcode_; }
    bool is_control() const noexcept { return ws::is_control(opcode_); }

    std::string_view payload() const noexcept { return payload_; }
    std::span<const std::uint8_t> payload_bytes() const noexcept {
        return {reinterpret_cast<const std::uint8_t*>(payload_.data()), payload_.size()};
    }
    std::size_t len() const noexcept { return payload_.size(); }

    void set_final(bool fin) noexcept { fin_ = fin; }
    void set_rsv1(bool on) noexcept { rsv_ = on ? (rsv_ | 4) : (rsv_ & ~4); }
    void set_rsv2(bool on) noexcept { rsv_ = on ? (rsv_ | 2) : (rsv_ & ~2); }
    void set_rsv3(bool on) noexcept { rsv_ = on ? (rsv_ | 1) : (rsv_ & ~1); }
    void set_rsv(std::uint8_t bits) noexcept { rsv_ = bits & 7; }
    void set_opcode(OpCode op) noexcept { opcode_ = op; }
    // Replaces the payload with an owned copy of `bytes`.
    void set_payload(std::string bytes);

    // Asks ws-cpp to discard this frame (WS-RS: returning Ok(None) from the hook).
    void drop() noexcept { dropped_ = true; }
    bool dropped() const noexcept { return dropped_; }
    // True when set_payload() replaced the payload the hook was given.
    bool payload_replaced() const noexcept { return owned_.has_value(); }

private:
    OpCode opcode_ = OpCode::Binary;
    bool fin_ = true;
    std::uint8_t rsv_ = 0;
    bool dropped_ = false;
    std::string_view payload_;
    std::optional<std::string> owned_;
};

}  // namespace ws

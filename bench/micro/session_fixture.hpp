// A server-role proto::Session driven without I/O, for the micro-benchmarks: an Output that
// keeps its capacity (as a connection's output buffer does), events that echo every message
// back through the Session (as the echo handler does through Sender::send), and the wire
// bytes of a client's frames and opening request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/frame_header.hpp"
#include "proto/mask.hpp"
#include "proto/session.hpp"

namespace ws::bench {

// A typical browser opening request (Chromium's header set, with a realistic User-Agent and
// the permessage-deflate offer), about 500 bytes.
inline constexpr std::string_view kBrowserRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: example.com:8080\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: https://example.com\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9,de;q=0.8\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    "\r\n";

// Grows like a connection's output buffer and keeps its capacity; clear() is the flush.
class VectorOutput final : public proto::Output {
public:
    std::uint8_t* prepare(std::size_t n) override {
        if (bytes_.size() - size_ < n) bytes_.resize(size_ + n);
        return bytes_.data() + size_;
    }
    void commit(std::size_t n) override { size_ += n; }
    void clear() noexcept { size_ = 0; }
    std::size_t size() const noexcept { return size_; }
    std::string_view view() const noexcept {
        return {reinterpret_cast<const char*>(bytes_.data()), size_};
    }

private:
    std::vector<std::uint8_t> bytes_;
    std::size_t size_ = 0;
};

// Accepts every handshake (as the default Handler::on_request) and echoes every message.
class EchoEvents final : public proto::SessionEvents {
public:
    proto::Session* session = nullptr;
    std::size_t messages = 0;
    std::size_t errors = 0;

    Result<Response> on_request(const Request& request) override { return Response::from_request(request); }
    Result<> on_response(const Response&) override { return {}; }
    Result<> on_open(Request&, Response&) override { return {}; }
    Result<> on_frame(Frame&) override { return {}; }
    Result<> on_message(const Message& message) override {
        ++messages;
        return session->send(message);
    }
    void on_close(CloseCode, std::string_view) override {}
    void on_error(const Error&) override { ++errors; }
    Result<> on_send_frame(Frame&) override { return {}; }
};

// A client frame (masked, FIN) as it arrives on the wire.
inline std::vector<std::uint8_t> client_frame(OpCode op, std::string_view payload,
                                              proto::MaskKey key = {0x9a, 0x3c, 0x51, 0xe7}) {
    proto::FrameHeader h;
    h.fin = true;
    h.opcode = static_cast<std::uint8_t>(op);
    h.masked = true;
    h.mask = key;
    h.payload_len = payload.size();
    std::vector<std::uint8_t> wire(proto::header_size(payload.size(), true) + payload.size());
    const std::size_t hs = proto::encode_header(h, wire.data());
    proto::copy_masked(wire.data() + hs, reinterpret_cast<const std::uint8_t*>(payload.data()),
                       payload.size(), key);
    return wire;
}

// A server Session that has completed its opening handshake; the 101 response is flushed.
struct OpenServer {
    proto::SessionConfig config;
    EchoEvents events;
    VectorOutput out;
    proto::Session session{proto::Role::Server, config, events, out};

    OpenServer() {
        events.session = &session;
        std::string request(kBrowserRequest);
        session.feed({reinterpret_cast<std::uint8_t*>(request.data()), request.size()});
        out.clear();
    }
    bool open() const noexcept { return session.is_open() && events.errors == 0; }
};

}  // namespace ws::bench

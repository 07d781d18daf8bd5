// The small vocabulary types: Error, CloseCode, OpCode, Message, Frame.
#include <ostream>

#include "proto/utf8.hpp"
#include "ws/close_code.hpp"
#include "ws/error.hpp"
#include "ws/frame.hpp"
#include "ws/message.hpp"
#include "ws/opcode.hpp"

namespace ws {

std::string_view to_string(ErrorKind kind) noexcept {
    switch (kind) {
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
    return "Unknown";
}

std::string Error::what() const { return std::string(to_string(kind_)) + ": " + details_; }

std::string_view to_string(CloseCode code) noexcept {
    switch (code) {
        case CloseCode::Normal: return "Normal";
        case CloseCode::Away: return "Away";
        case CloseCode::Protocol: return "Protocol";
        case CloseCode::Unsupported: return "Unsupported";
        case CloseCode::Status: return "Status";
        case CloseCode::Abnormal: return "Abnormal";
        case CloseCode::Invalid: return "Invalid";
        case CloseCode::Policy: return "Policy";
        case CloseCode::Size: return "Size";
        case CloseCode::Extension: return "Extension";
        case CloseCode::Error: return "Error";
        case CloseCode::Restart: return "Restart";
        case CloseCode::Again: return "Again";
        case CloseCode::BadGateway: return "BadGateway";
        case CloseCode::Tls: return "Tls";
        case CloseCode::Empty: return "Empty";
    }
    return "Other";
}

std::string_view to_string(OpCode op) noexcept {
    switch (op) {
        case OpCode::Continue: return "CONTINUE";
        case OpCode::Text: return "TEXT";
        case OpCode::Binary: return "BINARY";
        case OpCode::Close: return "CLOSE";
        case OpCode::Ping: return "PING";
        case OpCode::Pong: return "PONG";
    }
    return "BAD";
}

Result<std::string> Message::into_text() const {
    if (is_binary() && !proto::is_valid_utf8(view_))
        return Error(ErrorKind::Encoding, "binary message is not valid UTF-8");
    return std::string(view_);
}

std::ostream& operator<<(std::ostream& os, const Message& msg) {
    if (msg.is_text()) return os << msg.as_text();
    return os << "Binary Data<length=" << msg.size() << ">";
}

Frame Frame::message(std::string payload, OpCode opcode, bool fin) {
    Frame f(opcode, {}, fin);
    f.set_payload(std::move(payload));
    return f;
}

Frame Frame::close(CloseCode code, std::string_view reason) {
    std::string payload;
    if (code != CloseCode::Empty) {
        const auto c = to_u16(code);
        payload.push_back(static_cast<char>(c >> 8));
        payload.push_back(static_cast<char>(c & 0xFF));
        payload.append(reason);
    }
    return message(std::move(payload), OpCode::Close, true);
}

void Frame::set_payload(std::string bytes) {
    owned_ = std::move(bytes);
    payload_ = *owned_;
}

Frame& Frame::operator=(const Frame& other) {
    if (this == &other) return *this;
    opcode_ = other.opcode_;
    fin_ = other.fin_;
    rsv_ = other.rsv_;
    dropped_ = other.dropped_;
    if (other.owned_) {
        owned_ = *other.owned_;
        payload_ = *owned_;
    } else {
        owned_.reset();
        payload_ = other.payload_;
    }
    return *this;
}

Frame& Frame::operator=(Frame&& other) noexcept {
    if (this == &other) return *this;
    opcode_ = other.opcode_;
    fin_ = other.fin_;
    rsv_ = other.rsv_;
    dropped_ = other.dropped_;
    if (other.owned_) {
        owned_ = std::move(other.owned_);
        payload_ = *owned_;
    } else {
        owned_.reset();
        payload_ = other.payload_;
    }
    other.owned_.reset();
    other.payload_ = {};
    return *this;
}

}  // namespace ws

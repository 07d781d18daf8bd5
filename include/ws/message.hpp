// ws::Message: one complete text or binary message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ws/error.hpp"
#include "ws/opcode.hpp"

namespace ws {

namespace proto {
class Session;
}

// A message handed to Handler::on_message is a *view*: it points into ws-cpp's receive buffer
// and is valid only during that call. Copying a Message always makes an owning copy (the user
// asks for ownership by copying), so `std::vector<Message> log; log.push_back(msg);` is safe.
// Moving keeps whatever the source was.
//
// A text message received from the network is valid UTF-8 (ws-cpp checks it as it arrives).
// A text message you build yourself is checked when you send it.
class Message {
public:
    enum class Type : std::uint8_t { Text = 1, Binary = 2 };

    // Owning constructors.
    static Message text(std::string text) { return Message(Type::Text, std::move(text)); }
    static Message binary(std::string bytes) { return Message(Type::Binary, std::move(bytes)); }
    static Message binary(std::span<const std::uint8_t> bytes) {
        return Message(Type::Binary, std::string(reinterpret_cast<const char*>(bytes.data()),
                                                 bytes.size()));
    }
    static Message binary(const std::vector<std::uint8_t>& bytes) {
        return binary(std::span<const std::uint8_t>(bytes));
    }
    // Borrowing constructors: the caller keeps `data` alive as long as the Message is used.
    static Message text_view(std::string_view text) noexcept { return Message(Type::Text, text); }
    static Message binary_view(std::string_view bytes) noexcept {
        return Message(Type::Binary, bytes);
    }
    static Message binary_view(std::span<const std::uint8_t> bytes) noexcept {
        return Message(Type::Binary, std::string_view(reinterpret_cast<const char*>(bytes.data()),
                                                      bytes.size()));
    }

    // Implicit conversions, so `out.send("hello")` and `out.send(std::string(...))` read well.
    // A `const char*` or `std::string_view` becomes a text *view* (send copies it into the frame),
    // a `std::string` is moved in as an owned text, a byte vector becomes an owned binary.
    Message(const char* text) noexcept : Message(Type::Text, std::string_view(text)) {}
    Message(std::string_view text) noexcept : Message(Type::Text, text) {}
    Message(std::string text) : Message(Type::Text, std::move(text)) {}
    Message(const std::vector<std::uint8_t>& bytes) : Message(binary(bytes)) {}

    Message(const Message& other)
        : type_(other.type_), utf8_checked_(other.utf8_checked_), owned_(other.view_), view_(owned_) {}
    Message(Message&& other) noexcept { move_from(std::move(other)); }
    Message& operator=(const Message& other) {
        if (this != &other) {
            type_ = other.type_;
            utf8_checked_ = other.utf8_checked_;
            owned_.assign(other.view_);
            view_ = owned_;
        }
        return *this;
    }
    Message& operator=(Message&& other) noexcept {
        if (this != &other) move_from(std::move(other));
        return *this;
    }
    ~Message() = default;

    Type type() const noexcept { return type_; }
    OpCode opcode() const noexcept { return static_cast<OpCode>(type_); }
    bool is_text() const noexcept { return type_ == Type::Text; }
    bool is_binary() const noexcept { return type_ == Type::Binary; }
    std::size_t size() const noexcept { return view_.size(); }
    std::size_t len() const noexcept { return view_.size(); }  // WS-RS spelling
    bool empty() const noexcept { return view_.empty(); }

    // The payload as characters / bytes. Valid as long as this Message (or, for a view, its
    // source) lives.
    std::string_view as_text() const noexcept { return view_; }
    std::string_view bytes() const noexcept { return view_; }
    std::span<const std::uint8_t> data() const noexcept {
        return {reinterpret_cast<const std::uint8_t*>(view_.data()), view_.size()};
    }

    // The payload copied out. into_text() checks UTF-8 for binary messages (ErrorKind::Encoding).
    std::string to_string() const { return std::string(view_); }
    std::vector<std::uint8_t> into_data() const { return {data().begin(), data().end()}; }
    Result<std::string> into_text() const;

    // True when this Message owns its bytes; a view becomes owning with `Message copy = view;`.
    bool is_owned() const noexcept { return view_.data() == owned_.data(); }

    friend bool operator==(const Message& a, const Message& b) noexcept {
        return a.type_ == b.type_ && a.view_ == b.view_;
    }

    // The text, or "Binary Data<length=N>" (as WS-RS's Display).
    friend std::ostream& operator<<(std::ostream& os, const Message& msg);

private:
    Message(Type type, std::string owned) : type_(type), owned_(std::move(owned)), view_(owned_) {}
    Message(Type type, std::string_view view) noexcept : type_(type), view_(view) {}
    // The Session marks text it has validated, so echoing it does not validate it again.
    friend class proto::Session;
    bool utf8_checked() const noexcept { return utf8_checked_; }

    void move_from(Message&& other) noexcept {
        type_ = other.type_;
        if (other.is_owned() && !other.owned_.empty()) {
            owned_ = std::move(other.owned_);
            view_ = owned_;
        } else if (other.is_owned()) {
            owned_.clear();
            view_ = owned_;
        } else {
            owned_.clear();
            view_ = other.view_;
        }
        utf8_checked_ = other.utf8_checked_;
        other.owned_.clear();
        other.view_ = other.owned_;
    }

    Type type_ = Type::Text;
    bool utf8_checked_ = false;
    std::string owned_;
    std::string_view view_ = owned_;
};

}  // namespace ws

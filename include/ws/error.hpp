// ws::Error, ws::ErrorKind and ws::Result: errors as values at every boundary.
//
// Every callback a user writes returns a ws::Result<>; an error returned from a callback
// becomes the right protocol action without the user writing that mapping (a close code
// once the connection is open, an HTTP status during the opening handshake).
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ws {

// The families of error, as in WS-RS. What each kind does when it reaches a connection:
//
//   kind        during the opening handshake (server)   once open
//   Internal    HTTP 500                                close 1011
//   Capacity    HTTP 503 (431 for a too-large head)     close 1009
//   Protocol    HTTP 400                                close 1002
//   Encoding    HTTP 400                                close 1007
//   Io          connection dropped                      connection dropped, on_close(1006)
//   Http        HTTP 400                                connection dropped
//   Queue       HTTP 500                                reported only; the connection stays
//   Custom      HTTP 500                                reported only; the application decides
//   Tls         connection dropped                      connection dropped
//   Timer       connection dropped                      close 1011
//   Timeout     connection dropped                      connection dropped, on_close(1006)
//   Policy      HTTP 403                                close 1008
enum class ErrorKind : std::uint8_t {
    Internal,
    Capacity,
    Protocol,
    Encoding,
    Io,
    Http,
    Queue,
    Custom,
    Tls,
    Timer,
    Timeout,  // a handshake, idle or close deadline passed (not in WS-RS, which had none)
    Policy,   // a message or request the application refuses (close 1008 / HTTP 403)
};

std::string_view to_string(ErrorKind kind) noexcept;

class Error {
public:
    Error(ErrorKind kind, std::string details) : kind_(kind), details_(std::move(details)) {}
    // An I/O error carries the libuv/errno code it came from (negative, as libuv reports it).
    Error(ErrorKind kind, std::string details, int io_code)
        : kind_(kind), details_(std::move(details)), io_code_(io_code) {}

    ErrorKind kind() const noexcept { return kind_; }
    const std::string& details() const noexcept { return details_; }
    // For kind Io: the libuv error code (e.g. UV_ECONNREFUSED), or 0 when there is none.
    int io_code() const noexcept { return io_code_; }
    // For kind Http on the client side: the status the server answered with, or 0.
    int http_status() const noexcept { return http_status_; }
    Error& with_http_status(int status) {
        http_status_ = status;
        return *this;
    }

    // "<kind>: <details>", for logs.
    std::string what() const;

    friend bool operator==(const Error& a, const Error& b) noexcept {
        return a.kind_ == b.kind_ && a.details_ == b.details_;
    }

private:
    ErrorKind kind_;
    std::string details_;
    int io_code_ = 0;
    int http_status_ = 0;
};

// A value or an error; Result<> (void) is what callbacks return. Small and explicit: test it
// with ok() or `if (result)`, read error() when it failed. Converting from an Error or from a
// value is implicit so that `return out.send(msg);` and `return Error{...};` both read naturally.
template <class T = void>
class Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& {
        assert(!ok());
        return std::get<1>(v_);
    }
    Error&& error() && {
        assert(!ok());
        return std::get<1>(std::move(v_));
    }

private:
    std::variant<T, Error> v_;
};

// Result<> is what nearly every callback and Sender call returns, so success must cost
// nothing: it is one pointer, null on success (the Error lives on the heap only when there is
// one). A std::optional<Error> would make every successful return write 56 bytes.
template <>
class Result<void> {
public:
    Result() noexcept = default;
    Result(Error error) : error_(new Error(std::move(error))) {}
    Result(const Result& other) : error_(other.error_ ? new Error(*other.error_) : nullptr) {}
    Result(Result&& other) noexcept : error_(std::exchange(other.error_, nullptr)) {}
    Result& operator=(const Result& other) {
        if (this != &other) *this = Result(other);
        return *this;
    }
    Result& operator=(Result&& other) noexcept {
        std::swap(error_, other.error_);
        return *this;
    }
    ~Result() { delete error_; }  // the owner of error_

    bool ok() const noexcept { return error_ == nullptr; }
    explicit operator bool() const noexcept { return ok(); }

    const Error& error() const& {
        assert(!ok());
        return *error_;
    }
    Error&& error() && {
        assert(!ok());
        return std::move(*error_);
    }

private:
    Error* error_ = nullptr;
};

}  // namespace ws

// ws::CloseCode: the status code of a close frame (RFC 6455 section 7.4).
#pragma once

#include <cstdint>
#include <string_view>

namespace ws {

// Any 16-bit value can be held (the enum's underlying type is uint16_t): the named values are
// the registered ones, `static_cast<CloseCode>(4000)` is an application code.
enum class CloseCode : std::uint16_t {
    Normal = 1000,       // the purpose of the connection was fulfilled
    Away = 1001,         // going away: server shutdown, page navigated away
    Protocol = 1002,     // protocol error
    Unsupported = 1003,  // a data type the endpoint cannot accept
    Status = 1005,       // pseudo-code: a close frame with no status code (never sent)
    Abnormal = 1006,     // pseudo-code: the connection dropped without a close frame (never sent)
    Invalid = 1007,      // payload data inconsistent with the message type (bad UTF-8)
    Policy = 1008,       // a message that violates the endpoint's policy
    Size = 1009,         // a message too big to process
    Extension = 1010,    // client: the server did not negotiate a required extension
    Error = 1011,        // server: an unexpected condition prevented fulfilling the request
    Restart = 1012,      // IANA: service restart
    Again = 1013,        // IANA: try again later
    BadGateway = 1014,   // IANA: bad gateway
    Tls = 1015,          // pseudo-code: the TLS handshake failed (never sent)
    Empty = 0,           // ws-cpp: send a close frame with no payload at all
};

constexpr std::uint16_t to_u16(CloseCode code) noexcept { return static_cast<std::uint16_t>(code); }

// True when `code` may appear in a close frame on the wire (RFC 6455 7.4.1 and 7.4.2, IANA
// registry): 1000-1003, 1007-1014 and 3000-4999. 1004-1006 and 1015 are reserved or
// pseudo-codes, 1016-2999 are reserved for future RFCs, everything else is out of range.
constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

// The registered name of a code ("Normal", "Protocol", ...), or "Other".
std::string_view to_string(CloseCode code) noexcept;

}  // namespace ws

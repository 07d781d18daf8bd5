// The HTTP/1.1 opening handshake of RFC 6455 section 4: parsing request and response heads
// with limits, the strict checks each role makes, and the keys.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ws/error.hpp"
#include "ws/http.hpp"

namespace ws::proto {

// RFC 6455 1.3: appended to the client's key before hashing.
inline constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// base64(SHA-1(key + GUID)).
std::string accept_key(std::string_view client_key);
// A fresh Sec-WebSocket-Key: 16 random bytes (OpenSSL's CSPRNG), base64-encoded.
std::string generate_key();
// True for a base64 value that decodes to exactly 16 bytes (RFC 6455 4.2.1 item 5).
bool is_valid_key(std::string_view key) noexcept;
std::string base64_encode(std::string_view bytes);

// The offset just past the "\r\n\r\n" that ends an HTTP head in `buf`, or 0 when it is not
// there yet. `from` lets a caller resume the search after appending bytes.
std::size_t find_head_end(std::string_view buf, std::size_t from = 0) noexcept;

// Parse a complete head (request line or status line, headers, the empty line). Errors carry
// the HTTP status a server should answer with (http_status(): 400, 431, 505).
Result<Request> parse_request(std::string_view head, std::size_t max_headers);
Result<Response> parse_response(std::string_view head, std::size_t max_headers);

// Server: is this request a valid WebSocket opening handshake (RFC 6455 4.2.1)? Checks the
// method (GET), HTTP/1.1, Host, Upgrade: websocket, a Connection "upgrade" token, version 13
// and a 16-byte base64 key. The error's http_status() is what to answer: 400, 405, 426.
Result<> check_upgrade_request(const Request& request);

// Client: is this response the server's acceptance of `request` (RFC 6455 4.1, items 1-6 of
// the response checks)? 101, Upgrade, Connection, the Sec-WebSocket-Accept for our key, and
// a subprotocol we offered (or none). Extensions are checked by the Session, which knows what
// it can run.
Result<> check_upgrade_response(const Request& request, const Response& response);

// The response a server sends when the handshake fails with `error`: the error's
// http_status() (or one chosen from its kind), the headers RFC 6455 4.2.2 and 4.4 ask for
// (Sec-WebSocket-Version: 13 with 426/400 for a version problem, Allow: GET with 405), and the
// error's details as a text/plain body.
Response error_response(const Error& error);

// The HTTP status a handshake-time error maps to when it names none (see ws/error.hpp).
std::uint16_t status_for(const Error& error) noexcept;

}  // namespace ws::proto

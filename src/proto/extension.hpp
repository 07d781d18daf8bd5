// The extension hook of RFC 6455 section 9: what a negotiated extension (permessage-deflate,
// RFC 7692) plugs into. The Session routes the RSV bits an extension owns to it and never
// lets a frame with an unclaimed RSV bit through.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/message_buffer.hpp"
#include "ws/error.hpp"
#include "ws/opcode.hpp"

namespace ws::proto {

// One element of a Sec-WebSocket-Extensions header: a name and its parameters.
struct ExtensionOffer {
    std::string name;
    std::vector<std::pair<std::string, std::string>> params;  // value empty when absent

    // Parses a header value into its offers ("a; x=1, b" -> two offers). Quoted parameter
    // values (RFC 6455 9.1 allows them) are unquoted.
    static std::vector<ExtensionOffer> parse_header(std::string_view value);
    std::string to_string() const;
};

// A negotiated extension on one connection.
class Extension {
public:
    virtual ~Extension() = default;
    virtual std::string_view name() const noexcept = 0;
    // The RSV bits this extension gives a meaning to (RSV1 = 4, RSV2 = 2, RSV3 = 1). They are
    // valid only on the first frame of a data message.
    virtual std::uint8_t rsv_bits() const noexcept = 0;

    // Incoming: a data message whose first frame carried `rsv` (non-zero, within rsv_bits())
    // is arriving; its payload pieces follow through decode(), the last with `fin` set.
    // Output is appended to `out`, which must not grow past `limit` bytes: an extension that
    // would exceed it returns ErrorKind::Capacity (a zip bomb stops there).
    virtual Result<> decode(std::uint8_t rsv, std::span<const std::uint8_t> in, bool fin,
                            MessageBuffer& out, std::size_t limit) = 0;

    // Outgoing: given a whole data message, either write its encoded form into `out` and
    // return the RSV bits for its first frame, or return 0 to send it unchanged.
    virtual std::uint8_t encode(OpCode op, std::string_view payload, std::string& out) = 0;
};

// Makes Extensions during the opening handshake.
class ExtensionFactory {
public:
    virtual ~ExtensionFactory() = default;
    virtual std::string_view name() const noexcept = 0;
    // Client: the offer to put in Sec-WebSocket-Extensions.
    virtual ExtensionOffer offer() const = 0;
    // Client: the server accepted our offer with `response` parameters. An error fails the
    // handshake (the server answered with parameters we cannot honour).
    virtual Result<std::unique_ptr<Extension>> accept_response(const ExtensionOffer& response) const = 0;
    // Server: the client offered `offer`. Returns the response parameters and the extension, or
    // nullopt to decline this offer (the next offer of the same name may be tried).
    struct Accepted {
        ExtensionOffer response;
        std::unique_ptr<Extension> extension;
    };
    virtual std::optional<Accepted> accept_offer(const ExtensionOffer& offer) const = 0;
};

}  // namespace ws::proto

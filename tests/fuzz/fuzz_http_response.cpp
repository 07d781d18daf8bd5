// Fuzz target 4: the client's side of the opening handshake: find_head_end, parse_response and
// check_upgrade_response (RFC 6455 4.1, RFC 9112 4).
//
// Input: byte 0: bits 0-1 choose max_headers (124, 8, 1, 0), bit 2 whether our request offered
// the subprotocols "chat, superchat"; the rest is what the server answered. Our request carries
// RFC 6455's sample key, so the only acceptable Sec-WebSocket-Accept is the RFC's sample value.
//
// Invariants: a parsed response has a 3-digit status, token header names and clean values, and
// (for statuses 100-999) survives format() -> parse_response() unchanged; parse errors carry
// 400 or 431; check_upgrade_response accepts exactly what an independent reading of RFC 6455
// 4.1 accepts, and a refusal of a non-101 reports that status.
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "http_checks.hpp"
#include "proto/handshake.hpp"
#include "ws/http.hpp"

using namespace ws;
using namespace ws::fuzz;

namespace {

constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

Request our_request(bool protocols) {
    Request req("GET", "/chat");
    req.add_header("Host", "server.example.com");
    req.add_header("Upgrade", "websocket");
    req.add_header("Connection", "Upgrade");
    req.add_header("Sec-WebSocket-Key", std::string(kKey));
    req.add_header("Sec-WebSocket-Version", "13");
    if (protocols) req.add_header("Sec-WebSocket-Protocol", "chat, superchat");
    return req;
}

// RFC 6455 4.1 (the client's checks of the server's response, items 1-4 and 6), read
// independently of check_upgrade_response.
bool ref_accepts(const Response& res, bool offered_protocols) {
    if (res.status() != 101) return false;
    if (!res.header_has_token("Upgrade", "websocket")) return false;
    if (!res.header_has_token("Connection", "upgrade")) return false;
    if (res.header("Sec-WebSocket-Accept") != std::optional<std::string_view>(kAccept)) return false;
    if (auto p = res.header("Sec-WebSocket-Protocol")) {
        return offered_protocols && (*p == "chat" || *p == "superchat");
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader rd(data, size);
    const std::uint8_t opts = rd.u8();
    const std::size_t max_headers = max_headers_from(opts);
    const bool protocols = (opts & 4) != 0;
    const std::string buf(rd.rest());
    Rng rng(opts);
    rng.mix(size);
    const std::size_t end = check_find_head_end(buf, rng);
    const std::string_view head = end ? std::string_view(buf).substr(0, end) : std::string_view(buf);

    auto res = proto::parse_response(head, max_headers);
    if (!res) {
        FUZZ_CHECK(res.error().kind() == ErrorKind::Http);
        const int status = res.error().http_status();
        FUZZ_CHECK_MSG(status == 400 || status == 431, "status " + std::to_string(status));
        return 0;
    }
    FUZZ_CHECK(res->status() <= 999);
    FUZZ_CHECK(res->reason().find("\r\n") == std::string::npos);
    check_header_list(*res, max_headers);
    FUZZ_CHECK(res->body().empty());
    check_list_elements(res->extensions());

    if (res->status() >= 100) {
        // Status line, headers: the same after a round trip through the wire format. (A status
        // below 100 would be formatted with fewer than three digits.)
        const std::string wire = res->format();
        auto back = proto::parse_response(wire, max_headers);
        FUZZ_CHECK_MSG(back.ok(), "formatted response does not parse: " + show(wire));
        FUZZ_CHECK(back->status() == res->status());
        FUZZ_CHECK_MSG(back->reason() == res->reason(), show(back->reason()) + " vs " + show(res->reason()));
        FUZZ_CHECK(same_headers(*back, *res));
    }

    const Request req = our_request(protocols);
    const auto ok = proto::check_upgrade_response(req, *res);
    FUZZ_CHECK_MSG(ok.ok() == ref_accepts(*res, protocols),
                   std::string("check_upgrade_response ") + (ok.ok() ? "accepted" : "refused: " + ok.error().what()) +
                       " " + show(head, 600));
    if (!ok) {
        if (res->status() != 101) {
            FUZZ_CHECK(ok.error().kind() == ErrorKind::Http);
            FUZZ_CHECK(ok.error().http_status() == res->status());
        } else {
            FUZZ_CHECK(ok.error().kind() == ErrorKind::Protocol);
        }
    }
    return 0;
}

// Fuzz target 3: the server's side of the opening handshake: find_head_end, parse_request,
// check_upgrade_request and error_response (RFC 6455 4.2.1 and 4.2.2, RFC 9112).
//
// Input: byte 0 chooses max_headers (bits 0-1: 124, 8, 1, 0) and seeds where the buffer is cut
// for the incremental head search; the rest is what a client sent.
//
// Invariants: the incremental and whole-buffer head searches agree with a plain search; a
// parsed request has a token method, a target without spaces or controls, token header names
// and clean values, at most max_headers headers, and survives format() -> parse_request()
// unchanged; check_upgrade_request accepts exactly what an independent reading of RFC 6455
// 4.2.1 accepts, and when it refuses, the status is 400, 405 (not GET) or 426; every error
// becomes a well-formed refusal with the right status and headers; an accepted request gives a
// 101 whose Sec-WebSocket-Accept is SHA-1/base64 of the key.
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "http_checks.hpp"
#include "proto/handshake.hpp"
#include "proto/text.hpp"
#include "ws/http.hpp"

using namespace ws;
using namespace ws::fuzz;

namespace {

// RFC 6455 4.2.1, read independently of check_upgrade_request.
bool ref_upgrade_ok(const Request& req) {
    if (req.method() != "GET") return false;
    const std::string& v = req.version_string();
    // HTTP/1.1 or later 1.x ("HTTP/1.1 or higher").
    if (v.size() != 8 || v.substr(0, 7) != "HTTP/1." || v[7] < '1' || v[7] > '9') return false;
    if (!req.has_header("Host")) return false;
    if (!req.header_has_token("Upgrade", "websocket")) return false;
    if (!req.header_has_token("Connection", "Upgrade")) return false;
    if (req.header("Sec-WebSocket-Version") != std::optional<std::string_view>("13")) return false;
    const auto key = req.header("Sec-WebSocket-Key");
    return key && ref_valid_key(*key);
}

void check_request(const Request& req, std::size_t max_headers) {
    FUZZ_CHECK(ref_is_token(req.method()));
    FUZZ_CHECK(!req.resource().empty());
    for (const char c : req.resource()) {
        const auto u = static_cast<std::uint8_t>(c);
        FUZZ_CHECK_MSG(u > 0x20 && u != 0x7F, "request target " + show(req.resource()));
    }
    FUZZ_CHECK(req.version_string().size() == 8 && req.version_string().rfind("HTTP/1.", 0) == 0);
    check_header_list(req, max_headers);

    // Round trip through the wire format.
    const std::string wire = req.format();
    auto back = proto::parse_request(wire, max_headers);
    FUZZ_CHECK_MSG(back.ok(), "formatted request does not parse: " + show(wire));
    FUZZ_CHECK(back->method() == req.method() && back->resource() == req.resource());
    FUZZ_CHECK(back->version_string() == req.version_string());
    FUZZ_CHECK(same_headers(*back, req));

    // Accessors.
    const std::string_view path = req.path();
    const std::string_view query = req.query();
    if (req.resource().find('?') == std::string::npos) {
        FUZZ_CHECK(path == req.resource() && query.empty());
    } else {
        FUZZ_CHECK(std::string(path) + "?" + std::string(query) == req.resource());
    }
    check_list_elements(req.protocols());
    check_list_elements(req.extensions());
    if (auto addr = req.client_addr()) FUZZ_CHECK(!addr->empty());
    if (auto key = req.header("Sec-WebSocket-Key")) {
        auto hashed = req.hashed_key();
        FUZZ_CHECK(hashed.ok() && *hashed == sha1_accept(*key));
    }

    // Editing the list headers keeps the request well-formed.
    Request edited = req;
    const auto exts = edited.extensions();
    if (!exts.empty()) {
        const std::string name(proto::trim_ows(std::string_view(exts.front()).substr(0, exts.front().find(';'))));
        edited.remove_extension(name);
        for (const std::string& e : edited.extensions()) {
            FUZZ_CHECK(!proto::iequals(proto::trim_ows(std::string_view(e).substr(0, e.find(';'))), name));
        }
    }
    edited.add_protocol("x-added");
    FUZZ_CHECK(edited.protocols().back() == "x-added");
    edited.remove_protocol("x-added");
    for (const std::string& p : edited.protocols()) FUZZ_CHECK(p != "x-added");
    FUZZ_CHECK(proto::parse_request(edited.format(), 1000).ok());

    // The upgrade check, against the reference.
    const auto up = proto::check_upgrade_request(req);
    FUZZ_CHECK_MSG(up.ok() == ref_upgrade_ok(req),
                   std::string("check_upgrade_request ") + (up.ok() ? "accepted" : "refused (" + up.error().what() + ")") +
                       " " + show(wire, 600));
    if (up.ok()) {
        auto res = Response::from_request(req);
        FUZZ_CHECK(res.ok());
        FUZZ_CHECK(res->status() == 101);
        FUZZ_CHECK(res->key() == std::optional<std::string_view>(sha1_accept(*req.header("Sec-WebSocket-Key"))));
        Head head;
        FUZZ_CHECK(read_head(res->format(), head));
        FUZZ_CHECK(!head.has("Content-Length"));
    } else {
        const int status = up.error().http_status();
        FUZZ_CHECK(status == 400 || status == 405 || status == 426);
        FUZZ_CHECK((status == 405) == (req.method() != "GET"));
        check_error_response(up.error());
        FUZZ_CHECK(!Response::from_request(req).ok());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader rd(data, size);
    const std::uint8_t opts = rd.u8();
    const std::size_t max_headers = max_headers_from(opts);
    const std::string buf(rd.rest());
    Rng rng(opts);
    rng.mix(size);
    const std::size_t end = check_find_head_end(buf, rng);
    const std::string_view head = end ? std::string_view(buf).substr(0, end) : std::string_view(buf);

    auto req = proto::parse_request(head, max_headers);
    if (!req) {
        FUZZ_CHECK(req.error().kind() == ErrorKind::Http);
        const int status = req.error().http_status();
        FUZZ_CHECK_MSG(status == 400 || status == 431 || status == 505, "status " + std::to_string(status));
        check_error_response(req.error());
        return 0;
    }
    check_request(*req, max_headers);
    return 0;
}

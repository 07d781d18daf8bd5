// Checks shared by the HTTP fuzz targets (request and response heads).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "proto/handshake.hpp"

namespace ws::fuzz {

// find_head_end must find the first "\r\n\r\n" whether it is given the buffer at once or, as
// the Session does, a growing buffer with the previous size as `from` (the terminator may
// straddle two reads).
inline std::size_t check_find_head_end(std::string_view buf, Rng& rng) {
    const std::size_t pos = buf.find("\r\n\r\n");
    const std::size_t want = pos == std::string_view::npos ? 0 : pos + 4;
    FUZZ_CHECK(proto::find_head_end(buf) == want);
    std::size_t have = 0;
    while (have < buf.size()) {
        const std::size_t next = have + next_piece(rng, buf.size() - have);
        const std::size_t end = proto::find_head_end(buf.substr(0, next), have);
        if (want != 0 && next >= want) {
            FUZZ_CHECK_MSG(end == want, "incremental find_head_end: " + std::to_string(end) + ", want " +
                                            std::to_string(want) + " (from " + std::to_string(have) + ")");
            break;
        }
        FUZZ_CHECK(end == 0);
        have = next;
    }
    return want;
}

// The refusal a server sends for `error` (RFC 6455 4.2.2 / 4.4): the right status, headers and
// a body of exactly Content-Length bytes, and a head our own parser reads back.
inline void check_error_response(const Error& error) {
    const Response res = proto::error_response(error);
    const std::uint16_t status = proto::status_for(error);
    FUZZ_CHECK(res.status() == status);
    if (error.http_status() >= 100) FUZZ_CHECK(status == error.http_status());
    FUZZ_CHECK(status >= 400 && status <= 599);
    const std::string wire = res.format();
    Head head;
    FUZZ_CHECK_MSG(read_head(wire, head), "malformed error response " + show(wire));
    FUZZ_CHECK(head.first_line.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0);
    FUZZ_CHECK(head.all("Content-Length") == std::vector<std::string>{std::to_string(wire.size() - head.size)});
    FUZZ_CHECK(wire.substr(head.size) == error.details() + "\n");
    FUZZ_CHECK(head.has_token("Connection", "close"));
    if (status == 426) {
        FUZZ_CHECK(head.has_token("Upgrade", "websocket"));
        FUZZ_CHECK(head.all("Sec-WebSocket-Version") == std::vector<std::string>{"13"});
    }
    if (status == 405) FUZZ_CHECK(head.all("Allow") == std::vector<std::string>{"GET"});
    auto back = proto::parse_response(std::string_view(wire).substr(0, head.size), 124);
    FUZZ_CHECK_MSG(back.ok(), "error response does not parse back: " + (back.ok() ? std::string() : back.error().what()));
    FUZZ_CHECK(back->status() == status);
}

// Header values as the parser must leave them: no CR, LF or other control character but HTAB,
// no leading or trailing whitespace (RFC 9110 5.5); names are tokens.
inline void check_header_list(const HeaderList& hl, std::size_t max_headers) {
    FUZZ_CHECK(hl.headers().size() <= max_headers);
    for (const Header& h : hl.headers()) {
        FUZZ_CHECK_MSG(ref_is_token(h.name), "header name " + show(h.name));
        for (const char c : h.value) {
            const auto u = static_cast<std::uint8_t>(c);
            FUZZ_CHECK_MSG((u >= 0x20 || u == '\t') && u != 0x7F, "header value " + show(h.value));
        }
        if (!h.value.empty()) {
            FUZZ_CHECK(h.value.front() != ' ' && h.value.front() != '\t');
            FUZZ_CHECK(h.value.back() != ' ' && h.value.back() != '\t');
        }
    }
}

inline bool same_headers(const HeaderList& a, const HeaderList& b) {
    if (a.headers().size() != b.headers().size()) return false;
    for (std::size_t i = 0; i < a.headers().size(); ++i) {
        if (a.headers()[i].name != b.headers()[i].name || a.headers()[i].value != b.headers()[i].value) return false;
    }
    return true;
}

// Every element of a list header as the accessors return it: non-empty, trimmed, no comma.
inline void check_list_elements(const std::vector<std::string>& items) {
    for (const std::string& item : items) {
        FUZZ_CHECK(!item.empty());
        FUZZ_CHECK(item.find(',') == std::string::npos);
        FUZZ_CHECK(item.front() != ' ' && item.front() != '\t' && item.back() != ' ' && item.back() != '\t');
    }
}

inline std::size_t max_headers_from(std::uint8_t bits) {
    static constexpr std::size_t kMax[] = {124, 8, 1, 0};
    return kMax[bits & 3];
}

}  // namespace ws::fuzz

// The opening handshake half of ws::proto::Session (RFC 6455 section 4): the client's request,
// the server's answer to one, the client's check of the response, extension negotiation
// (section 9.1), and what was held until the connection opened. The frame half is session.cpp.
#include "proto/session.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "proto/handshake.hpp"
#include "proto/text.hpp"

namespace ws::proto {

void Session::start_client(Request request) {
    hold_client_request(std::move(request));
    start_client();
}

void Session::hold_client_request(Request request) {
    before_open().client_request = std::make_unique<Request>(std::move(request));
}

void Session::start_client() {
    Request& request = *before_open().client_request;
    for (const ExtensionFactory* factory : config_.extensions) {
        request.add_extension(factory->offer().to_string());
    }
    write_raw(request.format());
}

std::size_t Session::feed_handshake(std::span<std::uint8_t> data) {
    const std::size_t limit = config_.max_handshake_size;
    const std::string_view chunk(reinterpret_cast<const char*>(data.data()), data.size());
    if (const BeforeOpen* b = before_open_state(); b == nullptr || b->head.empty()) {
        // The usual case: the whole head in one read. Parse it where it lies, no copy.
        const std::size_t end = find_head_end(chunk.substr(0, limit));
        if (end != 0) {
            handle_head(chunk.substr(0, end));
            return end;
        }
    }
    std::string& head = before_open().head;
    const std::size_t before = head.size();
    const std::size_t take = std::min(data.size(), limit > before ? limit - before : 0);
    head.append(chunk.substr(0, take));
    const std::size_t end = find_head_end(head, before);
    if (end == 0) {
        if (head.size() >= limit) {
            fail(Error(ErrorKind::Capacity,
                       "handshake larger than max_handshake_size (" + std::to_string(limit) + " bytes)")
                     .with_http_status(431));
        }
        return take;
    }
    head.resize(end);
    const std::string complete = std::move(head);
    head = std::string();
    handle_head(complete);
    return end - before;
}

void Session::handle_head(std::string_view head) {
    if (role_ == Role::Server) {
        handle_request(head);
    } else {
        handle_response(head);
    }
}

void Session::handle_request(std::string_view head) {
    auto request = parse_request(head, config_.max_headers);
    if (!request) return fail(request.error());
    auto response = events_.on_request(*request);
    if (!response) return fail(response.error());
    Response& res = *response;
    if (res.status() != 101) {
        // Plain HTTP (a page, a redirect, a refusal): answer and close.
        if (!res.has_header("Connection")) res.add_header("Connection", "close");
        if (!res.has_header("Content-Length")) res.set_body(res.body());
        write_raw(res.format());
        state_ = State::Closed;
        return;
    }
    // A 101 only ever answers a valid upgrade, whatever the handler built.
    if (auto ok = check_upgrade_request(*request); !ok) return fail(ok.error());
    if (auto chosen = res.protocol()) {
        const auto offered = request->protocols();
        if (std::find(offered.begin(), offered.end(), *chosen) == offered.end()) {
            return fail(Error(ErrorKind::Internal,
                              "on_request chose subprotocol '" + std::string(*chosen) + "' which the client did not offer"));
        }
    }
    if (res.has_header("Sec-WebSocket-Extensions")) {
        return fail(Error(ErrorKind::Internal,
                          "on_request named an extension; ws-cpp negotiates the extensions it runs itself"));
    }
    if (!res.header_has_token("Upgrade", "websocket")) res.set_header("Upgrade", "websocket");
    if (!res.header_has_token("Connection", "upgrade")) res.set_header("Connection", "Upgrade");
    res.set_header("Sec-WebSocket-Accept", accept_key(*request->header("Sec-WebSocket-Key")));
    // RFC 9110 8.6 and 15.2: a 1xx response has no content and no Content-Length; what follows
    // a 101 head is WebSocket frames, so a body here would reach the client as a bogus frame.
    if (!res.body().empty()) res.set_body({});
    res.remove_header("Content-Length");
    negotiate_server_extensions(*request, res);
    write_raw(res.format());
    finish_open(*request, res);
}

void Session::handle_response(std::string_view head) {
    auto response = parse_response(head, config_.max_headers);
    if (!response) {
        return fail(Error(ErrorKind::Protocol, "malformed handshake response: " + response.error().details()));
    }
    Request& sent = *before_open().client_request;
    if (auto ok = check_upgrade_response(sent, *response); !ok) return fail(ok.error());
    if (auto ok = accept_client_extensions(*response); !ok) return fail(ok.error());
    if (auto ok = events_.on_response(*response); !ok) return fail(ok.error());
    Request request = std::move(sent);
    finish_open(request, *response);
}

void Session::finish_open(Request& request, Response& response) {
    state_ = State::Open;
    opened_ = true;
    flush_held();
    // The same actions as for any handler's error: report, then close with the matching code
    // (or drop the connection, or nothing more for the "report only" kinds).
    if (auto ok = events_.on_open(request, response); !ok) handle_error(std::move(ok).error());
}

void Session::negotiate_server_extensions(const Request& request, Response& response) {
    if (config_.extensions.empty()) return;
    for (const ExtensionOffer& offer : ExtensionOffer::parse_header(request.header_list("Sec-WebSocket-Extensions"))) {
        for (const ExtensionFactory* factory : config_.extensions) {
            if (!iequals(factory->name(), offer.name)) continue;
            if (auto accepted = factory->accept_offer(offer)) {
                response.add_extension(accepted->response.to_string());
                extension_ = std::move(accepted->extension);
                return;  // one extension at a time: they would compete for RSV1
            }
        }
    }
}

Result<> Session::accept_client_extensions(const Response& response) {
    const auto accepted = ExtensionOffer::parse_header(response.header_list("Sec-WebSocket-Extensions"));
    if (accepted.empty()) return {};
    if (accepted.size() > 1) return Error(ErrorKind::Protocol, "server accepted more than one extension");
    const ExtensionOffer& ext = accepted.front();
    bool offered = false;
    for (const std::string& o : before_open().client_request->extensions()) {
        if (iequals(trim_ows(std::string_view(o).substr(0, o.find(';'))), ext.name)) offered = true;
    }
    if (!offered) return Error(ErrorKind::Protocol, "server accepted extension '" + ext.name + "' which was not offered");
    for (const ExtensionFactory* factory : config_.extensions) {
        if (!iequals(factory->name(), ext.name)) continue;
        auto made = factory->accept_response(ext);
        if (!made) return std::move(made).error();
        extension_ = std::move(*made);
        return {};
    }
    return Error(ErrorKind::Protocol, "server accepted extension '" + ext.name + "' which ws-cpp cannot run");
}

void Session::flush_held() {
    if (before_open_state() == nullptr) return;
    const std::unique_ptr<PhaseState> held = std::move(phase_);  // freed: open from here on
    BeforeOpen& b = std::get<BeforeOpen>(*held);
    for (auto& [op, payload] : b.held) {
        if (state_ != State::Open) break;
        if (auto ok = send_now(op, payload); !ok) events_.on_error(ok.error());
    }
    if (b.close_after_open && state_ == State::Open) {
        send_close_frame(b.close_after_open->first, b.close_after_open->second);
        state_ = State::CloseSent;
    }
}

// ---- ExtensionOffer ----------------------------------------------------------------------

std::vector<ExtensionOffer> ExtensionOffer::parse_header(std::string_view value) {
    std::vector<ExtensionOffer> offers;
    for (std::string_view element : split_list(value, ',')) {
        const auto parts = split_list(element, ';');
        if (parts.empty()) continue;
        // RFC 6455 9.1: extension-token is a token; an element that does not start with one
        // (e.g. "; x=1") is not an offer.
        if (trim_ows(element).front() == ';' ||
            !std::all_of(parts[0].begin(), parts[0].end(), is_token_char))
            continue;
        ExtensionOffer offer;
        offer.name = std::string(parts[0]);
        for (std::size_t i = 1; i < parts.size(); ++i) {
            const std::string_view p = parts[i];
            const std::size_t eq = p.find('=');
            std::string_view key = trim_ows(p.substr(0, eq));
            std::string_view val = eq == std::string_view::npos ? std::string_view() : trim_ows(p.substr(eq + 1));
            if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
            offer.params.emplace_back(std::string(key), std::string(val));
        }
        offers.push_back(std::move(offer));
    }
    return offers;
}

std::string ExtensionOffer::to_string() const {
    std::string s = name;
    for (const auto& [key, val] : params) {
        s += "; ";
        s += key;
        if (!val.empty()) s += "=" + val;
    }
    return s;
}

}  // namespace ws::proto

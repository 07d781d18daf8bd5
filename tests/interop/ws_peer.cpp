// ws_peer: the ws-cpp side of the interop tests (against python3-websockets, Node.js ws and
// websocketpp; see CMakeLists.txt).
//
//   ws_peer server [--host H] [--protocol P]... [--fragment-size N] [--read-pause-threshold N]
//       Listens on H (127.0.0.1 by default, "::1" for IPv6) port 0, prints
//       "- listening ip=<ip> port=<port>" and then one line per event. Every message is echoed
//       back, except text messages starting with '!', which are commands (below). With
//       --protocol, on_request selects the first subprotocol the client offers that is in the
//       list (in the client's order of preference).
//   ws_peer client URL [--protocol P]... [--fragment-size N] [--read-pause-threshold N]
//       Connects to URL, offering every --protocol (in order) through Handler::build_request and
//       Request::add_protocol, then behaves as the server does (echo and commands). The
//       program ends when the connection does (the loop has no listener).
//
// Commands (text messages):
//   !close CODE [REASON...]  Sender::close(CODE, REASON); CODE 0 sends a close frame with no
//                            payload (CloseCode::Empty).
//   !ping HEX                Sender::ping(bytes of HEX); when a pong arrives (seen by on_frame),
//                            the text message "!pong HEX" (the pong's payload) is sent back.
//   !gen text|binary N       sends a generated message of N bytes (see generate_* below; the
//                            Python side builds the same bytes).
//   !shutdown                Sender::shutdown(): closes every connection with 1001, then exits.
//
// Output (stdout, one line per event, flushed at once; fields never contain spaces):
//   <tag> <event> key=value ...
// where <tag> is "c<slot>.<id>" for a connection, "-" for the program. Payloads and reasons
// are printed as hex (up to 256 bytes; longer ones as "-") with their length and CRC-32.
// Events: request, response, open, frame (every incoming frame, via on_frame), send (every
// outgoing message or control frame, via on_send_frame), message, close, error, gone
// (Factory::connection_lost), listening, exit.
#include <ws/ws.hpp>

#include <zlib.h>

#ifdef __linux__
#include <sys/prctl.h>

#include <csignal>
#endif

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

struct Options {
    std::string mode;
    std::string host = "127.0.0.1";
    std::string url;
    std::vector<std::string> protocols;
    std::size_t fragment_size = 0;
    std::optional<std::size_t> read_pause_threshold;
};

void emit(const std::string& line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::optional<std::string> unhex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
        if (ec != std::errc{} || end != text.data() + i + 2) return std::nullopt;
        out.push_back(static_cast<char>(value));
    }
    return out;
}

std::uint32_t crc(std::string_view bytes) {
    uLong value = crc32(0L, Z_NULL, 0);
    std::size_t done = 0;
    while (done < bytes.size()) {
        const std::size_t chunk = std::min<std::size_t>(bytes.size() - done, 1u << 30);
        value = crc32(value, reinterpret_cast<const Bytef*>(bytes.data() + done), static_cast<uInt>(chunk));
        done += chunk;
    }
    return static_cast<std::uint32_t>(value);
}

// "len=N crc=XXXXXXXX data=HEX" (data=- when longer than 256 bytes).
std::string describe(std::string_view payload) {
    char crc_text[16];
    std::snprintf(crc_text, sizeof crc_text, "%08x", crc(payload));
    return "len=" + std::to_string(payload.size()) + " crc=" + crc_text +
           " data=" + (payload.size() <= 256 ? hex(payload) : std::string("-"));
}

std::string_view opcode_name(ws::OpCode op) {
    switch (op) {
        case ws::OpCode::Continue: return "continuation";
        case ws::OpCode::Text: return "text";
        case ws::OpCode::Binary: return "binary";
        case ws::OpCode::Close: return "close";
        case ws::OpCode::Ping: return "ping";
        case ws::OpCode::Pong: return "pong";
        default: return "reserved";
    }
}

std::string join(const std::vector<std::string>& items) {
    if (items.empty()) return "-";
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ',';
        out += hex(item);
    }
    return out;
}

// N bytes of valid UTF-8: whole code points of kTextPattern, cycled, while they fit; then
// ASCII 'x' up to N. The Python driver builds the same string.
constexpr std::string_view kTextPattern = "ws-cpp \xe2\x9c\x93 d\xc3\xa9j\xc3\xa0 vu \xf0\x9f\x8e\x89 0123456789\n";

std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead < 0xE0) return 2;
    if (lead < 0xF0) return 3;
    return 4;
}

std::string generate_text(std::size_t n) {
    std::string out;
    out.reserve(n);
    std::size_t i = 0;
    for (;;) {
        const std::size_t len = utf8_length(static_cast<unsigned char>(kTextPattern[i]));
        if (out.size() + len > n) break;
        out.append(kTextPattern.substr(i, len));
        i = (i + len) % kTextPattern.size();
    }
    out.append(n - out.size(), 'x');
    return out;
}

// Byte i is (7 * i + i / 251) mod 256: every byte value, no short period.
std::string generate_binary(std::size_t n) {
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((7 * i + i / 251) & 0xFF);
    return out;
}

std::string addr_text(const std::optional<ws::SocketAddr>& addr) {
    return addr ? addr->to_string() : std::string("-");
}

class PeerHandler final : public ws::Handler {
public:
    PeerHandler(ws::Sender out, const Options& options)
        : out_(std::move(out)), options_(options),
          tag_("c" + std::to_string(out_.token().value) + "." + std::to_string(out_.connection_id())) {}

    const std::string& tag() const noexcept { return tag_; }

    ws::Result<ws::Response> on_request(const ws::Request& req) override {
        auto res = ws::Response::from_request(req);
        log("request resource=" + hex(req.resource()) + " protocols=" + join(req.protocols()) +
            " extensions=" + join(req.extensions()));
        if (!res) return res;
        for (const auto& offered : req.protocols()) {
            bool supported = false;
            for (const auto& mine : options_.protocols) supported = supported || mine == offered;
            if (supported) {
                res->set_protocol(offered);
                break;
            }
        }
        return res;
    }

    ws::Result<ws::Request> build_request(const ws::Url& url) override {
        auto req = ws::Request::from_url(url);
        if (!req) return req;
        for (const auto& p : options_.protocols) req->add_protocol(p);
        return req;
    }

    ws::Result<> on_response(const ws::Response& res) override {
        log("response status=" + std::to_string(res.status()) +
            " protocol=" + (res.protocol() ? hex(*res.protocol()) : std::string("-")) +
            " extensions=" + join(res.extensions()));
        return {};
    }

    ws::Result<> on_open(const ws::Handshake& shake) override {
        const auto protocol = shake.response.protocol();
        log("open peer=" + addr_text(shake.peer_addr) + " local=" + addr_text(shake.local_addr) +
            " resource=" + hex(shake.request.resource()) +
            " protocol=" + (protocol ? hex(*protocol) : std::string("-")) +
            " extensions=" + join(shake.response.extensions()));
        return {};
    }

    ws::Result<> on_frame(ws::Frame& frame) override {
        log("frame op=" + std::string(opcode_name(frame.opcode())) + " fin=" + (frame.is_final() ? "1" : "0") +
            " rsv=" + std::to_string(frame.rsv()) + " " + describe(frame.payload()));
        if (frame.opcode() == ws::OpCode::Pong) {
            return report("pong reply", out_.send(ws::Message::text("!pong " + hex(frame.payload()))));
        }
        return {};
    }

    ws::Result<> on_send_frame(ws::Frame& frame) override {
        log("send op=" + std::string(opcode_name(frame.opcode())) + " fin=" + (frame.is_final() ? "1" : "0") +
            " " + describe(frame.payload()));
        return {};
    }

    ws::Result<> on_message(const ws::Message& msg) override {
        log(std::string("message type=") + (msg.is_text() ? "text " : "binary ") + describe(msg.bytes()));
        if (msg.is_text() && msg.as_text().starts_with("!")) return command(msg.as_text());
        return report("echo", out_.send(msg));
    }

    void on_close(ws::CloseCode code, std::string_view reason) override {
        log("close code=" + std::to_string(ws::to_u16(code)) + " reason=" + hex(reason) + " reason_len=" +
            std::to_string(reason.size()));
    }

    void on_error(const ws::Error& err) override {
        log("error kind=" + std::string(ws::to_string(err.kind())) + " details=" + hex(err.details()));
    }

private:
    void log(const std::string& text) const { emit(tag_ + " " + text); }

    // A Sender call that failed is a test failure the driver must see: log it and close 1011.
    ws::Result<> report(std::string_view what, ws::Result<> r) const {
        if (!r) log("sender-failed what=" + hex(what) + " kind=" + std::string(ws::to_string(r.error().kind())));
        return r;
    }

    ws::Result<> command(std::string_view text) {
        const auto space = text.find(' ');
        const std::string_view name = text.substr(0, space);
        const std::string_view rest = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
        if (name == "!close") {
            const auto sep = rest.find(' ');
            const std::string_view code_text = rest.substr(0, sep);
            const std::string_view reason = sep == std::string_view::npos ? std::string_view{} : rest.substr(sep + 1);
            unsigned code = 0;
            auto [end, ec] = std::from_chars(code_text.data(), code_text.data() + code_text.size(), code);
            if (ec != std::errc{} || end != code_text.data() + code_text.size() || code > 0xFFFF)
                return ws::Error(ws::ErrorKind::Policy, "bad !close command");
            return report("close", out_.close(static_cast<ws::CloseCode>(code), reason));
        }
        if (name == "!ping") {
            auto payload = unhex(rest);
            if (!payload) return ws::Error(ws::ErrorKind::Policy, "bad !ping command");
            return report("ping", out_.ping(*payload));
        }
        if (name == "!gen") {
            const auto sep = rest.find(' ');
            const std::string_view kind = rest.substr(0, sep);
            const std::string_view size_text = sep == std::string_view::npos ? std::string_view{} : rest.substr(sep + 1);
            std::size_t n = 0;
            auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), n);
            if (ec != std::errc{} || end != size_text.data() + size_text.size())
                return ws::Error(ws::ErrorKind::Policy, "bad !gen command");
            if (kind == "text") return report("gen", out_.send(ws::Message::text(generate_text(n))));
            if (kind == "binary") return report("gen", out_.send(ws::Message::binary(generate_binary(n))));
            return ws::Error(ws::ErrorKind::Policy, "bad !gen command");
        }
        if (name == "!shutdown") return report("shutdown", out_.shutdown());
        return ws::Error(ws::ErrorKind::Policy, "unknown command");
    }

    ws::Sender out_;
    const Options& options_;
    std::string tag_;
};

class PeerFactory final : public ws::Factory {
public:
    explicit PeerFactory(const Options& options) : options_(options) {}
    std::unique_ptr<ws::Handler> connection_made(ws::Sender out) override {
        return std::make_unique<PeerHandler>(std::move(out), options_);
    }
    void connection_lost(std::unique_ptr<ws::Handler> handler) override {
        if (auto* peer = dynamic_cast<PeerHandler*>(handler.get())) emit(peer->tag() + " gone");
    }
    void on_shutdown() override { emit("- shutdown"); }

private:
    const Options& options_;
};

int usage() {
    std::fputs("usage: ws_peer server [--host H] [--protocol P]... [--fragment-size N] [--read-pause-threshold N]\n"
               "       ws_peer client URL [--protocol P]... [--fragment-size N] [--read-pause-threshold N]\n",
               stderr);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __linux__
    // A test peer: end with the driver that started it, even when the driver is killed (a CTest
    // timeout), so no ws_peer outlives its test.
    (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    Options options;
    if (argc < 2) return usage();
    options.mode = argv[1];
    int i = 2;
    if (options.mode == "client") {
        if (argc < 3) return usage();
        options.url = argv[2];
        i = 3;
    } else if (options.mode != "server") {
        return usage();
    }
    for (; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc) return usage();
        const std::string value = argv[++i];
        if (arg == "--host") {
            options.host = value;
        } else if (arg == "--protocol") {
            options.protocols.push_back(value);
        } else if (arg == "--fragment-size") {
            options.fragment_size = std::strtoul(value.c_str(), nullptr, 10);
        } else if (arg == "--read-pause-threshold") {
            options.read_pause_threshold = std::strtoul(value.c_str(), nullptr, 10);
        } else {
            return usage();
        }
    }

    ws::Builder builder;
    builder.fragment_size(options.fragment_size);
    if (options.read_pause_threshold) builder.read_pause_threshold(*options.read_pause_threshold);
    ws::WebSocket socket = builder.build(std::make_unique<PeerFactory>(options));

    if (options.mode == "server") {
        const std::string addr =
            options.host.find(':') != std::string::npos ? "[" + options.host + "]:0" : options.host + ":0";
        if (auto r = socket.bind(addr); !r) {
            emit("- bind-failed error=" + hex(r.error().what()));
            return 3;
        }
        auto local = socket.local_addr();
        if (!local) {
            emit("- bind-failed error=" + hex(local.error().what()));
            return 3;
        }
        emit("- listening ip=" + local->ip + " port=" + std::to_string(local->port));
    } else if (auto r = socket.connect(options.url); !r) {
        emit("- connect-failed error=" + hex(r.error().what()));
        return 3;
    }

    auto result = socket.run();
    if (!result) {
        emit("- exit status=error error=" + hex(result.error().what()));
        return 1;
    }
    emit("- exit status=ok");
    return 0;
}

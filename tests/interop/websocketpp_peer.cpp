// websocketpp_peer: websocketpp (Debian's libwebsocketpp-dev 0.8.2, Boost.Asio) as an interop
// peer for ws-cpp's tests. A third-party implementation used only by the tests; it does not use
// ws-cpp at all.
//
//   websocketpp_peer server [--host H] [--protocol P]...
//       Listens on H (127.0.0.1 by default) port 0 and prints "- listening ip=<ip> port=<port>".
//       With --protocol, the validate handler selects the first subprotocol the client offers
//       that is in the list (in the client's order).
//   websocketpp_peer client URL [--protocol P]...
//       Connects to URL, offering every --protocol in order. Ends when the connection does.
//
// Unlike ws_peer it never echoes: it does what its standard input says, one command a line,
// always on the most recently opened connection:
//   send text|binary HEX     one message with these bytes
//   gen text|binary N        one generated message of N bytes (the same bytes ws_peer's !gen makes)
//   ping HEX                 a ping with this payload
//   close CODE HEX           close(CODE, reason bytes HEX; "-" for none); CODE 1005 sends a close
//                            frame without a payload
//   exit                     stop listening, drop what is open and end the program
// End of input does what "exit" does.
//
// Output (stdout, one line per event, flushed at once; fields never contain spaces), as ws_peer's:
//   <tag> <event> key=value ...
// <tag> is "c<N>" for the N-th connection (from 1), "-" for the program. Events: open (resource,
// peer and local addresses, the negotiated and the requested subprotocols), message
// (type, len, crc, data), ping, pong, close (the remote and local codes and reasons), fail,
// command-failed, listening, exit. Payloads are hex (data=- beyond 256 bytes) with length and CRC-32.
//
// websocketpp 0.8.2 is not valid C++20 (template-ids on constructors), so CMake builds this file as
// C++17, with websocketpp's headers as system headers.
#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>
#include <websocketpp/server.hpp>

#ifdef __linux__
#include <sys/prctl.h>

#include <csignal>
#endif

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Server = websocketpp::server<websocketpp::config::asio>;
using Client = websocketpp::client<websocketpp::config::asio_client>;
using websocketpp::connection_hdl;

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
    if (text == "-") return std::string();
    if (text.size() % 2 != 0) return std::nullopt;
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = digit(text[i]);
        const int lo = digit(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
    }
    return out;
}

// CRC-32 (IEEE, as zlib's crc32), so the logs compare with ws_peer's.
std::uint32_t crc32(std::string_view bytes) {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

std::string describe(std::string_view payload) {
    char crc_text[16];
    std::snprintf(crc_text, sizeof crc_text, "%08x", static_cast<unsigned>(crc32(payload)));
    return "len=" + std::to_string(payload.size()) + " crc=" + crc_text +
           " data=" + (payload.size() <= 256 ? hex(payload) : std::string("-"));
}

// The same generated payloads as ws_peer's !gen (see ws_peer.cpp).
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

std::string generate_binary(std::size_t n) {
    std::string out(n, '\0');
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((7 * i + i / 251) & 0xFF);
    return out;
}

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line);
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

std::string join_hex(const std::vector<std::string>& items) {
    if (items.empty()) return "-";
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ',';
        out += hex(item);
    }
    return out;
}

struct Options {
    std::string mode;
    std::string host = "127.0.0.1";
    std::string url;
    std::vector<std::string> protocols;
};

// One endpoint (server or client) and the connection the commands act on.
template <typename Endpoint>
class Peer {
public:
    using ConnectionPtr = typename Endpoint::connection_ptr;
    using MessagePtr = typename Endpoint::message_ptr;

    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;
    virtual ~Peer() = default;

    explicit Peer(const Options& options) : options_(options) {
        endpoint_.clear_access_channels(websocketpp::log::alevel::all);
        endpoint_.get_elog().set_ostream(&std::cerr);  // stdout is the event log
        endpoint_.init_asio();
        endpoint_.set_open_handler([this](connection_hdl h) { on_open(h); });
        endpoint_.set_message_handler([this](connection_hdl h, MessagePtr msg) { on_message(h, msg); });
        endpoint_.set_ping_handler([this](connection_hdl h, std::string payload) {
            log(h, "ping " + describe(payload));
            return true;  // websocketpp answers with a pong
        });
        endpoint_.set_pong_handler([this](connection_hdl h, std::string payload) {
            log(h, "pong " + describe(payload));
        });
        endpoint_.set_close_handler([this](connection_hdl h) { on_close(h); });
        endpoint_.set_fail_handler([this](connection_hdl h) { on_fail(h); });
    }

    Endpoint& endpoint() { return endpoint_; }

    // Runs `line` on the loop's thread.
    void post(std::string line) {
        endpoint_.get_io_service().post([this, line = std::move(line)] { command(line); });
    }

protected:
    std::string tag(connection_hdl h) {
        auto con = endpoint_.get_con_from_hdl(h);
        for (const auto& [ptr, id] : tags_)
            if (ptr == con) return "c" + std::to_string(id);
        tags_.emplace_back(con, ++count_);
        return "c" + std::to_string(count_);
    }

    void log(connection_hdl h, const std::string& text) { emit(tag(h) + " " + text); }

    void on_open(connection_hdl h) {
        auto con = endpoint_.get_con_from_hdl(h);
        current_ = h;
        auto text = [](const auto& ep) { return ep.address().to_string() + ":" + std::to_string(ep.port()); };
        std::string peer = "-";
        std::string local = "-";
        websocketpp::lib::asio::error_code ec;
        auto remote_ep = con->get_raw_socket().remote_endpoint(ec);
        if (!ec) peer = text(remote_ep);
        auto local_ep = con->get_raw_socket().local_endpoint(ec);
        if (!ec) local = text(local_ep);
        // The Sec-WebSocket-Protocol of the handshake's response, as sent (server) or received
        // (client): websocketpp 0.8.2's client never fills get_subprotocol().
        const std::string protocol = con->get_response_header("Sec-WebSocket-Protocol");
        log(h, "open resource=" + hex(con->get_resource()) + " peer=" + peer + " local=" + local +
                   " protocol=" + (protocol.empty() ? std::string("-") : hex(protocol)) +
                   " requested=" + join_hex(con->get_requested_subprotocols()) +
                   " extensions=" + (con->get_response_header("Sec-WebSocket-Extensions").empty()
                                         ? std::string("-")
                                         : hex(con->get_response_header("Sec-WebSocket-Extensions"))));
    }

    void on_message(connection_hdl h, MessagePtr msg) {
        const bool text = msg->get_opcode() == websocketpp::frame::opcode::text;
        log(h, std::string("message type=") + (text ? "text " : "binary ") + describe(msg->get_payload()));
    }

    void on_close(connection_hdl h) {
        auto con = endpoint_.get_con_from_hdl(h);
        log(h, "close remote_code=" + std::to_string(con->get_remote_close_code()) +
                   " remote_reason=" + hex(con->get_remote_close_reason()) +
                   " local_code=" + std::to_string(con->get_local_close_code()) +
                   " local_reason=" + hex(con->get_local_close_reason()) + " ec=" + hex(con->get_ec().message()));
        forget(h);
    }

    void on_fail(connection_hdl h) {
        auto con = endpoint_.get_con_from_hdl(h);
        log(h, "fail status=" + std::to_string(static_cast<int>(con->get_response_code())) +
                   " ec=" + hex(con->get_ec().message()));
        forget(h);
    }

    void forget(connection_hdl h) {
        auto con = endpoint_.get_con_from_hdl(h);
        for (auto it = tags_.begin(); it != tags_.end(); ++it) {
            if (it->first == con) {
                tags_.erase(it);
                break;
            }
        }
    }

    void failed(const std::string& line, const std::string& why) {
        emit("- command-failed command=" + hex(line) + " error=" + hex(why));
    }

    virtual void stop() = 0;

    void command(const std::string& line) {
        const auto words = split(line);
        if (words.empty()) return;
        if (words[0] == "exit") {
            stop();
            return;
        }
        auto con = current_.lock();
        if (!con) return failed(line, "no open connection");
        websocketpp::lib::error_code ec;
        if (words[0] == "send" && words.size() == 3) {
            auto payload = unhex(words[2]);
            if (!payload) return failed(line, "bad hex");
            const auto op = words[1] == "text" ? websocketpp::frame::opcode::text : websocketpp::frame::opcode::binary;
            endpoint_.send(current_, *payload, op, ec);
        } else if (words[0] == "gen" && words.size() == 3) {
            const std::size_t n = std::strtoul(words[2].c_str(), nullptr, 10);
            if (words[1] == "text")
                endpoint_.send(current_, generate_text(n), websocketpp::frame::opcode::text, ec);
            else
                endpoint_.send(current_, generate_binary(n), websocketpp::frame::opcode::binary, ec);
        } else if (words[0] == "ping" && words.size() == 2) {
            auto payload = unhex(words[1]);
            if (!payload) return failed(line, "bad hex");
            endpoint_.ping(current_, *payload, ec);
        } else if (words[0] == "close" && words.size() == 3) {
            auto reason = unhex(words[2]);
            if (!reason) return failed(line, "bad hex");
            const auto code = static_cast<websocketpp::close::status::value>(std::strtoul(words[1].c_str(), nullptr, 10));
            endpoint_.close(current_, code, *reason, ec);
        } else {
            return failed(line, "unknown command");
        }
        if (ec) failed(line, ec.message());
    }

    const Options& options_;
    Endpoint endpoint_;
    connection_hdl current_;
    std::vector<std::pair<ConnectionPtr, int>> tags_;
    int count_ = 0;
};

class ServerPeer final : public Peer<Server> {
public:
    explicit ServerPeer(const Options& options) : Peer<Server>(options) {
        endpoint_.set_reuse_addr(true);
        endpoint_.set_validate_handler([this](connection_hdl h) {
            auto con = endpoint_.get_con_from_hdl(h);
            for (const auto& offered : con->get_requested_subprotocols()) {
                for (const auto& mine : options_.protocols) {
                    if (mine == offered) {
                        con->select_subprotocol(offered);
                        return true;
                    }
                }
            }
            return true;
        });
    }

    int listen() {
        websocketpp::lib::asio::error_code aec;
        const auto address = websocketpp::lib::asio::ip::make_address(options_.host, aec);
        if (aec) {
            emit("- bind-failed error=" + hex(aec.message()));
            return 3;
        }
        websocketpp::lib::error_code ec;
        endpoint_.listen(websocketpp::lib::asio::ip::tcp::endpoint(address, 0), ec);
        if (ec) {
            emit("- bind-failed error=" + hex(ec.message()));
            return 3;
        }
        const auto local = endpoint_.get_local_endpoint(aec);
        if (aec) {
            emit("- bind-failed error=" + hex(aec.message()));
            return 3;
        }
        endpoint_.start_accept(ec);
        if (ec) {
            emit("- bind-failed error=" + hex(ec.message()));
            return 3;
        }
        emit("- listening ip=" + local.address().to_string() + " port=" + std::to_string(local.port()));
        return 0;
    }

private:
    void stop() override {
        websocketpp::lib::error_code ec;
        endpoint_.stop_listening(ec);
        endpoint_.stop();
    }
};

class ClientPeer final : public Peer<Client> {
public:
    explicit ClientPeer(const Options& options) : Peer<Client>(options) {}

    int connect() {
        websocketpp::lib::error_code ec;
        auto con = endpoint_.get_connection(options_.url, ec);
        if (ec) {
            emit("- connect-failed error=" + hex(ec.message()));
            return 3;
        }
        for (const auto& p : options_.protocols) con->add_subprotocol(p);
        endpoint_.connect(con);
        return 0;
    }

private:
    void stop() override { endpoint_.stop(); }
};

int usage() {
    std::fputs("usage: websocketpp_peer server [--host H] [--protocol P]...\n"
               "       websocketpp_peer client URL [--protocol P]...\n",
               stderr);
    return 2;
}

// Reads commands on its own thread and posts each to the loop; end of input is "exit".
template <typename P>
void read_commands(P& peer) {
    std::thread([&peer] {
        std::string line;
        while (std::getline(std::cin, line)) peer.post(line);
        peer.post("exit");
    }).detach();
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __linux__
    // End with the driver that started this peer, even when the driver is killed.
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
        } else {
            return usage();
        }
    }

    // The peer lives until the process ends (std::_Exit below): the command thread may still
    // post to it after the loop has returned.
    try {
        if (options.mode == "server") {
            auto* peer = new ServerPeer(options);
            if (int rc = peer->listen(); rc != 0) return rc;
            read_commands(*peer);
            peer->endpoint().run();
        } else {
            auto* peer = new ClientPeer(options);
            if (int rc = peer->connect(); rc != 0) return rc;
            read_commands(*peer);
            peer->endpoint().run();  // returns when the connection has ended
        }
    } catch (const std::exception& e) {
        emit("- exit status=error error=" + hex(e.what()));
        std::_Exit(1);
    }
    emit("- exit status=ok");
    // The command thread may still be blocked reading stdin: end without waiting for it.
    std::_Exit(0);
}

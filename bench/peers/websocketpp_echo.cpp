// websocketpp_echo: a websocketpp echo (or broadcast) server, a peer for bench/compare.sh.
//
//   websocketpp_echo PORT [--broadcast]
//
// Listens on 127.0.0.1:PORT (0 picks a free port) and prints "websocketpp_echo listening on
// 127.0.0.1:PORT". websocketpp's stock Asio configuration without TLS (websocketpp::config::asio),
// run on one thread; every message goes back with its own opcode, or with --broadcast to every
// open connection, the sender included. Messages up to 64 MiB, no compression, logging off,
// TCP_NODELAY on accepted sockets. Stop it with a signal.
//
// Third-party code under test, not part of ws-cpp. websocketpp 0.8.2 is not valid C++20, so
// this file is built as C++17 (see CMakeLists.txt).
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace {

using Server = websocketpp::server<websocketpp::config::asio>;
using Hdl = websocketpp::connection_hdl;

constexpr std::size_t kMaxMessage = 64u << 20;

}  // namespace

int main(int argc, char** argv) {
    const char* port_arg = nullptr;
    bool broadcast = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--broadcast") == 0) {
            broadcast = true;
        } else if (port_arg == nullptr) {
            port_arg = argv[i];
        } else {
            port_arg = nullptr;
            break;
        }
    }
    if (port_arg == nullptr) {
        std::fprintf(stderr, "usage: websocketpp_echo PORT [--broadcast]\n");
        return 2;
    }
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    Server server;
    std::set<Hdl, std::owner_less<Hdl>> open;
    try {
        server.clear_access_channels(websocketpp::log::alevel::all);
        server.clear_error_channels(websocketpp::log::elevel::all);
        server.init_asio();
        server.set_reuse_addr(true);
        server.set_listen_backlog(4096);
        server.set_max_message_size(kMaxMessage);
        server.set_tcp_post_init_handler([&server](Hdl h) {
            boost::system::error_code ignored;
            server.get_con_from_hdl(h)->get_socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
        });
        if (broadcast) {
            server.set_open_handler([&open](Hdl h) { open.insert(h); });
            server.set_close_handler([&open](Hdl h) { open.erase(h); });
            server.set_fail_handler([&open](Hdl h) { open.erase(h); });
            server.set_message_handler([&server, &open](Hdl, Server::message_ptr msg) {
                for (const Hdl& h : open) {
                    websocketpp::lib::error_code ec;
                    server.send(h, msg->get_payload(), msg->get_opcode(), ec);
                }
            });
        } else {
            server.set_message_handler([&server](Hdl h, Server::message_ptr msg) {
                websocketpp::lib::error_code ec;
                server.send(h, msg->get_payload(), msg->get_opcode(), ec);
            });
        }
        const auto port = static_cast<unsigned short>(std::atoi(port_arg));
        server.listen(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
        websocketpp::lib::asio::error_code ec;
        const auto local = server.get_local_endpoint(ec);
        if (ec) {
            std::fprintf(stderr, "websocketpp_echo: %s\n", ec.message().c_str());
            return 1;
        }
        server.start_accept();
        std::printf("websocketpp_echo listening on 127.0.0.1:%u (websocketpp %d.%d.%d, %s)\n", local.port(),
                    websocketpp::major_version, websocketpp::minor_version, websocketpp::patch_version,
                    broadcast ? "broadcast" : "echo");
        std::fflush(stdout);
        server.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "websocketpp_echo: %s\n", e.what());
        return 1;
    }
    return 0;
}

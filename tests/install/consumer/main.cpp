// Binds an echo server on a free port, connects a client to it on the same loop, exchanges one
// message and exits 0: proof that the installed headers, library and dependencies work.
#include <ws/ws.hpp>

#include <iostream>

int main() {
    bool got = false;
    struct Both : ws::Factory {
        bool& got;
        explicit Both(bool& g) : got(g) {}
        std::unique_ptr<ws::Handler> connection_made(ws::Sender) override { return nullptr; }
        std::unique_ptr<ws::Handler> server_connected(ws::Sender out) override {
            return ws::make_handler([out](const ws::Message& m) { return out.send(m); });
        }
        std::unique_ptr<ws::Handler> client_connected(ws::Sender out) override {
            (void)out.send("installed");
            return ws::make_handler([out, this](const ws::Message& m) {
                got = m.as_text() == "installed";
                return out.shutdown();
            });
        }
    };
    ws::WebSocket socket(std::make_unique<Both>(got));
    if (!socket.bind("127.0.0.1:0")) return 1;
    if (!socket.connect("ws://127.0.0.1:" + std::to_string(socket.local_addr()->port) + "/")) return 1;
    if (!socket.run()) return 1;
    std::cout << (got ? "consumer: ok" : "consumer: no echo") << "\n";
    return got ? 0 : 1;
}

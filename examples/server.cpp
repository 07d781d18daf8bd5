// A WebSocket echo server (WS-RS's examples/server.rs).
//
//   server [port]      listens on 127.0.0.1:3012 by default; every message comes back.
#include <ws/ws.hpp>

#include <string>

int main(int argc, char** argv) {
    const std::string addr = "127.0.0.1:" + std::string(argc > 1 ? argv[1] : "3012");
    return ws::listen(addr, [](ws::Sender out) {
        return [out](const ws::Message& msg) { return out.send(msg); };
    });
}

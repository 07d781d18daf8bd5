// Who is the client? (WS-RS's examples/remote_addr.rs)
//
//   remote_addr [port]     listens on 127.0.0.1:3012 by default
//
// Handshake::remote_addr() is the client's address as a proxy in front of the server reported
// it (the left-most X-Forwarded-For entry, else the `for=` of a Forwarded header, RFC 7239),
// and otherwise the TCP peer's IP. The server prints it for each client and sends it back.
//
// Headers can say anything: believe X-Forwarded-For and Forwarded only behind a proxy you run.
// Handshake::peer_addr is the TCP peer itself, whatever the headers say.
#include <ws/ws.hpp>

#include <iostream>
#include <string>

namespace {

class Server : public ws::Handler {
public:
    explicit Server(ws::Sender out) : out_(std::move(out)) {}

    ws::Result<> on_open(const ws::Handshake& shake) override {
        const std::string peer = shake.peer_addr ? shake.peer_addr->to_string() : "?";
        if (auto addr = shake.remote_addr()) {
            std::cout << "Connection opened from " << *addr << " (TCP peer " << peer << ")." << std::endl;
            return out_.send(*addr);
        }
        std::cout << "Unable to obtain the client's IP address." << std::endl;
        return out_.send("unknown");
    }

private:
    ws::Sender out_;
};

}  // namespace

int main(int argc, char** argv) {
    const std::string addr = "127.0.0.1:" + std::string(argc > 1 ? argv[1] : "3012");
    std::cout << "Listening on ws://" << addr << std::endl;
    return ws::listen(addr, [](ws::Sender out) { return Server(std::move(out)); });
}

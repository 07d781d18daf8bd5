// A client and a server in ONE WebSocket, on one thread (WS-RS's examples/shared.rs).
//
//   shared [port]      listens on 127.0.0.1:3012 by default (0: any free port)
//
// One event loop can hold server and client connections side by side. The factory tells them
// apart: server_connected() is called for a connection the listener accepted,
// client_connected() for one this program opened. The client sends a message, the server
// echoes it, and the client, having heard its echo, shuts the whole WebSocket down, which
// ends run() and the program.
#include <ws/ws.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace {

// The server side: print and echo.
class Server : public ws::Handler {
public:
    explicit Server(ws::Sender out) : out_(std::move(out)) {}

    ws::Result<> on_message(const ws::Message& msg) override {
        std::cout << "Server got message '" << msg << "'." << std::endl;
        return out_.send(msg);
    }

private:
    ws::Sender out_;
};

// The client side: say hello, wait for the echo, stop everything.
class Client : public ws::Handler {
public:
    explicit Client(ws::Sender out) : out_(std::move(out)) {}

    ws::Result<> on_open(const ws::Handshake&) override { return out_.send("Hello WebSocket"); }

    ws::Result<> on_message(const ws::Message& msg) override {
        std::cout << "Client got message '" << msg << "'." << std::endl;
        // shutdown() closes every connection of this WebSocket (server side too) and then
        // ends the event loop.
        return out_.shutdown();
    }

private:
    ws::Sender out_;
};

class ClientOrServer : public ws::Factory {
public:
    // Both overrides below replace it; a Factory must still say what a connection gets.
    std::unique_ptr<ws::Handler> connection_made(ws::Sender out) override {
        return std::make_unique<Server>(std::move(out));
    }
    std::unique_ptr<ws::Handler> server_connected(ws::Sender out) override {
        return std::make_unique<Server>(std::move(out));
    }
    std::unique_ptr<ws::Handler> client_connected(ws::Sender out) override {
        return std::make_unique<Client>(std::move(out));
    }
};

}  // namespace

int main(int argc, char** argv) {
    const std::string port = argc > 1 ? argv[1] : "3012";

    ws::WebSocket socket(ClientOrServer{});
    if (auto r = socket.bind("127.0.0.1:" + port); !r) {
        std::cerr << "cannot listen: " << r.error().what() << "\n";
        return 1;
    }
    // Connect to ourselves; the connection starts when run() does.
    const std::string url = "ws://" + socket.local_addr()->to_string();
    if (auto r = socket.connect(url); !r) {
        std::cerr << "cannot connect: " << r.error().what() << "\n";
        return 1;
    }
    std::cout << "Listening on " << socket.local_addr()->to_string() << " and connecting to " << url << std::endl;
    if (auto r = socket.run(); !r) {
        std::cerr << "event loop failed: " << r.error().what() << "\n";
        return 1;
    }
    std::cout << "All done." << std::endl;
    return 0;
}

// A server and a client in separate threads, each with its own WebSocket (WS-RS's
// examples/threaded.rs).
//
//   threaded [port]    the server listens on 127.0.0.1:3012 by default (0: any free port)
//
// Handlers here are structs deriving from ws::Handler, the full form of a handler: override
// only the callbacks you need. The client says hello and closes when it hears the echo; the
// server shuts itself down when its first connection closes, so both threads end.
#include <ws/ws.hpp>

#include <iostream>
#include <string>
#include <thread>

namespace {

struct Server : ws::Handler {
    explicit Server(ws::Sender sender) : out(std::move(sender)) {}

    ws::Result<> on_message(const ws::Message& msg) override {
        std::cout << "Server got message '" << msg << "'." << std::endl;
        return out.send(msg);  // echo
    }

    void on_close(ws::CloseCode code, std::string_view reason) override {
        std::cout << "Server: the client closed the connection (" << ws::to_u16(code) << " "
                  << ws::to_string(code) << (reason.empty() ? "" : ", ") << reason << ")." << std::endl;
        // One client is all this server serves: stop its event loop.
        (void)out.shutdown();
    }

    ws::Sender out;
};

struct Client : ws::Handler {
    explicit Client(ws::Sender sender) : out(std::move(sender)) {}

    ws::Result<> on_open(const ws::Handshake&) override { return out.send("Hello WebSocket"); }

    ws::Result<> on_message(const ws::Message& msg) override {
        std::cout << "Client got message '" << msg << "'." << std::endl;
        return out.close(ws::CloseCode::Normal, "thanks");
    }

    ws::Sender out;
};

}  // namespace

int main(int argc, char** argv) {
    const std::string port = argc > 1 ? argv[1] : "3012";

    // Bind before starting either thread, so the client never races the listener.
    ws::WebSocket server([](ws::Sender out) { return Server(std::move(out)); });
    if (auto r = server.bind("127.0.0.1:" + port); !r) {
        std::cerr << "cannot listen: " << r.error().what() << "\n";
        return 1;
    }
    const std::string url = "ws://" + server.local_addr()->to_string();

    // A WebSocket is not thread-safe itself: it is created here and then used only by the
    // thread that runs it.
    std::thread server_thread([&server] {
        if (auto r = server.run(); !r) std::cerr << "server: " << r.error().what() << "\n";
    });

    // ws::connect runs a client WebSocket on this thread until its connection ends.
    std::thread client_thread([&url] {
        (void)ws::connect(url, [](ws::Sender out) { return Client(std::move(out)); });
    });

    client_thread.join();
    server_thread.join();
    std::cout << "All done." << std::endl;
    return 0;
}

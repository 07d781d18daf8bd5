// A peer that listens and connects at the same time (WS-RS's examples/peer2peer.rs).
//
//   peer2peer [port] [peer-url...]
//        listens on 127.0.0.1:3012 by default (0: any free port) and connects to every
//        peer URL given. Each line typed on standard input goes to every peer, connected either
//        way; every message received is printed. End of input (Ctrl-D) shuts the peer down.
//
//   Try it in two terminals:
//        peer2peer 3012
//        peer2peer 3013 ws://127.0.0.1:3012
//
// One WebSocket holds both kinds of connection. broadcaster() reaches all of them, and, being
// a Sender, it may be used from the thread that reads standard input.
#include <ws/ws.hpp>

#include <iostream>
#include <string>
#include <thread>

namespace {

class Peer : public ws::Handler {
public:
    explicit Peer(ws::Sender out) : out_(std::move(out)) {}

    ws::Result<> on_open(const ws::Handshake& shake) override {
        // The other end of the TCP connection (for a connection we opened: the peer's listener).
        name_ = shake.peer_addr ? shake.peer_addr->to_string() : std::string("?");
        std::cout << "Connected to peer " << name_ << std::endl;
        return {};
    }

    ws::Result<> on_message(const ws::Message& msg) override {
        std::cout << "Peer " << name_ << " says: " << msg << std::endl;
        return {};
    }

    void on_close(ws::CloseCode code, std::string_view) override {
        std::cout << "Peer " << name_ << " left (" << ws::to_u16(code) << ")" << std::endl;
    }

    void on_error(const ws::Error& err) override { std::cerr << "Peer connection error: " << err.what() << "\n"; }

private:
    ws::Sender out_;
    std::string name_;
};

}  // namespace

int main(int argc, char** argv) {
    const std::string port = argc > 1 ? argv[1] : "3012";

    ws::WebSocket socket([](ws::Sender out) { return Peer(std::move(out)); });
    if (auto r = socket.bind("127.0.0.1:" + port); !r) {
        std::cerr << "cannot listen: " << r.error().what() << "\n";
        return 1;
    }
    std::cout << "Listening on ws://" << socket.local_addr()->to_string() << std::endl;
    for (int i = 2; i < argc; ++i) {
        // Queued; the connection starts when run() does. A peer that is not there is reported
        // to its handler's on_error.
        if (auto r = socket.connect(argv[i]); !r) std::cerr << "bad peer URL " << argv[i] << ": " << r.error().what() << "\n";
    }

    std::thread input([all = socket.broadcaster()] {
        std::string line;
        while (std::getline(std::cin, line)) {
            if (auto r = all.send(line); !r) std::cerr << "cannot send: " << r.error().what() << "\n";
        }
        (void)all.shutdown();  // end of input: say goodbye to every peer and stop
    });

    const auto result = socket.run();
    input.join();
    if (!result) {
        std::cerr << "event loop failed: " << result.error().what() << "\n";
        return 1;
    }
    return 0;
}

// The simplest client (WS-RS's examples/client.rs): connect, send a message, print the reply,
// close.
//
//   client [url]       ws://127.0.0.1:3012 by default
#include <ws/ws.hpp>

#include <iostream>

int main(int argc, char** argv) {
    const char* url = argc > 1 ? argv[1] : "ws://127.0.0.1:3012";
    return ws::connect(url, [](ws::Sender out) {
        // Queued now, sent as soon as the handshake completes.
        (void)out.send("Hello WebSocket");
        return [out](const ws::Message& msg) {
            std::cout << "Client got message '" << msg << "'.\n";
            return out.close(ws::CloseCode::Normal);
        };
    });
}

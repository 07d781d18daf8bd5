// The echo server the Autobahn Testsuite's fuzzingclient tests (WS-RS's
// examples/autobahn-server.rs).
//
//   autobahn_server [port] [host]      ws://127.0.0.1:9001 by default (port 0: any free port)
//
// Point wstest at it:
//   wstest -m fuzzingclient -s fuzzingclient.json
// with {"servers": [{"agent": "ws-cpp", "url": "ws://127.0.0.1:9001"}], "cases": ["*"]}.
//
// The suite sends messages up to 16 MiB and frames of every size, so this server raises the
// limits a public server keeps low: 64 MiB per frame and per message, and room for a whole
// echo in the output buffer. Everything else (UTF-8 checks, close codes, fragmentation rules)
// is ws-cpp's default behaviour, which is what the suite grades.
#include <ws/ws.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    const std::string port = argc > 1 ? argv[1] : "9001";
    const std::string host = argc > 2 ? argv[2] : "127.0.0.1";
    // An IPv6 literal needs brackets in "host:port" ("[::1]:9001").
    const std::string addr = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;

    constexpr std::uint64_t kLimit = 64u << 20;
    ws::WebSocket socket = ws::Builder()
                               .max_frame_size(kLimit)
                               .max_message_size(kLimit)
                               .max_output_buffer(kLimit + (1u << 20))
                               .build([](ws::Sender out) {
                                   return [out](const ws::Message& msg) { return out.send(msg); };
                               });
    if (auto r = socket.bind(addr); !r) {
        std::cerr << "autobahn_server: cannot listen on " << addr << ": " << r.error().what() << "\n";
        return 1;
    }
    std::cout << "Autobahn echo server listening on ws://" << socket.local_addr()->to_string() << std::endl;
    if (auto r = socket.run(); !r) {
        std::cerr << "autobahn_server: " << r.error().what() << "\n";
        return 1;
    }
    return 0;
}

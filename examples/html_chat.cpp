// A chat room in a browser: the page and its WebSocket on one port (WS-RS's
// examples/html_chat.rs). This is ws-cpp's demo.
//
//   html_chat [port]   listens on 127.0.0.1:3012 by default (0: any free port), then
//                      prints the address to open in a browser; open it in two tabs and talk.
//
// Handler::on_request sees every request before the WebSocket handshake and decides what it
// becomes:
//   GET /     -> a plain HTTP response: the chat page (HTML and a little JavaScript)
//   GET /ws   -> Response::from_request(req): the WebSocket handshake (101)
//   otherwise -> 404 Not Found
// A plain HTTP answer is sent and the connection closed; only /ws connections open, and every
// message one of them sends is broadcast to all of them.
#include <ws/ws.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace {

// The whole client: it connects back to the host that served it, at /ws.
constexpr const char* kIndexHtml = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ws-cpp chat</title>
<style>
  body { font-family: sans-serif; max-width: 40em; margin: 2em auto; }
  #log { border: 1px solid #ccc; height: 20em; overflow-y: auto; padding: .5em; }
  #log .status { color: #888; }
  form { display: flex; gap: .5em; margin-top: .5em; }
  #text { flex: 1; }
</style>
</head>
<body>
<h1>ws-cpp chat</h1>
<div id="log"></div>
<form id="form">
  <input id="text" autocomplete="off" placeholder="Say something" autofocus>
  <button>Send</button>
</form>
<script>
  const log = document.getElementById("log");
  const text = document.getElementById("text");
  function show(line, status) {
    const div = document.createElement("div");
    div.textContent = line;
    if (status) div.className = "status";
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
  }
  const socket = new WebSocket("ws://" + location.host + "/ws");
  socket.onopen = () => show("connected", true);
  socket.onclose = (event) => show("disconnected (" + event.code + ")", true);
  socket.onmessage = (event) => show(event.data);
  document.getElementById("form").onsubmit = (event) => {
    event.preventDefault();
    if (text.value && socket.readyState === WebSocket.OPEN) socket.send(text.value);
    text.value = "";
  };
</script>
</body>
</html>
)html";

// What every chatter shares: how many are here.
struct Room {
    int online = 0;
};

class Chatter : public ws::Handler {
public:
    Chatter(ws::Sender out, std::shared_ptr<Room> room) : out_(std::move(out)), room_(std::move(room)) {}

    ws::Result<ws::Response> on_request(const ws::Request& req) override {
        if (req.path() == "/ws") return ws::Response::from_request(req);  // the WebSocket
        if (req.path() == "/") {
            ws::Response page(200, "OK", kIndexHtml);
            page.set_header("Content-Type", "text/html; charset=utf-8");
            return page;
        }
        ws::Response not_found(404, "Not Found", "404 Not Found\n");
        not_found.set_header("Content-Type", "text/plain; charset=utf-8");
        return not_found;
    }

    ws::Result<> on_open(const ws::Handshake& shake) override {
        ++room_->online;
        std::cout << "Someone joined from " << shake.remote_addr().value_or("?") << " (" << room_->online
                  << " online)." << std::endl;
        return {};
    }

    // Everything anyone says goes to everyone, the speaker included.
    ws::Result<> on_message(const ws::Message& msg) override { return out_.broadcast(msg); }

    void on_close(ws::CloseCode, std::string_view) override {
        --room_->online;
        std::cout << "Someone left (" << room_->online << " online)." << std::endl;
    }

private:
    ws::Sender out_;
    std::shared_ptr<Room> room_;
};

}  // namespace

int main(int argc, char** argv) {
    const std::string port = argc > 1 ? argv[1] : "3012";

    // Handlers run on the loop's one thread, so the Room needs no lock.
    auto room = std::make_shared<Room>();
    ws::WebSocket socket([room](ws::Sender out) { return Chatter(std::move(out), room); });
    if (auto r = socket.bind("127.0.0.1:" + port); !r) {
        std::cerr << "html_chat: cannot listen on 127.0.0.1:" << port << ": " << r.error().what() << "\n";
        return 1;
    }
    std::cout << "Chat server running: open http://" << socket.local_addr()->to_string()
              << "/ in a browser (two tabs to talk to yourself)." << std::endl;
    if (auto r = socket.run(); !r) {
        std::cerr << "html_chat: " << r.error().what() << "\n";
        return 1;
    }
    return 0;
}

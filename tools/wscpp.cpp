// wscpp: a small WebSocket command line built on ws-cpp.
//
//   wscpp echo [--addr 127.0.0.1:3012]          an echo server
//   wscpp send URL MESSAGE...                    send messages, print one reply to each, close
//   wscpp connect URL                            interactive: stdin lines out, messages in
//
// Exit status: 0 on success, 1 when the connection failed or closed abnormally, 2 on usage.
#include <CLI/CLI.hpp>
#include <ws/ws.hpp>

#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

int run_echo(const std::string& addr, std::size_t max_message) {
    ws::Settings settings;
    settings.max_message_size = max_message;
    settings.max_frame_size = max_message;
    ws::WebSocket socket(
        [](ws::Sender out) { return [out](const ws::Message& msg) { return out.send(msg); }; }, settings);
    if (auto r = socket.bind(addr); !r) {
        std::cerr << "wscpp: " << r.error().what() << "\n";
        return 1;
    }
    std::cerr << "wscpp: echoing on ws://" << socket.local_addr()->to_string() << "/\n";
    auto r = socket.run();
    return r ? 0 : 1;
}

// Sends each message in turn, waiting for one reply before the next.
class OneShot : public ws::Handler {
public:
    OneShot(ws::Sender out, std::vector<std::string> messages, bool& ok)
        : out_(std::move(out)), messages_(std::move(messages)), ok_(ok) {}

    ws::Result<> on_open(const ws::Handshake&) override { return next(); }
    ws::Result<> on_message(const ws::Message& msg) override {
        std::cout << msg << "\n";
        return next();
    }
    void on_close(ws::CloseCode code, std::string_view reason) override {
        ok_ = done_ && (code == ws::CloseCode::Normal || code == ws::CloseCode::Status);
        if (!done_) std::cerr << "wscpp: closed by peer: " << ws::to_u16(code) << " " << reason << "\n";
    }
    void on_error(const ws::Error& err) override { std::cerr << "wscpp: " << err.what() << "\n"; }

private:
    ws::Result<> next() {
        if (index_ == messages_.size()) {
            done_ = true;
            return out_.close(ws::CloseCode::Normal);
        }
        return out_.send(messages_[index_++]);
    }
    ws::Sender out_;
    std::vector<std::string> messages_;
    std::size_t index_ = 0;
    bool done_ = false;
    bool& ok_;
};

int run_send(const std::string& url, const std::vector<std::string>& messages) {
    bool ok = false;
    ws::WebSocket socket([&](ws::Sender out) { return OneShot(out, messages, ok); });
    if (auto r = socket.connect(url); !r) {
        std::cerr << "wscpp: " << r.error().what() << "\n";
        return 2;
    }
    if (!socket.run()) return 1;
    return ok ? 0 : 1;
}

int run_connect(const std::string& url) {
    bool closed_normally = false;
    struct Printer : ws::Handler {
        bool& ok;
        explicit Printer(bool& o) : ok(o) {}
        ws::Result<> on_open(const ws::Handshake& shake) override {
            std::cerr << "wscpp: connected to " << shake.request.resource() << " (type a line to send it)\n";
            return {};
        }
        ws::Result<> on_message(const ws::Message& msg) override {
            std::cout << "< " << msg << std::endl;
            return {};
        }
        void on_close(ws::CloseCode code, std::string_view reason) override {
            std::cerr << "wscpp: closed: " << ws::to_u16(code) << " " << reason << "\n";
            ok = code != ws::CloseCode::Abnormal;
        }
        void on_error(const ws::Error& err) override { std::cerr << "wscpp: " << err.what() << "\n"; }
    };
    // The connection's own Sender reaches the stdin thread through a promise: a message sent
    // before the handshake completes is held and sent right after it.
    std::promise<ws::Sender> sender;
    ws::WebSocket socket([&](ws::Sender out) {
        sender.set_value(out);
        return Printer(closed_normally);
    });
    if (auto r = socket.connect(url); !r) {
        std::cerr << "wscpp: " << r.error().what() << "\n";
        return 2;
    }
    // stdin is read on its own thread; lines reach the loop through the (thread-safe) Sender.
    std::thread input([out_future = sender.get_future()]() mutable {
        const ws::Sender out = out_future.get();
        std::string line;
        while (std::getline(std::cin, line)) {
            if (!out.send(line)) break;
        }
        (void)out.close(ws::CloseCode::Normal);
    });
    input.detach();  // may still be blocked in getline when the connection ends
    const bool ran = socket.run().ok();
    return ran && closed_normally ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"wscpp: WebSocket echo server and clients, built on ws-cpp"};
    app.require_subcommand(1);

    std::string addr = "127.0.0.1:3012";
    std::size_t max_message = 16u << 20;
    auto* echo = app.add_subcommand("echo", "run an echo server");
    echo->add_option("--addr", addr, "address to listen on (host:port, [v6]:port)")->capture_default_str();
    echo->add_option("--max-message", max_message, "largest message accepted, bytes")->capture_default_str();

    std::string url;
    std::vector<std::string> messages;
    auto* send = app.add_subcommand("send", "send messages, print a reply to each, close");
    send->add_option("url", url, "ws:// URL")->required();
    send->add_option("messages", messages, "text messages to send")->required();

    auto* connect = app.add_subcommand("connect", "interactive client: stdin lines out, messages in");
    connect->add_option("url", url, "ws:// URL")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (*echo) return run_echo(addr, max_message);
    if (*send) return run_send(url, messages);
    return run_connect(url);
}

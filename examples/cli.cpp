// An interactive WebSocket client for the terminal (WS-RS's examples/cli.rs).
//
//   cli [url]          ws://127.0.0.1:3012 by default
//
// Type a line to send it as a text message. Received messages are printed after "< ".
//   /close [code] [reason]    closes the connection with that code (1000 by default) and reason
// The program ends when the connection closes, whoever closed it; end of input (Ctrl-D)
// closes it normally.
//
// The connection's event loop runs on its own thread. The main thread reads the terminal and
// sends through the connection's Sender, which the factory hands over with a promise. Status
// lines start with "* ".
#include <ws/ws.hpp>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <future>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace {

class Client : public ws::Handler {
public:
    explicit Client(std::atomic<bool>& opened) : opened_(opened) {}

    ws::Result<> on_open(const ws::Handshake& shake) override {
        opened_ = true;
        std::cout << "* connected to " << (shake.peer_addr ? shake.peer_addr->to_string() : "?") << std::endl;
        return {};
    }
    ws::Result<> on_message(const ws::Message& msg) override {
        std::cout << "< " << msg << std::endl;  // binary messages print as "Binary Data<length=N>"
        return {};
    }
    void on_close(ws::CloseCode code, std::string_view reason) override {
        std::cout << "* connection closed: " << ws::to_u16(code) << " " << ws::to_string(code)
                  << (reason.empty() ? "" : " '") << reason << (reason.empty() ? "" : "'") << std::endl;
    }
    // Show every error, including the I/O ones the default on_error keeps quiet about.
    void on_error(const ws::Error& err) override { std::cout << "* error: " << err.what() << std::endl; }

private:
    std::atomic<bool>& opened_;
};

// Lines from standard input, waiting at most a given time for each, so that the main thread
// notices the connection closing while nobody types. (A blocking std::getline could not be
// interrupted.)
class StdinLines {
public:
    enum class Status { Line, Timeout, End };

    Status next(std::string& line, int timeout_ms) {
        while (true) {
            if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
                line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                return Status::Line;
            }
            if (eof_) {
                if (buffer_.empty()) return Status::End;
                line.swap(buffer_);  // a last line without a newline
                buffer_.clear();
                return Status::Line;
            }
            pollfd p{STDIN_FILENO, POLLIN, 0};
            if (::poll(&p, 1, timeout_ms) <= 0) return Status::Timeout;
            char chunk[4096];
            const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof(chunk));
            if (n <= 0) {
                eof_ = true;
            } else {
                buffer_.append(chunk, static_cast<std::size_t>(n));
            }
        }
    }

private:
    std::string buffer_;
    bool eof_ = false;
};

// "/close [code] [reason...]"
ws::Result<> close_command(const ws::Sender& out, const std::string& line) {
    std::istringstream words(line.substr(6));
    std::string code_text;
    words >> code_text;
    std::string reason;
    std::getline(words >> std::ws, reason);
    std::uint16_t code = 1000;
    if (!code_text.empty()) {
        auto [end, ec] = std::from_chars(code_text.data(), code_text.data() + code_text.size(), code);
        if (ec != std::errc() || end != code_text.data() + code_text.size()) {
            return ws::Error(ws::ErrorKind::Protocol, "not a close code: " + code_text);
        }
    }
    // Sender::close checks the code and the reason's length (123 bytes) before sending.
    return out.close(static_cast<ws::CloseCode>(code), reason);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:3012";

    std::promise<ws::Sender> handed_over;
    std::atomic<bool> opened{false};
    ws::WebSocket socket([&](ws::Sender out) {
        handed_over.set_value(std::move(out));
        return Client(opened);
    });
    if (auto r = socket.connect(url); !r) {
        std::cerr << "cli: " << url << ": " << r.error().what() << "\n";
        return 1;
    }
    const ws::Sender out = handed_over.get_future().get();

    // With no listener, run() returns when the connection ends (or fails to start).
    std::atomic<bool> finished{false};
    std::thread loop([&] {
        if (auto r = socket.run(); !r) std::cout << "* " << r.error().what() << std::endl;
        finished = true;
    });

    StdinLines input;
    std::string line;
    bool closing = false;
    while (!finished) {
        const auto status = input.next(line, 100);
        if (status == StdinLines::Status::Timeout) continue;
        if (status == StdinLines::Status::End) {
            if (!closing) (void)out.close(ws::CloseCode::Normal);
            break;  // and wait below for the closing handshake to finish
        }
        ws::Result<> r;
        if (line == "/close" || line.rfind("/close ", 0) == 0) {
            r = close_command(out, line);
            closing = closing || r.ok();
        } else {
            // Messages typed before the connection opens are held and sent once it does.
            r = out.send(line);
        }
        if (!r) std::cout << "* " << r.error().what() << std::endl;
    }
    loop.join();
    return opened ? 0 : 1;  // 1: the connection never opened
}

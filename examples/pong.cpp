// Timeouts, pings and round-trip time (WS-RS's examples/pong.rs).
//
//   pong [port] [ping-ms] [expire-ms]
//        listens on 127.0.0.1:3012 by default; pings every client every 5000 ms and drops a
//        client that sent nothing (no message, no pong) for 30000 ms. Messages are echoed.
//
// Two timers per connection, told apart by their Token:
//   kPing    fires every ping-ms: send a ping whose payload is the current time.
//   kExpire  fires after expire-ms of silence: close the connection. Every frame that arrives
//            (on_frame sees them all, pongs included) re-arms it.
// Sender::timeout() arms a timer and hands back its handle; on_new_timeout() receives the same
// handle, which is where this handler remembers it so that Sender::cancel() can drop the
// previous kExpire timer each time a new one is armed.
//
// (ws-cpp also has built-in idle timeouts with automatic pings, see Settings::idle_timeout_ms;
// this example shows how to build your own policy with the timer API.)
#include <ws/ws.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>

namespace {

constexpr ws::Token kPing{1};
constexpr ws::Token kExpire{2};

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

class Server : public ws::Handler {
public:
    Server(ws::Sender out, std::uint64_t ping_ms, std::uint64_t expire_ms)
        : out_(std::move(out)), ping_ms_(ping_ms), expire_ms_(expire_ms) {}

    ws::Result<> on_open(const ws::Handshake& shake) override {
        std::cout << "Client " << out_.connection_id() << " connected from "
                  << shake.remote_addr().value_or("?") << std::endl;
        if (auto r = out_.timeout(ping_ms_, kPing); !r) return r.error();
        if (auto r = out_.timeout(expire_ms_, kExpire); !r) return r.error();
        return {};
    }

    ws::Result<> on_message(const ws::Message& msg) override { return out_.send(msg); }

    ws::Result<> on_timeout(ws::Token event) override {
        if (event == kPing) {
            // The payload is our clock; the peer must return it unchanged in its pong.
            if (auto r = out_.ping(std::to_string(now_ns())); !r) return r;
            if (auto r = out_.timeout(ping_ms_, kPing); !r) return r.error();  // and again later
            return {};
        }
        if (event == kExpire) {
            std::cout << "Client " << out_.connection_id() << " expired: nothing heard for " << expire_ms_ << " ms"
                      << std::endl;
            return out_.close(ws::CloseCode::Away, "idle for too long");
        }
        return {};
    }

    ws::Result<> on_new_timeout(ws::Token event, ws::Timeout timeout) override {
        // Keep one live timer per token: a new kExpire replaces (cancels) the previous one.
        std::optional<ws::Timeout>& slot = event == kExpire ? expire_ : ping_;
        if (slot) {
            if (auto r = out_.cancel(*slot); !r) return r;
        }
        slot = timeout;
        return {};
    }

    ws::Result<> on_frame(ws::Frame& frame) override {
        if (frame.opcode() == ws::OpCode::Pong) {
            std::uint64_t sent = 0;
            const std::string_view payload = frame.payload();  // valid during this call
            auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), sent);
            if (ec == std::errc() && end == payload.data() + payload.size()) {
                const double rtt_ms = static_cast<double>(now_ns() - sent) / 1e6;
                std::cout << "Client " << out_.connection_id() << ": RTT is " << std::fixed << std::setprecision(3)
                          << rtt_ms << " ms" << std::endl;
            } else {
                std::cout << "Client " << out_.connection_id() << ": got a pong we did not ask for" << std::endl;
            }
        }
        // Any frame proves the peer is alive: push the expiry back.
        if (auto r = out_.timeout(expire_ms_, kExpire); !r) return r.error();
        return {};  // and let ws-cpp process the frame as usual
    }

    void on_close(ws::CloseCode code, std::string_view reason) override {
        std::cout << "Client " << out_.connection_id() << " closed (" << ws::to_u16(code) << " " << ws::to_string(code)
                  << (reason.empty() ? "" : ", ") << reason << ")" << std::endl;
        // Timers of a closed connection never fire; cancelling them just frees them early.
        if (ping_) (void)out_.cancel(*ping_);
        if (expire_) (void)out_.cancel(*expire_);
    }

private:
    ws::Sender out_;
    std::uint64_t ping_ms_;
    std::uint64_t expire_ms_;
    std::optional<ws::Timeout> ping_;
    std::optional<ws::Timeout> expire_;
};

}  // namespace

int main(int argc, char** argv) {
    const std::string addr = "127.0.0.1:" + std::string(argc > 1 ? argv[1] : "3012");
    const std::uint64_t ping_ms = argc > 2 ? std::stoull(argv[2]) : 5'000;
    const std::uint64_t expire_ms = argc > 3 ? std::stoull(argv[3]) : 30'000;
    std::cout << "Listening on ws://" << addr << "; ping every " << ping_ms << " ms, expire after " << expire_ms
              << " ms of silence" << std::endl;
    return ws::listen(addr, [=](ws::Sender out) { return Server(std::move(out), ping_ms, expire_ms); });
}

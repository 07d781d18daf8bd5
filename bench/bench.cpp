// bench: a load client built on ws-cpp's own client (WS-RS's examples/bench.rs).
//
//   bench URL [-c N] [-m M] [-s S] [-d D] [--binary] [--timeout SECONDS]
//
// Opens N connections to URL (ws://127.0.0.1:PORT/) on one ws::WebSocket, waits until all are
// open, then each sends M messages of S bytes, keeping D in flight, checks every echo (size,
// type and bytes) and closes. Prints messages/s and its own CPU time per message. Run wsload
// with the same shape against the same server: the two CPU-per-message figures compare our
// client with an independent, minimal one. Exit status 1 on any error, a wrong echo, or no
// completion within --timeout.
#include <CLI/CLI.hpp>
#include <ws/ws.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common.hpp"

namespace {

struct Config {
    std::string url;
    std::size_t connections = 100;
    std::size_t messages = 10'000;
    std::size_t size = 16;
    std::size_t depth = 1;
    bool binary = false;
    double timeout = 60;
};

class Client;

// What the connections share (all on the loop thread).
struct State {
    explicit State(const Config& c) : cfg(c), base(c.size, 'x') {
        for (std::size_t i = 0; i < base.size(); ++i) base[i] = static_cast<char>('a' + (i * 7) % 26);
    }
    const Config& cfg;
    std::string base;  // every payload: these bytes with the sequence number written over the start
    std::vector<Client*> clients;
    std::size_t opened = 0;
    std::size_t finished = 0;
    std::uint64_t received = 0;
    std::uint64_t t0 = 0, t1 = 0;
    bench::CpuTimes cpu0, cpu1;
    std::string error;
    ws::Sender all;

    void fail(std::string why) {
        if (error.empty()) error = std::move(why);
        (void)all.shutdown();
    }
    void start();
};

// Writes message #seq into `out` (size S): up to 16 hex digits of seq, then the base bytes.
void fill(const State& st, std::uint64_t seq, std::string& out) {
    out.assign(st.base);
    const std::size_t pre = std::min<std::size_t>(out.size(), 16);
    for (std::size_t i = 0; i < pre; ++i) {
        out[pre - 1 - i] = "0123456789abcdef"[seq & 15];
        seq >>= 4;
    }
}

class Client final : public ws::Handler {
public:
    Client(ws::Sender out, State& st) : out_(std::move(out)), st_(st) {}

    ws::Result<> on_open(const ws::Handshake&) override {
        st_.clients.push_back(this);
        if (++st_.opened == st_.cfg.connections) st_.start();
        return {};
    }

    void kick() {
        for (std::size_t k = 0; k < st_.cfg.depth && sent_ < st_.cfg.messages; ++k) send_next();
    }

    ws::Result<> on_message(const ws::Message& msg) override {
        fill(st_, received_, expected_);
        if (msg.is_binary() != st_.cfg.binary || msg.bytes() != expected_) {
            st_.fail("wrong echo of message #" + std::to_string(received_) + " (" + std::to_string(msg.size()) + " bytes)");
            return {};
        }
        ++received_;
        ++st_.received;
        if (sent_ < st_.cfg.messages) send_next();
        if (received_ == st_.cfg.messages) {
            if (++st_.finished == st_.cfg.connections) {
                st_.t1 = bench::now_ns();
                st_.cpu1 = bench::own_cpu();
            }
            return out_.close(ws::CloseCode::Normal);
        }
        return {};
    }

    void on_close(ws::CloseCode code, std::string_view reason) override {
        if (received_ < st_.cfg.messages) {
            st_.fail("connection closed after " + std::to_string(received_) + " echoes: " +
                     std::to_string(ws::to_u16(code)) + " " + std::string(reason));
        }
    }

    void on_error(const ws::Error& err) override { st_.fail(err.what()); }

private:
    void send_next() {
        fill(st_, sent_++, outgoing_);
        const ws::Message m = st_.cfg.binary ? ws::Message::binary_view(outgoing_) : ws::Message::text_view(outgoing_);
        if (auto r = out_.send(m); !r) st_.fail("send failed: " + r.error().what());
    }

    ws::Sender out_;
    State& st_;
    std::uint64_t sent_ = 0;
    std::uint64_t received_ = 0;
    std::string outgoing_, expected_;
};

void State::start() {
    t0 = bench::now_ns();
    cpu0 = bench::own_cpu();
    for (Client* c : clients) c->kick();
}

}  // namespace

int main(int argc, char** argv) {
    Config cfg;
    CLI::App app{"bench: load client on ws-cpp's own client; N connections x M messages, echo verified"};
    app.add_option("url", cfg.url, "ws://HOST:PORT/ of an echo server")->required();
    app.add_option("-c,--connections", cfg.connections, "connections")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("-m,--messages", cfg.messages, "messages per connection")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("-s,--size", cfg.size, "message size, bytes")->capture_default_str();
    app.add_option("-d,--depth", cfg.depth, "messages in flight per connection")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_flag("--binary", cfg.binary, "binary messages (default: text)");
    app.add_option("--timeout", cfg.timeout, "give up (exit 1) after this many seconds")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    bench::raise_fd_limit();

    State st(cfg);
    ws::WebSocket socket = ws::Builder()
                               .max_connections(cfg.connections + 16)
                               .max_frame_size(std::max<std::size_t>(cfg.size, 1u << 20))
                               .max_message_size(std::max<std::size_t>(cfg.size, 1u << 20))
                               .max_output_buffer(cfg.depth * (cfg.size + 14) + (1u << 20))
                               .build([&st](ws::Sender out) { return Client(std::move(out), st); });
    st.all = socket.broadcaster();
    for (std::size_t i = 0; i < cfg.connections; ++i) {
        if (auto r = socket.connect(cfg.url); !r) {
            std::fprintf(stderr, "bench: %s\n", r.error().what().c_str());
            return 2;
        }
    }

    // A watchdog: a server that stops answering must not hang the run.
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    bool timed_out = false;
    std::thread watchdog([&] {
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, std::chrono::duration<double>(cfg.timeout), [&] { return done; })) {
            timed_out = true;
            (void)st.all.shutdown();
        }
    });
    const auto ran = socket.run();
    {
        std::lock_guard lock(m);
        done = true;
    }
    cv.notify_one();
    watchdog.join();

    if (timed_out) st.error = "no completion within " + std::to_string(cfg.timeout) + " s";
    if (!ran) st.error = ran.error().what();
    if (st.error.empty() && st.finished != cfg.connections) st.error = "not every connection finished";
    if (!st.error.empty()) {
        std::fprintf(stderr, "bench: FAIL: %s\n", st.error.c_str());
        std::printf("RESULT status=fail errors=1\n");
        return 1;
    }
    const double secs = static_cast<double>(st.t1 - st.t0) / 1e9;
    const double msgs = static_cast<double>(st.received);
    const double cpu = st.cpu1.total() - st.cpu0.total();
    std::printf("bench: %zu connections x %zu messages of %zu bytes (%s), %zu in flight each, on ws-cpp's client\n",
                cfg.connections, cfg.messages, cfg.size, cfg.binary ? "binary" : "text", cfg.depth);
    std::printf("  echoed:     %.0f messages in %.3f s = %.0f msgs/s\n", msgs, secs, msgs / secs);
    std::printf("  client CPU: %.2f s = %.0f %% of one core (user %.2f s, sys %.2f s), %.3f us per message\n", cpu,
                100 * cpu / secs, st.cpu1.user - st.cpu0.user, st.cpu1.sys - st.cpu0.sys, cpu * 1e6 / msgs);
    std::printf("RESULT status=ok errors=0 mode=bench conns=%zu size=%zu depth=%zu msgs=%.0f secs=%.3f msgs_per_s=%.0f "
                "client_cpu_pct=%.1f client_cpu_us_per_msg=%.3f\n",
                cfg.connections, cfg.size, cfg.depth, msgs, secs, msgs / secs, 100 * cpu / secs, cpu * 1e6 / msgs);
    return 0;
}

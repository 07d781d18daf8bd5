// The client the Autobahn Testsuite's fuzzingserver tests (WS-RS's examples/autobahn-client.rs).
//
//   autobahn_client [base-url] [agent]      ws://127.0.0.1:9001 and "ws-cpp" by default
//
// Start the suite's server first:
//   wstest -m fuzzingserver -s fuzzingserver.json     ({"url": "ws://127.0.0.1:9001", "cases": ["*"]})
//
// The fuzzingserver protocol, one connection at a time:
//   1. BASE/getCaseCount                      the server sends the number of cases, then closes
//   2. BASE/runCase?case=N&agent=AGENT        for N = 1..count: echo every message back until
//                                             the server closes; it grades what it sees
//   3. BASE/updateReports?agent=AGENT         the server writes its report, then closes
// The agent name goes into the URL as it is: keep it to letters, digits and "-._~".
//
// Each step runs its own WebSocket on this thread: run() returns when its only connection
// ends, so the steps follow one another like ordinary function calls, and a handler can write
// its result straight into a local variable of main().
#include <ws/ws.hpp>

#include <charconv>
#include <iostream>
#include <optional>
#include <string>

namespace {

// Limits for a trusted peer that sends messages up to 16 MiB (see autobahn_server.cpp).
ws::Builder autobahn_settings() {
    constexpr std::uint64_t kLimit = 64u << 20;
    return ws::Builder().max_frame_size(kLimit).max_message_size(kLimit).max_output_buffer(kLimit + (1u << 20));
}

// Connects to `url` with handlers from `factory` and runs until the connection ends.
template <class F>
ws::Result<> run_connection(const std::string& url, F&& factory) {
    ws::WebSocket socket = autobahn_settings().build(std::forward<F>(factory));
    if (auto r = socket.connect(url); !r) return r;
    return socket.run();
}

// Step 1: one text message holding a number.
class CaseCount : public ws::Handler {
public:
    explicit CaseCount(std::optional<int>& count) : count_(count) {}
    ws::Result<> on_message(const ws::Message& msg) override {
        int n = 0;
        const std::string_view text = msg.as_text();
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc() || end != text.data() + text.size() || n < 0) {
            return ws::Error(ws::ErrorKind::Protocol, "getCaseCount sent '" + std::string(text) + "', not a number");
        }
        count_ = n;
        return {};  // the server closes the connection
    }
    void on_error(const ws::Error& err) override { std::cerr << "getCaseCount: " << err.what() << "\n"; }

private:
    std::optional<int>& count_;
};

// Step 2: echo. Everything the suite checks beyond that (framing, UTF-8, close codes,
// pings) ws-cpp does on its own.
class Echo : public ws::Handler {
public:
    explicit Echo(ws::Sender out) : out_(std::move(out)) {}
    ws::Result<> on_message(const ws::Message& msg) override { return out_.send(msg); }
    // The suite's cases end in failed connections on purpose; their errors are expected.
    void on_error(const ws::Error&) override {}

private:
    ws::Sender out_;
};

// Step 3: nothing to do but connect; the server writes its reports and closes.
class UpdateReports : public ws::Handler {
public:
    explicit UpdateReports(bool& done) : done_(done) {}
    ws::Result<> on_open(const ws::Handshake&) override {
        done_ = true;
        return {};
    }
    void on_error(const ws::Error& err) override { std::cerr << "updateReports: " << err.what() << "\n"; }

private:
    bool& done_;
};

}  // namespace

int main(int argc, char** argv) {
    const std::string base = argc > 1 ? argv[1] : "ws://127.0.0.1:9001";
    const std::string agent = argc > 2 ? argv[2] : "ws-cpp";

    // run() returns Ok when its connection ended, even if it never opened: the handler's
    // on_error heard why, and the missing count says it.
    std::optional<int> count;
    if (auto r = run_connection(base + "/getCaseCount", [&count](ws::Sender) { return CaseCount(count); }); !r) {
        std::cerr << "autobahn_client: getCaseCount: " << r.error().what() << "\n";
        return 1;
    }
    if (!count) {
        std::cerr << "autobahn_client: " << base << "/getCaseCount sent no case count\n";
        return 1;
    }
    std::cout << "Running " << *count << " cases as agent '" << agent << "'" << std::endl;

    for (int n = 1; n <= *count; ++n) {
        const std::string url = base + "/runCase?case=" + std::to_string(n) + "&agent=" + agent;
        std::cout << "Case " << n << "/" << *count << std::endl;
        // A case that fails to connect is the suite's to grade; go on with the next.
        if (auto r = run_connection(url, [](ws::Sender out) { return Echo(std::move(out)); }); !r) {
            std::cerr << "case " << n << ": " << r.error().what() << "\n";
        }
    }

    std::cout << "Updating reports" << std::endl;
    bool updated = false;
    const std::string update_url = base + "/updateReports?agent=" + agent;
    if (auto r = run_connection(update_url, [&updated](ws::Sender) { return UpdateReports(updated); }); !r || !updated) {
        std::cerr << "autobahn_client: " << update_url << " failed\n";
        return 1;
    }
    std::cout << "Done." << std::endl;
    return 0;
}

// Shutting a server down from another thread (WS-RS's examples/external_shutdown.rs).
//
//   external_shutdown [seconds] [port]
//        an echo server on 127.0.0.1:3012 (0: any free port) that gives up, and exits
//        cleanly, if no client connects within 5 seconds (fractions allowed: 0.5).
//
// WebSocket::broadcaster() is a Sender for the whole WebSocket. Like every Sender it can be
// copied to another thread, and its shutdown() works even when there is no connection at all:
// the listener closes, open connections get a 1001 close frame, and run() returns once they
// have answered. If a client does connect in time, the server serves it and shuts down when
// that client leaves.
#include <ws/ws.hpp>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

namespace {

// Set by the loop thread when a client arrives, awaited by the watchdog thread.
struct Arrival {
    std::mutex mutex;
    std::condition_variable cv;
    bool arrived = false;
};

class Echo : public ws::Handler {
public:
    explicit Echo(ws::Sender out) : out_(std::move(out)) {}
    ws::Result<> on_message(const ws::Message& msg) override { return out_.send(msg); }
    void on_close(ws::CloseCode, std::string_view) override {
        std::cout << "The client left; shutting down." << std::endl;
        (void)out_.shutdown();
    }

private:
    ws::Sender out_;
};

class EchoOnce : public ws::Factory {
public:
    explicit EchoOnce(Arrival& arrival) : arrival_(arrival) {}
    std::unique_ptr<ws::Handler> connection_made(ws::Sender out) override {
        {
            std::lock_guard<std::mutex> lock(arrival_.mutex);
            arrival_.arrived = true;
        }
        arrival_.cv.notify_one();
        return std::make_unique<Echo>(std::move(out));
    }

private:
    Arrival& arrival_;
};

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::stod(argv[1]) : 5.0;
    const std::string port = argc > 2 ? argv[2] : "3012";
    const auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));

    Arrival arrival;
    ws::WebSocket socket{EchoOnce(arrival)};
    if (auto r = socket.bind("127.0.0.1:" + port); !r) {
        std::cerr << "cannot listen: " << r.error().what() << "\n";
        return 1;
    }
    std::cout << "Listening on ws://" << socket.local_addr()->to_string() << "; waiting " << seconds
              << " s for a client." << std::endl;

    // The watchdog holds a copy of the broadcaster: the only thing it needs from the socket.
    std::thread watchdog([handle = socket.broadcaster(), limit, &arrival] {
        std::unique_lock<std::mutex> lock(arrival.mutex);
        if (arrival.cv.wait_for(lock, limit, [&] { return arrival.arrived; })) {
            std::cout << "A client connected; serving it." << std::endl;
            return;
        }
        std::cout << "No client arrived within " << limit.count() << " ms; shutting down." << std::endl;
        if (auto r = handle.shutdown(); !r) std::cerr << "shutdown failed: " << r.error().what() << "\n";
    });

    const auto result = socket.run();  // returns after shutdown()
    watchdog.join();
    if (!result) {
        std::cerr << "event loop failed: " << result.error().what() << "\n";
        return 1;
    }
    std::cout << "Server stopped cleanly." << std::endl;
    return 0;
}

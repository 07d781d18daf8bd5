// Sending from other threads (WS-RS's examples/channel.rs).
//
//   channel [port] [count]     server on 127.0.0.1:3012 by default (0: any free port);
//                              sends the numbers 1..count (100 by default)
//
// Four threads:
//   - the server's event loop, whose handler hands every message to a logger thread through
//     a channel (a std::queue guarded by a mutex and a condition variable);
//   - the logger thread, which prints what it receives;
//   - the client's event loop;
//   - a producer thread, which sends numbers through a copy of the client connection's Sender.
//
// A Sender may be copied to and used from any thread. Off the loop thread a call enters the
// WebSocket's bounded command queue and returns at once: send() never blocks. When the queue
// is full, send() returns ErrorKind::Queue and the message is NOT sent; the caller decides what
// to do (here: back off briefly and retry the same number). The client's queue is made tiny
// (Settings::queue_size) so that this happens; the default holds 65'536 commands.
#include <ws/ws.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>

namespace {

// The logger and the producer both print: one line at a time, so that theirs never mix.
void print_line(const std::string& line) {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    std::cout << line << std::endl;
}

// A minimal multi-producer channel: send() from any thread, recv() blocks until a value
// arrives or the channel is closed and empty.
template <class T>
class Channel {
public:
    void send(T value) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            queue_.push(std::move(value));
        }
        ready_.notify_one();
    }
    void close() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }
    std::optional<T> recv() {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return std::nullopt;
        T value = std::move(queue_.front());
        queue_.pop();
        return value;
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::queue<T> queue_;
    bool closed_ = false;
};

// The server side: tee every message to the logger; stop when the client leaves.
class Server : public ws::Handler {
public:
    Server(ws::Sender out, Channel<std::string>& log) : out_(std::move(out)), log_(log) {}

    ws::Result<> on_message(const ws::Message& msg) override {
        // `msg` is a view valid only during this call: the channel gets a copy.
        log_.send(msg.to_string());
        return {};
    }

    void on_close(ws::CloseCode, std::string_view) override {
        log_.close();
        (void)out_.shutdown();
    }

private:
    ws::Sender out_;
    Channel<std::string>& log_;
};

}  // namespace

int main(int argc, char** argv) {
    const std::string port = argc > 1 ? argv[1] : "3012";
    const int count = argc > 2 ? std::stoi(argv[2]) : 100;

    // --- the server and its logger --------------------------------------------------------
    Channel<std::string> log;
    ws::WebSocket server([&log](ws::Sender out) { return Server(std::move(out), log); });
    if (auto r = server.bind("127.0.0.1:" + port); !r) {
        std::cerr << "cannot listen: " << r.error().what() << "\n";
        return 1;
    }
    const std::string url = "ws://" + server.local_addr()->to_string();

    // --- the client -------------------------------------------------------------------------
    // The factory hands the connection's Sender over to the producer through a promise.
    std::promise<ws::Sender> handed_over;
    ws::WebSocket client = ws::Builder().queue_size(8).build([&handed_over](ws::Sender out) {
        handed_over.set_value(out);
        return [](const ws::Message&) {};  // the client receives nothing
    });
    if (auto r = client.connect(url); !r) {
        std::cerr << "cannot connect: " << r.error().what() << "\n";
        return 1;
    }

    // Everything is set up; start the threads. (Connecting before the server's loop runs is
    // fine: the listener is bound, and the kernel queues the connection until it is accepted.)
    std::thread server_thread([&server] { (void)server.run(); });
    std::thread logger([&log] {
        while (auto line = log.recv()) print_line("Logger got " + *line);
    });
    std::thread client_thread([&client] { (void)client.run(); });

    // --- the producer -----------------------------------------------------------------------
    std::thread producer([out = handed_over.get_future().get(), count] {
        int queue_full = 0;
        for (int n = 1; n <= count; ++n) {
            // Messages sent before the opening handshake completes are held and go out
            // right after it, so there is no need to wait for the connection to open.
            while (true) {
                auto sent = out.send(std::to_string(n));
                if (sent) break;
                if (sent.error().kind() != ws::ErrorKind::Queue) {
                    std::cerr << "Producer: cannot send: " << sent.error().what() << "\n";
                    return;
                }
                // The loop has not caught up yet. Nothing was sent; try again shortly.
                ++queue_full;
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            }
        }
        print_line("Producer: sent " + std::to_string(count) + " numbers; the queue was full " +
                   std::to_string(queue_full) + " times (send returned ErrorKind::Queue instead of blocking).");
        // A close from this thread is queued behind the messages, so all of them go first.
        while (true) {
            auto closed = out.close(ws::CloseCode::Normal, "done");
            if (closed || closed.error().kind() != ws::ErrorKind::Queue) break;
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    });

    producer.join();
    client_thread.join();
    server_thread.join();
    logger.join();
    std::cout << "All done." << std::endl;
    return 0;
}

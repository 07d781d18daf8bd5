// Sending never blocks and never deadlocks (WS-RS #219, #346, #91): a full command queue and a
// full output buffer are statuses the caller sees; buffered_amount() and on_drain() let a
// producer wait for room; a peer that sends without reading is slowed by TCP, not by our memory.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

using namespace std::chrono_literals;

TEST(Backpressure, FullQueueIsAnErrorNotABlock) {
    Settings s;
    s.queue_size = 8;
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    bool blocked = false;
    std::optional<Sender> sender;
    ServerThread server(
        [&](Sender out) {
            {
                std::lock_guard<std::mutex> lock(mu);
                sender = out;
            }
            return [&](const Message& m) {
                if (m.as_text() != "block") return;
                std::unique_lock<std::mutex> lock(mu);
                blocked = true;
                cv.notify_all();
                cv.wait(lock, [&] { return release; });  // the loop thread is stuck here
            };
        },
        s);
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    peer.send_frame(0x1, "block");
    Sender out;
    {
        std::unique_lock<std::mutex> lock(mu);
        ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return blocked; }));
        out = *sender;
    }
    int accepted = 0;
    Result<> last;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) {
        last = out.send("m" + std::to_string(i));
        if (!last) break;
        ++accepted;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);  // never blocked
    EXPECT_EQ(accepted, 8);
    ASSERT_FALSE(last);
    EXPECT_EQ(last.error().kind(), ErrorKind::Queue);
    {
        std::lock_guard<std::mutex> lock(mu);
        release = true;
    }
    cv.notify_all();
    for (int i = 0; i < 8; ++i) {
        auto f = peer.read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->payload, "m" + std::to_string(i));
    }
}

TEST(Backpressure, HandlerSendingFarMoreThanTheQueueNeverDeadlocks) {
    Settings s;
    s.queue_size = 4;  // WS-RS deadlocked once a handler queued more than this
    ServerThread server(
        [](Sender out) {
            return [out](const Message&) -> Result<> {
                for (int i = 0; i < 5000; ++i) {
                    if (auto r = out.send("n" + std::to_string(i)); !r) return r;
                }
                return {};
            };
        },
        s);
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    peer.send_frame(0x1, "go");
    for (int i = 0; i < 5000; ++i) {
        auto f = peer.read_frame();
        ASSERT_TRUE(f) << "message " << i;
        ASSERT_EQ(f->payload, "n" + std::to_string(i));
    }
}

struct Producer : Handler {
    Producer(Sender s, EventLog& l) : out(std::move(s)), log(l) {}
    Sender out;
    EventLog& log;
    int sent = 0;
    bool refused = false;
    Result<> on_message(const Message& m) override {
        if (m.as_text() != "fill") return {};
        const std::string chunk(16 << 10, 'z');
        while (true) {
            auto r = out.send(chunk);
            if (!r) {
                log.add("refused " + std::string(to_string(r.error().kind())) + " after " + std::to_string(sent) +
                        " buffered " + std::to_string(out.buffered_amount()));
                refused = true;
                return {};
            }
            ++sent;
            if (sent > 10000) return Error(ErrorKind::Internal, "no cap");
        }
    }
    void on_drain() override {
        if (refused) log.add("drain " + std::to_string(out.buffered_amount()));
        refused = false;
    }
};

TEST(Backpressure, OutputCapRefusesThenDrainSignalsRoom) {
    Settings s;
    s.max_output_buffer = 256 << 10;
    s.read_pause_threshold = 0;
    EventLog log;
    ServerThread server([&](Sender out) { return Producer(out, log); }, s);
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    peer.send_frame(0x1, "fill");  // and then do not read for a while
    auto refused = log.wait_for_prefix("refused ");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->rfind("refused Capacity after ", 0), 0u) << *refused;
    const int sent = std::stoi(refused->substr(std::string("refused Capacity after ").size()));
    const auto buffered = std::stoull(refused->substr(refused->find("buffered ") + 9));
    EXPECT_GE(sent, 15);  // the cap, and not much less, was used
    EXPECT_LE(buffered, s.max_output_buffer);
    EXPECT_GT(buffered, 0u);
    // Now read everything: every accepted message arrives whole, then on_drain fires at 0.
    for (int i = 0; i < sent; ++i) {
        auto f = peer.read_frame(5000);
        ASSERT_TRUE(f) << i;
        ASSERT_EQ(f->payload.size(), 16u << 10);
    }
    EXPECT_TRUE(log.wait_for("drain 0"));
}

TEST(Backpressure, PeerThatNeverReadsCannotGrowOurBuffers) {
    Settings s;
    s.read_pause_threshold = 256 << 10;
    std::optional<Sender> sender;
    std::mutex mu;
    ServerThread server(
        [&](Sender out) {
            {
                std::lock_guard<std::mutex> lock(mu);
                sender = out;
            }
            return [out](const Message& m) { return out.send(m); };
        },
        s);
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    // Write echo requests as fast as the kernel takes them and never read the echoes. The
    // server must stop reading once its output passes the threshold, so our writes stall.
    const std::string frame = encode_frame(0x2, std::string(8 << 10, 'q'));
    std::size_t written = 0;
    std::size_t offset = 0;
    auto last_progress = std::chrono::steady_clock::now();
    const auto give_up = last_progress + 10s;
    while (std::chrono::steady_clock::now() - last_progress < 300ms) {
        ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "no back-pressure after " << written << " bytes";
        const ssize_t n = ::send(peer.fd(), frame.data() + offset, frame.size() - offset, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            written += static_cast<std::size_t>(n);
            offset = (offset + static_cast<std::size_t>(n)) % frame.size();
            last_progress = std::chrono::steady_clock::now();
        } else {
            std::this_thread::sleep_for(1ms);
        }
    }
    Sender out;
    {
        std::lock_guard<std::mutex> lock(mu);
        out = *sender;
    }
    const std::size_t buffered = out.buffered_amount();
    // At most the threshold plus what one loop-buffer's worth of reads echoes on top of it.
    EXPECT_LE(buffered, s.read_pause_threshold + s.read_buffer_size + (64u << 10)) << "after " << written << " bytes";
    EXPECT_LT(written, 64u << 20) << "the server kept reading";
    // Finish the frame we were in the middle of, then read every echo back.
    if (offset != 0) {
        std::thread finish([&] { peer.send(std::string_view(frame).substr(offset)); });
        std::size_t echoed = 0;
        const std::size_t frames = (written + frame.size() - offset) / frame.size();
        for (std::size_t i = 0; i < frames; ++i) {
            auto f = peer.read_frame(5000);
            ASSERT_TRUE(f) << i << " of " << frames;
            echoed += f->payload.size();
        }
        finish.join();
        EXPECT_EQ(echoed, frames * (8u << 10));
    }
}

}  // namespace
}  // namespace ws::test

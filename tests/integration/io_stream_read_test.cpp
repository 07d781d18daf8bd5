// io::Stream reading on a real loop: a read fills the handler's room first (large payloads read
// where they are assembled) and the loop's buffer with the rest; one readiness event takes at
// most the loop's read budget, and what is left is read without the peer sending more (the
// socket set is edge-triggered); data and the FIN or reset behind it are read in one event.
#include "io/stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <span>
#include <thread>
#include <vector>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "io/address.hpp"
#include "io/listener.hpp"
#include "io/loop.hpp"
#include "io/timer.hpp"
#include "io_stream_recorder.hpp"
#include "support/test_support.hpp"

namespace ws::io {
namespace {

using test::pattern;
using test::Recorder;

TEST(IoStream, AReadFillsTheHandlersRoomFirstAndTheLoopBufferWithTheRest) {
    // A handler that offers room (the rest of a large payload) gets a read's first bytes
    // there, reported by on_read_direct, and the bytes after them through on_read, from the
    // same read call. Once it has no room, it is no longer asked.
    struct Direct : Recorder {
        std::string room = std::string(100, '\0');
        std::size_t used = 0;
        std::vector<std::size_t> direct;
        std::vector<std::uint64_t> direct_at, read_at;  // the loop's read count at each report
        const Loop* loop = nullptr;
        int asked_full = 0;
        std::span<std::uint8_t> read_target(std::size_t max) override {
            EXPECT_EQ(max, 64u << 10);  // the loop's buffer size
            if (used == room.size()) {
                ++asked_full;
                return {};
            }
            return {reinterpret_cast<std::uint8_t*>(room.data()) + used, room.size() - used};
        }
        void on_read_direct(std::size_t n) override {
            direct.push_back(n);
            direct_at.push_back(loop->socket_calls().reads);
            used += n;
            if (on_direct) on_direct();
        }
        void on_read(std::span<std::uint8_t> d) override {
            read_at.push_back(loop->socket_calls().reads);
            Recorder::on_read(d);
            if (received.size() == 80 && on_all) on_all();
        }
        std::function<void()> on_direct, on_all;
    };
    ws::test::RawListener listener;
    Loop loop(64 << 10);
    Direct rec;
    rec.loop = &loop;
    Stream stream(loop, rec);
    rec.on_connect = [&] {
        stream.want_read_target();
        stream.start_reading();
    };
    rec.on_direct = [&] {
        std::memcpy(stream.prepare(1), "k", 1);  // the peer's cue for its next write
        stream.commit(1);
    };
    rec.on_all = [&] { stream.shutdown(true); };
    rec.on_eof_action = [&] { stream.close(); };
    const std::string sent = pattern(40 + 110 + 30);
    std::thread t([&] {
        ws::test::RawSocket peer = listener.accept();
        peer.send(sent.substr(0, 40));  // less than the room
        EXPECT_EQ(peer.recv_until("k"), "k");
        peer.send(sent.substr(40, 110));  // the rest of the room (60), and 50 more
        EXPECT_EQ(peer.recv_until("k"), "k");
        peer.send(sent.substr(150));  // the room is full: all to on_read
        peer.wait_closed(5000);
    });
    stream.connect("127.0.0.1", listener.port());
    loop.run();
    t.join();
    EXPECT_EQ(rec.direct, (std::vector<std::size_t>{40, 60}));
    EXPECT_EQ(rec.room, sent.substr(0, 100));
    EXPECT_EQ(rec.received, sent.substr(100));
    ASSERT_EQ(rec.direct_at.size(), 2u);
    ASSERT_FALSE(rec.read_at.empty());
    EXPECT_EQ(rec.read_at.front(), rec.direct_at[1]) << "the room's last 60 bytes and the next 50: one read";
    EXPECT_EQ(rec.asked_full, 1) << "asked again after it had no room";
    loop.drain_closing();
}

// The socket set is edge-triggered: a readiness event whose reads stop at the loop's read
// budget leaves data that no new edge announces. The stream must still read it without the
// peer sending more. Here the peer sends 60 KiB, then nothing, and the stream starts reading
// only once all of it is queued in our socket. What it read, and the size of every read.
// With `ask_target` the handler asks for a read target after every read and offers no room
// (as a Connection does in the middle of a ping flood: always inside a frame, never one
// large enough to be read where it goes), so every read takes the target path.
struct AfterTheCap {
    std::string received;
    std::uint64_t reads = 0;
    std::vector<std::size_t> read_sizes;
    std::size_t largest_read() const { return read_sizes.empty() ? 0 : *std::max_element(read_sizes.begin(), read_sizes.end()); }
};
AfterTheCap read_past_the_cap(std::size_t buffer, std::size_t budget, const std::string& sent, bool ask_target = false) {
    ws::test::RawListener listener;
    Loop loop(buffer, budget);
    Recorder rec;
    Stream stream(loop, rec);
    if (ask_target) {
        stream.want_read_target();
        rec.after_read = [&] { stream.want_read_target(); };
    }
    std::atomic<bool> queued{false};
    std::uint64_t reads_before = 0;
    Timer watchdog(loop, [&] { stream.close(); });
    Timer tick(loop, [&] {
        if (stream.is_closing()) return;
        if (!stream.is_reading() && queued) {
            reads_before = loop.socket_calls().reads;
            stream.start_reading();
        } else if (rec.received.size() == sent.size()) {
            watchdog.stop();
            stream.close();  // the peer sees EOF and leaves
            return;
        }
        tick.start(5);
    });
    rec.on_connect = [&] {
        watchdog.start(5000);
        tick.start(5);
    };
    rec.on_eof_action = [&] { stream.close(); };
    std::thread t([&] {
        ws::test::RawSocket peer = listener.accept();
        peer.send(sent);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // on its way into our socket
        queued = true;
        peer.wait_closed(6000);
    });
    stream.connect("127.0.0.1", listener.port());
    loop.run();
    t.join();
    loop.drain_closing();
    return {rec.received, loop.socket_calls().reads - reads_before, rec.read_sizes};
}

TEST(IoStream, DataLeftAfterTheReadCapIsReadWithoutMoreArriving) {
    // 1 KiB reads, 32 KiB per event: the budget ends an event after 32 full reads.
    const std::string sent = pattern(60u << 10);
    const AfterTheCap got = read_past_the_cap(1024, 32u << 10, sent);
    EXPECT_EQ(got.received.size(), sent.size()) << "what was left after the read cap was never read";
    EXPECT_TRUE(got.received == sent);
    EXPECT_GT(got.reads, 32u) << "the cap was not reached: the test shows nothing";
}

TEST(IoStream, OneEventReadsNoMoreThanTheBudgetEvenWithRoomInTheBuffer) {
    // An 8 KiB buffer, 3 KiB per event: every read is cut to the budget (one flooding peer
    // must not hand the parser more than that at a time), and the rest is read in the events
    // that follow. The same when every read goes the read-target way with no room offered.
    const std::string sent = pattern(60u << 10);
    for (const bool target : {false, true}) {
        SCOPED_TRACE(target ? "read target asked for, no room" : "plain reads");
        const AfterTheCap got = read_past_the_cap(8u << 10, 3u << 10, sent, target);
        EXPECT_TRUE(got.received == sent) << "got " << got.received.size() << " of " << sent.size() << " bytes";
        EXPECT_EQ(got.largest_read(), 3u << 10) << "a read went past the budget, or never reached it";
        EXPECT_GE(got.reads, 20u);
    }
}

TEST(IoStream, AReadIsCutToWhatIsLeftOfTheBudget) {
    // A 2 KiB buffer, 3 KiB per event: each event reads 2 KiB, then the 1 KiB left of its
    // budget, then stops. Reads cut to the whole budget instead would all be 2 KiB (and an
    // event would take 4 KiB).
    const std::string sent = pattern(60u << 10);
    for (const bool target : {false, true}) {
        SCOPED_TRACE(target ? "read target asked for, no room" : "plain reads");
        const AfterTheCap got = read_past_the_cap(2u << 10, 3u << 10, sent, target);
        ASSERT_TRUE(got.received == sent) << "got " << got.received.size() << " of " << sent.size() << " bytes";
        const auto cut = std::count(got.read_sizes.begin(), got.read_sizes.end(), std::size_t{1} << 10);
        EXPECT_EQ(cut, 20) << "60 KiB in events of 3 KiB: twenty reads of the budget's last 1 KiB";
        EXPECT_EQ(got.largest_read(), 2u << 10);
    }
}

// The peer sends `data`, then ends the connection with `finish` (a FIN or a reset); only
// then does the stream start reading. The stream must see the data and the end in the same
// readiness event: with an edge-triggered set, nothing announces the end again. (The peer
// waits until our side has seen its connect complete: a reset before that is reported by the
// connect, as its error.)
void expect_data_then_end(const std::function<void(ws::test::RawSocket&)>& finish, bool reset) {
    ws::test::RawListener listener;
    Loop loop(64 << 10);
    Recorder rec;
    Stream stream(loop, rec);
    std::atomic<bool> finished{false};
    std::atomic<bool> up{false};
    bool failed = false;
    Timer watchdog(loop, [&] { stream.close(); });
    Timer tick(loop, [&] {
        if (stream.is_closing()) return;
        if (!finished) return tick.start(5);
        stream.start_reading();
    });
    rec.on_connect = [&] {
        EXPECT_EQ(rec.connected, 0);
        up = true;
        watchdog.start(3000);
        tick.start(5);
    };
    rec.on_eof_action = [&] {
        watchdog.stop();
        stream.close();
    };
    rec.on_error_action = [&] {
        failed = true;
        watchdog.stop();
        stream.close();
    };
    std::thread t([&] {
        ws::test::RawSocket peer = listener.accept();
        for (int i = 0; i < 3000 && !up; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        peer.send("last words");
        finish(peer);
        std::this_thread::sleep_for(std::chrono::milliseconds(30));  // into our socket
        finished = true;
    });
    const auto start = std::chrono::steady_clock::now();
    stream.connect("127.0.0.1", listener.port());
    loop.run();
    t.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "the end was not seen";
    if (reset) {
        EXPECT_TRUE(failed) << "the reset was not reported";
    } else {
        EXPECT_EQ(rec.received, "last words");
        EXPECT_TRUE(rec.eof);
    }
    loop.drain_closing();
}

TEST(IoStream, DataAndTheFinBehindItAreReadInOneEvent) {
    expect_data_then_end([](ws::test::RawSocket& peer) { peer.shutdown_write(); }, false);
}

TEST(IoStream, DataAndTheResetBehindItAreReadInOneEvent) {
    expect_data_then_end(
        [](ws::test::RawSocket& peer) {
            const linger hard{1, 0};  // close with a reset
            setsockopt(peer.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
            peer = ws::test::RawSocket();
        },
        true);
}

}  // namespace
}  // namespace ws::io

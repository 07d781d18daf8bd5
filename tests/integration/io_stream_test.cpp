// io::Stream on a real loop: many writes in one iteration leave in one write per stream (corking,
// also when writes to many streams interleave, as in a broadcast), the
// client connect sets TCP_NODELAY when asked, and back-pressure / shutdown work at this level;
// and the Loop's clock is libuv's. Reading is io_stream_read_test.cpp.
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
#include <uv.h>

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

// Loop::now_ms reads libuv's loop time through a pointer instead of calling uv_now: it must
// follow every update libuv makes, and the ones run() makes.
TEST(IoLoop, ClockIsLibuvsClock) {
    Loop loop(64 * 1024);
    EXPECT_EQ(loop.now_ms(), uv_now(loop.uv()));
    const std::uint64_t before = loop.now_ms();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(loop.now_ms(), before);  // cached until the loop updates it
    uv_update_time(loop.uv());
    EXPECT_EQ(loop.now_ms(), uv_now(loop.uv()));
    EXPECT_GE(loop.now_ms(), before + 25);

    // Through a run (a listener keeps it going): in a timer's callback, after libuv and run()
    // updated the time, and when the run is over.
    Listener listener(loop, [] {});
    sockaddr_storage where{};
    ASSERT_TRUE(parse_ip("127.0.0.1", 0, where));
    ASSERT_TRUE(listener.bind_and_listen(where, 16).ok());
    std::uint64_t in_timer = 0, in_timer_uv = 0;
    Timer timer(loop, [&] {
        in_timer = loop.now_ms();
        in_timer_uv = uv_now(loop.uv());
        listener.close();
    });
    const std::uint64_t start = loop.now_ms();
    timer.start(40);
    ASSERT_EQ(loop.run(), 0);
    EXPECT_EQ(in_timer, in_timer_uv);
    EXPECT_GE(in_timer, start + 40);
    EXPECT_EQ(loop.now_ms(), uv_now(loop.uv()));
}

TEST(IoStream, WritesOfOneIterationLeaveAsOneWrite) {
    ws::test::RawListener listener;
    Loop loop(64 << 10);
    Recorder rec;
    Stream stream(loop, rec);
    rec.on_connect = [&] {
        stream.set_nodelay(true);
        int on = 0;
        socklen_t len = sizeof(on);
        getsockopt(stream.native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, &len);
        EXPECT_EQ(on, 1);
        // 100 small writes in one callback: corked, flushed once at the end of the iteration.
        for (int i = 0; i < 100; ++i) {
            std::uint8_t* p = stream.prepare(10);
            std::memcpy(p, "0123456789", 10);
            stream.commit(10);
        }
        EXPECT_EQ(stream.buffered_amount(), 1000u);
        stream.shutdown();
    };
    std::string first;
    bool peer_saw_fin = false;
    std::thread t([&] {
        ws::test::RawSocket peer = listener.accept();
        first = peer.recv_some(2000);
        peer_saw_fin = peer.wait_closed(2000);  // the FIN from shutdown()
    });                                          // closing `peer` ends our stream's reading
    rec.on_eof_action = [&] { stream.close(); };
    stream.connect("127.0.0.1", listener.port());
    loop.run();  // until the stream is closed
    t.join();
    ASSERT_EQ(rec.connected, 0);
    // One write of 1000 bytes arrives in one piece on loopback; 100 writes would not.
    EXPECT_EQ(first.size(), 1000u);
    EXPECT_TRUE(peer_saw_fin);
    EXPECT_TRUE(rec.eof);
    loop.drain_closing();
    EXPECT_TRUE(rec.closed);
}

TEST(IoStream, InterleavedWritesToManyStreamsLeaveAsOneWriteEach) {
    // A broadcast writes to one connection after another, many times in one iteration: each
    // connection's bytes must still leave with one write, in the order they were written.
    ws::test::RawListener listener;
    Loop loop(64 << 10);
    constexpr int kStreams = 4;
    constexpr int kRounds = 25;
    Recorder rec[kStreams];
    std::vector<std::unique_ptr<Stream>> streams;
    for (auto& r : rec) {
        streams.push_back(std::make_unique<Stream>(loop, r));
    }
    int connected = 0;
    long before = -1;
    long after = -1;
    Timer check(loop, [&] {
        after = static_cast<long>(loop.socket_calls().sends);
        for (auto& st : streams) st->shutdown(true);
    });
    for (auto& r : rec) {
        r.on_connect = [&] {
            for (auto& st : streams) st->start_reading();  // keeps the loop running
            if (++connected < kStreams) return;
            before = static_cast<long>(loop.socket_calls().sends);
            for (int round = 0; round < kRounds; ++round) {
                for (int i = 0; i < kStreams; ++i) {
                    char line[8];
                    std::snprintf(line, sizeof line, "%c%02d;", 'a' + i, round);
                    std::memcpy(streams[static_cast<std::size_t>(i)]->prepare(4), line, 4);
                    streams[static_cast<std::size_t>(i)]->commit(4);
                }
            }
            check.start(20);  // reads the count once this iteration's flush is done
        };
    }
    std::vector<std::string> got(kStreams);
    std::thread t([&] {
        std::vector<ws::test::RawSocket> peers;
        for (int i = 0; i < kStreams; ++i) peers.push_back(listener.accept());
        for (auto& p : peers) {
            std::string all = p.recv_until(std::string(1, 'z'), 2000);  // everything until EOF
            got[static_cast<std::size_t>(all.empty() ? 0 : all[0] - 'a')] = all;
        }
    });
    for (auto& st : streams) st->connect("127.0.0.1", listener.port());
    loop.run();
    t.join();
    ASSERT_GE(before, 0);
    // One send per stream (25 per stream without the fan-out corking).
    EXPECT_EQ(after - before, kStreams) << "one send per stream";
    for (int i = 0; i < kStreams; ++i) {
        std::string want;
        for (int round = 0; round < kRounds; ++round) {
            char line[8];
            std::snprintf(line, sizeof line, "%c%02d;", 'a' + i, round);
            want += line;
        }
        EXPECT_EQ(got[static_cast<std::size_t>(i)], want);
    }
    for (auto& st : streams) {
        if (!st->is_closing()) st->close();
    }
    loop.drain_closing();
}

// Small writes corked first, then a large frame (header "[HEAD]" and `body`, which the kernel
// cannot take at once, written by `gather`), then small writes again: the peer must read
// everything in order, byte for byte. Our send buffer is kept small, so what the kernel takes
// at once is bounded by what the peer's receive queue holds before it starts reading. If the
// peer gives up (EOF or an error here), the stream closes, so that a failure cannot hang.
void expect_gathered_write_in_order(std::size_t body_size,
                                    const std::function<void(Stream&, std::span<const std::uint8_t> head)>& gather) {
    ws::test::RawListener listener;
    Loop loop(64 << 10);
    Recorder rec;
    Stream stream(loop, rec);
    const std::string body = pattern(body_size);
    std::string want;
    auto put = [&](std::string_view bytes) {
        std::memcpy(stream.prepare(bytes.size()), bytes.data(), bytes.size());
        stream.commit(bytes.size());
        want += bytes;
    };
    rec.on_eof_action = [&] { stream.close(); };
    rec.on_error_action = [&] { stream.close(); };
    rec.on_connect = [&] {
        int small = 64 << 10;
        setsockopt(stream.native_handle(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
        stream.start_reading();
        for (int i = 0; i < 10; ++i) put("<small " + std::to_string(i) + ">");
        const std::string head = "[HEAD]";
        gather(stream, {reinterpret_cast<const std::uint8_t*>(head.data()), head.size()});
        want += head;
        want += body;
        EXPECT_GT(stream.buffered_amount(), 0u) << "the kernel took all of the body at once";
        put("<after>");
        stream.shutdown(true);
    };
    std::string got;
    std::thread t([&] {
        ws::test::RawSocket peer = listener.accept();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the sender fill the socket
        got = peer.recv_until("<after>", 10000);
    });
    stream.connect("127.0.0.1", listener.port());
    loop.run();
    t.join();
    ASSERT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want) << "bytes out of order or damaged";
    loop.drain_closing();
}

TEST(IoStream, GatherWriteKeepsOrderWithCorkedBytesAndWhatTheKernelLeaves) {
    // write_gather: what the kernel leaves of the body is copied and queued.
    const std::string body = pattern(8u << 20);
    expect_gathered_write_in_order(body.size(), [&](Stream& stream, std::span<const std::uint8_t> head) {
        stream.write_gather(head, {reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
    });
}

TEST(IoStream, GatherOwnedWriteKeepsTheBodyBufferInsteadOfCopyingIt) {
    // write_gather_owned with a body the kernel cannot take at once: the stream takes the
    // body's buffer over (the caller's string is left empty, the bytes stay where they were)
    // and sends the rest from it.
    proto::MessageBuffer storage;
    storage.append(pattern(8u << 20));
    const std::string body(storage);
    const char* const where = storage.data();
    expect_gathered_write_in_order(body.size(), [&](Stream& stream, std::span<const std::uint8_t> head) {
        stream.write_gather_owned(head, storage);
        EXPECT_TRUE(storage.empty()) << "the stream copied the body instead of taking its buffer";
        EXPECT_LT(stream.buffered_amount(), body.size());
        EXPECT_EQ(std::memcmp(where, body.data(), body.size()), 0) << "the taken bytes moved or changed";
    });
}

TEST(IoStream, ATakenOverBodyOutlivesACloseUntilTheStreamIsClosed) {
    // The sender of a taken-over body may still be reading it when the stream closes (a close
    // from inside the callback that sent it): the bytes stay valid until on_closed. Under
    // AddressSanitizer, reading them after close() would be a use after free if they did not.
    ws::test::RawListener listener;
    Loop loop(64 << 10);
    Recorder rec;
    Stream stream(loop, rec);
    proto::MessageBuffer storage;
    storage.append(std::string(40u << 20, 'k'));
    bool checked = false;
    rec.on_connect = [&] {
        int small = 64 << 10;
        setsockopt(stream.native_handle(), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
        const char* const where = storage.data();
        const std::size_t size = storage.size();
        const std::string head = "[HEAD]";
        stream.write_gather_owned({reinterpret_cast<const std::uint8_t*>(head.data()), head.size()}, storage);
        EXPECT_TRUE(storage.empty()) << "left " << stream.buffered_amount();
        stream.close();  // drops what was not sent
        EXPECT_EQ(stream.buffered_amount(), 0u);
        std::size_t ks = 0;
        for (std::size_t i = 0; i < size; ++i) ks += where[i] == 'k' ? 1 : 0;
        EXPECT_EQ(ks, size);
        checked = true;
    };
    std::thread t([&] {
        ws::test::RawSocket peer = listener.accept();  // never reads: the write cannot finish
        peer.wait_closed(5000);
    });
    stream.connect("127.0.0.1", listener.port());
    loop.run();
    t.join();
    EXPECT_TRUE(checked);
    EXPECT_TRUE(rec.closed);
    loop.drain_closing();
}

TEST(IoStream, BytesWrittenWhileConnectingLeaveOnceConnected) {
    // Bytes written before the connect completes wait for writability; the connect's
    // completion is that same (edge-triggered) event, so the stream must have the socket
    // checked again, or the bytes wait forever. The connect is held back for about a second:
    // the server's accept queue (backlog 0) is full, so our SYN is dropped until it is retried.
    const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(lfd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    ASSERT_EQ(::listen(lfd, 0), 0);
    ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const std::uint16_t port = ntohs(a.sin_port);
    ws::test::RawSocket filler = ws::test::RawSocket::connect(port);  // fills the accept queue
    ASSERT_TRUE(filler.ok());
    auto accept_within = [lfd](int ms) {
        pollfd p{lfd, POLLIN, 0};
        if (::poll(&p, 1, ms) != 1) return ws::test::RawSocket();
        return ws::test::RawSocket::adopt(::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC));
    };
    Loop loop(64 << 10);
    Recorder rec;
    Stream stream(loop, rec);
    std::atomic<bool> done{false};
    Timer tick(loop, [&] {
        if (done && !stream.is_closing()) stream.close();
        if (!stream.is_closing()) tick.start(10);
    });
    rec.on_connect = [&] { EXPECT_EQ(rec.connected, 0); };  // no reading: it would re-check the socket
    std::string got;
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        ws::test::RawSocket first = accept_within(1000);  // the filler: room for our retried SYN
        ws::test::RawSocket peer = accept_within(4000);
        if (peer.ok()) got = peer.recv_until("early bytes", 3000);
        done = true;
    });
    const auto start = std::chrono::steady_clock::now();
    stream.connect("127.0.0.1", port);
    std::memcpy(stream.prepare(11), "early bytes", 11);
    stream.commit(11);
    tick.start(10);
    loop.run();
    t.join();
    ::close(lfd);
    EXPECT_EQ(got, "early bytes");
    EXPECT_EQ(rec.connected, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
    loop.drain_closing();
}

TEST(IoStream, AListenerBoundInsideASocketCallbackAcceptsAtOnce) {
    // libuv registers a watcher started outside its own poll phase (here: a listener bound
    // from a socket's callback) only in its next poll; the loop must give it that pass before
    // it blocks, not leave the new listener deaf until libuv's next timer (the watchdog here,
    // 5 s away).
    ws::test::RawListener peer_listener;
    Loop loop(64 << 10);
    Recorder rec;
    Stream stream(loop, rec);
    Recorder accepted_rec;
    Stream accepted(loop, accepted_rec);
    std::unique_ptr<Listener> listener;
    std::atomic<int> port{0};
    std::chrono::steady_clock::time_point bound_at{};
    std::chrono::steady_clock::time_point accepted_at{};
    bool got = false;
    auto finish = [&] {
        if (!stream.is_closing()) stream.close();
        if (listener) listener->close();
    };
    Timer watchdog(loop, finish);
    rec.on_connect = [&] {
        watchdog.start(5000);
        listener = std::make_unique<Listener>(loop, [&] {
            accepted_at = std::chrono::steady_clock::now();
            got = true;
            EXPECT_EQ(listener->accept(accepted), 0);
            accepted.close();
            watchdog.stop();
            finish();
        });
        sockaddr_storage where{};
        ASSERT_TRUE(parse_ip("127.0.0.1", 0, where));
        ASSERT_TRUE(listener->bind_and_listen(where, 16).ok());
        bound_at = std::chrono::steady_clock::now();
        port = listener->local_addr()->port;
    };
    std::thread t([&] {
        ws::test::RawSocket peer = peer_listener.accept();
        for (int i = 0; i < 5000 && port.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ws::test::RawSocket client = ws::test::RawSocket::connect(static_cast<std::uint16_t>(port.load()));
        client.wait_closed(6000);
    });
    stream.connect("127.0.0.1", peer_listener.port());
    loop.run();
    t.join();
    ASSERT_TRUE(got) << "the listener never saw the connection";
    EXPECT_LT(accepted_at - bound_at, std::chrono::milliseconds(2000)) << "accepted only when a timer woke libuv";
    loop.drain_closing();
}

}  // namespace
}  // namespace ws::io

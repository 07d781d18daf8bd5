// io::Stream on a real loop: many writes in one iteration leave in one write (corking), the
// client connect sets TCP_NODELAY when asked, and back-pressure / shutdown work at this level.
#include "io/stream.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "io/loop.hpp"
#include "io/timer.hpp"
#include "support/test_support.hpp"

namespace ws::io {
namespace {

struct Recorder : StreamHandler {
    std::string received;
    int connected = 1;
    bool eof = false;
    bool closed = false;
    int drains = 0;
    std::function<void()> on_connect;
    void on_read(std::span<std::uint8_t> d) override { received.append(reinterpret_cast<const char*>(d.data()), d.size()); }
    std::function<void()> on_eof_action;
    void on_eof() override {
        eof = true;
        if (on_eof_action) on_eof_action();
    }
    void on_io_error(int) override {}
    void on_drain() override { ++drains; }
    void on_connected(int status) override {
        connected = status;
        if (on_connect) on_connect();
    }
    void on_closed() override { closed = true; }
};

TEST(IoStream, WritesOfOneIterationLeaveAsOneWrite) {
    ws::test::RawListener listener;
    Loop loop(64 << 10);
    Recorder rec;
    Stream stream(loop, rec);
    ASSERT_EQ(stream.open(), 0);
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

}  // namespace
}  // namespace ws::io

// Settings::threads: several loops share one port (SO_REUSEPORT); connections spread over
// them; broadcast and shutdown reach every loop; factory calls are serialized (a plain,
// unsynchronized counter in the factory stays exact, and TSan sees no race); a loop knows its
// own thread (what decides whether a Sender acts at once or queues).
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "api/shared.hpp"
#include "support/test_support.hpp"

namespace ws::test {
namespace {

using namespace std::chrono_literals;

TEST(Threads, ALoopKnowsItsOwnThreadOnly) {
    const void* mine = detail::this_thread_token();
    EXPECT_EQ(detail::this_thread_token(), mine);  // stable on one thread
    const void* theirs = nullptr;
    std::thread([&] { theirs = detail::this_thread_token(); }).join();
    EXPECT_NE(theirs, nullptr);
    EXPECT_NE(theirs, mine);

    detail::Shared shared(16, 1 << 20, 4);
    EXPECT_FALSE(shared.running());
    EXPECT_FALSE(shared.on_loop_thread());
    shared.set_running(true);
    EXPECT_TRUE(shared.running());
    EXPECT_TRUE(shared.on_loop_thread());
    bool there_running = false, there_on_loop = true;
    std::thread([&] {
        there_running = shared.running();
        there_on_loop = shared.on_loop_thread();
    }).join();
    EXPECT_TRUE(there_running);
    EXPECT_FALSE(there_on_loop);
    shared.set_running(false);
    EXPECT_FALSE(shared.running());
    EXPECT_FALSE(shared.on_loop_thread());
}

TEST(Threads, ConnectionsSpreadOverLoopsAndBroadcastReachesAll) {
    Settings s;
    s.threads = 2;
    std::mutex mu;
    std::set<std::thread::id> loop_threads;
    int made = 0;  // deliberately unsynchronized: ws-cpp serializes factory calls
    WebSocket server(
        [&](Sender out) {
            ++made;
            return [&, out](const Message& m) -> Result<> {
                {
                    std::lock_guard<std::mutex> lock(mu);
                    loop_threads.insert(std::this_thread::get_id());
                }
                if (m.as_text() == "all") return out.broadcast("to everyone");
                return out.send(m);
            };
        },
        s);
    ASSERT_TRUE(server.bind("127.0.0.1:0"));
    const auto port = server.local_addr()->port;
    std::thread loop([&] { EXPECT_TRUE(server.run()); });

    std::vector<RawSocket> peers;
    for (int i = 0; i < 24; ++i) {
        peers.push_back(RawSocket::connect(port));
        ASSERT_NE(peers.back().handshake().find("101"), std::string::npos) << i;
    }
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const std::string text = "echo " + std::to_string(i);
        ASSERT_TRUE(peers[i].send_frame(0x1, text));
        auto f = peers[i].read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->payload, text);
    }
    {
        std::lock_guard<std::mutex> lock(mu);
        // 24 connections hashed over 2 listening sockets: both get some (the chance that one
        // gets none is 2^-23).
        EXPECT_EQ(loop_threads.size(), 2u);
    }
    peers[0].send_frame(0x1, "all");
    for (auto& p : peers) {
        auto f = p.read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->payload, "to everyone");
    }
    // The broadcaster reaches every loop too, and its shutdown ends them all.
    ASSERT_TRUE(server.broadcaster().send("from outside"));
    for (auto& p : peers) {
        auto f = p.read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->payload, "from outside");
    }
    ASSERT_TRUE(server.broadcaster().shutdown());
    for (auto& p : peers) {
        auto f = p.read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->opcode, 0x8);
        p.send_frame(0x8, close_payload(1001));
    }
    loop.join();
    EXPECT_EQ(made, 24);
}

TEST(Threads, OneThreadIsTheDefaultAndPortZeroWorksWithMany) {
    Settings s;
    s.threads = 3;
    WebSocket server([](Sender out) { return [out](const Message& m) { return out.send(m); }; }, s);
    ASSERT_TRUE(server.bind("127.0.0.1:0"));
    const auto port = server.local_addr()->port;
    EXPECT_NE(port, 0);
    std::thread loop([&] { EXPECT_TRUE(server.run()); });
    RawSocket p = RawSocket::connect(port);
    ASSERT_NE(p.handshake().find("101"), std::string::npos);
    ASSERT_TRUE(server.broadcaster().shutdown());
    auto f = p.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    p.send_frame(0x8, close_payload(1001));
    loop.join();
    EXPECT_EQ(Settings{}.threads, 1u);
}

}  // namespace
}  // namespace ws::test

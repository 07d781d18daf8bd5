// The server side of the API over loopback: bind/listen/local_addr, Factory and Handler
// callbacks, on_request routing, subprotocols, remote_addr, Sender calls.
#include <gtest/gtest.h>

#include <atomic>
#include <unordered_set>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

using namespace std::chrono_literals;

// ---- bind / local_addr -------------------------------------------------------------------

TEST(Bind, PortZeroPicksAFreePort) {
    WebSocket socket([](Sender) { return [](const Message&) {}; });
    ASSERT_TRUE(socket.bind("127.0.0.1:0"));
    auto addr = socket.local_addr();
    ASSERT_TRUE(addr);
    EXPECT_EQ(addr->ip, "127.0.0.1");
    EXPECT_NE(addr->port, 0);
}

TEST(Bind, IPv6Loopback) {
    WebSocket socket([](Sender) { return [](const Message&) {}; });
    auto r = socket.bind("[::1]:0");
    if (!r) GTEST_SKIP() << "no IPv6 loopback on this machine: " << r.error().what();
    auto addr = socket.local_addr();
    ASSERT_TRUE(addr);
    EXPECT_TRUE(addr->is_v6);
    EXPECT_EQ(addr->ip, "::1");
}

TEST(Bind, AddressInUseIsAnIoError) {
    WebSocket first([](Sender) { return [](const Message&) {}; });
    ASSERT_TRUE(first.bind("127.0.0.1:0"));
    WebSocket second([](Sender) { return [](const Message&) {}; });
    auto r = second.bind("127.0.0.1:" + std::to_string(first.local_addr()->port));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::Io);
    EXPECT_NE(r.error().details().find("EADDRINUSE"), std::string::npos) << r.error().details();
}

TEST(Bind, BadAddressesAreRefused) {
    WebSocket socket([](Sender) { return [](const Message&) {}; });
    EXPECT_FALSE(socket.bind("127.0.0.1"));        // no port
    EXPECT_FALSE(socket.bind("127.0.0.1:99999"));  // port out of range
    EXPECT_FALSE(socket.bind("::1:80"));            // IPv6 without brackets
    EXPECT_FALSE(socket.local_addr());              // nothing bound
}

TEST(Bind, TriesEachResolvedAddress) {
    // "localhost" may resolve to ::1 and 127.0.0.1; whichever binds first wins.
    WebSocket socket([](Sender) { return [](const Message&) {}; });
    ASSERT_TRUE(socket.bind("localhost:0"));
    EXPECT_TRUE(socket.local_addr());
}

TEST(Bind, SecondListenerIsRefused) {
    WebSocket socket([](Sender) { return [](const Message&) {}; });
    ASSERT_TRUE(socket.bind("127.0.0.1:0"));
    auto r = socket.bind("127.0.0.1:0");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::Internal);
}

// ---- Factory and Handler callbacks -------------------------------------------------------

struct RecordingHandler : Handler {
    RecordingHandler(Sender s, EventLog& l) : out(std::move(s)), log(l) {}
    Sender out;
    EventLog& log;
    Result<> on_open(const Handshake& shake) override {
        log.add("open " + shake.request.resource());
        if (shake.peer_addr) log.add("peer " + shake.peer_addr->ip);
        if (shake.local_addr) log.add("local " + std::to_string(shake.local_addr->port));
        if (auto ra = shake.remote_addr()) log.add("remote " + *ra);
        return {};
    }
    Result<> on_message(const Message& msg) override {
        log.add("message " + msg.to_string());
        return out.send(msg);
    }
    void on_close(CloseCode code, std::string_view reason) override {
        log.add("close " + std::to_string(to_u16(code)) + " " + std::string(reason));
    }
    void on_error(const Error& e) override { log.add("error " + std::string(to_string(e.kind()))); }
    void on_shutdown() override { log.add("shutdown"); }
};

struct RecordingFactory : Factory {
    explicit RecordingFactory(EventLog& l) : log(l) {}
    EventLog& log;
    std::unique_ptr<Handler> connection_made(Sender out) override {
        log.add("made");
        return std::make_unique<RecordingHandler>(std::move(out), log);
    }
    std::unique_ptr<Handler> server_connected(Sender out) override {
        log.add("server_connected");
        return connection_made(std::move(out));
    }
    void connection_lost(std::unique_ptr<Handler> h) override {
        log.add(h ? "lost" : "lost-null");
    }
    void on_shutdown() override { log.add("factory_shutdown"); }
};

TEST(Callbacks, FactoryAndHandlerSeeTheWholeLifecycle) {
    EventLog log;
    auto factory = std::make_unique<RecordingFactory>(log);
    {
        ServerThread server(std::move(factory));
        RawSocket peer = RawSocket::connect(server.port());
        ASSERT_NE(peer.handshake("/chat?room=1").find("101"), std::string::npos);
        ASSERT_TRUE(log.wait_for("open /chat?room=1"));
        EXPECT_TRUE(log.wait_for("peer 127.0.0.1"));
        EXPECT_TRUE(log.wait_for("remote 127.0.0.1"));
        EXPECT_TRUE(log.wait_for("local " + std::to_string(server.port())));
        peer.send_frame(0x1, "hi");
        ASSERT_TRUE(log.wait_for("message hi"));
        auto echo = peer.read_frame();
        ASSERT_TRUE(echo);
        EXPECT_EQ(echo->payload, "hi");
        peer.send_frame(0x8, close_payload(4001, "done"));
        ASSERT_TRUE(log.wait_for("close 4001 done"));
        auto reply = peer.read_frame();
        ASSERT_TRUE(reply);
        EXPECT_EQ(reply->payload, close_payload(4001));  // the code echoed (RFC 6455 5.5.1)
        EXPECT_TRUE(peer.wait_closed());                   // the server closes TCP first (7.1.1)
        peer.close();
        ASSERT_TRUE(log.wait_for("lost"));
    }
    EXPECT_EQ(log.count("server_connected"), 1u);
    EXPECT_EQ(log.count("made"), 1u);
    EXPECT_EQ(log.count("close 4001 done"), 1u);  // exactly once
    EXPECT_EQ(log.count("factory_shutdown"), 1u);
}

TEST(Callbacks, CompleteClosingHandshakeReleasesTheConnectionAtOnce) {
    // close_timeout is 5 s, but after a complete closing handshake the server need not wait
    // for a client that keeps its socket open: it closes TCP once its FIN is out.
    EventLog log;
    ServerThread server(std::make_unique<RecordingFactory>(log));
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    ASSERT_TRUE(log.wait_for("open /"));
    const auto start = std::chrono::steady_clock::now();
    peer.send_frame(0x8, close_payload(1000));
    ASSERT_TRUE(log.wait_for("lost", 2s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    auto reply = peer.read_frame();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->payload, close_payload(1000));
    EXPECT_TRUE(peer.wait_closed());
}

TEST(Callbacks, AbruptDropGivesAbnormalCloseOnce) {
    EventLog log;
    ServerThread server(std::make_unique<RecordingFactory>(log));
    {
        RawSocket peer = RawSocket::connect(server.port());
        peer.handshake();
        ASSERT_TRUE(log.wait_for("open /"));
    }  // the socket closes without a close frame
    ASSERT_TRUE(log.wait_for("close 1006 "));
    ASSERT_TRUE(log.wait_for("lost"));
    EXPECT_EQ(log.count("close 1006 "), 1u);
}

TEST(Callbacks, HandlerNeverOpenedGetsNoOnClose) {
    EventLog log;
    ServerThread server(std::make_unique<RecordingFactory>(log));
    {
        RawSocket peer = RawSocket::connect(server.port());
        peer.send("GET / HTTP/1.1\r\n");  // an unfinished handshake, then gone
    }
    ASSERT_TRUE(log.wait_for("lost"));
    for (const auto& e : log.events()) EXPECT_NE(e.rfind("close", 0), 0u) << e;
}

TEST(Callbacks, LambdaReturningVoidIsAHandler) {
    EventLog log;
    ServerThread server([&](Sender) { return [&](const Message& m) { log.add(m.to_string()); }; });
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    peer.send_frame(0x2, std::string("\x00\x01", 2));
    EXPECT_TRUE(log.wait_for(std::string("\x00\x01", 2)));
}

TEST(Callbacks, ThrowingHandlerClosesWith1011AndReports) {
    EventLog log;
    struct Thrower : Handler {
        explicit Thrower(EventLog& l) : log(l) {}
        EventLog& log;
        Result<> on_message(const Message&) override { throw std::runtime_error("boom"); }
        void on_error(const Error& e) override { log.add(e.what()); }
    };
    ServerThread server([&](Sender) { return Thrower(log); });
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    peer.send_frame(0x1, "x");
    auto f = peer.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    ASSERT_GE(f->payload.size(), 2u);
    EXPECT_EQ(f->payload.substr(0, 2), close_payload(1011));
    EXPECT_TRUE(log.wait_for("Internal: handler threw: boom"));
    // The server is still fine for everyone else.
    RawSocket other = RawSocket::connect(server.port());
    EXPECT_NE(other.handshake().find("101"), std::string::npos);
}

// ---- on_request: routing, plain HTTP, refusal, subprotocols ------------------------------

struct Router : Handler {
    Result<Response> on_request(const Request& req) override {
        if (req.path() == "/") return Response(200, "OK", "<html>chat</html>");
        if (req.path() == "/secret") return Error(ErrorKind::Policy, "no entry");
        if (req.path() == "/ws") {
            auto res = Response::from_request(req);
            if (!res) return res;
            for (const auto& p : req.protocols()) {
                if (p == "chat.v2") res->set_protocol(p);
            }
            return res;
        }
        return Response(404, "Not Found", "nothing here");
    }
};

TEST(OnRequest, ServesPlainHttpOnTheSamePort) {
    ServerThread server([](Sender) { return Router(); });
    RawSocket peer = RawSocket::connect(server.port());
    peer.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string head = peer.recv_until("\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
    EXPECT_NE(head.find("Content-Length: 17"), std::string::npos) << head;
    EXPECT_EQ(peer.recv_until("</html>"), "<html>chat</html>");
    EXPECT_TRUE(peer.wait_closed());
}

TEST(OnRequest, NotFoundAndPolicy) {
    ServerThread server([](Sender) { return Router(); });
    RawSocket a = RawSocket::connect(server.port());
    a.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(a.recv_until("\r\n").rfind("HTTP/1.1 404", 0), 0u);
    RawSocket b = RawSocket::connect(server.port());
    EXPECT_EQ(b.handshake("/secret").rfind("HTTP/1.1 403", 0), 0u);
    EXPECT_TRUE(b.wait_closed());
}

TEST(OnRequest, SubprotocolIsChosenFromTheOffer) {
    ServerThread server([](Sender) { return Router(); });
    RawSocket peer = RawSocket::connect(server.port());
    const std::string head = peer.handshake("/ws", "Sec-WebSocket-Protocol: chat.v1, chat.v2\r\n");
    EXPECT_NE(head.find("101"), std::string::npos) << head;
    EXPECT_NE(head.find("Sec-WebSocket-Protocol: chat.v2\r\n"), std::string::npos) << head;
}

TEST(OnRequest, InvalidUpgradesGetTheRfcStatus) {
    ServerThread server([](Sender) { return [](const Message&) {}; });
    auto status_of = [&](const std::string& request) {
        RawSocket peer = RawSocket::connect(server.port());
        peer.send(request);
        return peer.recv_until("\r\n\r\n");
    };
    const std::string base = "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    std::string r = status_of("GET / HTTP/1.1\r\n" + base + "Sec-WebSocket-Version: 8\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 426", 0), 0u) << r;
    EXPECT_NE(r.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos) << r;
    r = status_of("POST / HTTP/1.1\r\n" + base + "Sec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 405", 0), 0u) << r;
    r = status_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 426", 0), 0u) << r;  // a plain GET: say how to upgrade
    r = status_of("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
    r = status_of("garbage\r\n\r\n");
    EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
}

TEST(RemoteAddr, HonoursForwardingHeaders) {
    EventLog log;
    ServerThread server(std::make_unique<RecordingFactory>(log));
    RawSocket a = RawSocket::connect(server.port());
    a.handshake("/a", "X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\n");
    EXPECT_TRUE(log.wait_for("remote 203.0.113.7"));
    RawSocket b = RawSocket::connect(server.port());
    b.handshake("/b", "Forwarded: for=\"[2001:db8::1]:4711\";proto=http\r\n");
    EXPECT_TRUE(log.wait_for("remote 2001:db8::1"));
}

// ---- frame hooks -------------------------------------------------------------------------

TEST(FrameHooks, OnFrameSeesAndDropsOnSendFrameRewrites) {
    EventLog log;
    struct Hooks : Handler {
        Sender out;
        EventLog& log;
        Hooks(Sender o, EventLog& l) : out(std::move(o)), log(l) {}
        Result<> on_frame(Frame& f) override {
            log.add("in " + std::string(to_string(f.opcode())) + " " + std::string(f.payload()));
            if (f.opcode() == OpCode::Text && f.payload() == "secret") f.drop();
            return {};
        }
        Result<> on_send_frame(Frame& f) override {
            log.add("out " + std::string(to_string(f.opcode())) + " " + std::string(f.payload()));
            if (f.opcode() == OpCode::Text) f.set_payload("[" + std::string(f.payload()) + "]");
            return {};
        }
        Result<> on_message(const Message& m) override {
            log.add("message " + m.to_string());
            return out.send(m);
        }
    };
    ServerThread server([&](Sender out) { return Hooks(out, log); });
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    peer.send_frame(0x1, "secret");  // dropped by on_frame: never a message
    peer.send_frame(0x9, "p");       // a ping: the hook sees it, then the automatic pong goes out
    auto pong = peer.read_frame();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->opcode, 0xA);
    EXPECT_EQ(pong->payload, "p");
    peer.send_frame(0x1, "hello", false);  // fragmented: on_frame once per frame
    peer.send_frame(0x0, " world");
    auto echo = peer.read_frame();
    ASSERT_TRUE(echo);
    EXPECT_EQ(echo->payload, "[hello world]");  // rewritten by on_send_frame
    EXPECT_EQ(log.events(), (std::vector<std::string>{"in TEXT secret", "in PING p", "out PONG p", "in TEXT hello",
                                                      "in CONTINUE  world", "message hello world",
                                                      "out TEXT hello world"}));
}

// ---- Sender ------------------------------------------------------------------------------

TEST(SenderApi, BroadcastReachesEveryOpenConnection) {
    ServerThread server([](Sender out) { return [out](const Message& m) { return out.broadcast(m); }; });
    std::vector<RawSocket> peers;
    for (int i = 0; i < 3; ++i) {
        peers.push_back(RawSocket::connect(server.port()));
        ASSERT_NE(peers.back().handshake().find("101"), std::string::npos);
    }
    peers[1].send_frame(0x1, "to all");
    for (auto& p : peers) {
        auto f = p.read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->payload, "to all");
    }
}

TEST(SenderApi, CloseWithReasonPingPongAndIdentity) {
    EventLog log;
    std::mutex mu;
    std::vector<Sender> senders;
    ServerThread server([&](Sender out) {
        {
            std::lock_guard<std::mutex> lock(mu);
            senders.push_back(out);
        }
        return [out, &log](const Message& m) -> Result<> {
            if (m.as_text() == "ping") return out.ping("p1");
            if (m.as_text() == "pong") return out.pong("p2");
            if (m.as_text() == "close") return out.close(CloseCode::Policy, "go away");
            if (m.as_text() == "bad-close") {
                auto r = out.close(CloseCode::Abnormal, "x");  // 1006 may never be sent
                log.add(r ? "accepted" : "refused " + std::string(to_string(r.error().kind())));
                auto r2 = out.close(CloseCode::Normal, std::string(124, 'x'));
                log.add(r2 ? "accepted" : "refused " + std::string(to_string(r2.error().kind())));
                auto r3 = out.ping(std::string(126, 'x'));
                log.add(r3 ? "accepted" : "refused " + std::string(to_string(r3.error().kind())));
            }
            return {};
        };
    });
    RawSocket a = RawSocket::connect(server.port());
    a.handshake();
    RawSocket b = RawSocket::connect(server.port());
    b.handshake();
    for (int i = 0; i < 500; ++i) {
        {
            std::lock_guard<std::mutex> lock(mu);
            if (senders.size() == 2) break;
        }
        std::this_thread::sleep_for(5ms);
    }
    {
        std::lock_guard<std::mutex> lock(mu);
        ASSERT_EQ(senders.size(), 2u);
        EXPECT_NE(senders[0], senders[1]);
        EXPECT_NE(senders[0].connection_id(), senders[1].connection_id());
        Sender copy = senders[0];
        EXPECT_EQ(copy, senders[0]);
        std::unordered_set<Sender> set{senders[0], senders[1], copy};
        EXPECT_EQ(set.size(), 2u);
    }
    a.send_frame(0x1, "bad-close");
    EXPECT_TRUE(log.wait_for([](const auto& ev) { return ev.size() >= 3; }));
    EXPECT_EQ(log.events(), (std::vector<std::string>{"refused Protocol", "refused Protocol", "refused Protocol"}));
    a.send_frame(0x1, "ping");
    auto f = a.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x9);
    EXPECT_EQ(f->payload, "p1");
    a.send_frame(0x1, "pong");
    f = a.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0xA);
    EXPECT_EQ(f->payload, "p2");
    a.send_frame(0x1, "close");
    f = a.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x8);
    EXPECT_EQ(f->payload, close_payload(1008, "go away"));
}

TEST(SenderApi, UsableFromAnotherThread) {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Sender> sender;
    ServerThread server([&](Sender out) {
        {
            std::lock_guard<std::mutex> lock(mu);
            sender = out;
        }
        cv.notify_all();
        return [](const Message&) {};
    });
    RawSocket peer = RawSocket::connect(server.port());
    peer.handshake();
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return sender.has_value(); }));
    Sender s = *sender;
    lock.unlock();
    for (int i = 0; i < 100 && !s.is_open(); ++i) std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(s.is_open());
    std::thread t([s] {
        for (int i = 0; i < 100; ++i) ASSERT_TRUE(s.send("m" + std::to_string(i)));
        ASSERT_TRUE(s.send(Message::binary(std::string("\x01\x02", 2))));
        // Invalid UTF-8 in a text message is refused on the calling thread.
        auto r = s.send(std::string("\xff", 1));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().kind(), ErrorKind::Encoding);
    });
    t.join();
    for (int i = 0; i < 100; ++i) {
        auto f = peer.read_frame();
        ASSERT_TRUE(f);
        EXPECT_EQ(f->payload, "m" + std::to_string(i));  // order kept
    }
    auto f = peer.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 0x2);
    peer.close();
    for (int i = 0; i < 200 && s.is_open(); ++i) std::this_thread::sleep_for(5ms);
    EXPECT_FALSE(s.is_open());
    EXPECT_TRUE(s.send("after the end"));  // a Sender outliving its connection does nothing
}

TEST(SenderApi, DetachedSenderFailsWithQueue) {
    Sender s;
    auto r = s.send("x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::Queue);
    EXPECT_FALSE(s.is_open());
    EXPECT_EQ(s.buffered_amount(), 0u);
}

TEST(SenderApi, SenderOutlivesItsWebSocket) {
    Sender kept;
    {
        ServerThread server([](Sender) { return [](const Message&) {}; });
        kept = server.broadcaster();
    }
    auto r = kept.send("x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::Queue);
}

}  // namespace
}  // namespace ws::test

// The client side over loopback: WebSocket::connect / ws::connect, DNS and every resolved
// address, IPv6 literals, build_request / on_response, strict response checks, masking,
// Sender::connect from a handler, and when a client-only loop ends.
#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace ws::test {
namespace {

using namespace std::chrono_literals;

ServerThread echo_server(const Settings& s = {}, std::string addr = "127.0.0.1:0") {
    return ServerThread([](Sender out) { return [out](const Message& m) { return out.send(m); }; }, s, addr);
}

struct Client : Handler {
    Client(Sender s, EventLog& l, std::string first = "hello") : out(std::move(s)), log(l), first_(std::move(first)) {}
    Sender out;
    EventLog& log;
    std::string first_;
    Result<> on_open(const Handshake& shake) override {
        log.add("open " + std::to_string(shake.response.status()));
        if (auto p = shake.response.protocol()) log.add("protocol " + std::string(*p));
        return out.send(first_);
    }
    Result<> on_message(const Message& m) override {
        log.add("message " + m.to_string());
        return out.close(CloseCode::Normal, "thanks");
    }
    void on_close(CloseCode code, std::string_view reason) override {
        log.add("close " + std::to_string(to_u16(code)) + " " + std::string(reason));
    }
    void on_error(const Error& e) override { log.add("error " + std::string(to_string(e.kind())) + " " + e.details()); }
};

TEST(Client, ConnectsExchangesAndRunReturnsWhenDone) {
    auto server = echo_server();
    EventLog log;
    WebSocket client([&](Sender out) { return Client(out, log); });
    ASSERT_TRUE(client.connect(server.url("/path")));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(client.run());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_EQ(log.events(), (std::vector<std::string>{"open 101", "message hello", "close 1000 "}));
}

TEST(Client, HelperFunctionReturnsZeroOnSuccess) {
    auto server = echo_server();
    EventLog log;
    const int rc = ws::connect(server.url(), [&](Sender out) { return Client(out, log); });
    EXPECT_EQ(rc, 0);
    EXPECT_TRUE(log.wait_for("message hello", 0ms));
}

TEST(Client, RefusedConnectionIsReportedAndTheLoopEnds) {
    std::uint16_t dead = 0;
    {
        RawListener probe;  // a port that was free a moment ago: nothing listens there now
        dead = probe.port();
    }
    EventLog log;
    struct F : Factory {
        EventLog& log;
        explicit F(EventLog& l) : log(l) {}
        std::unique_ptr<Handler> connection_made(Sender out) override { return std::make_unique<Client>(out, log); }
        void connection_lost(std::unique_ptr<Handler>) override { log.add("lost"); }
    };
    WebSocket client(std::make_unique<F>(log));
    ASSERT_TRUE(client.connect("ws://127.0.0.1:" + std::to_string(dead) + "/"));
    ASSERT_TRUE(client.run());
    auto err = log.wait_for_prefix("error Io", 0ms);
    ASSERT_TRUE(err);
    EXPECT_NE(err->find("ECONNREFUSED"), std::string::npos) << *err;
    EXPECT_EQ(log.count("lost"), 1u);
}

TEST(Client, LocalhostTriesEveryResolvedAddress) {
    // The server listens on IPv4 only; "localhost" may resolve to ::1 first, which refuses:
    // the client must go on to 127.0.0.1.
    auto server = echo_server();
    EventLog log;
    WebSocket client([&](Sender out) { return Client(out, log); });
    ASSERT_TRUE(client.connect("ws://localhost:" + std::to_string(server.port()) + "/"));
    ASSERT_TRUE(client.run());
    EXPECT_TRUE(log.wait_for("message hello", 0ms));
}

TEST(Client, IPv6LiteralUrl) {
    WebSocket probe([](Sender) { return [](const Message&) {}; });
    if (!probe.bind("[::1]:0")) GTEST_SKIP() << "no IPv6 loopback on this machine";
    auto server = echo_server({}, "[::1]:0");
    EventLog log;
    WebSocket client([&](Sender out) { return Client(out, log); });
    ASSERT_TRUE(client.connect("ws://[::1]:" + std::to_string(server.port()) + "/v6"));
    ASSERT_TRUE(client.run());
    EXPECT_TRUE(log.wait_for("message hello", 0ms));
}

TEST(Client, BadUrlsAreRefusedAtOnce) {
    WebSocket client([](Sender) { return [](const Message&) {}; });
    auto r = client.connect("http://example.com/");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::Internal);
    EXPECT_FALSE(client.connect("ws://"));
    EXPECT_FALSE(client.connect("ws://host:0/"));
    EXPECT_FALSE(client.connect("ws://host/#frag"));
    auto tls = client.connect("wss://127.0.0.1:1/");
    ASSERT_FALSE(tls);
    EXPECT_EQ(tls.error().kind(), ErrorKind::Tls);
}

TEST(Client, BuildRequestAndOnResponse) {
    EventLog server_log;
    struct Srv : Handler {
        EventLog& log;
        explicit Srv(EventLog& l) : log(l) {}
        Result<Response> on_request(const Request& req) override {
            if (auto h = req.header("X-Token")) log.add("token " + std::string(*h));
            auto res = Response::from_request(req);
            if (res) res->set_protocol("b");
            return res;
        }
        Result<> on_message(const Message&) override { return {}; }
    };
    ServerThread server([&](Sender) { return Srv(server_log); });
    EventLog log;
    struct Cli : Client {
        using Client::Client;
        Result<Request> build_request(const Url& url) override {
            auto req = Request::from_url(url);
            if (req) {
                req->add_header("X-Token", "secret");
                req->add_protocol("a");
                req->add_protocol("b");
            }
            return req;
        }
        Result<> on_response(const Response& res) override {
            log.add("response " + std::string(res.protocol().value_or("-")));
            return out.close(CloseCode::Normal);
        }
    };
    WebSocket client([&](Sender out) { return Cli(out, log); });
    ASSERT_TRUE(client.connect(server.url()));
    ASSERT_TRUE(client.run());
    EXPECT_TRUE(server_log.wait_for("token secret", 0ms));
    EXPECT_TRUE(log.wait_for("response b", 0ms));
    EXPECT_TRUE(log.wait_for("protocol b", 0ms));
}

// A hand-written server answering the client's handshake with `extra` headers, or a broken one.
void run_against_raw_server(const std::function<void(RawSocket&)>& serve, EventLog& log) {
    RawListener listener;
    std::thread t([&] {
        RawSocket peer = listener.accept();
        if (peer.ok()) serve(peer);
    });
    WebSocket client([&](Sender out) { return Client(out, log); });
    ASSERT_TRUE(client.connect("ws://127.0.0.1:" + std::to_string(listener.port()) + "/"));
    ASSERT_TRUE(client.run());
    t.join();
}

TEST(Client, RefusesAWrongAcceptKey) {
    EventLog log;
    run_against_raw_server(
        [](RawSocket& peer) {
            peer.recv_until("\r\n\r\n");
            peer.send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n");
            peer.wait_closed();
        },
        log);
    EXPECT_TRUE(log.wait_for_prefix("error Protocol server sent a wrong Sec-WebSocket-Accept", 0ms));
    EXPECT_EQ(log.count("open 101"), 0u);
}

TEST(Client, RefusesUnofferedSubprotocolAndExtension) {
    EventLog log;
    run_against_raw_server(
        [](RawSocket& peer) {
            RawListener::accept_handshake(peer, "Sec-WebSocket-Protocol: nobody-asked\r\n");
            peer.wait_closed();
        },
        log);
    EXPECT_TRUE(log.wait_for_prefix("error Protocol server chose subprotocol", 0ms));
    EventLog log2;
    run_against_raw_server(
        [](RawSocket& peer) {
            RawListener::accept_handshake(peer, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
            peer.wait_closed();
        },
        log2);
    EXPECT_TRUE(log2.wait_for_prefix("error Protocol server accepted extension", 0ms));
}

TEST(Client, ReportsHttpRefusalWithStatus) {
    EventLog log;
    run_against_raw_server(
        [](RawSocket& peer) {
            peer.recv_until("\r\n\r\n");
            peer.send("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
            peer.wait_closed();
        },
        log);
    // WS-RS left a 301/302 half-open; here it is a clear Http error and the loop ends.
    EXPECT_TRUE(log.wait_for_prefix("error Http handshake refused: HTTP 302", 0ms));
}

TEST(Client, FramesAreMaskedWithFreshKeys) {
    EventLog log;
    std::vector<RawFrame> frames;
    run_against_raw_server(
        [&](RawSocket& peer) {
            const std::string head = RawListener::accept_handshake(peer);
            EXPECT_NE(head.find("Host: 127.0.0.1:"), std::string::npos) << head;
            auto f = peer.read_frame();  // "hello"
            ASSERT_TRUE(f);
            frames.push_back(*f);
            peer.send(encode_frame(0x1, "reply", true, false));
            f = peer.read_frame();  // close 1000 "thanks"
            ASSERT_TRUE(f);
            frames.push_back(*f);
            peer.send(encode_frame(0x8, close_payload(1000), true, false));
            peer.close();
        },
        log);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_TRUE(frames[0].masked);
    EXPECT_EQ(frames[0].payload, "hello");
    EXPECT_TRUE(frames[1].masked);
    EXPECT_EQ(frames[1].payload, close_payload(1000, "thanks"));
    EXPECT_EQ(log.events(), (std::vector<std::string>{"open 101", "message reply", "close 1000 "}));
}

TEST(Client, HandshakeTimeout) {
    EventLog log;
    Settings s;
    s.handshake_timeout_ms = 200;
    s.timer_sweep_ms = 20;
    RawListener listener;
    WebSocket client([&](Sender out) { return Client(out, log); }, s);
    ASSERT_TRUE(client.connect("ws://127.0.0.1:" + std::to_string(listener.port()) + "/"));
    RawSocket silent;
    std::thread t([&] { silent = listener.accept(); });  // accepts, never answers
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(client.run());
    const auto took = std::chrono::steady_clock::now() - start;
    t.join();
    EXPECT_GE(took, 150ms);
    EXPECT_LT(took, 2s);
    EXPECT_TRUE(log.wait_for_prefix("error Timeout opening handshake", 0ms));
}

TEST(Client, SenderConnectOpensAClientOnTheSameLoop) {
    // One WebSocket, both roles (WS-RS's shared.rs): the server's handler connects to itself.
    EventLog log;
    struct Both : Factory {
        EventLog& log;
        std::string url;
        explicit Both(EventLog& l) : log(l) {}
        std::unique_ptr<Handler> connection_made(Sender) override { return nullptr; }
        std::unique_ptr<Handler> server_connected(Sender out) override {
            return make_handler([out, this](const Message& m) {
                log.add("server got " + m.to_string());
                return out.send(m);
            });
        }
        std::unique_ptr<Handler> client_connected(Sender out) override {
            struct C : Handler {
                Sender out;
                EventLog& log;
                C(Sender o, EventLog& l) : out(std::move(o)), log(l) {}
                Result<> on_open(const Handshake&) override { return out.send("ping-pong"); }
                Result<> on_message(const Message& m) override {
                    log.add("client got " + m.to_string());
                    return out.shutdown();
                }
            };
            return std::make_unique<C>(std::move(out), log);
        }
    };
    auto factory = std::make_unique<Both>(log);
    WebSocket socket(std::move(factory));
    ASSERT_TRUE(socket.bind("127.0.0.1:0"));
    ASSERT_TRUE(socket.broadcaster().connect("ws://127.0.0.1:" + std::to_string(socket.local_addr()->port) + "/"));
    ASSERT_TRUE(socket.run());
    EXPECT_TRUE(log.wait_for("server got ping-pong", 0ms));
    EXPECT_TRUE(log.wait_for("client got ping-pong", 0ms));
}

TEST(Client, SendsAndCloseBeforeOpenKeepTheirOrder) {
    // Messages and a close asked for before the handshake completes are held and sent, in
    // order, right after it.
    EventLog server_log;
    ServerThread server([&](Sender) {
        struct H : Handler {
            EventLog& log;
            explicit H(EventLog& l) : log(l) {}
            Result<> on_message(const Message& m) override {
                log.add("message " + m.to_string());
                return {};
            }
            void on_close(CloseCode c, std::string_view reason) override {
                log.add("close " + std::to_string(to_u16(c)) + " " + std::string(reason));
            }
        };
        return H(server_log);
    });
    WebSocket client([](Sender out) {
        EXPECT_TRUE(out.send("first"));
        EXPECT_TRUE(out.send("second"));
        EXPECT_TRUE(out.close(CloseCode::Away, "leaving"));
        return [](const Message&) {};
    });
    ASSERT_TRUE(client.connect(server.url()));
    ASSERT_TRUE(client.run());
    ASSERT_TRUE(server_log.wait_for("close 1001 leaving"));
    EXPECT_EQ(server_log.events(), (std::vector<std::string>{"message first", "message second", "close 1001 leaving"}));
}

}  // namespace
}  // namespace ws::test

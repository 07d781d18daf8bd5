// Routing by path: one handler per endpoint on one port (WS-RS's examples/router.rs).
//
//   router [port]      listens on 127.0.0.1:3012 by default
//
// Endpoints:
//   /echo       echoes every message
//   /data/one   sends five messages ("one" ... "five") and closes
//   /data/two   the same in Japanese
//   /closure    a lambda handler: closes with 1011 on the first message
//   otherwise   HTTP 404 (the NotFound handler)
//
// The Router is itself a Handler. Every connection starts with a NotFound child; on_request,
// which runs before anything else, swaps in the child the request's path asks for and lets it
// answer the request. Every later callback is forwarded to that child.
#include <ws/ws.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

// An endpoint that does not exist: refuse the handshake with a plain 404.
class NotFound : public ws::Handler {
public:
    ws::Result<ws::Response> on_request(const ws::Request& req) override {
        std::cout << "No route for " << req.resource() << std::endl;
        return ws::Response(404, "Not Found", "404 - Not Found\n");
    }
};

class Echo : public ws::Handler {
public:
    explicit Echo(ws::Sender out) : out_(std::move(out)) {}
    ws::Result<> on_message(const ws::Message& msg) override { return out_.send(msg); }

private:
    ws::Sender out_;
};

// Sends its messages as soon as the connection opens, then closes it.
class Data : public ws::Handler {
public:
    Data(ws::Sender out, std::vector<std::string> data) : out_(std::move(out)), data_(std::move(data)) {}

    ws::Result<> on_open(const ws::Handshake&) override {
        for (const auto& item : data_) {
            if (auto r = out_.send(item); !r) return r;
        }
        return out_.close(ws::CloseCode::Normal);
    }

private:
    ws::Sender out_;
    std::vector<std::string> data_;
};

class Router : public ws::Handler {
public:
    explicit Router(ws::Sender out) : out_(std::move(out)), inner_(std::make_unique<NotFound>()) {}

    ws::Result<ws::Response> on_request(const ws::Request& req) override {
        // path() is resource() without the query string ("/echo?x=1" routes to /echo).
        const std::string_view path = req.path();
        if (path == "/echo") {
            inner_ = std::make_unique<Echo>(out_);
        } else if (path == "/data/one") {
            inner_ = std::make_unique<Data>(out_, std::vector<std::string>{"one", "two", "three", "four", "five"});
        } else if (path == "/data/two") {
            inner_ = std::make_unique<Data>(out_, std::vector<std::string>{"いち", "二", "さん", "四", "ご"});
        } else if (path == "/closure") {
            // Any lambda taking a Message is a handler too; make_handler wraps it.
            inner_ = ws::make_handler([out = out_](const ws::Message& msg) {
                std::cout << "The closure handler got '" << msg << "'" << std::endl;
                return out.close(ws::CloseCode::Error, "Not Implemented.");
            });
        }
        // Anything else keeps the NotFound handler the Router started with.
        return inner_->on_request(req);
    }

    // Everything else goes to the chosen child.
    void on_shutdown() override { inner_->on_shutdown(); }
    ws::Result<> on_open(const ws::Handshake& shake) override { return inner_->on_open(shake); }
    ws::Result<> on_message(const ws::Message& msg) override { return inner_->on_message(msg); }
    void on_close(ws::CloseCode code, std::string_view reason) override { inner_->on_close(code, reason); }
    void on_error(const ws::Error& err) override { inner_->on_error(err); }
    ws::Result<> on_timeout(ws::Token event) override { return inner_->on_timeout(event); }
    ws::Result<> on_new_timeout(ws::Token event, ws::Timeout timeout) override {
        return inner_->on_new_timeout(event, timeout);
    }
    ws::Result<> on_frame(ws::Frame& frame) override { return inner_->on_frame(frame); }
    ws::Result<> on_send_frame(ws::Frame& frame) override { return inner_->on_send_frame(frame); }
    void on_drain() override { inner_->on_drain(); }

private:
    ws::Sender out_;
    std::unique_ptr<ws::Handler> inner_;
};

}  // namespace

int main(int argc, char** argv) {
    const std::string addr = "127.0.0.1:" + std::string(argc > 1 ? argv[1] : "3012");
    std::cout << "Routing /echo, /data/one, /data/two and /closure on ws://" << addr << std::endl;
    return ws::listen(addr, [](ws::Sender out) { return Router(std::move(out)); });
}

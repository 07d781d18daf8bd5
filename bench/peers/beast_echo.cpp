// beast_echo: a Boost.Beast WebSocket echo (or broadcast) server, a peer for bench/compare.sh.
//
//   beast_echo PORT [--broadcast]
//
// Listens on 127.0.0.1:PORT (0 picks a free port) and prints "beast_echo listening on
// 127.0.0.1:PORT". One io_context on one thread, asynchronous accept, read and write; every
// message goes back as it came (text or binary), or with --broadcast to every connection, the
// sender included. Messages up to 64 MiB, no compression, no timeouts (idle connections are a
// shape of the benchmark). Stop it with a signal.
//
// Third-party code under test, not part of ws-cpp: written the way Beast's own documentation
// shows an asynchronous server (websocket::stream over a tcp::socket, a flat_buffer per session,
// one write in flight per stream with a queue behind it for broadcast).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr std::uint64_t kMaxMessage = 64u << 20;

struct Outgoing {
    std::string data;
    bool binary;
};

class Session;

// Every open session, for broadcast (one thread: no lock).
struct Hub {
    std::unordered_set<Session*> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Hub* hub) : ws_(std::move(socket)), hub_(hub) {}

    void start() {
        ws_.read_message_max(kMaxMessage);
        ws_.auto_fragment(false);
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            if (self->hub_ != nullptr) self->hub_->sessions.insert(self.get());
            self->read();
        });
    }

    ~Session() {
        if (hub_ != nullptr) hub_->sessions.erase(this);
    }

    void enqueue(std::shared_ptr<const Outgoing> m) {
        queue_.push_back(std::move(m));
        if (queue_.size() == 1) write_queued();
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->leave();
                return;
            }
            if (self->hub_ == nullptr) {
                self->echo();
            } else {
                auto m = std::make_shared<Outgoing>(
                    Outgoing{beast::buffers_to_string(self->buffer_.data()), !self->ws_.got_text()});
                self->buffer_.consume(self->buffer_.size());
                for (Session* s : self->hub_->sessions) s->enqueue(m);
                self->read();
            }
        });
    }

    // Echo: the next read starts when the echo is written (Beast allows one write in flight).
    void echo() {
        ws_.text(ws_.got_text());
        ws_.async_write(buffer_.data(), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->leave();
                return;
            }
            self->buffer_.consume(self->buffer_.size());
            self->read();
        });
    }

    void write_queued() {
        const Outgoing& m = *queue_.front();
        ws_.binary(m.binary);
        ws_.async_write(asio::buffer(m.data), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) {
                self->leave();
                return;
            }
            self->queue_.pop_front();
            if (!self->queue_.empty()) self->write_queued();
        });
    }

    // The queue stays until the session is destroyed: a write in flight still uses its front.
    void leave() {
        if (hub_ != nullptr) hub_->sessions.erase(this);
    }

    websocket::stream<tcp::socket> ws_;
    beast::flat_buffer buffer_;
    Hub* hub_;
    std::deque<std::shared_ptr<const Outgoing>> queue_;
};

class Listener {
public:
    Listener(asio::io_context& io, const tcp::endpoint& ep, Hub* hub) : acceptor_(io), hub_(hub) {
        acceptor_.open(ep.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen(4096);
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    void accept() {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true));
                std::make_shared<Session>(std::move(socket), hub_)->start();
            }
            accept();
        });
    }

private:
    tcp::acceptor acceptor_;
    Hub* hub_;
};

}  // namespace

int main(int argc, char** argv) {
    const char* port_arg = nullptr;
    bool broadcast = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--broadcast") == 0) {
            broadcast = true;
        } else if (port_arg == nullptr) {
            port_arg = argv[i];
        } else {
            port_arg = nullptr;
            break;
        }
    }
    if (port_arg == nullptr) {
        std::fprintf(stderr, "usage: beast_echo PORT [--broadcast]\n");
        return 2;
    }
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    try {
        asio::io_context io(1);
        Hub hub;
        Listener listener(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                            static_cast<unsigned short>(std::atoi(port_arg))),
                          broadcast ? &hub : nullptr);
        listener.accept();
        std::printf("beast_echo listening on 127.0.0.1:%u (Boost %d.%d.%d, %s)\n", listener.port(),
                    BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100,
                    broadcast ? "broadcast" : "echo");
        std::fflush(stdout);
        io.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "beast_echo: %s\n", e.what());
        return 1;
    }
    return 0;
}

// wsload's load: its options, one connection's state, and the Load that drives them all on one
// epoll set (load.cpp: setup and phases; load_io.cpp: reading, parsing, checking, writing;
// report.cpp: what it prints).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"
#include "payloads.hpp"
#include "wire.hpp"

namespace wsload {

enum class Mode { Echo, Idle, Big, Broadcast };

struct Options {
    std::string target;  // [HOST:]PORT
    std::string host = "127.0.0.1";
    std::string port;
    std::string path = "/";
    std::size_t connections = 100;
    std::size_t size = 16;
    std::size_t depth = 10;
    bool binary = false;
    bool utf8_mixed = false;
    bool raw = false;
    double duration = 5;
    double warmup = 1;
    long server_pid = 0;
    std::size_t idle = 0;
    std::size_t big = 0;
    std::size_t count = 1;
    bool broadcast = false;
    double stall_timeout = 10;
    double connect_timeout = 60;
    std::size_t max_connecting = 256;
    std::string window_hook;  // run as `HOOK begin` / `HOOK end` at the window's edges
    Mode mode = Mode::Echo;
};

enum class State : std::uint8_t {
    Idle,        // not started
    Connecting,  // TCP connect in progress
    Handshake,   // request sent, waiting for the 101
    Open,
    CloseSent,      // our close frame (or, raw, our FIN) is out; waiting for the reply
    CloseReceived,  // the server's close frame came; waiting for its FIN
    Done,
};

struct Conn {
    int fd = -1;
    State state = State::Idle;
    bool epollout = false;
    ByteBuf out;
    std::string head;    // the handshake response being received
    std::string accept;  // the Sec-WebSocket-Accept we expect

    // Frame parsing.
    std::uint8_t hdr[14] = {};
    std::uint8_t hdr_have = 0;
    bool in_frame = false;
    std::uint8_t frame_op = 0;
    bool frame_fin = false;
    std::uint64_t frame_left = 0;
    bool in_message = false;
    std::uint64_t msg_off = 0;  // bytes of the current message (or raw record) received
    std::uint8_t ctrl[125] = {};
    std::size_t ctrl_have = 0;

    // Flow.
    std::uint64_t next_send = 0;  // sequence number of the next message to send
    std::uint64_t next_recv = 0;  // sequence number of the next echo expected
    std::unique_ptr<std::uint64_t[]> sent_at;  // send times, ring of `depth`
    std::uint64_t last_progress = 0;
};

class Load {
public:
    explicit Load(const Options& o)
        : o_(o),
          payloads_(o.size, !o.binary, o.utf8_mixed),
          opcode_(o.binary ? 2 : 1),
          read_buf_(std::make_unique<std::uint8_t[]>(kReadBuffer)) {}

    int run();

private:
    static constexpr std::size_t kReadBuffer = 256u << 10;

    // Setup.
    void resolve();
    void start_connect(std::size_t i);
    void on_connected(std::size_t i, std::uint64_t t);
    void warm_up();
    void on_open(std::size_t i, std::uint64_t t);
    void on_all_open(std::uint64_t t);

    // I/O.
    void on_event(std::size_t i, std::uint32_t events);
    void on_readable(std::size_t i);
    void flush(std::size_t i);
    void want_write(Conn& c, bool on);
    void finish(std::size_t i);

    // Protocol.
    void feed(std::size_t i, std::uint8_t* p, std::size_t n, std::uint64_t t);
    std::size_t feed_handshake(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t);
    void check_response(std::size_t i, std::string_view head);
    void feed_frames(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t);
    void feed_raw(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t);
    void data_bytes(std::size_t i, const std::uint8_t* p, std::size_t n);
    void message_done(std::size_t i, std::uint64_t t);
    void control_frame(std::size_t i, std::uint8_t op);
    void on_eof(std::size_t i);

    // Output.
    void write_frame(Conn& c, std::uint8_t op, const std::uint8_t* payload, std::size_t n);
    void send_message(std::size_t i, std::uint64_t t);
    void send_close(std::size_t i);
    std::uint64_t outstanding(std::size_t i) const noexcept;

    // Phases.
    void tick(std::uint64_t t);
    void begin_window(std::uint64_t t);
    void end_window(std::uint64_t t);
    std::uint64_t run_window_hook(const char* edge, std::uint64_t t);
    void start_closing(std::uint64_t t);
    void pump_broadcast(std::uint64_t t);
    void check_stalls(std::uint64_t t);
    void report();

    const Options& o_;
    Payloads payloads_;
    const std::uint8_t opcode_;
    std::unique_ptr<std::uint8_t[]> read_buf_;
    MaskKeys masks_;
    int ep_ = -1;
    sockaddr_storage addr_{};
    socklen_t addr_len_ = 0;
    std::string host_header_;
    std::vector<Conn> conns_;

    enum class Phase { Connecting, Running, Holding, Draining, Closing, Done } phase_ = Phase::Connecting;
    std::size_t started_ = 0;     // connections started
    std::size_t connecting_ = 0;  // started but not open yet
    std::size_t opened_ = 0;
    std::size_t active_ = 0;  // not Done
    std::uint64_t t_start_ = 0, t_all_open_ = 0, t_window_start_ = 0, t_window_end_ = 0, deadline_ = 0;
    std::uint64_t next_stall_check_ = 0;
    bool sending_ = false;
    bool measuring_ = false;
    bool window_done_ = false;

    // Counters (messages echoed = message_done calls; for broadcast: deliveries).
    std::uint64_t received_ = 0, sent_ = 0;
    std::uint64_t window_received_ = 0, window_sent_ = 0;
    std::uint64_t big_done_ = 0;
    bench::Histogram hist_;
    std::unique_ptr<std::uint64_t[]> bcast_sent_at_;  // broadcast: send times, ring of depth

    // Snapshots.
    bench::CpuTimes self0_, self1_;
    std::optional<bench::CpuTimes> server0_, server1_;
    std::optional<std::uint64_t> rss_before_, rss_open_, rss_end_, hwm_before_, hwm_after_;
    // Round k of --big is over when every connection has its k-th echo back: at round_end_[k - 1].
    std::vector<std::uint64_t> round_done_, round_end_;
    std::uint64_t big_t0_ = 0, big_t1_ = 0;
};

}  // namespace wsload

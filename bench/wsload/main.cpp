// wsload: a WebSocket (and raw TCP) load generator that measures any echo server fairly.
//
// Independent of ws-cpp on purpose: it has its own opening handshake and framing (wire.hpp)
// so that ws-cpp is measured by the same code as every other server. Single-threaded, on raw
// epoll (Linux): load.hpp drives the connections, payloads.hpp says what each message holds.
//
//   wsload [HOST:]PORT [options]                    see --help; the shapes:
//   wsload 9001 -c 100 -s 16 -d 10 -t 5 -w 1        echo: N connections, S-byte messages,
//                                                   D in flight per connection, T seconds
//                                                   measured after W seconds of warm-up
//   wsload 9001 --raw ...                           the same pattern over plain TCP (an echo
//                                                   server without WebSocket framing: the
//                                                   ceiling), S-byte records
//   wsload 9001 --idle 10000 -t 5 --server-pid P    N idle connections held T seconds; the
//                                                   server's RSS growth per connection (after
//                                                   one warm-up connection, so that code the
//                                                   first handshake pages in is not counted)
//   wsload 9001 --big 16777216 --server-pid P       one message of that size each way; time
//                                                   and the server's peak RSS (VmHWM)
//   wsload 9001 --broadcast -c 1000 -s 64           one sender, the server re-sends every
//                                                   message to all N connections (itself
//                                                   included); deliveries/s
//
// What it checks, on every message: the handshake (status 101, Upgrade, Connection, and a
// Sec-WebSocket-Accept computed here from the key it sent); every echoed byte, in order, against
// what was sent (each payload carries its sequence number and a body chosen by it, so a wrong,
// reordered, duplicated, truncated or corrupted echo is caught at the first bad byte); frame
// rules (no mask from a server, no RSV bits, control frames); no unexpected close; every echo
// arriving (a connection waiting longer than --stall-timeout for one fails the run); a clean
// closing handshake at the end. Any failure prints "wsload: FAIL: ..." and a RESULT line with
// status=fail, and exits 1.
//
// Client frames are masked with a fresh key per frame (RFC 6455 5.3). The keys come from
// OpenSSL's CSPRNG (RAND_bytes) in batches of 1024, so a key costs a few nanoseconds.
// Payloads are text (printable ASCII by default, --utf8-mixed for 1- to 4-byte characters)
// or binary (--binary).
//
// What it prints: messages/s, MB/s (payload bytes echoed per second, one way), p50/p99/p99.9
// round-trip latency (log buckets about 3 % wide, recorded only in the timed window), its own
// CPU use (getrusage), and, with --server-pid, the server's CPU time per message from
// /proc/PID/stat before and after the window: the figure that matters on a shared machine.
// The last line starts with "RESULT " and holds the same numbers as key=value pairs.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "load.hpp"

using wsload::Mode;

int main(int argc, char** argv) {
    wsload::Options o;
    CLI::App app{"wsload: WebSocket / raw TCP echo load generator that verifies every echoed byte"};
    app.add_option("target", o.target, "[HOST:]PORT of the server (HOST 127.0.0.1 by default; [v6]:PORT)")->required();
    app.add_option("-c,--connections", o.connections, "connections")->capture_default_str();
    app.add_option("-s,--size", o.size, "message (or raw record) size, bytes")->capture_default_str();
    app.add_option("-d,--depth", o.depth, "messages in flight per connection (broadcast: the sender's window)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("-t,--duration", o.duration, "seconds measured (idle: seconds held)")->capture_default_str();
    app.add_option("-w,--warmup", o.warmup, "seconds of load before the measured window")->capture_default_str();
    app.add_flag("--binary", o.binary, "binary messages (default: text)");
    app.add_flag("--utf8-mixed", o.utf8_mixed, "text of 1- to 4-byte UTF-8 characters (default: printable ASCII)");
    app.add_flag("--raw", o.raw, "plain TCP echo: S-byte records, no WebSocket handshake or framing");
    app.add_option("--path", o.path, "request target of the handshake")->capture_default_str();
    app.add_option("--server-pid", o.server_pid, "server PID: report its CPU per message and memory from /proc");
    app.add_option("--idle", o.idle, "open N connections and hold them for --duration; server RSS per connection");
    app.add_option("--big", o.big, "send one message of BYTES each way per connection (1 connection by default)");
    app.add_option("--count", o.count, "--big: messages per connection, one after the other")->capture_default_str();
    app.add_flag("--broadcast", o.broadcast,
                 "connection 0 sends, the server sends each message to all connections (sender included)");
    app.add_option("--stall-timeout", o.stall_timeout, "fail when an echo is awaited this many seconds")->capture_default_str();
    app.add_option("--connect-timeout", o.connect_timeout, "fail when not every connection opened by then (s)")
        ->capture_default_str();
    app.add_option("--max-connecting", o.max_connecting, "connections in their handshake at once")->capture_default_str();
    app.add_option("--window-hook", o.window_hook,
                   "run `HOOK begin` as the measured window opens and `HOOK end` as it closes, and wait for "
                   "it (echo, broadcast and idle modes; bench/instructions.sh uses it)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    // [HOST:]PORT, [V6]:PORT
    if (const auto colon = o.target.rfind(':'); colon != std::string::npos) {
        o.host = o.target.substr(0, colon);
        o.port = o.target.substr(colon + 1);
        if (o.host.size() >= 2 && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
    } else {
        o.port = o.target;
    }
    const int modes = (o.idle > 0) + (o.big > 0) + (o.broadcast ? 1 : 0);
    if (modes > 1) {
        std::fprintf(stderr, "wsload: --idle, --big and --broadcast exclude each other\n");
        return 2;
    }
    if (o.idle > 0) {
        o.mode = Mode::Idle;
    } else if (o.big > 0) {
        o.mode = Mode::Big;
        o.size = o.big;
        o.depth = 1;
        if (app.count("--connections") == 0) o.connections = 1;
    } else if (o.broadcast) {
        o.mode = Mode::Broadcast;
        if (o.raw) {
            std::fprintf(stderr, "wsload: --broadcast needs WebSocket framing (not --raw)\n");
            return 2;
        }
    }
    if (o.size == 0 && o.raw) {
        std::fprintf(stderr, "wsload: --raw needs --size of at least 1\n");
        return 2;
    }
    if (o.connections == 0 || o.count == 0 || o.duration <= 0) {
        std::fprintf(stderr, "wsload: --connections, --count and --duration must be positive\n");
        return 2;
    }
    if (!o.window_hook.empty() && o.mode == Mode::Big) {
        std::fprintf(stderr, "wsload: --window-hook has no window to mark with --big\n");
        return 2;
    }
    if (o.path.empty() || o.path.front() != '/') o.path = "/" + o.path;
    wsload::Load load(o);
    return load.run();
}

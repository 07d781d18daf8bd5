// bench_server: a ws-cpp echo server built for load (WS-RS's examples/bench-server.rs).
//
//   bench_server PORT [HOST] [--threads N] [--broadcast]
//
// HOST is 127.0.0.1 by default; PORT 0 picks a free port (printed). Every message is echoed
// to its sender, or with --broadcast sent to every connection (the sender included: the
// html_chat pattern). Settings for a benchmark, not for the open internet: up to 100,000
// connections, 64 MiB frames and messages, no idle timeout (idle connections are the point
// of one shape). --threads N runs N event loops on N threads sharing the port (SO_REUSEPORT).
// Stop it with SIGINT or SIGTERM: it shuts down gracefully (close frames, bounded wait).
//
// Drive it with wsload (bench/wsload.cpp) or bench (bench/bench.cpp).
#include <ws/ws.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

namespace {

void usage() {
    std::fprintf(stderr, "usage: bench_server PORT [HOST] [--threads N] [--broadcast]\n");
}

}  // namespace

int main(int argc, char** argv) {
    // Blocked before any other thread exists, so that every thread (libuv's pool included,
    // should it start) inherits the mask and only the waiter below takes these signals.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    std::string port;
    std::string host = "127.0.0.1";
    int threads = 1;
    bool broadcast = false;
    int positional = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--threads" && i + 1 < argc) {
            threads = std::atoi(argv[++i]);
        } else if (arg == "--broadcast") {
            broadcast = true;
        } else if (arg == "-h" || arg == "--help") {
            usage();
            return 0;
        } else if (!arg.empty() && arg[0] != '-' && positional < 2) {
            (positional++ == 0 ? port : host) = arg;
        } else {
            usage();
            return 2;
        }
    }
    if (port.empty() || threads < 1) {
        usage();
        return 2;
    }
    // 10,000 idle connections need as many descriptors.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    constexpr std::uint64_t kLimit = 64u << 20;
    ws::WebSocket server = ws::Builder()
                               .max_connections(100'000)
                               .backlog(4096)
                               .max_frame_size(kLimit)
                               .max_message_size(kLimit)
                               .max_output_buffer(kLimit + (1u << 20))
                               .idle_timeout_ms(0)
                               .threads(static_cast<unsigned>(threads))
                               .build([broadcast](ws::Sender out) {
                                   return [out, broadcast](const ws::Message& msg) {
                                       return broadcast ? out.broadcast(msg) : out.send(msg);
                                   };
                               });
    const std::string addr = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
    if (auto r = server.bind(addr); !r) {
        std::fprintf(stderr, "bench_server: cannot listen on %s: %s\n", addr.c_str(), r.error().what().c_str());
        return 1;
    }

    // SIGINT / SIGTERM: a graceful shutdown through the (thread-safe) broadcaster, from a
    // thread that waits for the signal, so nothing runs in a signal handler.
    std::thread waiter([set, all = server.broadcaster()] {
        int sig = 0;
        sigwait(&set, &sig);
        if (sig != 0) (void)all.shutdown();
    });
    waiter.detach();

    std::printf("bench_server listening on ws://%s/ (pid %d, %s)\n", server.local_addr()->to_string().c_str(),
                static_cast<int>(getpid()), broadcast ? "broadcast" : "echo");
    std::fflush(stdout);
    auto r = server.run();
    if (!r) {
        std::fprintf(stderr, "bench_server: %s\n", r.error().what().c_str());
        return 1;
    }
    return 0;
}

// The listening socket of the bare TCP floors (floor_epoll_echo, floor_batch_echo,
// floor_uring_echo): parse the address, bind, listen, and print the line the scripts wait for.
// Free of ws-cpp and of any event library.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bench {

// Listens on HOST:PORT (IPv4 or IPv6 literal; PORT 0 picks a free port) with SO_REUSEADDR and
// TCP_NODELAY (which accepted sockets inherit), and prints "NAME listening on HOST:PORT".
// `socket_flags` is added to SOCK_STREAM | SOCK_CLOEXEC. Returns the descriptor, or -1 after
// printing why.
inline int floor_listen(const char* name, const std::string& host, int port, int socket_flags) {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(static_cast<std::uint16_t>(port));
        addr_len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(static_cast<std::uint16_t>(port));
        addr_len = sizeof(sockaddr_in6);
    } else {
        std::fprintf(stderr, "%s: bad address %s\n", name, host.c_str());
        return -1;
    }
    const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | socket_flags, 0);
    if (fd < 0) {
        std::fprintf(stderr, "%s: socket: %s\n", name, std::strerror(errno));
        return -1;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0 || listen(fd, 1024) != 0) {
        std::fprintf(stderr, "%s: cannot listen on %s:%d: %s\n", name, host.c_str(), port, std::strerror(errno));
        close(fd);
        return -1;
    }
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
    const int actual = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                         : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    std::printf("%s listening on %s:%d\n", name, host.c_str(), actual);
    std::fflush(stdout);
    return fd;
}

// The start of a floor whose command line is `NAME PORT [HOST]` (HOST 127.0.0.1 by default):
// prints the usage and exits with 2 on any other, ignores SIGPIPE (a send to a vanished peer
// then fails with EPIPE), and listens as floor_listen does (its result).
inline int floor_start(const char* name, int argc, char** argv, int socket_flags) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s PORT [HOST]\n", name);
        std::exit(2);
    }
    signal(SIGPIPE, SIG_IGN);
    return floor_listen(name, argc > 2 ? argv[2] : "127.0.0.1", std::atoi(argv[1]), socket_flags);
}

}  // namespace bench

// The socket calls Stream makes on its hot paths, and the retry loops around send.
// Internal to src/io (stream.cpp and stream_read.cpp).
#pragma once

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace ws::io::sys {

// The socket calls go through syscall(2) rather than glibc's read/send wrappers: those are
// thread-cancellation points and switch asynchronous cancellation on and off around every
// call, which cost 1.4 % of the server's CPU at 16-byte echoes. Nothing here is ever
// cancelled. Under ThreadSanitizer the wrappers stay: its interceptors turn a socket's send
// and read into the happens-before edge between two threads that talk through it.
#if defined(__SANITIZE_THREAD__)
#define WS_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WS_THREAD_SANITIZER 1
#endif
#endif
#ifdef WS_THREAD_SANITIZER
inline ssize_t sys_read(int fd, std::uint8_t* data, std::size_t size) noexcept { return ::read(fd, data, size); }
inline ssize_t sys_readv(int fd, const iovec* iov, int count) noexcept { return ::readv(fd, iov, count); }
inline ssize_t sys_sendto(int fd, const std::uint8_t* data, std::size_t size, int flags) noexcept {
    return ::send(fd, data, size, flags);
}
inline ssize_t sys_sendmsg(int fd, const msghdr* msg, int flags) noexcept { return ::sendmsg(fd, msg, flags); }
#else
inline ssize_t sys_read(int fd, std::uint8_t* data, std::size_t size) noexcept { return syscall(SYS_read, fd, data, size); }
inline ssize_t sys_readv(int fd, const iovec* iov, int count) noexcept { return syscall(SYS_readv, fd, iov, count); }
inline ssize_t sys_sendto(int fd, const std::uint8_t* data, std::size_t size, int flags) noexcept {
    return syscall(SYS_sendto, fd, data, size, flags, nullptr, 0);
}
inline ssize_t sys_sendmsg(int fd, const msghdr* msg, int flags) noexcept { return syscall(SYS_sendmsg, fd, msg, flags); }
#endif

// send(2) without SIGPIPE: n bytes taken (0 when the socket is full), or a negative errno.
inline ssize_t send_some(int fd, const std::uint8_t* data, std::size_t size) noexcept {
    for (;;) {
        const ssize_t n = sys_sendto(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -errno;
    }
}

inline ssize_t sendv_some(int fd, iovec* iov, std::size_t count) noexcept {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    for (;;) {
        const ssize_t n = sys_sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -errno;
    }
}

}  // namespace ws::io::sys

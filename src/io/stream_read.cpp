// ws::io::Stream, the reading half: readiness events, reads into the loop's buffer (or, for
// the rest of a large payload, where the message is assembled), end of stream and read
// errors. Writing and closing are stream.cpp.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "io/loop.hpp"
#include "io/socket_calls.hpp"
#include "io/stream.hpp"
#include "io/stream_state.hpp"

namespace ws::io {

using sys::sys_read;
using sys::sys_readv;

// ---- reading -------------------------------------------------------------------------------

int Stream::start_reading() {
    if (reading_ || closing_ || paused_) return 0;
    reading_ = true;
    const int rc = update_watch();
    if (rc < 0) reading_ = false;
    return rc;
}

void Stream::resume_reading() {
    paused_ = false;
    start_reading();
}

void Stream::stop_reading() {
    if (!reading_) return;
    reading_ = false;
    update_watch();
}

void Stream::set_nodelay(bool on) {
    if (fd_ < 0) return;
    int value = on ? 1 : 0;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &value, sizeof(value));
}

void Stream::on_events(std::uint32_t events) {
    if (closing_) return;  // closed earlier in this dispatch
    constexpr std::uint32_t kFailed = EPOLLERR | EPOLLHUP;
    if (connecting_) {
        if ((events & (EPOLLOUT | kFailed)) != 0) finish_connect();
        return;
    }
    if (waiting() && (events & (EPOLLOUT | kFailed)) != 0) {
        write_more();  // a failure shows as the send's error
        if (closing_) return;
    }
    // A FIN, a reset or an error: read until the read that reports it.
    if (reading_ && (events & (EPOLLIN | kFailed | EPOLLRDHUP)) != 0) read_ready((events & (kFailed | EPOLLRDHUP)) != 0);
}

void Stream::read_ready(bool until_end) {
    // At most the loop's read budget (Loop::kDefaultReadBudget says why): what goes to on_read
    // is cut to what is left of it. A large payload read where it is assembled is not parsed
    // as frames, so its room is not cut, but its bytes count.
    const auto whole = loop_.read_buffer();
    const std::size_t budget = loop_.read_budget();
    std::size_t taken = 0;
    while (taken < budget && reading_ && !closing_) {
        loop_.count_read();
        const auto buf = whole.first(std::min(whole.size(), budget - taken));
        if (ask_target_) [[unlikely]] {
            const int more = read_into_target(whole.size(), buf, taken);
            if (more < 0 || (more == 0 && !until_end)) return;
            continue;
        }
        const ssize_t n = sys_read(fd_, buf.data(), buf.size());
        if (n > 0) {
            taken += static_cast<std::size_t>(n);
            uncork_others();
            handler_.on_read({buf.data(), static_cast<std::size_t>(n)});
            if (static_cast<std::size_t>(n) < buf.size() && !until_end) return;  // the socket is empty
            continue;
        }
        if (read_ended(n)) return;
    }
    // The budget was spent with the socket perhaps still holding data: no new edge may come
    // for it, so ask the set to check it again (it reports it at once if readable).
    if (reading_ && !closing_) (void)update_watch(true);  // a failure is reported by our flush
}

int Stream::read_into_target(std::size_t max_room, std::span<std::uint8_t> buf, std::size_t& taken) {
    // The rest of a large payload is read where it is assembled, and what follows it into the
    // loop's buffer, in one call.
    const std::span<std::uint8_t> room = handler_.read_target(max_room);
    if (room.empty()) ask_target_ = false;
    const iovec iov[2] = {{room.data(), room.size()}, {buf.data(), buf.size()}};
    const ssize_t n = sys_readv(fd_, iov, 2);
    if (n <= 0) return read_ended(n) ? -1 : 1;
    taken += static_cast<std::size_t>(n);
    uncork_others();
    auto got = static_cast<std::size_t>(n);
    const std::size_t there = std::min(got, room.size());
    if (there != 0) {
        handler_.on_read_direct(there);
        got -= there;
        if (closing_) return -1;
    }
    if (got != 0) handler_.on_read({buf.data(), got});
    return static_cast<std::size_t>(n) == room.size() + buf.size() ? 1 : 0;  // 0: the socket is empty
}

bool Stream::read_ended(ssize_t n) {
    if (n == 0) {
        stop_reading();
        handler_.on_eof();
        return true;
    }
    if (errno == EINTR) return false;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    const int error = -errno;
    stop_reading();
    handler_.on_io_error(error);
    return true;
}

}  // namespace ws::io

// Stream's out-of-line state, shared by stream.cpp (reading, writing, closing) and
// stream_connect.cpp (resolving and connecting). Private to io/.
#pragma once

#include <netdb.h>
#include <uv.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "io/byte_buffer.hpp"
#include "io/stream.hpp"

namespace ws::io {

// A client connect: the addresses to try and where we are in the list.
struct Stream::ConnectState {
    std::vector<sockaddr_storage> addresses;
    std::size_t next = 0;
    std::uint16_t port = 0;
    Resolve* resolve = nullptr;  // a DNS lookup in flight
};

struct Stream::Busy {
    // Our own bytes in order: first what a write left for the socket to take when writable
    // (`pending`, taken over whole from the buffer it was assembled in; its first `sent` bytes
    // are out), then what was written after it, or while another stream held the cork (`out`).
    ByteBuffer pending;
    std::size_t sent = 0;
    ByteBuffer out;
    int deferred_error = 0;  // a write error met while uncorking for another stream
    std::unique_ptr<ConnectState> connect;

    bool idle() const noexcept { return pending.empty() && out.empty() && deferred_error == 0 && !connect; }
};

// A DNS lookup: owned by libuv until its callback, which frees it; the stream may be gone by
// then (`stream` is cleared when it closes).
struct Stream::Resolve {
    uv_getaddrinfo_t req{};
    Stream* stream = nullptr;

    static void done(uv_getaddrinfo_t* req, int status, addrinfo* res);
};

}  // namespace ws::io

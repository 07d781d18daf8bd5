// Stream's out-of-line state, shared by stream.cpp (reading, writing, closing) and
// stream_connect.cpp (resolving and connecting). Private to io/.
#pragma once

#include <netdb.h>
#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
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
    // Instead of `pending`, the write that waits may be a received message's buffer taken
    // over whole (write_gather_owned), with `sent` counting into it.
    ByteBuffer pending;
    proto::MessageBuffer message;
    std::size_t sent = 0;
    ByteBuffer out;
    int deferred_error = 0;  // a write error met while uncorking for another stream
    std::unique_ptr<ConnectState> connect;
    // A taken-over message that a close dropped unsent: freed with the Stream (on_closed
    // comes from a later loop phase), because the callback that sent it may still read it.
    proto::MessageBuffer dropped_message;

    // The write that waits for the socket (its first `sent` bytes are out).
    const std::uint8_t* waiting_data() const noexcept {
        return message.empty() ? pending.data() : reinterpret_cast<const std::uint8_t*>(message.data());
    }
    std::size_t waiting_size() const noexcept { return message.empty() ? pending.size() : message.size(); }
    // Our own bytes not yet written: the waiting write's unsent part and what follows it.
    std::size_t own() const noexcept { return out.size() + (waiting_size() - sent); }
    bool idle() const noexcept {
        return pending.empty() && message.empty() && out.empty() && deferred_error == 0 && !connect &&
               dropped_message.empty();
    }
};

// A DNS lookup: owned by libuv until its callback, which frees it; the stream may be gone by
// then (`stream` is cleared when it closes).
struct Stream::Resolve {
    uv_getaddrinfo_t req{};
    Stream* stream = nullptr;

    static void done(uv_getaddrinfo_t* req, int status, addrinfo* res);
};

}  // namespace ws::io

// wsload's load, per connection: reading and writing, parsing the handshake response and the
// server's frames, checking every echoed byte, and the frames it sends.
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>

#include "load.hpp"

namespace wsload {

// ---- I/O -----------------------------------------------------------------------------------

void Load::want_write(Conn& c, bool on) {
    if (c.epollout == on) return;
    c.epollout = on;
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (on) ev.events |= EPOLLOUT;
    ev.data.u64 = static_cast<std::uint64_t>(&c - conns_.data());
    if (epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev) < 0) fail("epoll_ctl: %s", std::strerror(errno));
}

void Load::on_event(std::size_t i, std::uint32_t events) {
    Conn& c = conns_[i];
    if (c.state == State::Done) return;
    if (c.state == State::Connecting) {
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
        on_connected(i, bench::now_ns());
        flush(i);
        return;
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) on_readable(i);
    if (c.state != State::Done && (events & EPOLLOUT) != 0) flush(i);
}

void Load::on_readable(std::size_t i) {
    Conn& c = conns_[i];
    for (int round = 0; round < 16 && c.state != State::Done; ++round) {
        const ssize_t r = read(c.fd, read_buf_.get(), kReadBuffer);
        if (r > 0) {
            feed(i, read_buf_.get(), static_cast<std::size_t>(r), bench::now_ns());
            if (static_cast<std::size_t>(r) < kReadBuffer) break;
        } else if (r == 0) {
            on_eof(i);
            return;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN) {
            break;
        } else {
            const int err = errno;
            if (err == ECONNRESET) {
                fail("connection %zu: the server closed the connection unexpectedly: reset (after %llu echoes, %llu "
                     "outstanding)", i, static_cast<unsigned long long>(c.next_recv),
                     static_cast<unsigned long long>(outstanding(i)));
            }
            fail("connection %zu: read: %s (after %llu echoes)", i, std::strerror(err),
                 static_cast<unsigned long long>(c.next_recv));
        }
    }
    if (c.state != State::Done) flush(i);
}

void Load::flush(std::size_t i) {
    Conn& c = conns_[i];
    while (!c.out.empty()) {
        const ssize_t w = send(c.fd, c.out.pending(), c.out.pending_size(), MSG_NOSIGNAL);
        if (w > 0) {
            c.out.consume(static_cast<std::size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) break;
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            fail("connection %zu: the server closed the connection unexpectedly: write: %s (after %llu echoes)", i,
                 std::strerror(errno), static_cast<unsigned long long>(c.next_recv));
        }
        fail("connection %zu: write: %s", i, std::strerror(errno));
    }
    want_write(c, !c.out.empty());
}

void Load::finish(std::size_t i) {
    Conn& c = conns_[i];
    epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
    c.state = State::Done;
    --active_;
}

// ---- protocol --------------------------------------------------------------------------------

void Load::feed(std::size_t i, std::uint8_t* p, std::size_t n, std::uint64_t t) {
    Conn& c = conns_[i];
    if (c.state == State::Handshake) {
        const std::size_t used = feed_handshake(i, p, n, t);
        p += used;
        n -= used;
        if (n == 0) return;
    }
    if (c.state == State::CloseReceived) fail("connection %zu: data after the server's close frame", i);
    if (o_.raw) {
        feed_raw(i, p, n, t);
    } else {
        feed_frames(i, p, n, t);
    }
}

std::size_t Load::feed_handshake(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t) {
    Conn& c = conns_[i];
    const std::size_t before = c.head.size();
    c.head.append(reinterpret_cast<const char*>(p), n);
    const std::size_t start = before >= 3 ? before - 3 : 0;
    const std::size_t end = c.head.find("\r\n\r\n", start);
    if (end == std::string::npos) {
        if (c.head.size() > 16384) fail("connection %zu: handshake response longer than 16 KiB", i);
        return n;
    }
    const std::size_t head_len = end + 4;
    check_response(i, std::string_view(c.head).substr(0, head_len));
    on_open(i, t);
    return head_len - before;
}

void Load::check_response(std::size_t i, std::string_view head) {
    const auto first_eol = head.find("\r\n");
    const std::string_view status = head.substr(0, first_eol);
    if (status.substr(0, 12) != "HTTP/1.1 101" || (status.size() > 12 && status[12] != ' ')) {
        fail("connection %zu: handshake refused: '%.*s'", i, static_cast<int>(std::min<std::size_t>(status.size(), 200)),
             status.data());
    }
    bool upgrade = false, connection = false;
    int accepts = 0;
    std::string_view rest = head.substr(first_eol + 2);
    while (!rest.empty()) {
        const auto eol = rest.find("\r\n");
        const std::string_view line = rest.substr(0, eol);
        rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 2);
        if (line.empty()) break;
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) fail("connection %zu: malformed header line in the 101 response", i);
        const std::string name = to_lower(trim(line.substr(0, colon)));
        const std::string_view value = trim(line.substr(colon + 1));
        if (name == "upgrade") {
            upgrade = to_lower(value) == "websocket";
        } else if (name == "connection") {
            connection = has_token(value, "upgrade");
        } else if (name == "sec-websocket-accept") {
            ++accepts;
            if (value != conns_[i].accept) {
                fail("connection %zu: wrong Sec-WebSocket-Accept '%.*s' (expected '%s')", i,
                     static_cast<int>(value.size()), value.data(), conns_[i].accept.c_str());
            }
        } else if (name == "sec-websocket-extensions" || name == "sec-websocket-protocol") {
            fail("connection %zu: the server chose %s which was not offered", i, name.c_str());
        }
    }
    if (!upgrade) fail("connection %zu: 101 response without 'Upgrade: websocket'", i);
    if (!connection) fail("connection %zu: 101 response without 'Connection: Upgrade'", i);
    if (accepts != 1) fail("connection %zu: 101 response with %d Sec-WebSocket-Accept headers", i, accepts);
}

std::uint64_t Load::outstanding(std::size_t i) const noexcept {
    const Conn& c = conns_[i];
    const std::uint64_t sent = o_.mode == Mode::Broadcast ? conns_[0].next_send : c.next_send;
    return sent - c.next_recv;
}

// Payload bytes of the message being received: checked against what was sent.
void Load::data_bytes(std::size_t i, const std::uint8_t* p, std::size_t n) {
    Conn& c = conns_[i];
    if (c.msg_off + n > payloads_.size()) {
        fail("connection %zu: echo of message #%llu is longer than the %zu bytes sent", i,
             static_cast<unsigned long long>(c.next_recv), payloads_.size());
    }
    std::size_t bad = 0;
    std::uint8_t want = 0;
    if (!payloads_.check(c.next_recv, static_cast<std::size_t>(c.msg_off), p, n, bad, want)) {
        const std::uint8_t got = p[bad - c.msg_off];
        fail("connection %zu: corrupted or reordered echo: message #%llu, byte %zu is 0x%02x, expected 0x%02x", i,
             static_cast<unsigned long long>(c.next_recv), bad, got, want);
    }
    c.msg_off += n;
}

void Load::feed_raw(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t) {
    Conn& c = conns_[i];
    while (n > 0) {
        if (c.state != State::Open && c.state != State::CloseSent) fail("connection %zu: unexpected bytes", i);
        if (outstanding(i) == 0) fail("connection %zu: %zu bytes received that were never sent", i, n);
        const std::size_t take = std::min<std::size_t>(n, payloads_.size() - static_cast<std::size_t>(c.msg_off));
        data_bytes(i, p, take);
        p += take;
        n -= take;
        if (c.msg_off == payloads_.size()) message_done(i, t);
    }
}

void Load::feed_frames(std::size_t i, const std::uint8_t* p, std::size_t n, std::uint64_t t) {
    Conn& c = conns_[i];
    while (n > 0) {
        if (!c.in_frame) {
            FrameHeader h{};
            std::size_t used = 0;
            if (c.hdr_have == 0) {
                const std::size_t size = decode_header(p, n, h);
                if (size == 0) {
                    std::memcpy(c.hdr, p, n);  // fewer than 14 bytes
                    c.hdr_have = static_cast<std::uint8_t>(n);
                    return;
                }
                used = size;
            } else {
                const std::size_t take = std::min<std::size_t>(sizeof c.hdr - c.hdr_have, n);
                std::memcpy(c.hdr + c.hdr_have, p, take);
                const std::size_t size = decode_header(c.hdr, c.hdr_have + take, h);
                if (size == 0) {
                    c.hdr_have = static_cast<std::uint8_t>(c.hdr_have + take);
                    return;
                }
                used = size - c.hdr_have;
                c.hdr_have = 0;
            }
            p += used;
            n -= used;
            if (h.masked) fail("connection %zu: the server sent a masked frame", i);
            if (h.rsv != 0) fail("connection %zu: frame with RSV bits 0x%x (no extension was negotiated)", i, h.rsv);
            const bool control = (h.op & 8) != 0;
            if (control) {
                if (h.op != 8 && h.op != 9 && h.op != 10) fail("connection %zu: reserved control opcode %u", i, h.op);
                if (!h.fin || h.len > 125) fail("connection %zu: fragmented or oversized control frame", i);
                c.ctrl_have = 0;
            } else if (h.op == 0) {
                if (!c.in_message) fail("connection %zu: continuation frame with no message to continue", i);
            } else if (h.op == 1 || h.op == 2) {
                if (c.in_message) fail("connection %zu: new message inside a fragmented one", i);
                if (c.state != State::Open && c.state != State::CloseSent)
                    fail("connection %zu: data frame in state %d", i, static_cast<int>(c.state));
                if (outstanding(i) == 0) fail("connection %zu: a message arrived that was never sent (duplicate echo?)", i);
                if (h.op != opcode_) {
                    fail("connection %zu: echo of message #%llu is %s, but %s was sent", i,
                         static_cast<unsigned long long>(c.next_recv), h.op == 1 ? "text" : "binary",
                         opcode_ == 1 ? "text" : "binary");
                }
                c.in_message = true;
                c.msg_off = 0;
            } else {
                fail("connection %zu: reserved opcode %u", i, h.op);
            }
            c.in_frame = true;
            c.frame_op = h.op;
            c.frame_fin = h.fin;
            c.frame_left = h.len;
        }
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(c.frame_left, n));
        if ((c.frame_op & 8) != 0) {
            std::memcpy(c.ctrl + c.ctrl_have, p, take);
            c.ctrl_have += take;
        } else if (take > 0) {
            data_bytes(i, p, take);
        }
        p += take;
        n -= take;
        c.frame_left -= take;
        if (c.frame_left != 0) return;
        c.in_frame = false;
        if ((c.frame_op & 8) != 0) {
            control_frame(i, c.frame_op);
            if (c.state == State::Done) return;
        } else if (c.frame_fin) {
            if (c.msg_off != payloads_.size()) {
                fail("connection %zu: echo of message #%llu has %llu bytes, %zu were sent", i,
                     static_cast<unsigned long long>(c.next_recv), static_cast<unsigned long long>(c.msg_off),
                     payloads_.size());
            }
            c.in_message = false;
            message_done(i, t);
        }
    }
}

void Load::control_frame(std::size_t i, std::uint8_t op) {
    Conn& c = conns_[i];
    if (op == 9) {  // ping: answer with a pong carrying the same payload
        if (c.state == State::Open) write_frame(c, 10, c.ctrl, c.ctrl_have);
        return;
    }
    if (op == 10) return;  // pong: nothing to do
    // Close.
    unsigned code = 1005;
    if (c.ctrl_have == 1) fail("connection %zu: close frame with a 1-byte payload", i);
    if (c.ctrl_have >= 2) code = (unsigned{c.ctrl[0]} << 8) | c.ctrl[1];
    if (c.state != State::CloseSent) {
        const int reason_len = static_cast<int>(c.ctrl_have >= 2 ? c.ctrl_have - 2 : 0);
        fail("connection %zu: unexpected close from the server: code %u '%.*s' (after %llu echoes)", i, code,
             reason_len, reinterpret_cast<const char*>(c.ctrl + 2), static_cast<unsigned long long>(c.next_recv));
    }
    if (code != 1000 && code != 1005) fail("connection %zu: the server answered our close with code %u", i, code);
    c.state = State::CloseReceived;
}

void Load::on_eof(std::size_t i) {
    Conn& c = conns_[i];
    const bool expected = o_.raw ? c.state == State::CloseSent : c.state == State::CloseReceived;
    if (!expected) {
        fail("connection %zu: the server closed the connection unexpectedly (after %llu echoes, %llu outstanding)", i,
             static_cast<unsigned long long>(c.next_recv), static_cast<unsigned long long>(outstanding(i)));
    }
    if (o_.raw && c.msg_off != 0) fail("connection %zu: connection closed inside an echoed record", i);
    finish(i);
}

void Load::message_done(std::size_t i, std::uint64_t t) {
    Conn& c = conns_[i];
    const std::uint64_t seq = c.next_recv++;
    c.msg_off = 0;
    c.last_progress = t;
    ++received_;
    const std::uint64_t sent_at =
        o_.mode == Mode::Broadcast ? bcast_sent_at_[seq % o_.depth] : c.sent_at[seq % o_.depth];
    if (measuring_) hist_.record(t - sent_at);
    if (o_.mode == Mode::Echo && sending_) {
        send_message(i, t);
    } else if (o_.mode == Mode::Big) {
        // The first round is a fresh server's (its buffers are new memory: page faults); the
        // rounds after it show what a server that has run for a while costs.
        if (seq < round_done_.size() && ++round_done_[seq] == conns_.size()) round_end_[seq] = t;
        if (c.next_recv < o_.count) {
            send_message(i, t);
        } else if (++big_done_ == conns_.size()) {
            big_t1_ = t;
            self1_ = bench::own_cpu();
            if (o_.server_pid != 0) {
                server1_ = bench::process_cpu(o_.server_pid);
                hwm_after_ = bench::process_memory(o_.server_pid, "VmHWM");
                rss_end_ = bench::process_memory(o_.server_pid, "VmRSS");
            }
            sending_ = false;
            start_closing(t);
        }
    }
}

// ---- output --------------------------------------------------------------------------------

void Load::write_frame(Conn& c, std::uint8_t op, const std::uint8_t* payload, std::size_t n) {
    std::uint8_t* d = c.out.reserve(kMaxHeader + n);
    const std::uint32_t key = masks_.next();
    const std::size_t h = encode_header(d, op, n, key);
    copy_masked(d + h, payload, n, key, 0);
    c.out.commit(h + n);
}

void Load::send_message(std::size_t i, std::uint64_t t) {
    Conn& c = conns_[i];
    const std::uint64_t seq = c.next_send++;
    if (o_.mode == Mode::Broadcast) {
        bcast_sent_at_[seq % o_.depth] = t;
    } else {
        c.sent_at[seq % o_.depth] = t;
    }
    ++sent_;
    const std::size_t n = payloads_.size();
    const std::size_t pre = payloads_.prefix_size();
    std::uint8_t prefix[16];
    payloads_.prefix(seq, prefix);
    const std::uint8_t* body = payloads_.body(seq);
    if (o_.raw) {
        std::uint8_t* d = c.out.reserve(n);
        std::memcpy(d, prefix, pre);
        std::memcpy(d + pre, body + pre, n - pre);
        c.out.commit(n);
        return;
    }
    std::uint8_t* d = c.out.reserve(kMaxHeader + n);
    const std::uint32_t key = masks_.next();
    const std::size_t h = encode_header(d, opcode_, n, key);
    const std::size_t phase = copy_masked(d + h, prefix, pre, key, 0);
    copy_masked(d + h + pre, body + pre, n - pre, key, phase);
    c.out.commit(h + n);
}

void Load::send_close(std::size_t i) {
    Conn& c = conns_[i];
    if (c.state != State::Open) return;
    c.state = State::CloseSent;
    if (o_.raw) {
        flush(i);
        if (!c.out.empty()) fail("connection %zu: output still pending at close", i);
        shutdown(c.fd, SHUT_WR);
        return;
    }
    const std::uint8_t payload[2] = {0x03, 0xE8};  // 1000 Normal
    write_frame(c, 8, payload, 2);
    flush(i);
}

}  // namespace wsload

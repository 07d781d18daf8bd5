// ws::Settings: every limit, buffer size and timeout of a WebSocket, with its default.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ws {

// One plain aggregate; Builder sets it. Every field states its unit, its default and why.
// Defaults are safe for a server on the open internet; raise the size limits for trusted peers
// (the Autobahn echo examples do). A limit hit by a peer closes that connection with the right
// close code or HTTP status and never harms the others.
struct Settings {
    // --- connections ---------------------------------------------------------------------
    // Simultaneous connections (server and client together). An accepted connection beyond it
    // is answered `HTTP/1.1 503 Service Unavailable` and closed; an outgoing connect beyond it
    // fails with ErrorKind::Capacity. 10'000: far past WS-RS's 100, well within one loop's reach.
    std::size_t max_connections = 10'000;
    // Commands from other threads (Sender calls off the loop thread) waiting for the loop.
    // A full queue is an ErrorKind::Queue result for the caller, never a block.
    // 65'536: a burst from a producer thread fits; memory is only used while it is queued.
    std::size_t queue_size = 65'536;
    // Payload bytes those queued commands may hold in all (a producer thread sending large
    // messages faster than the loop takes them gets ErrorKind::Queue past it). 64 MiB.
    std::size_t max_queue_bytes = 64u << 20;
    // Listen backlog. 1024 as WS-RS/mio.
    int backlog = 1024;
    // Event loops, each on its own thread, sharing the listening port with SO_REUSEPORT (Linux
    // spreads new connections over them), so one server can use every core. 1 by default.
    // With more than one, handlers of different connections run on different threads (each
    // connection stays on one), factory calls are serialized by ws-cpp, and broadcast and
    // shutdown reach every loop.
    unsigned threads = 1;
    // TCP_NODELAY on every socket: a WebSocket message is a unit, and ws-cpp already batches
    // the writes of one loop iteration, so Nagle only adds latency. On by default.
    bool tcp_nodelay = true;

    // --- sizes -----------------------------------------------------------------------------
    // Largest payload of one incoming frame, bytes. Checked against the length a header
    // announces, before any payload is read: over it the connection closes with 1009.
    // 16 MiB by default (a peer cannot make us buffer more than that for one frame).
    std::uint64_t max_frame_size = 16u << 20;
    // Largest incoming message, after assembling its fragments, bytes. Close 1009 beyond it.
    // 16 MiB by default.
    std::uint64_t max_message_size = 16u << 20;
    // Largest opening handshake (request or response head), bytes. Over it: HTTP 431 and close.
    // 16 KiB: browsers send < 2 KiB; cookies rarely push past 8 KiB.
    std::size_t max_handshake_size = 16u << 10;
    // Most headers in an opening handshake. 124 as WS-RS (httparse).
    std::size_t max_headers = 124;
    // Largest outgoing frame payload, bytes: longer messages are sent as several frames.
    // 0 (the default) never fragments; fragmenting costs a header per piece for no gain
    // unless a peer needs it.
    std::size_t fragment_size = 0;
    // Bytes a connection may hold unsent (its peer reads slower than we write). A send that
    // would go past it fails with ErrorKind::Capacity and sends nothing; the caller sees it,
    // can watch Sender::buffered_amount() and wait for Handler::on_drain(). 16 MiB + 64 KiB by
    // default, so one largest message always fits.
    std::size_t max_output_buffer = (16u << 20) + (64u << 10);
    // While a connection holds more than this much unsent output, ws-cpp stops reading from it,
    // so a peer that sends without reading is slowed by TCP instead of growing our buffers.
    // Reading resumes when the output drains below it. 1 MiB by default.
    std::size_t read_pause_threshold = 1u << 20;
    // Size of the loop-wide receive buffer every read lands in, bytes (one per loop, not per
    // connection; its pages are only touched as reads fill them). 512 KiB by default: a 64 KiB
    // message then usually arrives in one read and is delivered without being copied (with
    // 64 KiB it never fits whole and costs 12 % more CPU per message, measured).
    std::size_t read_buffer_size = 512u << 10;

    // --- time (milliseconds; 0 turns the handshake, idle and message timers off; a close or
    //     shutdown timeout of 0 means "do not wait") --------------------------------------------
    // The opening handshake must complete within this, else the connection is closed
    // (a server answers 408). 10 s by default: slow networks pass, slowloris does not.
    std::uint32_t handshake_timeout_ms = 10'000;
    // After this long with nothing received, an open connection is pinged; if nothing arrives
    // for another idle_timeout_ms it is closed (1006 to the handler, the peer gets nothing).
    // Servers default to 60 s (on); clients to 0 (off), unless set.
    std::uint32_t idle_timeout_ms = 60'000;
    std::uint32_t client_idle_timeout_ms = 0;
    // How long to wait for the peer's close reply after we sent a close frame, and, after a
    // failed connection (or, for a client, after the closing handshake), for the peer to close
    // TCP, before dropping the connection. A server that completed the closing handshake
    // closes TCP at once. 5 s by default.
    std::uint32_t close_timeout_ms = 5'000;
    // An incoming message (or frame) must be complete this long after it began arriving, else
    // the connection closes with 1008: a peer trickling bytes cannot hold its assembly buffer
    // (up to max_message_size) for ever. 120 s by default: 16 MiB at about 1 Mbit/s.
    std::uint32_t message_timeout_ms = 120'000;
    // How long WebSocket shutdown() waits for close replies before the loop exits anyway.
    // 5 s by default.
    std::uint32_t shutdown_timeout_ms = 5'000;
    // Granularity of the handshake, idle and close timers: one loop-wide sweep runs at this
    // interval (per-connection timers would cost memory on every idle connection). 250 ms.
    std::uint32_t timer_sweep_ms = 250;

    // --- protocol strictness -----------------------------------------------------------------
    // RFC 6455 5.1 requires clients to mask and servers not to. Always enforced; WS-RS's
    // masking_strict/key_strict/method_strict switches do not exist here: a handshake without
    // the right method, headers, version or accept key is always refused.
    //
    // Automatically answer pings with pongs (RFC 6455 5.5.2). On by default.
    bool auto_pong = true;
};

}  // namespace ws

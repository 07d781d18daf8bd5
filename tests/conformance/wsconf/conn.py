"""One WebSocket connection seen from the suite's side: writes exactly the bytes a case
chooses (in the writes it chooses), decodes and checks everything the peer sends, and keeps
a time-stamped log of events for the grader.

Nothing blocks without a bound: writes wait for the socket with select() and keep reading
meanwhile (a peer that echoes while we still send must never dead-lock us).
"""

import select
import socket
import struct
import time

import os

from .codec import (BINARY, CLOSE, CONT, PING, PONG, TEXT, DecodeError, FrameDecoder, close_code_is_valid,
                    describe, encode_frame, is_control, opname, utf8_valid)


class Event:
    __slots__ = ("t", "kind", "payload", "code", "reason", "frames")

    def __init__(self, t, kind, payload=b"", code=None, reason=b"", frames=1):
        self.t, self.kind, self.payload, self.code, self.reason, self.frames = t, kind, payload, code, reason, frames

    def __repr__(self):
        if self.kind == "close":
            return "close frame (%s)" % close_text(self.code, self.reason)
        if self.kind in ("text", "binary"):
            extra = " in %d frames" % self.frames if self.frames > 1 else ""
            return "%s message of %s%s" % (self.kind, describe(self.payload), extra)
        if self.kind in ("ping", "pong"):
            return "%s with %s" % (self.kind, describe(self.payload))
        return self.kind


def close_text(code, reason):
    if code is None:
        return "no status code"
    r = bytes(reason)
    return "code %d%s" % (code, ", reason %r" % r[:60] if r else "")


class Conn:
    READ_SIZE = 1 << 20

    def __init__(self, sock, role, leftover=b"", extension=None):
        """role: 'client' when the suite is the client (it masks, the peer must not) or
        'server'. `extension`: the negotiated extension (none until sections 12/13 exist)."""
        self.sock = sock
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self.role = role
        self.extension = extension
        self.dec = FrameDecoder()
        self.t0 = time.monotonic()
        self.events = []
        self.violations = []
        self.partial = None  # [opcode, [payloads], frame count]
        self.peer_close = None  # the peer's close Event
        self.eof = None  # time the peer's FIN (or reset) was seen
        self.reset = False
        self.sent_close = None  # time we sent a close frame
        self.write_error = None
        self.pending = []  # pongs waiting for a frame boundary of ours
        self.busy = False  # inside a multi-write action: do not interleave our pongs
        self.decoder_dead = False
        self.closed = False
        if leftover:
            self._ingest(leftover)

    def now(self):
        return time.monotonic() - self.t0

    # ---------------------------------------------------------------- reading

    def _violation(self, text):
        self.violations.append("at %.3fs: %s" % (self.now(), text))

    def _read(self):
        try:
            data = self.sock.recv(self.READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.eof = self.now()
            self.reset = True
            return
        if not data:
            self.eof = self.now()
            return
        self._ingest(data)

    def _ingest(self, data):
        if self.decoder_dead:
            return
        try:
            frames = self.dec.feed(data)
        except DecodeError as e:
            self._violation("undecodable frame from the peer: %s" % e)
            self.decoder_dead = True
            return
        for f in frames:
            self._on_frame(f)

    def _on_frame(self, f):
        t = self.now()
        op = f.opcode
        if self.peer_close is not None:
            self._violation("%s frame after the peer's own close frame (RFC 6455 5.5.1: nothing may follow it)"
                            % opname(op))
        if self.role == "client" and f.masked:
            self._violation("the server sent a masked %s frame (RFC 6455 5.1: a server MUST NOT mask)" % opname(op))
        if self.role == "server" and not f.masked:
            self._violation("the client sent an unmasked %s frame (RFC 6455 5.1: a client MUST mask)" % opname(op))
        if f.rsv and not (self.extension and self.extension.allows(f)):
            self._violation("%s frame with RSV bits %d and no extension negotiated (RFC 6455 5.2)" % (opname(op), f.rsv))
        if not f.minimal:
            self._violation("%s frame whose length is not in the minimal encoding (RFC 6455 5.2)" % opname(op))
        if op not in (CONT, TEXT, BINARY, CLOSE, PING, PONG):
            self._violation("frame with reserved opcode %d (RFC 6455 5.2)" % op)
            return
        if is_control(op):
            if not f.fin:
                self._violation("fragmented %s frame (RFC 6455 5.5: control frames MUST NOT be fragmented)" % opname(op))
            if len(f.payload) > 125:
                self._violation("%s frame with %d-byte payload (RFC 6455 5.5: at most 125)" % (opname(op), len(f.payload)))
            if op == PING:
                self.events.append(Event(t, "ping", f.payload))
                if self.sent_close is None and self.peer_close is None:
                    self.pending.append(self._frame(PONG, f.payload))
                    self.flush_pending()
            elif op == PONG:
                self.events.append(Event(t, "pong", f.payload))
            else:
                code, reason = None, b""
                if len(f.payload) == 1:
                    self._violation("close frame with a 1-byte payload (RFC 6455 5.5.1)")
                elif len(f.payload) >= 2:
                    code = struct.unpack("!H", f.payload[:2])[0]
                    reason = f.payload[2:]
                    if not close_code_is_valid(code):
                        self._violation("close frame with code %d, which may not be sent (RFC 6455 7.4)" % code)
                    if not utf8_valid(reason):
                        self._violation("close reason is not valid UTF-8 (RFC 6455 5.5.1)")
                ev = Event(t, "close", f.payload, code, reason)
                self.events.append(ev)
                if self.peer_close is None:
                    self.peer_close = ev
            return
        if op == CONT:
            if self.partial is None:
                self._violation("continuation frame with no message to continue (RFC 6455 5.4)")
                return
            self.partial[1].append(f.payload)
            self.partial[2] += 1
        else:
            if self.partial is not None:
                self._violation("new %s frame inside an unfinished fragmented message (RFC 6455 5.4)" % opname(op))
            self.partial = [op, [f.payload], 1]
        if f.fin:
            mop, parts, count = self.partial
            self.partial = None
            data = parts[0] if len(parts) == 1 else b"".join(parts)
            if mop == TEXT and not utf8_valid(data):
                self._violation("the peer sent a text message that is not valid UTF-8 (RFC 6455 8.1): %s"
                                % describe(data))
            self.events.append(Event(t, "text" if mop == TEXT else "binary", data, frames=count))

    def pump(self, timeout, until=None):
        """Reads for up to `timeout` seconds, or until `until()` holds, or the peer is gone.
        Returns whether `until()` held."""
        deadline = time.monotonic() + timeout
        while True:
            if until is not None and until():
                return True
            if self.eof is not None or self.closed:
                return until() if until is not None else False
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                r, _, _ = select.select([self.sock], [], [], left)
            except (OSError, ValueError):
                self.eof = self.now()
                return False
            if r:
                self._read()

    # ---------------------------------------------------------------- writing

    def _frame(self, opcode, payload):
        key = os.urandom(4) if self.role == "client" else None
        return encode_frame(opcode, payload, mask_key=key)

    def flush_pending(self):
        if self.busy or not self.pending:
            return
        data = b"".join(self.pending)
        self.pending = []
        self._write_all(data)

    def _write_all(self, data, timeout=30.0):
        """Writes `data` completely (one logical write), reading whatever arrives meanwhile."""
        if self.write_error is not None or self.closed:
            return False
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                self.write_error = "write timed out (the peer stopped reading)"
                return False
            rlist = [self.sock] if self.eof is None else []
            try:
                r, w, _ = select.select(rlist, [self.sock], [], min(left, 1.0))
            except (OSError, ValueError) as e:
                self.write_error = str(e)
                return False
            if r:
                self._read()
            if w:
                try:
                    n = self.sock.send(view[:1 << 20])
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as e:
                    self.write_error = "%s (after the peer closed?)" % e.strerror if e.strerror else str(e)
                    return False
                view = view[n:]
        return True

    def write(self, data, chunks=None, delay=0.0):
        """Writes `data` as one write, or cut at the sizes in `chunks` (each piece its own
        write, `delay` seconds apart, reading meanwhile). Returns False if the socket failed."""
        if chunks is None:
            ok = self._write_all(data)
            self.flush_pending()
            return ok
        self.busy = True
        try:
            pos = 0
            for n in chunks:
                if not self._write_all(data[pos:pos + n]):
                    return False
                pos += n
                if delay and pos < len(data):
                    self.pump(delay)
            if pos < len(data):
                return self._write_all(data[pos:])
            return True
        finally:
            self.busy = False
            self.flush_pending()

    def send_close_frame(self, data):
        if self.sent_close is None:
            self.sent_close = self.now()
        return self.write(data)

    def shutdown_write(self):
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

"""Cases, the context a case runs in (`T`), and the grader.

A case is a function of a `T`. It sends exact bytes (`t.send`, with the write pattern it
chooses), declares what must come back (`t.echo`, `t.pong`), and says how the connection must
end: by default with a closing handshake the suite starts after the echoes (`clean`), or by
the peer failing the connection (`t.fail(codes)`). `t.fail_fast_here()` marks the point by
which the peer must already have failed; `t.soon()` the point by which what was expected so
far must already have arrived. The grader (`T.finish`) turns what was observed into OK,
NON-STRICT or FAILED with reasons; README.md defines the verdicts.
"""

import math
import os
import re
import time
import traceback

from .codec import (BINARY, CLOSE, CONT, PING, PONG, TEXT, close_code_is_valid, close_payload, describe,
                    encode_frame)
from .conn import close_text

OK, NON_STRICT, FAILED = "OK", "NON-STRICT", "FAILED"
RANK = {OK: 0, NON_STRICT: 1, FAILED: 2}
REQ, SOFT, OPT = "required", "soft", "optional"

SECTIONS = {
    "1": "Framing",
    "2": "Pings and pongs",
    "3": "Reserved bits",
    "4": "Reserved opcodes",
    "5": "Fragmentation",
    "6": "UTF-8 handling",
    "7": "Close handling",
    "9": "Limits and performance",
    "10": "Auto-fragmentation",
    "12": "permessage-deflate (not implemented: hook only)",
    "13": "permessage-deflate parameters (not implemented: hook only)",
    "X": "Beyond Autobahn: masking direction, length encoding",
}


class Timing:
    """Every wait of the suite, in seconds. A conforming peer never makes the suite wait for
    these to run out (each wait ends as soon as the awaited event arrives), except the
    chop/frame pauses that are part of a case's write pattern."""
    handshake = 5.0
    echo = 5.0  # for expected echoes/pongs, plus size / min_rate
    min_rate = 4 << 20  # bytes per second a peer is granted on top of `echo`
    fail = 2.0  # for the peer to fail the connection after the offending bytes
    fail_fast = 1.0  # at a fail-fast point, before the suite sends the rest
    soon = 1.0  # at a t.soon() point
    close = 3.0  # for the close reply once the suite sent its close
    tcp = 2.0  # for the TCP close once both close frames crossed (later: NON-STRICT)
    tcp_max = 10.0  # ... and no later than this (else FAILED)
    chop_delay = 0.001  # between writes of a chopped frame (short chop runs only)
    chop_delay_max_writes = 600  # longer chop runs go without pauses
    frame_pause = 0.01  # between frame-wise writes


class CloseBytes(bytes):
    """A close frame built by t.close_frame(): sending it marks the suite's close as sent."""
    code = None
    valid = True


class Expect:
    __slots__ = ("kind", "payload", "level", "label")

    def __init__(self, kind, payload, level, label):
        self.kind, self.payload, self.level, self.label = kind, bytes(payload), level, label

    def matches(self, ev):
        return ev.kind == self.kind and ev.payload == self.payload

    def __repr__(self):
        return self.label or "%s with %s" % (self.kind, describe(self.payload))


def match(expects, observed):
    """In-order matching. Returns (unexpected events, expectations not seen, index of the
    first expectation after the last match)."""
    i = 0
    unexpected, missing = [], []
    for ev in observed:
        j = i
        while j < len(expects) and not expects[j].matches(ev):
            j += 1
        if j == len(expects):
            unexpected.append(ev)
            continue
        missing.extend(expects[i:j])
        i = j + 1
    return unexpected, missing, i


class T:
    def __init__(self, conn, case, timing=Timing):
        self.c = conn
        self.case = case
        self.role = conn.role
        self.tm = timing
        self.expects = []
        self.outcome = "clean"
        self.fail_codes = (1002,)
        self.reply_codes = None  # close codes accepted in answer to the suite's close
        self.notes = []  # (verdict, text)
        self.infos = []
        self.late = None

    # ------------------------------------------------------------ building frames

    def frame(self, opcode, payload=b"", *, fin=True, rsv=0, **kw):
        """A frame masked as the suite's role requires (a client masks, a server does not)."""
        if "mask_key" not in kw:
            kw["mask_key"] = os.urandom(4) if self.role == "client" else None
        return encode_frame(opcode, payload, fin=fin, rsv=rsv, **kw)

    def text(self, payload, **kw):
        return self.frame(TEXT, _b(payload), **kw)

    def binary(self, payload, **kw):
        return self.frame(BINARY, payload, **kw)

    def cont(self, payload, **kw):
        return self.frame(CONT, _b(payload), **kw)

    def ping(self, payload=b"", **kw):
        return self.frame(PING, _b(payload), **kw)

    def pong_frame(self, payload=b"", **kw):
        return self.frame(PONG, _b(payload), **kw)

    def close_frame(self, code=None, reason=b"", *, raw=None, **kw):
        payload = raw if raw is not None else close_payload(code, _b(reason))
        fb = CloseBytes(self.frame(CLOSE, payload, **kw))
        fb.code = code
        fb.valid = raw is None and (code is None or close_code_is_valid(code)) and len(payload) <= 125
        return fb

    def fragments(self, opcode, payload, pieces):
        """A message as frames: `pieces` is a fragment size or a list of fragment sizes."""
        payload = _b(payload)
        if isinstance(pieces, int):
            size = max(1, pieces)
            sizes = [size] * max(1, math.ceil(len(payload) / size))
        else:
            sizes = list(pieces)
        out, pos = [], 0
        for k, n in enumerate(sizes):
            last = k == len(sizes) - 1
            chunk = payload[pos:] if last else payload[pos:pos + n]
            out.append(self.frame(opcode if k == 0 else CONT, chunk, fin=last))
            pos += n
        return out

    # ------------------------------------------------------------ sending

    def send(self, *parts, mode="one", chop=None, splits=None, pause=None):
        """Writes frames (or raw bytes). mode 'one': everything in one write; 'frames': each
        part its own write, `pause` apart; 'octets': one byte per write. `chop`: writes of
        that many bytes; `splits`: cut at these offsets."""
        flat = []
        for p in parts:
            flat.extend(p if isinstance(p, list) else [p])
        for p in flat:
            if isinstance(p, CloseBytes) and self.c.sent_close is None:
                self.c.sent_close = self.c.now()
                if self.reply_codes is None and p.valid:
                    self.reply_codes = (None, 1000) if p.code is None else (p.code, 1000)
        data = b"".join(flat)
        chunks, delay = None, 0.0
        if mode == "frames":
            chunks, delay = [len(p) for p in flat], self.tm.frame_pause if pause is None else pause
        elif mode == "octets":
            chunks = [1] * len(data)
        elif chop:
            chunks = [chop] * math.ceil(len(data) / chop)
        elif splits:
            cuts = [0] + sorted(set(s for s in splits if 0 < s < len(data))) + [len(data)]
            chunks = [b - a for a, b in zip(cuts, cuts[1:])]
        if chunks is not None and mode != "frames":
            delay = self.tm.chop_delay if len(chunks) <= self.tm.chop_delay_max_writes else 0.0
            if pause is not None:
                delay = pause
        return self.c.write(data, chunks, delay)

    def close(self, code=1000, reason=b"", **kw):
        return self.send(self.close_frame(code, reason), **kw)

    def sleep(self, seconds):
        """Waits (reading) for `seconds`."""
        self.c.pump(seconds)

    def clock(self):
        return time.monotonic()

    # ------------------------------------------------------------ expectations

    def expect(self, kind, payload, level=REQ, label=None):
        self.expects.append(Expect(kind, _b(payload), level, label))

    def echo(self, opcode, payload, level=REQ, label=None):
        """The message must come back: same type, same bytes (any framing)."""
        self.expect("text" if opcode == TEXT else "binary", payload, level, label)

    def pong(self, payload, level=REQ, label=None):
        self.expect("pong", payload, level, label)

    def _observed(self):
        out = []
        for ev in self.c.events:
            if ev is self.c.peer_close:
                break
            if ev.kind in ("text", "binary", "pong"):
                out.append(ev)
        return out

    def _outstanding(self):
        _, _, i = match(self.expects, self._observed())
        return [e for e in self.expects[i:] if e.level != OPT]

    def wait(self, timeout=None):
        """Waits until every required or soft expectation so far arrived (or the peer is
        gone). Returns whether nothing is outstanding."""
        if timeout is None:
            size = sum(len(e.payload) for e in self._outstanding())
            timeout = self.tm.echo + size / self.tm.min_rate
        return self.c.pump(timeout, lambda: not self._outstanding() or self.c.peer_close is not None)

    def soon(self, what, timeout=None):
        """Everything expected so far must arrive within `timeout` (Timing.soon): a peer that
        delays it (until the end of a message, say) is NON-STRICT here."""
        if not self.wait(self.tm.soon if timeout is None else timeout):
            if self.c.peer_close is None and self.c.eof is None:
                self.note(NON_STRICT, "%s did not arrive within %.1fs: %s" % (
                    what, self.tm.soon if timeout is None else timeout, ", ".join(map(repr, self._outstanding()))))
            return False
        return True

    def fail(self, *codes):
        """The peer must fail the connection: a close frame with one of `codes`."""
        self.outcome = "fail"
        self.fail_codes = codes or (1002,)

    def fail_fast_here(self, what):
        """The peer must have failed the connection by now: waits up to Timing.fail_fast for
        its close frame (or TCP close) before the case sends the rest."""
        if self.c.pump(self.tm.fail_fast, lambda: self.c.peer_close is not None or self.c.eof is not None):
            return True
        if self.late is None:
            self.late = what
        return False

    def note(self, verdict, text):
        self.notes.append((verdict, text))

    def info(self, text):
        self.infos.append(text)

    # ------------------------------------------------------------ grading

    def finish(self):
        c, tm = self.c, self.tm
        if self.outcome == "clean":
            self.wait()
            if c.peer_close is not None and c.peer_close.t < (c.sent_close if c.sent_close is not None else 1e18):
                self.note(FAILED, "the peer closed the connection (%s) where it had no reason to"
                          % close_text(c.peer_close.code, c.peer_close.reason))
            elif c.eof is not None and c.sent_close is None:
                self.note(FAILED, "the peer dropped the TCP connection%s where it had no reason to"
                          % (" (reset)" if c.reset else ""))
            else:
                if c.sent_close is None:
                    self.close(1000)
                c.pump(tm.close, lambda: c.peer_close is not None or c.eof is not None)
                allowed = self.reply_codes or (1000,)
                if c.peer_close is not None:
                    code = c.peer_close.code
                    if code in allowed:
                        pass
                    elif code is None:
                        self.note(NON_STRICT, "the close reply carried no status code (expected %s)"
                                  % _codes(allowed))
                    else:
                        self.note(FAILED, "the close reply has %s, expected %s"
                                  % (close_text(code, c.peer_close.reason), _codes(allowed)))
                elif c.eof is not None:
                    self.note(FAILED, "the peer dropped the TCP connection instead of answering the close frame "
                              "(RFC 6455 5.5.1: it MUST send a Close frame in response)")
                else:
                    self.note(FAILED, "no close frame in answer to the suite's within %.1fs" % tm.close)
        else:
            c.pump(tm.fail, lambda: c.peer_close is not None or c.eof is not None)
            want = _codes(self.fail_codes)
            if c.peer_close is not None:
                code = c.peer_close.code
                if code is None:
                    self.note(NON_STRICT, "failed with a close frame without status code (expected %s; "
                              "RFC 6455 7.1.7: SHOULD send an appropriate code)" % want)
                elif code not in self.fail_codes:
                    self.note(FAILED, "failed the connection with %s, expected %s"
                              % (close_text(code, c.peer_close.reason), want))
            elif c.eof is not None:
                self.note(NON_STRICT, "dropped the TCP connection%s without a close frame (expected %s; RFC 6455 "
                          "7.1.7: SHOULD send a Close frame first)" % (" (reset)" if c.reset else "", want))
            else:
                self.note(FAILED, "did not fail the connection (expected a close frame with %s within %.1fs%s)"
                          % (want, tm.fail, " of the last write" if c.write_error is None else ""))
            if self.late is not None and (c.peer_close is not None or c.eof is not None):
                self.note(NON_STRICT, "failed only after the suite went on sending: not fail-fast at %s "
                          "(waited %.1fs before sending the rest)" % (self.late, tm.fail_fast))
        self._close_tcp()
        unexpected, missing, _ = match(self.expects, self._observed())
        for ev in unexpected:
            self.note(FAILED, "unexpected %r" % ev)
        for e in missing:
            if e.level == REQ:
                self.note(FAILED, "missing %r" % e)
            elif e.level == SOFT:
                self.note(NON_STRICT, "missing %r (the peer went on to close before answering it)" % e)
        for v in c.violations:
            self.note(FAILED, v)
        c.close()

    def _close_tcp(self):
        """The end of the closing handshake: RFC 6455 5.5.1 (after sending and receiving a
        Close frame an endpoint MUST close the TCP connection) and 7.1.1 (the server first)."""
        c, tm = self.c, self.tm
        if c.peer_close is not None and c.sent_close is None:
            code = c.peer_close.code
            reply = code if code is not None and close_code_is_valid(code) else (1000 if code is None else 1002)
            c.send_close_frame(self.close_frame(reply))
        handshake_done = c.peer_close is not None and c.sent_close is not None
        if not handshake_done or c.eof is not None:
            return
        who = "client" if self.role == "server" else "server"
        if self.role == "server":
            c.shutdown_write()  # the server closes first (RFC 6455 7.1.1)
        start = c.now()
        if c.pump(tm.tcp, lambda: c.eof is not None):
            return
        rule = ("RFC 6455 5.5.1: after sending and receiving a Close frame an endpoint MUST close the TCP "
                "connection" + ("" if self.role == "server" else "; 7.1.1: the server closes it first"))
        if c.pump(tm.tcp_max - tm.tcp, lambda: c.eof is not None):
            self.note(NON_STRICT, "the %s closed the TCP connection only %.1fs after the closing handshake "
                      "(%s)" % (who, c.eof - start, rule))
        else:
            self.note(FAILED, "the %s kept the TCP connection open %.0fs after the closing handshake (%s)"
                      % (who, tm.tcp_max, rule))

    def verdict(self):
        v = OK
        for sev, _ in self.notes:
            if RANK[sev] > RANK[v]:
                v = sev
        return v


def _b(x):
    return x.encode("utf-8") if isinstance(x, str) else bytes(x)


def _codes(codes):
    return " or ".join("no status code" if c is None else str(c) for c in codes)


# ---------------------------------------------------------------- the registry


class Case:
    def __init__(self, cid, title, fn, extra=False):
        self.id, self.title, self.fn, self.extra = cid, title, fn, extra
        self.section = cid.split(".")[0]


def case_key(cid):
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in cid.split(".")]


class Registry:
    def __init__(self, profile):
        self.profile = profile
        self.cases = []
        self.ids = set()

    def add(self, cid, title, fn, extra=False):
        assert cid not in self.ids, "duplicate case id " + cid
        self.ids.add(cid)
        self.cases.append(Case(cid, title, fn, extra))

    def case(self, cid, title, extra=False):
        def deco(fn):
            self.add(cid, title, fn, extra)
            return fn
        return deco

    def sorted(self):
        return sorted(self.cases, key=lambda c: (c.section == "X", case_key(c.id)))


def select_cases(cases, patterns, excludes=()):
    """Patterns like '1.*', '6.4.1', '7' (a whole section)."""
    def hit(cid, pats):
        for p in pats:
            rx = "^" + re.escape(p).replace("\\*", ".*") + ("$" if "*" in p or p.count(".") >= 2 else r"(\..*)?$")
            if re.match(rx, cid):
                return True
        return False
    out = [c for c in cases if not patterns or hit(c.id, patterns)]
    return [c for c in out if not hit(c.id, excludes)]


class Result:
    def __init__(self, case, verdict, notes, infos, duration):
        self.case, self.verdict, self.notes, self.infos, self.duration = case, verdict, notes, infos, duration


def run_case(conn, case, timing=Timing):
    """Runs one case on an open connection and grades it."""
    start = time.monotonic()
    t = T(conn, case, timing)
    try:
        case.fn(t)
        t.finish()
    except Exception:  # a bug of the suite, not of the peer: still a failure, loudly
        t.note(FAILED, "SUITE ERROR (not the peer's fault):\n" + traceback.format_exc())
        conn.close()
    if conn.write_error and t.verdict() != OK:
        t.info("a write of the suite failed: %s" % conn.write_error)
    return Result(case, t.verdict(), t.notes, t.infos, time.monotonic() - start)

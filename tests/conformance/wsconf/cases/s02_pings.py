"""Section 2: pings and pongs (RFC 6455 5.5.2, 5.5.3)."""

from ..engine import REQ, SOFT

BIN8 = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"


def _ping(payload, **send_kw):
    def fn(t):
        t.send(t.ping(payload), **send_kw)
        t.pong(payload)
    return fn


def _burst(mode):
    """Ten pings before the peer can answer: RFC 6455 5.5.3 lets it answer only the most
    recent of pings it has not answered yet, so the first nine are 'soft' (NON-STRICT if
    missing) and only the last one is required; any pong must be in order."""
    def fn(t):
        payloads = [("payload-%d" % k).encode() for k in range(10)]
        t.send([t.ping(p) for p in payloads], mode=mode)
        for k, p in enumerate(payloads):
            t.pong(p, REQ if k == 9 else SOFT)
    return fn


def _every_size(t):
    for n in range(126):
        payload = bytes((k * 7 + n) & 0xFF for k in range(n))
        t.send(t.ping(payload))
        t.pong(payload)
        t.wait()


def _too_long(t):
    t.send(t.ping(b"\xfe" * 126))
    t.fail(1002)


def _unsolicited(payload):
    def fn(t):
        t.send(t.pong_frame(payload))
        # nothing may come back; the closing handshake is the barrier
    return fn


def _pong_then_ping(t):
    t.send(t.pong_frame(b"unsolicited pong payload"), t.ping(b"ping payload"))
    t.pong(b"ping payload")


def register(reg):
    reg.add("2.1", "ping without payload", _ping(b""))
    reg.add("2.2", "ping with a small text payload", _ping(b"Hello, world!"))
    reg.add("2.3", "ping with a small binary payload", _ping(BIN8))
    reg.add("2.4", "ping with a 125-byte binary payload (the largest allowed)", _ping(b"\xfe" * 125))
    reg.add("2.5", "ping with a 126-byte payload: control frames carry at most 125 (fail 1002)", _too_long)
    reg.add("2.6", "ping with a 125-byte payload, one byte per write", _ping(b"\xfe" * 125, mode="octets"))
    reg.add("2.7", "unsolicited pong without payload: ignored", _unsolicited(b""))
    reg.add("2.8", "unsolicited pong with payload: ignored", _unsolicited(b"unsolicited pong payload"))
    reg.add("2.9", "unsolicited pong, then a ping: only the ping is answered", _pong_then_ping)
    reg.add("2.10", "ten pings in one write: answered in order", _burst("one"))
    reg.add("2.11", "ten pings, one byte per write: answered in order", _burst("octets"))
    reg.add("2.12", "pings with every payload size 0..125, one at a time", _every_size, extra=True)

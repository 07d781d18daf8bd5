"""Section 3: reserved bits. With no extension negotiated a frame with RSV1, RSV2 or RSV3 set
fails the connection (RFC 6455 5.2). rsv is the 3-bit value: 4 = RSV1, 2 = RSV2, 1 = RSV3."""

from ..engine import SOFT


def _single(kind, rsv):
    def fn(t):
        if kind == "text":
            frame = t.text(b"Hello, world!", rsv=rsv)
        elif kind == "binary":
            frame = t.binary(bytes(range(16)), rsv=rsv)
        elif kind == "ping":
            frame = t.ping(b"Hello, world!", rsv=rsv)
        elif kind == "pong":
            frame = t.pong_frame(b"Hello, world!", rsv=rsv)
        else:
            frame = t.close_frame(1000, rsv=rsv)
        t.send(frame)
        t.fail(1002)
    return fn


def _sandwich(rsv, mode):
    """A valid message (echoed), the offending frame, then a ping (never answered)."""
    def fn(t):
        t.send(t.text(b"Hello, world!"), t.text(b"Hello, world!", rsv=rsv), t.ping(b"Hello, world!"), mode=mode)
        t.echo(1, b"Hello, world!", SOFT)
        t.fail(1002)
    return fn


def _continuation(t):
    t.send(t.text(b"fragment1", fin=False), t.cont(b"fragment2", rsv=4))
    t.fail(1002)


def register(reg):
    reg.add("3.1", "text frame with RSV = 1", _single("text", 1))
    reg.add("3.2", "text message, text frame with RSV = 2, ping; one write", _sandwich(2, "one"))
    reg.add("3.3", "text message, text frame with RSV = 3, ping; frame by frame", _sandwich(3, "frames"))
    reg.add("3.4", "text message, text frame with RSV = 4 (RSV1), ping; one byte per write", _sandwich(4, "octets"))
    reg.add("3.5", "binary frame with RSV = 5", _single("binary", 5))
    reg.add("3.6", "ping with RSV = 6", _single("ping", 6))
    reg.add("3.7", "close frame with RSV = 7", _single("close", 7))
    reg.add("3.8", "continuation frame with RSV = 4 (RSV1)", _continuation, extra=True)
    reg.add("3.9", "pong with RSV = 2", _single("pong", 2), extra=True)

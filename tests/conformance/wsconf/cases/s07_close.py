"""Section 7: the closing handshake (RFC 6455 5.5.1, 7.1-7.4). The suite's close frame must
be answered by one close frame (echoing the code, or 1000), after which nothing else comes and
the TCP connection closes; malformed close frames fail the connection."""

from ..codec import TEXT, close_payload
from ..engine import OPT, SOFT
from .common import KOSME, text_payload

VALID = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
INVALID = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


def _message_then_close(t):
    t.send(t.text(b"Hello, world!"), t.close_frame(1000))
    # Sent before the close, so a peer that echoes it must do so before its close reply; one
    # that answers the close first (and so drops the echo) is NON-STRICT.
    t.echo(TEXT, b"Hello, world!", SOFT)


def _after_close(*what):
    def fn(t):
        frames = [t.close_frame(1000)]
        for w in what:
            frames.append(t.close_frame(1000) if w == "close" else t.ping(b"ping after close") if w == "ping"
                          else t.text(b"text after close"))
        t.send(frames)
        # nothing but one close reply may come back
    return fn


def _fragment_close_fragment(t):
    t.send(t.text(b"fragment1", fin=False), t.close_frame(1000), t.cont(b"fragment2"))


def _big_then_close_ping(t):
    payload = text_payload(256 * 1024)
    t.send(t.text(payload), t.close_frame(1000), t.ping(b"ping after close"))
    t.echo(TEXT, payload, OPT)


def _close_raw(payload, fail=None):
    def fn(t):
        if fail:
            t.send(t.close_frame(raw=payload))
            t.fail(fail)
        else:
            import struct
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            t.send(t.close_frame(code, payload[2:]))
    return fn


def _octet_close(t):
    t.close(1000, "bye", mode="octets")


def register(reg):
    reg.add("7.1.1", "text message, then close: echo (before the close reply), then the closing handshake",
            _message_then_close)
    reg.add("7.1.2", "two close frames: the second is ignored", _after_close("close"))
    reg.add("7.1.3", "close, then ping: no pong after the close", _after_close("ping"))
    reg.add("7.1.4", "close, then text: not echoed", _after_close("text"))
    reg.add("7.1.5", "text fragment, close, final fragment: no echo", _fragment_close_fragment)
    reg.add("7.1.6", "256 KiB text message, close, ping: echo optional, no pong", _big_then_close_ping)
    reg.add("7.1.7", "close frame with reason, one byte per write", _octet_close, extra=True)
    reg.add("7.3.1", "close without payload: answered (no code or 1000)", _close_raw(b""))
    reg.add("7.3.2", "close with a 1-byte payload (fail 1002)", _close_raw(b"\x03", fail=1002))
    reg.add("7.3.3", "close with code 1000, no reason", _close_raw(close_payload(1000)))
    reg.add("7.3.4", "close with code 1000 and a reason", _close_raw(close_payload(1000, "Hello World!")))
    reg.add("7.3.5", "close with code 1000 and a 123-byte reason (125-byte payload)",
            _close_raw(close_payload(1000, "*" * 123)))
    reg.add("7.3.6", "close with code 1000 and a 124-byte reason (126-byte control frame: fail 1002)",
            _close_raw(close_payload(1000, "*" * 124), fail=1002))
    reg.add("7.3.7", "close with code 1000 and a 123-byte reason of multi-byte characters",
            _close_raw(close_payload(1000, ("ö" * 61 + "!").encode())), extra=True)
    reg.add("7.5.1", "close with code 1000 and a reason that is not UTF-8 (fail 1007)",
            _close_raw(close_payload(1000, KOSME + b"\xed\xa0\x80edited"), fail=1007))
    for k, code in enumerate(VALID, 1):
        reg.add("7.7.%d" % k, "close with valid code %d: answered with %d or 1000" % (code, code),
                _close_raw(close_payload(code, "code %d" % code)))
    for k, code in enumerate(INVALID, 1):
        reg.add("7.9.%d" % k, "close with invalid code %d (fail 1002)" % code,
                _close_raw(close_payload(code, "code %d" % code), fail=1002))

"""Payloads and case builders shared by the sections."""

from ..codec import TEXT

# Mixed 1- to 4-byte characters, so that large text payloads cut across reads and fragments in
# the middle of characters.
_UNIT = "Hello-µ@ßöäüàá-UTF-8!! κόσμε ÅÄÖ €𝄞 ".encode("utf-8")
_BIN = bytes(range(256))
_cache = {}

KOSME = "κόσμε".encode("utf-8")  # ce ba | e1 bd b9 | cf 83 | ce bc | ce b5
HELLO = "Hello-µ@ßöäüàá-UTF-8!!".encode("utf-8")


def text_payload(n):
    """Valid UTF-8 of exactly n bytes."""
    key = ("t", n)
    if key not in _cache:
        b = (_UNIT * (n // len(_UNIT) + 1))[:n]
        b = b.decode("utf-8", "ignore").encode("utf-8")  # drops only a character cut at the end
        _cache.clear() if n > (1 << 20) else None
        _cache[key] = b + b"*" * (n - len(b))
    return _cache[key]


def binary_payload(n):
    key = ("b", n)
    if key not in _cache:
        _cache.clear() if n > (1 << 20) else None
        _cache[key] = (_BIN * (n // 256 + 1))[:n]
    return _cache[key]


def payload_for(op, n):
    return text_payload(n) if op == TEXT else binary_payload(n)


def kind_name(op):
    return "text" if op == TEXT else "binary"


def size_name(n):
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return "%d MiB" % (n >> 20)
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return "%d KiB" % (n >> 10)
    return "%d bytes" % n


def echo_case(op, make_payload, **send_kw):
    """One message in one frame, written as send_kw says; it must come back."""
    def fn(t):
        payload = make_payload()
        t.send(t.frame(op, payload), **send_kw)
        t.echo(op, payload)
    return fn


def fragmented_echo_case(op, make_payload, pieces, **send_kw):
    def fn(t):
        payload = make_payload()
        t.send(t.fragments(op, payload, pieces), **send_kw)
        t.echo(op, payload)
    return fn


def timed_echo_case(op, make_payload, frames_of, **send_kw):
    """Section 9 style: sends, waits for the echo, reports the time (never graded)."""
    def fn(t):
        payload = make_payload()
        frames = frames_of(t, payload)
        start = t.clock()
        t.send(frames, **send_kw)
        t.echo(op, payload)
        ok = t.wait()
        took = t.clock() - start
        if ok:
            t.info("%s echoed in %.3f s (%.1f MiB/s both ways)" % (
                size_name(len(payload)), took, 2 * len(payload) / (1 << 20) / max(took, 1e-6)))
    return fn

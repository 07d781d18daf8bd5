"""Section 1: framing. Text and binary messages of the lengths at the edges of the three
length encodings (RFC 6455 5.2), written whole, in small chops, and cut at awkward points."""

from ..codec import BINARY, TEXT
from .common import echo_case, kind_name, payload_for

LENGTHS = [0, 125, 126, 127, 128, 65535, 65536]


def _awkward(op, n):
    """The header cut at every byte, the payload after its first byte, in its middle and
    before its last byte: each piece its own write."""
    def fn(t):
        payload = payload_for(op, n)
        frame = t.frame(op, payload)
        head = len(frame) - n
        t.send(frame, splits=list(range(1, head + 1)) + [head + 1, head + n // 2, head + n - 1])
        t.echo(op, payload)
    return fn


def _many(op):
    def fn(t):
        frames = [t.frame(op, payload_for(op, n)) for n in LENGTHS]
        t.send(frames)  # every frame in one write
        for n in LENGTHS:
            t.echo(op, payload_for(op, n))
    return fn


def register(reg):
    for sub, op in ((1, TEXT), (2, BINARY)):
        name = kind_name(op)
        for k, n in enumerate(LENGTHS, 1):
            reg.add("1.%d.%d" % (sub, k), "%s message of %d bytes, one frame, one write" % (name, n),
                    echo_case(op, lambda op=op, n=n: payload_for(op, n)))
        reg.add("1.%d.8" % sub, "%s message of 65536 bytes, one frame written in 997-byte chops" % name,
                echo_case(op, lambda op=op: payload_for(op, 65536), chop=997))
        reg.add("1.%d.9" % sub, "%s messages of all the lengths above, all seven frames in one write" % name,
                _many(op), extra=True)
        for k, n in enumerate((125, 126, 65536), 10):
            reg.add("1.%d.%d" % (sub, k), "%s message of %d bytes, header written byte by byte, payload cut "
                    "after its first byte, in its middle and before its last byte" % (name, n), _awkward(op, n),
                    extra=True)
        reg.add("1.%d.13" % sub, "%s message of 300 bytes, one byte per write" % name,
                echo_case(op, lambda op=op: payload_for(op, 300), mode="octets"), extra=True)

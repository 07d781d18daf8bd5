"""Section 5: fragmentation (RFC 6455 5.4): control frames between fragments, continuation
frames without a start, a new message inside a fragmented one, fragmented control frames."""

from ..codec import BINARY, PING, PONG, TEXT
from ..engine import REQ, SOFT
from .common import text_payload


def _fragmented_control(opcode):
    def fn(t):
        t.send(t.frame(opcode, b"fragment1", fin=False), t.cont(b"fragment2"))
        t.fail(1002)
    return fn


def _two_fragments(mode):
    def fn(t):
        t.send(t.text(b"fragment1", fin=False), t.cont(b"fragment2"), mode=mode)
        t.echo(TEXT, b"fragment1fragment2")
    return fn


def _ping_between(mode):
    def fn(t):
        t.send(t.text(b"fragment1", fin=False), t.ping(b"ping payload"), t.cont(b"fragment2"), mode=mode)
        t.pong(b"ping payload")
        t.echo(TEXT, b"fragment1fragment2")
    return fn


def _orphan_continuation(fin, mode):
    def fn(t):
        t.send(t.cont(b"non-continuation payload", fin=fin), t.text(b"Hello, world!"), mode=mode)
        t.fail(1002)
    return fn


def _orphan_after_message(t):
    t.send(t.text(b"fragment1", fin=False), t.cont(b"fragment2"), t.cont(b"fragment3", fin=False),
           t.text(b"fragment4"))
    t.echo(TEXT, b"fragment1fragment2", SOFT)
    t.fail(1002)


def _repeated(fin):
    def fn(t):
        group = [t.cont(b"fragment1", fin=fin), t.text(b"fragment2", fin=False), t.cont(b"fragment3")]
        t.send(group + [t.cont(b"fragment4", fin=fin), t.text(b"fragment5", fin=False), t.cont(b"fragment6")])
        t.fail(1002)
    return fn


def _text_inside_text(t):
    t.send(t.text(b"fragment1", fin=False), t.text(b"fragment2"))
    t.fail(1002)


def _binary_inside_text(t):
    t.send(t.text(b"fragment1", fin=False), t.binary(b"binary"), t.cont(b"fragment2"))
    t.fail(1002)


def _five_with_pings(octets):
    """Five fragments with pings after the second and the fourth, a pause after every frame:
    each pong must come while the message is still unfinished (RFC 6455 5.4: an endpoint MUST
    be able to handle control frames in the middle of a message; 5.5.2: answer as soon as
    practical)."""
    def fn(t):
        mode = "octets" if octets else "one"
        frags = [b"fragment%d" % k for k in range(1, 6)]

        def put(frame):
            t.send(frame, mode=mode)
            t.sleep(0.05)
        put(t.text(frags[0], fin=False))
        put(t.cont(frags[1], fin=False))
        put(t.ping(b"pongme 1!"))
        t.pong(b"pongme 1!")
        t.soon("the pong for a ping between fragments")
        put(t.cont(frags[2], fin=False))
        put(t.cont(frags[3], fin=False))
        put(t.ping(b"pongme 2!"))
        t.pong(b"pongme 2!")
        t.soon("the pong for a ping between fragments")
        put(t.cont(frags[4]))
        t.echo(TEXT, b"".join(frags))
    return fn


def _byte_per_frame(t):
    payload = text_payload(200)  # multi-byte characters cut across frames
    t.send(t.fragments(TEXT, payload, 1))
    t.echo(TEXT, payload)


def _empty_fragments(op):
    def fn(t):
        frames = [t.frame(op, b"", fin=False), t.cont(b"", fin=False), t.cont(b"Hello", fin=False),
                  t.cont(b"", fin=False), t.cont(b", world!", fin=False), t.cont(b"")]
        t.send(frames)
        t.echo(op, b"Hello, world!")
    return fn


def _pong_between(t):
    t.send(t.binary(b"part1", fin=False), t.pong_frame(b"unsolicited"), t.cont(b"part2"))
    t.echo(BINARY, b"part1part2")


def _many_pings_between(t):
    frames = []
    parts = [b"part%02d" % k for k in range(11)]
    for k, p in enumerate(parts):
        frames.append(t.frame(TEXT, p, fin=False) if k == 0 else t.cont(p, fin=k == 10))
        if k < 10:
            frames.append(t.ping(b"ping %d" % k))
    t.send(frames)
    for k in range(10):
        t.pong(b"ping %d" % k, REQ if k == 9 else SOFT)
    t.echo(TEXT, b"".join(parts))


def register(reg):
    reg.add("5.1", "ping in two fragments (fail 1002)", _fragmented_control(PING))
    reg.add("5.2", "pong in two fragments (fail 1002)", _fragmented_control(PONG))
    reg.add("5.3", "text message in two fragments, one write", _two_fragments("one"))
    reg.add("5.4", "text message in two fragments, frame by frame", _two_fragments("frames"))
    reg.add("5.5", "text message in two fragments, one byte per write", _two_fragments("octets"))
    reg.add("5.6", "text message in two fragments with a ping between them, one write", _ping_between("one"))
    reg.add("5.7", "text message in two fragments with a ping between them, frame by frame", _ping_between("frames"))
    reg.add("5.8", "text message in two fragments with a ping between them, one byte per write",
            _ping_between("octets"))
    reg.add("5.9", "continuation frame (FIN) with nothing to continue, then a text message; one write",
            _orphan_continuation(True, "one"))
    reg.add("5.10", "the same as 5.9, frame by frame", _orphan_continuation(True, "frames"))
    reg.add("5.11", "the same as 5.9, one byte per write", _orphan_continuation(True, "octets"))
    reg.add("5.12", "continuation frame (no FIN) with nothing to continue, then a text message; one write",
            _orphan_continuation(False, "one"))
    reg.add("5.13", "the same as 5.12, frame by frame", _orphan_continuation(False, "frames"))
    reg.add("5.14", "the same as 5.12, one byte per write", _orphan_continuation(False, "octets"))
    reg.add("5.15", "a complete fragmented text message, then a continuation frame starting nothing",
            _orphan_after_message)
    reg.add("5.16", "twice: continuation (no FIN) starting nothing, text fragment, final continuation",
            _repeated(False))
    reg.add("5.17", "twice: continuation (FIN) starting nothing, text fragment, final continuation",
            _repeated(True))
    reg.add("5.18", "text fragment followed by a second text frame instead of a continuation", _text_inside_text)
    reg.add("5.19", "text in five fragments, pings after the 2nd and 4th, pauses: pongs while the message is open",
            _five_with_pings(False))
    reg.add("5.20", "the same as 5.19, every frame one byte per write", _five_with_pings(True))
    reg.add("5.21", "text message of 200 bytes, one byte per frame (characters cut across frames)",
            _byte_per_frame, extra=True)
    reg.add("5.22", "text message with empty first, middle and last fragments", _empty_fragments(TEXT), extra=True)
    reg.add("5.23", "binary message with empty first, middle and last fragments", _empty_fragments(BINARY),
            extra=True)
    reg.add("5.24", "binary message inside a fragmented text message (fail 1002)", _binary_inside_text, extra=True)
    reg.add("5.25", "unsolicited pong between fragments: ignored, message echoed", _pong_between, extra=True)
    reg.add("5.26", "text message in 11 fragments with a ping between each two, one write", _many_pings_between,
            extra=True)

"""Section 9: large messages and many messages. Times are printed, never graded (RFC 6455
sets no speed); what is graded is that every message comes back intact.

Profiles: 'full' uses the Autobahn sizes; 'quick' (what CTest runs) keeps one 16 MiB message
of each type and trims the rest so that a whole run stays well under two minutes.
"""

from ..codec import BINARY, TEXT
from .common import kind_name, payload_for, size_name, timed_echo_case

KIB, MIB = 1 << 10, 1 << 20


def _round_trips(op, size, count):
    """`count` messages, each sent after the previous echo arrived."""
    def fn(t):
        payload = payload_for(op, size)
        start = t.clock()
        for _ in range(count):
            t.send(t.frame(op, payload))
            t.echo(op, payload)
            if not t.wait():
                return
        took = t.clock() - start
        t.info("%d round trips of %s in %.3f s (%.0f us each)" % (count, size_name(size), took, took / count * 1e6))
    return fn


def _burst(op, size, count):
    """`count` messages in one write; all must come back in order."""
    def fn(t):
        # distinct messages (a counter at the end), valid UTF-8 for text
        payloads = [payload_for(op, size - 4) + b"%04d" % k for k in range(count)]
        start = t.clock()
        t.send([t.frame(op, p) for p in payloads])
        for p in payloads:
            t.echo(op, p)
        if t.wait():
            t.info("%d messages of %s in one write, all echoed in %.3f s" % (count, size_name(size), t.clock() - start))
    return fn


def register(reg):
    quick = reg.profile == "quick"
    single_sizes = [64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, 8 * MIB, 16 * MIB]
    frag_total = 1 * MIB if quick else 4 * MIB
    frag_sizes = [64, 256, 1 * KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB]
    chops = [64, 128, 256, 512, 1024, 2048]
    chop_total = 256 * KIB if quick else 1 * MIB
    trip_sizes = [0, 16, 64, 256, 1 * KIB, 4 * KIB]
    trips = 100 if quick else 1000
    for sub, op in ((1, TEXT), (2, BINARY)):
        name = kind_name(op)
        for k, n in enumerate(single_sizes, 1):
            if quick and n in (4 * MIB, 8 * MIB):
                continue
            reg.add("9.%d.%d" % (sub, k), "%s message of %s in one frame" % (name, size_name(n)),
                    timed_echo_case(op, lambda op=op, n=n: payload_for(op, n), lambda t, p, op=op: t.frame(op, p)))
    for sub, op in ((3, TEXT), (4, BINARY)):
        name = kind_name(op)
        for k, f in enumerate(frag_sizes, 1):
            if f > frag_total:
                continue
            reg.add("9.%d.%d" % (sub, k), "%s message of %s in fragments of %s, one write"
                    % (name, size_name(frag_total), size_name(f)),
                    timed_echo_case(op, lambda op=op: payload_for(op, frag_total),
                                    lambda t, p, op=op, f=f: t.fragments(op, p, f)))
    for sub, op in ((5, TEXT), (6, BINARY)):
        name = kind_name(op)
        for k, c in enumerate(chops, 1):
            reg.add("9.%d.%d" % (sub, k), "%s message of %s in one frame, written in chops of %d bytes"
                    % (name, size_name(chop_total), c),
                    timed_echo_case(op, lambda op=op: payload_for(op, chop_total), lambda t, p, op=op: t.frame(op, p),
                                    chop=c, pause=0))
    for sub, op in ((7, TEXT), (8, BINARY)):
        name = kind_name(op)
        for k, n in enumerate(trip_sizes, 1):
            reg.add("9.%d.%d" % (sub, k), "%d %s messages of %s, each sent after the previous echo"
                    % (trips, name, size_name(n)), _round_trips(op, n, trips))
    for k, (op, n, count) in enumerate([(TEXT, 16, 1000), (BINARY, 1 * KIB, 1000), (TEXT, 64 * KIB, 64)], 1):
        reg.add("9.9.%d" % k, "%d %s messages of %s in one write" % (count, kind_name(op), size_name(n)),
                _burst(op, n, count), extra=True)

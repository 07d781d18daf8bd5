"""Section 6: UTF-8 in text messages (RFC 6455 5.6 and 8.1, RFC 3629). A text message that is
not valid UTF-8 fails the connection with 1007; valid text comes back unchanged.

The sequences follow the usual decoder stress-test groups (first and last sequence of each
length, overlong forms, surrogates, code points above U+10FFFF, stray and missing
continuation bytes, impossible bytes, noncharacters), generated here from the encoding rules.
Each is sent as one text frame in one write, unless the case says otherwise. Section 6.4 and
6.3.2 check fail-fast: the connection must fail at the first fragment (or the first chunk of a
frame) that cannot start a valid message, not only when the message ends.
"""

from ..codec import TEXT, utf8_valid
from .common import HELLO, KOSME


def enc(cp):
    """The UTF-8 form of a code point, without refusing surrogates (to build invalid input)."""
    if cp < 0x80:
        return bytes([cp])
    if cp < 0x800:
        return bytes([0xC0 | cp >> 6, 0x80 | cp & 0x3F])
    if cp < 0x10000:
        return bytes([0xE0 | cp >> 12, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F])
    return bytes([0xF0 | cp >> 18, 0x80 | cp >> 12 & 0x3F, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F])


def _message(payload, valid=None, pieces=None, **send_kw):
    valid = utf8_valid(payload) if valid is None else valid
    assert valid == utf8_valid(payload), "case data disagrees with the UTF-8 rules: %r" % payload

    def fn(t):
        if pieces is None:
            t.send(t.text(payload), **send_kw)
        else:
            t.send(t.fragments(TEXT, payload, pieces), **send_kw)
        if valid:
            t.echo(TEXT, payload)
        else:
            t.fail(1007)
    return fn


def _group(reg, prefix, title, items):
    """items: (description, bytes) pairs; validity comes from the UTF-8 rules."""
    for k, (desc, data) in enumerate(items, 1):
        verdict = "valid" if utf8_valid(data) else "invalid (fail 1007)"
        reg.add("%s.%d" % (prefix, k), "%s: %s: %s" % (title, desc, verdict), _message(data))


def _fail_fast(before, bad, after, fragmented, extra_mid=b""):
    """`before` is a valid prefix, `bad` makes the message invalid, `after` would complete it.
    fragmented: three fragments (before | bad | after); else one frame written in three
    chops. The peer must fail before the suite sends `after`."""
    def fn(t):
        if fragmented:
            t.send(t.text(before, fin=False))
            if extra_mid:
                t.send(t.cont(extra_mid, fin=False))
            t.send(t.cont(bad, fin=False))
            t.fail_fast_here("the fragment holding the invalid bytes")
            t.send(t.cont(after))
        else:
            frame = t.text(before + extra_mid + bad + after)
            head = len(frame) - len(before + extra_mid + bad + after)
            cut1 = head + len(before + extra_mid)
            cut2 = cut1 + len(bad)
            t.send(frame[:cut1])
            t.send(frame[cut1:cut2])
            t.fail_fast_here("the chunk of the frame holding the invalid bytes")
            t.send(frame[cut2:])
        t.fail(1007)
    return fn


def _byte_fragments_fail_fast(t):
    """6.3.2: one byte per fragment, each fragment its own write: the peer must fail at the
    fragment that completes the surrogate (ED A0), before the message ends."""
    payload = KOSME + b"\xed\xa0\x80" + b"edited"
    frames = t.fragments(TEXT, payload, 1)
    bad = len(KOSME) + 1  # the fragment holding A0 makes ED A0 impossible
    t.send(frames[:bad + 1], mode="frames", pause=0.001)
    t.fail_fast_here("the fragment holding A0 after ED (a surrogate)")
    t.send(frames[bad + 1:])
    t.fail(1007)


def _deep_fail_fast(t):
    """A long fragmented message: two valid 64 KiB fragments, then one with an FF byte."""
    from .common import text_payload
    good = text_payload(65536)
    t.send(t.text(good, fin=False), t.cont(good, fin=False))
    t.send(t.cont(b"valid so far \xff never valid", fin=False))
    t.fail_fast_here("the third fragment, holding FF")
    t.send(t.cont(good))
    t.fail(1007)


def _split_valid(pieces_of):
    def fn(t):
        payload, pieces = pieces_of
        t.send(t.fragments(TEXT, payload, pieces))
        t.echo(TEXT, payload)
    return fn


def _split_invalid(payload, pieces):
    def fn(t):
        t.send(t.fragments(TEXT, payload, pieces))
        t.fail(1007)
    return fn


def register(reg):
    # 6.1 empty messages
    reg.add("6.1.1", "empty text message, one frame", _message(b""))
    reg.add("6.1.2", "empty text message in three empty fragments", _message(b"", pieces=[0, 0, 0]))
    reg.add("6.1.3", "text message: empty fragment, 'middle frame payload', empty fragment",
            _message(b"middle frame payload", pieces=[0, 20, 0]))
    # 6.2 valid text, whole and fragmented
    reg.add("6.2.1", "valid text 'Hello-µ@ßöäüàá-UTF-8!!', one frame", _message(HELLO))
    reg.add("6.2.2", "the same in two fragments, cut between characters", _message(HELLO, pieces=[14, 16]))
    reg.add("6.2.3", "the same, one byte per fragment (characters cut across fragments)", _message(HELLO, pieces=1))
    reg.add("6.2.4", "valid text 'κόσμε', one byte per fragment", _message(KOSME, pieces=1))
    # 6.3 a surrogate inside otherwise valid text
    bad = KOSME + b"\xed\xa0\x80" + b"edited"
    reg.add("6.3.1", "'κόσμε' + ED A0 80 (a surrogate) + 'edited', one frame (fail 1007)", _message(bad))
    reg.add("6.3.2", "the same, one byte per fragment, each its own write: fail at the A0 fragment",
            _byte_fragments_fail_fast)
    # 6.4 fail-fast
    reg.add("6.4.1", "fragments 'κόσμε' | F4 90 80 80 (above U+10FFFF) | 'edited': fail at the 2nd fragment",
            _fail_fast(KOSME, b"\xf4\x90\x80\x80", b"edited", True))
    reg.add("6.4.2", "fragments 'κόσμε' F4 | 90 80 80 | 'edited': F4 may start a character, F4 90 cannot: "
            "fail at the 2nd fragment", _fail_fast(KOSME + b"\xf4", b"\x90\x80\x80", b"edited", True))
    reg.add("6.4.3", "one frame in three writes 'κόσμε' | F4 90 80 80 | 'edited': fail at the 2nd write",
            _fail_fast(KOSME, b"\xf4\x90\x80\x80", b"edited", False))
    reg.add("6.4.4", "one frame in three writes 'κόσμε' F4 | 90 | 80 80 'edited': fail at the 2nd write",
            _fail_fast(KOSME + b"\xf4", b"\x90", b"\x80\x80edited", False))
    reg.add("6.4.5", "fragments 'κόσμε' CE | 'A...' (a lead byte, then no continuation): fail at the 2nd fragment",
            _fail_fast(KOSME + b"\xce", b"ABC", b"edited", True), extra=True)
    reg.add("6.4.6", "fragments 'abc' | 'def' C0 (never valid) | 'ghi': fail at the 2nd fragment",
            _fail_fast(b"abc", b"def\xc0", b"ghi", True), extra=True)
    reg.add("6.4.7", "fragments 'κόσμε' | ED A0 (a surrogate, incomplete) | 80 'edited': fail at the 2nd fragment",
            _fail_fast(KOSME, b"\xed\xa0", b"\x80edited", True), extra=True)
    reg.add("6.4.8", "fragments 64 KiB | 64 KiB | '...FF...' | 64 KiB: fail at the 3rd fragment", _deep_fail_fast,
            extra=True)
    reg.add("6.4.9", "one frame in three writes: 'abc' | C0 AF (overlong '/') | 'def': fail at the 2nd write",
            _fail_fast(b"abc", b"\xc0\xaf", b"def", False), extra=True)
    # 6.5 valid text
    _group(reg, "6.5", "valid text", [
        ("'κόσμε'", KOSME),
        ("one character of each length: a Â € 𝄞", "aÂ€𝄞".encode()),
        ("Cyrillic, Japanese, CJK and an emoji", "Привет, мир! こんにちは 世界 🌍".encode()),
        ("a NUL byte inside", b"nul\x00byte"),
        ("all 128 ASCII bytes", bytes(range(128))),
    ])
    # 6.6 every prefix of 'κόσμε' as a whole message: valid only at character boundaries
    _group(reg, "6.6", "prefix of 'κόσμε'", [("first %d bytes" % n, KOSME[:n]) for n in range(1, len(KOSME) + 1)])
    _group(reg, "6.7", "first sequence of its length", [
        ("U+0000", b"\x00"), ("U+0080", b"\xc2\x80"), ("U+0800", b"\xe0\xa0\x80"), ("U+10000", b"\xf0\x90\x80\x80")])
    _group(reg, "6.8", "first 5- and 6-byte forms (not UTF-8 since RFC 3629)", [
        ("F8 88 80 80 80", b"\xf8\x88\x80\x80\x80"), ("FC 84 80 80 80 80", b"\xfc\x84\x80\x80\x80\x80")])
    _group(reg, "6.9", "last sequence of its length", [
        ("U+007F", b"\x7f"), ("U+07FF", b"\xdf\xbf"), ("U+FFFF", b"\xef\xbf\xbf"), ("U+10FFFF", b"\xf4\x8f\xbf\xbf")])
    _group(reg, "6.10", "largest 4-, 5- and 6-byte forms (above U+10FFFF)", [
        ("F7 BF BF BF", b"\xf7\xbf\xbf\xbf"), ("FB BF BF BF BF", b"\xfb\xbf\xbf\xbf\xbf"),
        ("FD BF BF BF BF BF", b"\xfd\xbf\xbf\xbf\xbf\xbf")])
    _group(reg, "6.11", "boundary", [
        ("U+D7FF (last before the surrogates)", b"\xed\x9f\xbf"), ("U+E000 (first after them)", b"\xee\x80\x80"),
        ("U+FFFD", b"\xef\xbf\xbd"), ("U+10FFFF", b"\xf4\x8f\xbf\xbf"), ("U+110000", b"\xf4\x90\x80\x80")])
    _group(reg, "6.12", "continuation bytes with no lead byte", [
        ("80", b"\x80"), ("BF", b"\xbf"), ("80 BF", b"\x80\xbf"), ("80 BF 80", b"\x80\xbf\x80"),
        ("80 BF 80 BF", b"\x80\xbf\x80\xbf"), ("80 BF 80 BF 80", b"\x80\xbf\x80\xbf\x80"),
        ("80 BF 80 BF 80 BF", b"\x80\xbf\x80\xbf\x80\xbf"), ("all 64 continuation bytes", bytes(range(0x80, 0xC0)))])
    _group(reg, "6.13", "lead bytes each followed by a space", [
        ("C0..DF", b"".join(bytes([c, 0x20]) for c in range(0xC0, 0xE0))),
        ("E0..EF", b"".join(bytes([c, 0x20]) for c in range(0xE0, 0xF0))),
        ("F0..F7", b"".join(bytes([c, 0x20]) for c in range(0xF0, 0xF8))),
        ("F8..FB", b"".join(bytes([c, 0x20]) for c in range(0xF8, 0xFC))),
        ("FC..FD", b"".join(bytes([c, 0x20]) for c in range(0xFC, 0xFE)))])
    truncated = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
                 b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
    _group(reg, "6.14", "sequence missing its last byte",
           [(d.hex(" ").upper(), d) for d in truncated] +
           [("C2 (U+0080 cut)", b"\xc2"), ("E2 82 (€ cut)", b"\xe2\x82"), ("F0 9D 84 (𝄞 cut)", b"\xf0\x9d\x84"),
            ("F4 8F BF (U+10FFFF cut)", b"\xf4\x8f\xbf"), ("x E2 82 x (cut in the middle)", b"x\xe2\x82x")])
    _group(reg, "6.15", "concatenated", [("the ten cut sequences of 6.14.1-10", b"".join(truncated))])
    _group(reg, "6.16", "impossible byte", [("FE", b"\xfe"), ("FF", b"\xff"), ("FE FE FF FF", b"\xfe\xfe\xff\xff")])
    _group(reg, "6.17", "overlong '/'", [
        ("C0 AF", b"\xc0\xaf"), ("E0 80 AF", b"\xe0\x80\xaf"), ("F0 80 80 AF", b"\xf0\x80\x80\xaf"),
        ("F8 80 80 80 AF", b"\xf8\x80\x80\x80\xaf"), ("FC 80 80 80 80 AF", b"\xfc\x80\x80\x80\x80\xaf")])
    _group(reg, "6.18", "largest overlong form", [
        ("C1 BF", b"\xc1\xbf"), ("E0 9F BF", b"\xe0\x9f\xbf"), ("F0 8F BF BF", b"\xf0\x8f\xbf\xbf"),
        ("F8 87 BF BF BF", b"\xf8\x87\xbf\xbf\xbf"), ("FC 83 BF BF BF BF", b"\xfc\x83\xbf\xbf\xbf\xbf")])
    _group(reg, "6.19", "overlong NUL", [
        ("C0 80", b"\xc0\x80"), ("E0 80 80", b"\xe0\x80\x80"), ("F0 80 80 80", b"\xf0\x80\x80\x80"),
        ("F8 80 80 80 80", b"\xf8\x80\x80\x80\x80"), ("FC 80 80 80 80 80", b"\xfc\x80\x80\x80\x80\x80")])
    _group(reg, "6.20", "lone UTF-16 surrogate", [
        ("U+%04X" % cp, enc(cp)) for cp in (0xD800, 0xDB7F, 0xDB80, 0xDBFF, 0xDC00, 0xDF80, 0xDFFF)])
    _group(reg, "6.21", "UTF-16 surrogate pair encoded as two 3-byte forms", [
        ("U+%04X U+%04X" % (hi, lo), enc(hi) + enc(lo))
        for hi in (0xD800, 0xDB7F, 0xDB80, 0xDBFF) for lo in (0xDC00, 0xDFFF)])
    _group(reg, "6.22", "noncharacters (valid UTF-8)",
           [("U+FFFE U+FFFF", enc(0xFFFE) + enc(0xFFFF))] +
           [("U+%XFFFE U+%XFFFF" % (p, p), enc(p << 16 | 0xFFFE) + enc(p << 16 | 0xFFFF)) for p in range(1, 17)] +
           [("U+FDD0..U+FDEF", b"".join(enc(cp) for cp in range(0xFDD0, 0xFDF0)))])
    _group(reg, "6.23", "special characters (valid)", [
        ("U+FEFF (byte order mark) first", b"\xef\xbb\xbfabc"), ("U+FFFD", b"\xef\xbf\xbd"),
        ("U+FEFF between letters", b"a\xef\xbb\xbfb")])
    # 6.24 valid characters cut across fragments: must not fail early
    euro, clef, top = "€".encode(), "𝄞".encode(), b"\xf4\x8f\xbf\xbf"
    for k, (desc, payload, pieces) in enumerate([
            ("€ cut 1|2", b"a" + euro + b"b", [2, 2]), ("€ cut 2|1", b"a" + euro + b"b", [3, 2]),
            ("𝄞 cut 1|3", b"a" + clef, [2, 3]), ("𝄞 cut 2|2", b"a" + clef, [3, 2]), ("𝄞 cut 3|1", b"a" + clef, [4, 1]),
            ("U+10FFFF cut 1|1|1|1", top, [1, 1, 1, 1]), ("'κόσμε' in fragments of 3 bytes", KOSME, 3)], 1):
        reg.add("6.24.%d" % k, "valid character cut across fragments: %s" % desc, _split_valid((payload, pieces)),
                extra=True)
    # 6.25 invalid sequences cut across fragments
    for k, (desc, payload, pieces) in enumerate([
            ("surrogate ED | A0 80", b"a\xed\xa0\x80b", [2, 3]), ("overlong C0 | AF", b"a\xc0\xafb", [2, 2]),
            ("above U+10FFFF F4 | 90 80 80", b"a\xf4\x90\x80\x80", [2, 3]),
            ("overlong E0 | 80 80", b"a\xe0\x80\x80", [2, 2]),
            ("lead CE | letter A", b"a\xceA", [2, 1]),
            ("F0 9D | 84, then the message ends", b"a\xf0\x9d\x84", [3, 1])], 1):
        reg.add("6.25.%d" % k, "invalid sequence cut across fragments: %s (fail 1007)" % desc,
                _split_invalid(payload, pieces), extra=True)

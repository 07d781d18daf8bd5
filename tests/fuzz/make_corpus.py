#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/.

Each seed is small and means something (a valid handshake, each frame type, fragmented
messages, close frames with codes, invalid UTF-8, ...); the fuzzers mutate from there, and
the replay tests run every seed in every build. Files whose names start with "crash-" are
reproducers kept on purpose and are left alone; every other file is rewritten, so run this
after changing it and commit the result. Standard library only.

    python3 tests/fuzz/make_corpus.py
"""

import base64
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
ACCEPT = base64.b64encode(hashlib.sha1((KEY + GUID).encode()).digest()).decode()
assert ACCEPT == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

MASK = bytes([0x37, 0xFA, 0x21, 0x3D])
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

# Session configuration word (tests/fuzz/session_fuzz.hpp).
LIMITS_SMALL, LIMITS_TINY, LIMITS_BIGFRAME = 1, 2, 3
NO_AUTO_PONG = 0x4
FRAG_1, FRAG_5, FRAG_64 = 1 << 3, 2 << 3, 3 << 3
EXTENSION = 0x20
PRE_OPEN = 0x40
FEW_HEADERS = 0x80
PROTOCOLS = 0x100
SWEEP = 0x200
DIRECT = 0x400
NO_HOOKS = 0x800


def frame(op, payload=b"", fin=True, rsv=0, mask=None, announce=None):
    """One frame on the wire (RFC 6455 5.2), minimal length form unless `announce` lies."""
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (op & 0x0F)
    n = len(payload) if announce is None else announce
    mbit = 0x80 if mask is not None else 0
    if n < 126:
        head = bytes([b0, mbit | n])
    elif n <= 0xFFFF:
        head = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if mask is not None:
        head += mask
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
    return head + payload


def cf(op, payload=b"", fin=True, rsv=0):
    """A client frame: masked."""
    return frame(op, payload, fin, rsv, MASK)


def sf(op, payload=b"", fin=True, rsv=0):
    """A server frame: unmasked."""
    return frame(op, payload, fin, rsv, None)


def close_payload(code, reason=b""):
    return struct.pack(">H", code) + reason


def xor3c(data):
    """The toy "x-fuzz" extension's encoding (session_fuzz_fakes.hpp)."""
    return bytes(c ^ 0x3C for c in data)


def request(extra="", first="GET /chat HTTP/1.1", key=KEY, version="13", drop=()):
    lines = [first]
    headers = [
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Origin", "http://example.com"),
        ("Sec-WebSocket-Version", version),
    ]
    for name, value in headers:
        if name not in drop:
            lines.append(f"{name}: {value}")
    head = "\r\n".join(lines) + "\r\n" + extra + "\r\n"
    return head.encode()


def response(extra="", first="HTTP/1.1 101 Switching Protocols", accept=ACCEPT, drop=()):
    lines = [first]
    for name, value in [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)]:
        if name not in drop:
            lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def session_seed(cfg, seed, stream):
    return struct.pack("<II", cfg, seed) + stream


def session_server_seeds():
    r = request()
    s = {}
    s["handshake-only"] = session_seed(0, 1, r)
    s["text-hello"] = session_seed(0, 2, r + cf(TEXT, "Hello"))
    s["binary"] = session_seed(0, 3, r + cf(BINARY, bytes(range(40))))
    s["fragmented-text-with-ping"] = session_seed(
        0, 4, r + cf(TEXT, "frag", fin=False) + cf(PING, "p") + cf(CONT, "men", fin=False) + cf(CONT, "ted"))
    s["fragmented-utf8-split-char"] = session_seed(
        FRAG_5, 5, r + cf(TEXT, b"caf\xc3", fin=False) + cf(CONT, b"\xa9 \xe2\x82", fin=False) + cf(CONT, b"\xac!"))
    s["close-1000-reason"] = session_seed(0, 6, r + cf(CLOSE, close_payload(1000, b"bye")) + cf(TEXT, "late"))
    s["close-empty"] = session_seed(0, 7, r + cf(CLOSE))
    s["close-1005-invalid"] = session_seed(0, 8, r + cf(CLOSE, close_payload(1005)))
    s["close-one-byte"] = session_seed(0, 9, r + cf(CLOSE, b"\x03"))
    s["close-4999-utf8-reason"] = session_seed(0, 10, r + cf(CLOSE, close_payload(4999, "fin \u00e9".encode())))
    s["close-bad-utf8-reason"] = session_seed(0, 11, r + cf(CLOSE, close_payload(1001, b"\xff")))
    s["text-invalid-utf8"] = session_seed(0, 12, r + cf(TEXT, b"ok \xed\xa0\x80"))
    s["text-truncated-utf8-final"] = session_seed(0, 13, r + cf(TEXT, b"abc\xf0\x9f", fin=False) + cf(CONT, b"\x98"))
    s["unmasked-frame"] = session_seed(0, 14, r + sf(TEXT, "not masked"))
    s["reserved-opcode"] = session_seed(0, 15, r + cf(0x3, "x"))
    s["rsv-without-extension"] = session_seed(0, 16, r + cf(TEXT, "x", rsv=4))
    s["ping-125"] = session_seed(0, 17, r + cf(PING, b"P" * 125) + cf(PONG, "unsolicited"))
    s["ping-126-too-long"] = session_seed(0, 18, r + cf(PING, b"P" * 126))
    s["ping-fragmented"] = session_seed(0, 19, r + cf(PING, "p", fin=False))
    s["len16-binary"] = session_seed(0, 20, r + cf(BINARY, bytes(i & 0xFF for i in range(300))))
    s["len64-msb-set"] = session_seed(0, 21, r + frame(BINARY, b"", mask=MASK, announce=1 << 63))
    s["len64-huge"] = session_seed(0, 22, r + frame(BINARY, b"", mask=MASK, announce=(1 << 40)))
    s["continuation-first"] = session_seed(0, 23, r + cf(CONT, "orphan"))
    s["data-inside-fragmented"] = session_seed(0, 24, r + cf(TEXT, "a", fin=False) + cf(BINARY, "b"))
    s["limits-small-too-big"] = session_seed(LIMITS_SMALL, 25, r + cf(BINARY, b"B" * 300))
    s["limits-tiny-message"] = session_seed(
        LIMITS_TINY, 26, r + cf(TEXT, b"0123456789", fin=False) + cf(CONT, b"0123456789", fin=False)
        + cf(CONT, b"0123456789", fin=False) + cf(CONT, b"0123456789", fin=False) + cf(CONT, b"0123456789"))
    s["limits-tiny-handshake-too-big"] = session_seed(LIMITS_TINY, 27, request("X-Pad: " + "p" * 300 + "\r\n"))
    s["limits-bigframe-small-message"] = session_seed(LIMITS_BIGFRAME, 28, r + cf(BINARY, b"m" * 400))
    s["no-auto-pong"] = session_seed(NO_AUTO_PONG, 29, r + cf(PING, "ping") + cf(TEXT, "x"))
    s["fragment-out-1"] = session_seed(FRAG_1, 30, r + cf(TEXT, "echo me in pieces"))
    s["fragment-out-64"] = session_seed(FRAG_64, 31, r + cf(BINARY, b"E" * 200))
    s["pre-open-sends"] = session_seed(PRE_OPEN, 32, r + cf(TEXT, "after held"))
    s["subprotocols"] = session_seed(0, 33, request("Sec-WebSocket-Protocol: chat, superchat\r\n") + cf(TEXT, "p"))
    ext = request("Sec-WebSocket-Extensions: x-fuzz; level=3\r\n")
    s["ext-compressed-text"] = session_seed(EXTENSION, 34, ext + cf(TEXT, xor3c(b"squeezed"), rsv=4) + cf(TEXT, "odd"))
    s["ext-compressed-fragments"] = session_seed(
        EXTENSION | FRAG_5, 35, ext + cf(BINARY, xor3c(b"part one "), fin=False, rsv=4) + cf(PING, "")
        + cf(CONT, xor3c(b"part two"), fin=False) + cf(CONT, b""))
    s["ext-bomb"] = session_seed(EXTENSION | LIMITS_SMALL, 36, ext + cf(BINARY, xor3c(bytes([0xFD]) * 200), rsv=4))
    s["ext-corrupt"] = session_seed(EXTENSION, 37, ext + cf(TEXT, xor3c(b"ab\xff"), rsv=4))
    s["ext-rsv-on-continuation"] = session_seed(
        EXTENSION, 38, ext + cf(TEXT, xor3c(b"a"), fin=False, rsv=4) + cf(CONT, xor3c(b"b"), rsv=4))
    s["ext-declined"] = session_seed(
        EXTENSION, 39, request("Sec-WebSocket-Extensions: x-fuzz; decline, x-fuzz\r\n") + cf(TEXT, "x"))
    s["bad-method-post"] = session_seed(0, 40, request(first="POST /chat HTTP/1.1"))
    s["bad-version-8"] = session_seed(0, 41, request(version="8"))
    s["bad-missing-key"] = session_seed(0, 42, request(drop=("Sec-WebSocket-Key",)))
    s["bad-http10"] = session_seed(0, 43, request(first="GET /chat HTTP/1.0"))
    s["bad-http2"] = session_seed(0, 44, request(first="GET /chat HTTP/2.0"))
    s["bad-obs-fold"] = session_seed(0, 45, request("X-A: 1\r\n  folded\r\n"))
    s["bad-too-many-headers"] = session_seed(FEW_HEADERS, 46, request("".join(f"X-{i}: {i}\r\n" for i in range(6))))
    s["plain-get"] = session_seed(0, 47, b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")
    s["split-everywhere"] = session_seed(0, 0xFFFFFFFF, r + cf(TEXT, "tiny pieces") + cf(CLOSE, close_payload(1000)))
    s["pipelined-garbage"] = session_seed(0, 48, r + b"\x00\x01\x02 garbage \xff\xfe")
    s["handler-variety"] = session_seed(
        PRE_OPEN | FRAG_5, 0x12345678, r + cf(TEXT, "one") + cf(BINARY, "two") + cf(PING, "three")
        + cf(TEXT, "four") + cf(BINARY, b"\x03\xe8 five") + cf(TEXT, "six") + cf(CLOSE, close_payload(1001)))
    # Seed 433 makes on_frame rewrite the first fragment with invalid UTF-8 and on_message echo
    # the message: the Session must not vouch for its UTF-8 (found against af6c7c3's Session).
    s["hook-rewrites-fragment-then-echo"] = session_seed(
        0, 433, r + cf(TEXT, "frag", fin=False) + cf(CONT, "men", fin=False) + cf(CONT, "ted"))
    # The idle sweep between reads, inside split headers, payloads and a fragmented message.
    s["sweep-between-reads"] = session_seed(
        SWEEP, 0xFFFFFFFF, r + cf(TEXT, "frag", fin=False) + cf(PING, "p") + cf(CONT, b"m" * 300, fin=False)
        + cf(CONT, "ted") + cf(BINARY, bytes(i & 0xFF for i in range(300))) + cf(TEXT, "last"))
    # Reads into the Session's direct-read room: split text (a character across the room's
    # edge), a fragmented message with a ping between, invalid UTF-8 inside the room. Seed 8
    # (27 for the client) cuts the stream so that seven reads go into the room.
    s["direct-reads"] = session_seed(
        DIRECT, 8, r + cf(TEXT, "caf\u00e9 " * 40) + cf(BINARY, bytes(i & 0xFF for i in range(300)), fin=False)
        + cf(PING, "p") + cf(CONT, b"m" * 200) + cf(TEXT, b"ok " * 30 + b"\xc0\xaf" + b"never" * 20))
    # Frame hooks off: runs of whole data frames (7- and 16-bit lengths, text and binary) take
    # the one-call path, broken by a ping, a fragment, a frame split across reads and, last,
    # invalid UTF-8 inside a run.
    s["no-hooks-runs"] = session_seed(
        NO_HOOKS, 9, r + b"".join(cf(TEXT if i % 2 else BINARY, "x" * (i * 9 % 140)) for i in range(24))
        + cf(PING, "p") + cf(TEXT, "frag", fin=False) + cf(CONT, "ment") + cf(BINARY, b"\x00" * 300)
        + cf(TEXT, "ok") + cf(TEXT, b"abc\xed\xa0\x80") + cf(TEXT, "never delivered"))
    s["no-hooks-split-everywhere"] = session_seed(
        NO_HOOKS, 0xFFFFFFFF, r + cf(TEXT, "tiny") + cf(BINARY, "pieces") + cf(CLOSE, close_payload(1000)))
    return s


def session_client_seeds():
    r = response()
    s = {}
    s["handshake-only"] = session_seed(0, 1, r)
    s["text-hello"] = session_seed(0, 2, r + sf(TEXT, "Hello"))
    s["binary"] = session_seed(0, 3, r + sf(BINARY, bytes(range(40))))
    s["fragmented-text-with-ping"] = session_seed(
        0, 4, r + sf(TEXT, "frag", fin=False) + sf(PING, "p") + sf(CONT, "men", fin=False) + sf(CONT, "ted"))
    s["fragmented-utf8-split-char"] = session_seed(
        FRAG_5, 5, r + sf(TEXT, b"caf\xc3", fin=False) + sf(CONT, b"\xa9 \xe2\x82", fin=False) + sf(CONT, b"\xac!"))
    s["close-1000-reason"] = session_seed(0, 6, r + sf(CLOSE, close_payload(1000, b"bye")))
    s["close-empty"] = session_seed(0, 7, r + sf(CLOSE))
    s["close-1015-invalid"] = session_seed(0, 8, r + sf(CLOSE, close_payload(1015)))
    s["close-3000"] = session_seed(0, 9, r + sf(CLOSE, close_payload(3000, b"app")))
    s["text-invalid-utf8"] = session_seed(0, 10, r + sf(TEXT, b"\xc0\xaf"))
    s["masked-frame"] = session_seed(0, 11, r + cf(TEXT, "masked from a server"))
    s["reserved-opcode"] = session_seed(0, 12, r + sf(0xB, ""))
    s["ping-then-close"] = session_seed(0, 13, r + sf(PING, "are you there") + sf(CLOSE, close_payload(1001)))
    s["len16-text"] = session_seed(0, 14, r + sf(TEXT, b"t" * 500))
    s["limits-small-too-big"] = session_seed(LIMITS_SMALL, 15, r + sf(BINARY, b"B" * 300))
    s["limits-tiny-fragments"] = session_seed(
        LIMITS_TINY, 16, r + sf(BINARY, b"x" * 16, fin=False) + sf(CONT, b"y" * 16, fin=False) + sf(CONT, b"z" * 17))
    s["fragment-out-1"] = session_seed(FRAG_1, 17, r + sf(TEXT, "echo me"))
    s["pre-open-send-and-close"] = session_seed(PRE_OPEN, 18, r + sf(TEXT, "x"))
    s["protocol-chat"] = session_seed(PROTOCOLS, 19, response("Sec-WebSocket-Protocol: chat\r\n") + sf(TEXT, "c"))
    s["protocol-not-offered"] = session_seed(0, 20, response("Sec-WebSocket-Protocol: chat\r\n"))
    s["wrong-accept"] = session_seed(0, 21, response(accept="dGhlIHNhbXBsZSBub25jZQ=="))
    s["no-upgrade"] = session_seed(0, 22, response(drop=("Upgrade",)))
    s["status-200"] = session_seed(0, 23, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    s["status-line-bad"] = session_seed(0, 24, b"HTTP/1.1 1O1 Switching\r\n\r\n")
    s["ext-accepted"] = session_seed(
        EXTENSION, 25, response("Sec-WebSocket-Extensions: x-fuzz\r\n") + sf(TEXT, xor3c(b"squeezed"), rsv=4)
        + sf(BINARY, "plain"))
    s["ext-bad-param"] = session_seed(EXTENSION, 26, response("Sec-WebSocket-Extensions: x-fuzz; bad\r\n"))
    s["ext-not-offered"] = session_seed(0, 27, response("Sec-WebSocket-Extensions: x-fuzz\r\n"))
    s["ext-two"] = session_seed(EXTENSION, 28, response("Sec-WebSocket-Extensions: x-fuzz, x-fuzz\r\n"))
    s["ext-bomb"] = session_seed(
        EXTENSION | LIMITS_SMALL, 29, response("Sec-WebSocket-Extensions: x-fuzz\r\n")
        + sf(TEXT, xor3c(bytes([0xFD]) * 200), rsv=4))
    s["response-too-big"] = session_seed(LIMITS_TINY, 30, response("X-Pad: " + "p" * 400 + "\r\n"))
    s["split-everywhere"] = session_seed(0, 0xFFFFFFFF, r + sf(TEXT, "tiny pieces") + sf(CLOSE, close_payload(1000)))
    s["handler-variety"] = session_seed(
        PRE_OPEN | FRAG_5, 0x12345678, r + sf(TEXT, "one") + sf(BINARY, "two") + sf(PING, "three")
        + sf(TEXT, "four") + sf(BINARY, b"\x03\xe8 five") + sf(TEXT, "six") + sf(CLOSE, close_payload(1001)))
    # As in the server's seeds: seed 110 rewrites the first fragment, then echoes the message.
    s["hook-rewrites-fragment-then-echo"] = session_seed(
        0, 110, r + sf(TEXT, "frag", fin=False) + sf(CONT, "men", fin=False) + sf(CONT, "ted"))
    s["sweep-between-reads"] = session_seed(
        SWEEP, 0xFFFFFFFF, r + sf(TEXT, "frag", fin=False) + sf(PING, "p") + sf(CONT, b"m" * 300, fin=False)
        + sf(CONT, "ted") + sf(BINARY, bytes(i & 0xFF for i in range(300))) + sf(TEXT, "last"))
    s["direct-reads"] = session_seed(
        DIRECT, 27, r + sf(TEXT, "caf\u00e9 " * 40) + sf(BINARY, bytes(i & 0xFF for i in range(300)), fin=False)
        + sf(PING, "p") + sf(CONT, b"m" * 200) + sf(TEXT, b"ok " * 30 + b"\xc0\xaf" + b"never" * 20))
    s["no-hooks-runs"] = session_seed(
        NO_HOOKS, 9, r + b"".join(sf(TEXT if i % 2 else BINARY, "x" * (i * 9 % 140)) for i in range(24))
        + sf(PING, "p") + sf(TEXT, "frag", fin=False) + sf(CONT, "ment") + sf(BINARY, b"\x00" * 300)
        + sf(TEXT, "ok") + sf(TEXT, b"abc\xed\xa0\x80") + sf(TEXT, "never delivered"))
    return s


def http_request_seeds():
    s = {}
    s["sample"] = b"\x00" + request()
    s["sample-split"] = b"\x37" + request()
    s["protocols-extensions"] = b"\x00" + request(
        "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Extensions: permessage-deflate; "
        "client_max_window_bits, x-webkit-deflate-frame\r\n")
    s["tokens-case"] = b"\x00" + b"GET / HTTP/1.1\r\nhost: h\r\nUPGRADE: WebSocket\r\nconnection: keep-alive, Upgrade\r\n" \
        b"sec-websocket-key: " + KEY.encode() + b"\r\nsec-websocket-version: 13\r\n\r\n"
    s["forwarded"] = b"\x00" + request("X-Forwarded-For: \"[2001:db8::1]:4711\", 10.0.0.1\r\n"
                                       "Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43\r\n")
    s["query"] = b"\x00" + request(first="GET /chat?room=1&x=%20 HTTP/1.1")
    s["post"] = b"\x00" + request(first="POST /chat HTTP/1.1")
    s["http10"] = b"\x00" + request(first="GET /chat HTTP/1.0")
    s["http2"] = b"\x00" + request(first="GET /chat HTTP/2.0")
    s["version-8"] = b"\x00" + request(version="8")
    s["key-short"] = b"\x00" + request(key="c2hvcnQ=")
    s["key-missing"] = b"\x00" + request(drop=("Sec-WebSocket-Key",))
    s["host-missing"] = b"\x00" + request(drop=("Host",))
    s["upgrade-missing"] = b"\x00" + request(drop=("Upgrade",))
    s["connection-close"] = b"\x00" + request().replace(b"Connection: Upgrade", b"Connection: close")
    s["too-many-headers"] = b"\x01" + request("".join(f"X-{i}: {i}\r\n" for i in range(4)))
    s["obs-fold"] = b"\x00" + request("X-A: one\r\n two\r\n")
    s["bare-lf"] = b"\x00" + b"GET / HTTP/1.1\nHost: h\n\n"
    s["space-before-colon"] = b"\x00" + request("X-Bad : v\r\n")
    s["control-in-value"] = b"\x00" + request("X-Bad: a\x01b\r\n")
    s["two-spaces-request-line"] = b"\x00" + request(first="GET  /chat HTTP/1.1")
    s["no-terminator"] = b"\x00" + b"GET /chat HTTP/1.1\r\nHost: h\r\n"
    s["empty"] = b"\x00"
    s["garbage"] = b"\x02" + bytes(range(256))
    return s


def http_response_seeds():
    s = {}
    s["sample-101"] = b"\x00" + response()
    s["protocol-chat"] = b"\x04" + response("Sec-WebSocket-Protocol: chat\r\n")
    s["protocol-not-offered"] = b"\x00" + response("Sec-WebSocket-Protocol: chat\r\n")
    s["protocol-list"] = b"\x04" + response("Sec-WebSocket-Protocol: chat, superchat\r\n")
    s["wrong-accept"] = b"\x00" + response(accept="x3JJHMbDL1EzLkh9GBhXDw==")
    s["no-connection"] = b"\x00" + response(drop=("Connection",))
    s["extensions"] = b"\x00" + response("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n")
    s["status-404"] = b"\x00" + b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"
    s["status-000"] = b"\x00" + b"HTTP/1.1 000 Zero\r\n\r\n"
    s["no-reason"] = b"\x00" + b"HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " \
        + ACCEPT.encode() + b"\r\n\r\n"
    s["http10-101"] = b"\x00" + response(first="HTTP/1.0 101 Switching Protocols")
    s["http2"] = b"\x00" + response(first="HTTP/2.0 101 Switching Protocols")
    s["bad-status-digits"] = b"\x00" + b"HTTP/1.1 1x1 Nope\r\n\r\n"
    s["too-many-headers"] = b"\x01" + response("".join(f"X-{i}: {i}\r\n" for i in range(8)))
    s["obs-fold"] = b"\x00" + response("X-A: one\r\n\ttwo\r\n")
    s["duplicate-accept"] = b"\x00" + response("Sec-WebSocket-Accept: " + ACCEPT + "\r\n")
    s["empty"] = b"\x00"
    return s


def utf8_seeds():
    s = {}
    s["ascii"] = b"\x00" + b"Hello, world"
    s["mixed"] = b"\x01" + "κόσμε – ¡ñ! 日本語 🎉 \U0010FFFF".encode()
    s["boundaries"] = b"\x02" + "\u007f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff".encode()
    s["long-ascii-then-4byte-at-64"] = b"\x03" + b"a" * 62 + "😀".encode() + b"b" * 70
    s["long-mixed"] = b"\x04" + ("é€😀a" * 40).encode()
    s["overlong-2"] = b"\x05" + b"ab\xc0\xaf"
    s["overlong-3"] = b"\x06" + b"\xe0\x80\xaf"
    s["overlong-4"] = b"\x07" + b"\xf0\x80\x80\xaf"
    s["surrogate-high"] = b"\x08" + b"x\xed\xa0\x80y"
    s["surrogate-low"] = b"\x09" + b"\xed\xbf\xbf"
    s["beyond-10ffff"] = b"\x0a" + b"\xf4\x90\x80\x80"
    s["f5-ff"] = b"\x0b" + b"\xf5\xf8\xfc\xfe\xff"
    s["stray-continuation"] = b"\x0c" + b"abc\x80def"
    s["truncated-end-2"] = b"\x0d" + b"abc\xe2\x82"
    s["truncated-end-3"] = b"\x0e" + b"abc\xf0\x9f\x98"
    s["truncated-middle"] = b"\x0f" + b"\xe2\x82abc"
    s["autobahn-6-3"] = b"\x10" + b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"
    s["long-invalid-at-end"] = b"\x11" + b"z" * 200 + b"\xc3"
    s["empty"] = b"\x12"
    return s


def url_extension_seeds():
    s = {}
    urls = {
        "url-plain": "ws://example.com",
        "url-full": "wss://example.com:8443/chat?room=1",
        "url-ipv6": "ws://[::1]:9001/",
        "url-ipv6-noport": "wss://[2001:db8::1]/x",
        "url-userinfo": "ws://user:p%40ss@host/",
        "url-fragment": "ws://host/#frag",
        "url-http": "http://example.com/",
        "url-port-0": "ws://host:0/",
        "url-port-65536": "ws://host:65536/",
        "url-port-empty": "ws://host:/",
        "url-ipv6-open": "ws://[::1/",
        "url-ipv6-unbracketed": "ws://::1/",
        "url-query-only": "ws://h?q=1",
        "url-uppercase": "WSS://EXAMPLE.com",
        "url-space": "ws://h/a b",
        "url-default-port-explicit": "ws://h:80/",
    }
    for name, text in urls.items():
        s[name] = b"\x00" + text.encode()
    exts = {
        "ext-deflate": "permessage-deflate; client_max_window_bits",
        "ext-deflate-params": "permessage-deflate; client_max_window_bits=10; server_no_context_takeover, "
                              "permessage-deflate",
        "ext-quoted": 'x-foo; a="b"; c=d',
        "ext-empty-elements": "a, , b,",
        "ext-leading-semicolon": "; x=1",
        "ext-quotes": 'x; y=""""',
        "ext-semicolons": "x;;;y",
        "ext-empty": "",
    }
    for name, text in exts.items():
        s[name] = b"\x01" + text.encode()
    return s


def frame_header_seeds():
    s = {}
    s["text-short-unmasked"] = sf(TEXT, "hi")
    s["text-short-masked"] = cf(TEXT, "hello")
    s["len125"] = sf(BINARY, b"x" * 125)
    s["len126"] = cf(BINARY, b"y" * 126)
    s["len65535"] = frame(BINARY, b"", announce=0xFFFF) + b"z" * 40
    s["len65536"] = frame(BINARY, b"", mask=MASK, announce=0x10000) + b"z" * 40
    s["len64-msb"] = frame(BINARY, b"", announce=1 << 63)
    s["nonminimal-16"] = bytes([0x82, 0x7E, 0x00, 0x05]) + b"abcde"
    s["nonminimal-64"] = bytes([0x82, 0x7F]) + struct.pack(">Q", 5) + b"abcde"
    s["rsv-all-reserved-op"] = bytes([0x7F, 0x80]) + MASK
    s["close-fin0"] = bytes([0x08, 0x02, 0x03, 0xE8])
    s["one-byte"] = b"\x81"
    s["need-ext16"] = b"\x81\xfe\x01"
    s["need-mask"] = b"\x81\xff\x00\x00\x00\x00\x00\x01\x00\x00\x37\xfa"
    s["payload-for-masking"] = cf(BINARY, bytes(range(200)))
    return s


TARGETS = {
    "session_server": session_server_seeds,
    "session_client": session_client_seeds,
    "http_request": http_request_seeds,
    "http_response": http_response_seeds,
    "utf8": utf8_seeds,
    "url_extension": url_extension_seeds,
    "frame_header": frame_header_seeds,
}


def main():
    total = 0
    for target, make in TARGETS.items():
        folder = os.path.join(CORPUS, target)
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            if not old.startswith("crash-"):
                os.remove(os.path.join(folder, old))
        seeds = make()
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            total += len(data)
        print(f"{target}: {len(seeds)} seeds")
    print(f"{total} bytes in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""A DELIBERATELY BROKEN WebSocket echo peer: the suite must fail it (CTest checks that).

    broken_echo.py server PORT
    broken_echo.py client BASE_URL AGENT      (the Autobahn case-runner protocol)

It speaks just enough RFC 6455 to echo, and skips the checks a real endpoint must make: no
UTF-8 validation, RSV bits and reserved opcodes ignored, control frames of any size and
fragmented control frames accepted, any close code and reason echoed, continuation frames
without a start accepted. Its own framing is correct, so what the suite catches is the
missing checks. Standard library only, its own tiny codec (nothing shared with the suite).
"""

import base64
import hashlib
import os
import socket
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Reader:
    """Buffered reads (bytes that came with the HTTP head belong to the first frame)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def exact(self, n):
        while len(self.buf) < n:
            self._more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self._more()
        end = self.buf.index(b"\r\n\r\n") + 4
        out, self.buf = self.buf[:end], self.buf[end:]
        return out


def read_frame(rd):
    b0, b1 = rd.exact(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", rd.exact(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", rd.exact(8))[0] & 0x7FFFFFFFFFFFFFFF
    key = rd.exact(4) if b1 & 0x80 else None
    data = rd.exact(n)
    if key and data:
        data = xor(data, key)
    return b0 & 0x80, b0 & 0x0F, data


def xor(data, key):
    stream = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def write_frame(sock, opcode, data, masked):
    head = bytes([0x80 | opcode])
    n = len(data)
    m = 0x80 if masked else 0
    head += bytes([m | n]) if n < 126 else bytes([m | 126]) + struct.pack("!H", n) if n < 65536 else \
        bytes([m | 127]) + struct.pack("!Q", n)
    if masked:
        key = os.urandom(4)
        head += key
        data = xor(data, key) if data else data
    sock.sendall(head + data)


def echo_loop(rd, masked):
    """Echoes messages, answers pings, echoes the close. Checks nothing."""
    sock = rd.sock
    opcode, parts = None, []
    try:
        while True:
            fin, op, data = read_frame(rd)
            if op == 8:
                write_frame(sock, 8, data, masked)  # whatever code and reason it was
                return
            if op == 9:
                write_frame(sock, 10, data, masked)
                continue
            if op in (1, 2):
                opcode, parts = op, [data]
            elif op == 0:
                parts.append(data)
                opcode = opcode or 1
            else:
                continue  # reserved opcodes and pongs: ignored
            if fin:
                write_frame(sock, opcode, b"".join(parts), masked)
                opcode, parts = None, []
    except (EOFError, OSError):
        return


def server(port):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(16)
    while True:
        sock, _ = lst.accept()
        sock.settimeout(30)
        rd = Reader(sock)
        try:
            head = rd.head().decode("latin-1")
            key = [l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("sec-websocket-key:")][0]
            accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
            sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
            echo_loop(rd, masked=False)
        except (EOFError, OSError, IndexError):
            pass
        sock.close()


def client_run(url, on_open=None):
    rest = url[len("ws://"):]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    sock = socket.create_connection((host, int(port or 80)), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
    rd = Reader(sock)
    rd.head()
    result = on_open(rd) if on_open else echo_loop(rd, masked=True)
    sock.close()
    return result


def client(base, agent):
    def count_of(rd):
        fin, op, data = read_frame(rd)
        echo_loop(rd, True)  # the server's close
        return int(data)
    count = client_run(base + "/getCaseCount", count_of)
    for n in range(1, count + 1):
        try:
            client_run("%s/runCase?case=%d&agent=%s" % (base, n, agent))
        except (EOFError, OSError):
            pass
    client_run("%s/updateReports?agent=%s" % (base, agent), lambda rd: echo_loop(rd, True))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]))
    else:
        client(sys.argv[2], sys.argv[3])

"""RFC 6455 section 4: the opening handshake, both sides, on a blocking-with-timeout socket.

Extensions: the suite offers (client side) or accepts (server side) none today, so every
RSV bit the peer sends is an error. Sections 12/13 (permessage-deflate, RFC 7692) will pass
an `extensions` offer here and a negotiated `Extension` object to the connection; see
cases/s12_13_deflate.py.
"""

import base64
import hashlib
import os
import select
import time
import urllib.parse

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 16 * 1024


class HandshakeError(Exception):
    pass


def accept_for(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2, step 5.4)."""
    if isinstance(key, str):
        key = key.encode("ascii")
    return base64.b64encode(hashlib.sha1(key + GUID).digest()).decode("ascii")


def _read_head(sock, timeout):
    """Reads up to and including the blank line; returns (head, leftover bytes)."""
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HandshakeError("timed out waiting for the HTTP head (got %r)" % buf[:200])
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            continue
        try:
            chunk = sock.recv(4096)
        except BlockingIOError:
            continue
        except OSError as e:
            raise HandshakeError("connection error during the handshake: %s" % e)
        if not chunk:
            raise HandshakeError("connection closed during the handshake (got %r)" % buf[:200])
        buf += chunk
        if len(buf) > MAX_HEAD and b"\r\n\r\n" not in buf:
            raise HandshakeError("HTTP head larger than %d bytes" % MAX_HEAD)
    end = buf.index(b"\r\n\r\n") + 4
    return buf[:end], buf[end:]


def _parse_head(head):
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        if ":" not in line:
            raise HandshakeError("malformed header line %r" % line)
        name, value = line.split(":", 1)
        headers.append((name.strip().lower(), value.strip()))
    return first, headers


def _get(headers, name):
    values = [v for n, v in headers if n == name]
    return ", ".join(values) if values else None


def _tokens(value):
    return [t.strip().lower() for t in (value or "").split(",") if t.strip()]


def _sendall(sock, data, timeout=5.0):
    deadline = time.monotonic() + timeout
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0:
            raise HandshakeError("timed out sending the handshake")
        _, w, _ = select.select([], [sock], [], left)
        if w:
            try:
                n = sock.send(view)
            except BlockingIOError:
                continue
            except OSError as e:
                raise HandshakeError("connection error sending the handshake: %s" % e)
            view = view[n:]


def client_handshake(sock, url, timeout=5.0, extensions=None):
    """Opens the WebSocket on a connected socket. Returns leftover bytes (frames that came
    with the response). Checks everything RFC 6455 4.1 asks a client to check."""
    u = urllib.parse.urlsplit(url)
    resource = (u.path or "/") + ("?" + u.query if u.query else "")
    host = u.hostname if ":" not in (u.hostname or "") else "[%s]" % u.hostname
    if u.port and u.port != 80:
        host += ":%d" % u.port
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    lines = ["GET %s HTTP/1.1" % resource, "Host: %s" % host, "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: %s" % key, "Sec-WebSocket-Version: 13", "User-Agent: ws-cpp-conformance/1"]
    if extensions:
        lines.append("Sec-WebSocket-Extensions: %s" % extensions)
    _sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    head, rest = _read_head(sock, timeout)
    first, headers = _parse_head(head)
    parts = first.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.1") or parts[1] != "101":
        raise HandshakeError("expected 'HTTP/1.1 101', got %r" % first)
    if (_get(headers, "upgrade") or "").lower() != "websocket":
        raise HandshakeError("Upgrade header is %r, not 'websocket' (RFC 6455 4.1)" % _get(headers, "upgrade"))
    if "upgrade" not in _tokens(_get(headers, "connection")):
        raise HandshakeError("Connection header %r lacks 'Upgrade' (RFC 6455 4.1)" % _get(headers, "connection"))
    got = _get(headers, "sec-websocket-accept")
    if got != accept_for(key):
        raise HandshakeError("Sec-WebSocket-Accept is %r, expected %r (RFC 6455 4.1)" % (got, accept_for(key)))
    ext = _get(headers, "sec-websocket-extensions")
    if ext and not extensions:
        raise HandshakeError("server chose extensions %r that were not offered (RFC 6455 4.1)" % ext)
    proto = _get(headers, "sec-websocket-protocol")
    if proto:
        raise HandshakeError("server chose subprotocol %r that was not offered (RFC 6455 4.1)" % proto)
    return rest


class ServerRequest:
    def __init__(self, method, resource, headers):
        self.method, self.resource, self.headers = method, resource, headers
        u = urllib.parse.urlsplit(resource)
        self.path = u.path
        self.query = dict(urllib.parse.parse_qsl(u.query))

    def header(self, name):
        return _get(self.headers, name)


def server_read_request(sock, timeout=5.0):
    """Reads and checks a client's opening handshake (RFC 6455 4.1 / 4.2.1). Returns
    (request, problems, leftover) where problems lists what the client got wrong."""
    head, rest = _read_head(sock, timeout)
    first, headers = _parse_head(head)
    parts = first.split(" ")
    if len(parts) != 3:
        raise HandshakeError("malformed request line %r" % first)
    method, resource, version = parts
    req = ServerRequest(method, resource, headers)
    problems = []
    if method != "GET":
        problems.append("method %s, not GET" % method)
    if version != "HTTP/1.1":
        problems.append("version %s, not HTTP/1.1" % version)
    if not req.header("host"):
        problems.append("no Host header")
    if (req.header("upgrade") or "").lower() != "websocket":
        problems.append("Upgrade header %r" % req.header("upgrade"))
    if "upgrade" not in _tokens(req.header("connection")):
        problems.append("Connection header %r" % req.header("connection"))
    key = req.header("sec-websocket-key")
    try:
        if key is None or len(base64.b64decode(key, validate=True)) != 16:
            problems.append("Sec-WebSocket-Key %r is not 16 bytes in base64" % key)
    except ValueError:
        problems.append("Sec-WebSocket-Key %r is not base64" % key)
    if req.header("sec-websocket-version") != "13":
        problems.append("Sec-WebSocket-Version %r" % req.header("sec-websocket-version"))
    return req, problems, rest


def server_accept(sock, req, extensions=None):
    """Sends the 101 answer. Offered extensions are declined unless `extensions` says what to
    answer (the permessage-deflate hook)."""
    lines = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Accept: %s" % accept_for(req.header("sec-websocket-key") or "")]
    if extensions:
        lines.append("Sec-WebSocket-Extensions: %s" % extensions)
    _sendall(sock, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def server_refuse(sock, status, text):
    body = text.encode("utf-8")
    msg = ("HTTP/1.1 %d %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (status, text, len(body))).encode(
        "latin-1") + body
    try:
        _sendall(sock, msg, 2.0)
    except HandshakeError:
        pass

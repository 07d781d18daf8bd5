#!/usr/bin/python3
"""ws-cpp's server against python3-websockets' asyncio client.

    server_interop.py PATH_TO_WS_PEER GROUP

Starts `ws_peer server` (an echo server on 127.0.0.1 or [::1], port 0), connects to it with
websockets.connect and checks, byte for byte, what comes back and what ws-cpp's handler saw
(ws_peer's event log). Groups: messages, fragments, large, ping, close, subprotocol, ipv6.
"""

import asyncio
import struct
import time

from interop_common import (MIB, SKIP, Peer, Runner, frame_key, gen_binary, gen_text, hexs, import_websockets,
                            ipv6_loopback_problem, main, mixed_text, wire_frames)

websockets = import_websockets()
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.frames import OP_CONT, OP_TEXT  # noqa: E402

GROUPS = ["messages", "fragments", "large", "ping", "close", "subprotocol", "ipv6"]
RECV_TIMEOUT = 10.0


def connect(url, **kwargs):
    """websockets' client with every wait bounded; keepalive pings off (the tests send their own);
    compression left at its default, so every handshake offers permessage-deflate, which ws-cpp
    does not implement and must decline."""
    options = dict(open_timeout=10, close_timeout=5, ping_interval=None, max_size=4 * MIB)
    options.update(kwargs)
    return websockets.connect(url, **options)


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), RECV_TIMEOUT)


class ServerTests:
    def __init__(self, runner, exe, host="127.0.0.1"):
        self.r = runner
        self.exe = exe
        self.host = host
        self.peer = None
        self.url = None

    async def start(self, *extra, label="server"):
        peer = Peer(self.exe, ["server", "--host", self.host, *extra], label)
        self.r.peers.append(peer)
        await peer.start()
        ip, port = await peer.listening()
        self.r.eq(ip, self.host, "ws_peer listens on")
        host = "[%s]" % self.host if ":" in self.host else self.host
        return peer, "ws://%s:%d" % (host, port)

    async def conn(self, peer, ws):
        """The ws_peer connection of python's websocket `ws`."""
        return await peer.conn_by_peer_port(ws.local_address[1])

    async def echo(self, ws, conn, message, what):
        """Sends `message`; checks the echo (type and bytes) and ws-cpp's message event."""
        await ws.send(message)
        back = await recv(ws)
        self.r.eq(type(back), type(message), what + ": echo type")
        self.r.eq(back, message, what + ": echo")
        ev = await conn.next("message")
        self.r.eq(ev["type"], "text" if isinstance(message, str) else "binary", what + ": ws-cpp's message type")
        self.r.payload_event(ev, message, what + ": ws-cpp's message")

    async def close_normally(self, ws, conn):
        await asyncio.wait_for(ws.close(), 10)
        self.r.eq(ws.close_code, 1000, "python's close_code after its close()")
        ev = await conn.next("close")
        self.r.eq((ev["code"], ev["reason"]), ("1000", ""), "ws-cpp's on_close")
        await conn.next("gone")

    # --- messages --------------------------------------------------------------------------------

    async def messages(self):
        peer, url = self.peer, self.url

        async def handshake():
            async with connect(url + "/chat/room?x=1&y=%C3%A9") as ws:
                conn = await self.conn(peer, ws)
                req = await conn.next("request")
                self.r.eq(req["resource"], hexs("/chat/room?x=1&y=%C3%A9"), "request resource seen by on_request")
                offers = [bytes.fromhex(x).decode() for x in req["extensions"].split(",")] \
                    if req["extensions"] != "-" else []
                self.r.check(any(o.startswith("permessage-deflate") for o in offers),
                             "python offered permessage-deflate", repr(offers))
                self.r.eq(ws.extensions, [], "extensions python ended up with (ws-cpp declines deflate)")
                self.r.eq(ws.subprotocol, None, "subprotocol")
                self.r.eq(ws.response_headers.get("Upgrade", "").lower(), "websocket", "response Upgrade header")
                self.r.check("upgrade" in ws.response_headers.get("Connection", "").lower(),
                             "response Connection header has 'upgrade'")
                self.r.eq(ws.response_headers.get_all("Sec-WebSocket-Extensions"), [],
                          "no Sec-WebSocket-Extensions in the response")
                opened = await conn.next("open")
                self.r.eq(opened["resource"], hexs("/chat/room?x=1&y=%C3%A9"), "Handshake request resource")
                self.r.eq(opened["peer"], "127.0.0.1:%d" % ws.local_address[1], "Handshake peer_addr")
                self.r.eq(opened["local"], "127.0.0.1:%d" % ws.remote_address[1], "Handshake local_addr")
                self.r.eq(opened["extensions"], "-", "Handshake response extensions")
                await self.close_normally(ws, conn)

        async def single():
            async with connect(url + "/single") as ws:
                conn = await self.conn(peer, ws)
                await self.echo(ws, conn, "hello ws-cpp", "ASCII text")
                await self.echo(ws, conn, "h\u00e9llo w\u00f6rld \u2713 \U0001f389 \u65e5\u672c\u8a9e", "UTF-8 text")
                await self.echo(ws, conn, bytes(range(256)), "binary 0..255")
                await self.echo(ws, conn, b"\x00\xff\x00\xfe", "binary with NULs")
                await self.echo(ws, conn, "", "empty text")
                await self.echo(ws, conn, b"", "empty binary")
                await self.echo(ws, conn, "x" * 125, "text of 125 bytes (7-bit length)")
                await self.echo(ws, conn, b"y" * 126, "binary of 126 bytes (16-bit length)")
                await self.echo(ws, conn, "z" * 65535, "text of 65535 bytes (16-bit length)")
                await self.echo(ws, conn, b"w" * 65536, "binary of 65536 bytes (64-bit length)")
                await self.close_normally(ws, conn)

        async def burst():
            messages = []
            for i in range(200):
                messages.append(("msg %d \u2713" % i) if i % 2 == 0 else struct.pack("!I", i) * (i % 7))
            async with connect(url + "/burst") as ws:
                conn = await self.conn(peer, ws)
                for m in messages:  # all sent before reading anything back
                    await ws.send(m)
                back = [await recv(ws) for _ in messages]
                self.r.eq(back, messages, "200 mixed messages echoed in order")
                seen = [await conn.next("message") for _ in messages]
                self.r.eq([e["data"] for e in seen], [hexs(m) for m in messages],
                          "ws-cpp received the 200 messages in order")
                await self.close_normally(ws, conn)

        async def concurrent():
            # Five clients at once, interleaving their messages.
            async def one(i):
                async with connect(url + "/c%d" % i) as ws:
                    conn = await self.conn(peer, ws)
                    sent = ["client %d message %d" % (i, j) for j in range(20)]
                    back = []
                    for m in sent:
                        await ws.send(m)
                        back.append(await recv(ws))
                    self.r.eq(back, sent, "client %d: 20 echoes" % i)
                    await self.close_normally(ws, conn)
            await asyncio.gather(*(one(i) for i in range(5)))

        await self.r.run("server/handshake: deflate offer declined, Handshake fields", handshake)
        await self.r.run("server/messages: text, UTF-8, binary, empty, length encodings", single)
        await self.r.run("server/messages: 200-message burst in order", burst)
        await self.r.run("server/messages: 5 concurrent clients", concurrent)

    # --- fragments -------------------------------------------------------------------------------

    async def fragments(self):
        peer, url = self.peer, self.url

        async def data_frames(conn, count):
            frames = []
            while len(frames) < count:
                ev = await conn.next("frame")
                if ev["op"] in ("text", "binary", "continuation"):
                    frames.append(ev)
            return frames

        async def check_frames(conn, first_op, parts, what, by_send=True):
            # websockets' send(iterable) writes every fragment with FIN clear, then an empty
            # continuation frame with FIN set; write_frame() writes exactly what it is given.
            expect = wire_frames(first_op, parts, by_send)
            frames = await data_frames(conn, len(expect))
            self.r.eq([frame_key(f) for f in frames], expect,
                      what + ": frames seen by on_frame (opcode, FIN, length, CRC-32)")

        async def text_fragments():
            async with connect(url + "/frag-text") as ws:
                conn = await self.conn(peer, ws)
                parts = ["frag-one ", "frag-tw\u00f6 ", "\u2713"]
                await ws.send(parts)
                await check_frames(conn, "text", parts, "text in 3 fragments")
                self.r.eq(await recv(ws), "".join(parts), "reassembled text echoed")
                self.r.payload_event(await conn.next("message"), "".join(parts), "ws-cpp's message")
                await self.close_normally(ws, conn)

        async def binary_fragments():
            async with connect(url + "/frag-binary") as ws:
                conn = await self.conn(peer, ws)
                parts = [b"\x00\x01", b"", b"\xff" * 1000, b"end"]
                await ws.send(parts)
                await check_frames(conn, "binary", parts, "binary in 4 fragments, one empty")
                self.r.eq(await recv(ws), b"".join(parts), "reassembled binary echoed")
                self.r.payload_event(await conn.next("message"), b"".join(parts), "ws-cpp's message")
                await self.close_normally(ws, conn)

        async def split_code_point():
            # A text message whose fragments split UTF-8 sequences (legal: RFC 6455 5.6 checks
            # the whole message). websockets' send() encodes each str fragment on its own, so
            # this uses its frame writer directly.
            async with connect(url + "/frag-split") as ws:
                conn = await self.conn(peer, ws)
                whole = "caf\u00e9 \u2713 \U0001f389!".encode("utf-8")
                parts = [whole[:4], whole[4:7], whole[7:8], whole[8:12], whole[12:]]
                for i, p in enumerate(parts):
                    await ws.write_frame(i == len(parts) - 1, OP_TEXT if i == 0 else OP_CONT, p)
                await check_frames(conn, "text", parts, "text split inside code points", by_send=False)
                self.r.eq(await recv(ws), whole.decode("utf-8"), "reassembled text echoed")
                await self.close_normally(ws, conn)

        async def interleaved_ping():
            async with connect(url + "/frag-ping") as ws:
                conn = await self.conn(peer, ws)

                async def parts():
                    yield "part-1 "
                    # A control frame between fragments (RFC 6455 5.4); ws-cpp must answer it
                    # at once, in the middle of the message.
                    waiter = await ws.ping(b"mid")
                    await asyncio.wait_for(waiter, 5)
                    yield "part-2"

                await ws.send(parts())
                seq = [await conn.next("frame") for _ in range(4)]
                self.r.eq([(f["op"], f["fin"], f["data"]) for f in seq],
                          [("text", "0", hexs("part-1 ")), ("ping", "1", hexs("mid")),
                           ("continuation", "0", hexs("part-2")), ("continuation", "1", "")],
                          "frames seen by on_frame")
                pong = await conn.next("send", pred=lambda e: e["op"] == "pong")
                self.r.eq(pong["data"], hexs("mid"), "ws-cpp's pong payload")
                self.r.eq(await recv(ws), "part-1 part-2", "reassembled text echoed")
                await self.close_normally(ws, conn)

        async def many_fragments():
            async with connect(url + "/frag-many") as ws:
                conn = await self.conn(peer, ws)
                parts = [bytes([i % 256]) for i in range(1000)]
                await ws.send(parts)
                self.r.eq(await recv(ws), b"".join(parts), "1000 one-byte fragments reassembled")
                big = gen_binary(MIB)
                await ws.send([big[i:i + 65536] for i in range(0, MIB, 65536)])
                self.r.eq(await recv(ws), big, "1 MiB binary in 16 fragments of 64 KiB reassembled")
                text = mixed_text(MIB)
                await ws.send([text[i:i + 10000] for i in range(0, len(text), 10000)])
                self.r.eq(await recv(ws), text, "1 MiB text in fragments reassembled")
                await self.close_normally(ws, conn)

        await self.r.run("server/fragments: text in 3 fragments (send(iterable))", text_fragments)
        await self.r.run("server/fragments: binary in 4 fragments, one empty", binary_fragments)
        await self.r.run("server/fragments: UTF-8 sequences split across fragments", split_code_point)
        await self.r.run("server/fragments: ping between fragments (async iterable)", interleaved_ping)
        await self.r.run("server/fragments: 1000 fragments, 1 MiB fragmented", many_fragments)

    # --- large -----------------------------------------------------------------------------------

    async def large(self):
        async def big(peer, url, label):
            async with connect(url + "/large") as ws:
                conn = await self.conn(peer, ws)
                await self.echo(ws, conn, mixed_text(MIB), label + "1 MiB text (1-4 byte characters)")
                await self.echo(ws, conn, gen_binary(MIB), label + "1 MiB binary (every byte value)")
                await ws.send("!gen text %d" % MIB)
                self.r.eq(await recv(ws), gen_text(MIB), label + "1 MiB text generated by ws-cpp")
                await ws.send("!gen binary %d" % MIB)
                self.r.eq(await recv(ws), gen_binary(MIB), label + "1 MiB binary generated by ws-cpp")
                await self.close_normally(ws, conn)

        async def plain():
            await big(self.peer, self.url, "")

        async def fragmented():
            # ws-cpp fragments its output (Settings::fragment_size = 16 KiB); python reassembles,
            # including text split inside UTF-8 sequences.
            peer, url = await self.start("--fragment-size", "16384", label="server-frag16k")
            await big(peer, url, "fragment_size 16 KiB: ")
            await peer.stop()

        await self.r.run("server/large: 1 MiB text and binary, both ways", plain)
        await self.r.run("server/large: 1 MiB sent by ws-cpp in 16 KiB fragments", fragmented)

    # --- ping ------------------------------------------------------------------------------------

    async def ping(self):
        peer, url = self.peer, self.url
        payloads = [b"", b"hello", b"\x00\xff\x80\xc3 not UTF-8", bytes(range(125))]

        async def python_pings():
            async with connect(url + "/ping") as ws:
                conn = await self.conn(peer, ws)
                for p in payloads:
                    waiter = await ws.ping(p)
                    # websockets resolves the waiter only for a pong carrying this payload.
                    await asyncio.wait_for(waiter, 5)
                    self.r.check(True, "pong for a %d-byte ping" % len(p))
                    ev = await conn.next("frame", pred=lambda e: e["op"] in ("ping", "pong"))
                    self.r.eq((ev["op"], ev["data"]), ("ping", p.hex()), "ping seen by on_frame")
                    ev = await conn.next("send", pred=lambda e: e["op"] in ("ping", "pong"))
                    self.r.eq((ev["op"], ev["data"]), ("pong", p.hex()), "auto pong seen by on_send_frame")
                await self.echo(ws, conn, "still open", "message after pings")
                await self.close_normally(ws, conn)

        async def server_pings():
            async with connect(url + "/server-ping") as ws:
                conn = await self.conn(peer, ws)
                for p in payloads:
                    await ws.send("!ping " + p.hex())
                    # ws_peer answers "!pong HEX" when on_frame sees the pong python sent back.
                    self.r.eq(await recv(ws), "!pong " + p.hex(), "python's pong for ws-cpp's %d-byte ping" % len(p))
                    ev = await conn.next("send", pred=lambda e: e["op"] in ("ping", "pong"))
                    self.r.eq((ev["op"], ev["data"]), ("ping", p.hex()), "ping sent by ws-cpp")
                    ev = await conn.next("frame", pred=lambda e: e["op"] in ("ping", "pong"))
                    self.r.eq((ev["op"], ev["data"]), ("pong", p.hex()), "pong seen by on_frame")
                await self.close_normally(ws, conn)

        await self.r.run("server/ping: python pings, ws-cpp pongs the same payload", python_pings)
        await self.r.run("server/ping: ws-cpp pings, python's pong seen by on_frame", server_pings)

    # --- close -----------------------------------------------------------------------------------

    async def close(self):
        peer, url = self.peer, self.url

        async def python_closes(code, reason):
            async with connect(url + "/close") as ws:
                conn = await self.conn(peer, ws)
                await self.echo(ws, conn, "before close", "message before close")
                started = time.monotonic()
                if code is None:
                    await asyncio.wait_for(ws.close(), 10)
                    code, reason = 1000, ""
                else:
                    await asyncio.wait_for(ws.close(code, reason), 10)
                elapsed = time.monotonic() - started
                frame = await conn.next("frame", pred=lambda e: e["op"] == "close")
                self.r.eq(frame["data"], (struct.pack("!H", code) + reason.encode()).hex(), "close frame seen by on_frame")
                ev = await conn.next("close")
                self.r.eq((ev["code"], ev["reason"]), (str(code), hexs(reason)), "ws-cpp's on_close(code, reason)")
                # ws-cpp replies with the same code and no reason (RFC 6455 5.5.1: "typically
                # echos the status code it received").
                sent = await conn.next("send", pred=lambda e: e["op"] == "close")
                self.r.eq(sent["data"], struct.pack("!H", code).hex(), "ws-cpp's close reply")
                self.r.eq(ws.close_code, code, "python's close_code (ws-cpp's reply)")
                self.r.eq(ws.close_reason, "", "python's close_reason (ws-cpp's reply)")
                # The server closes TCP right after the close handshake (RFC 6455 7.1.1), so
                # python's close() does not wait for its close_timeout (5 s).
                self.r.check(elapsed < 4.0, "python's close() returned after %.2f s (< 4 s)" % elapsed)
                await conn.next("gone")
                self.r.eq(len(conn.all("close")), 1, "on_close called once")

        async def server_closes(command, code, reason, expect_ws_cpp_code=None):
            async with connect(url + "/server-close") as ws:
                conn = await self.conn(peer, ws)
                await ws.send(command)
                try:
                    got = await recv(ws)
                    raise AssertionError("expected the connection to close, got a message %r" % (got,))
                except ConnectionClosed as exc:
                    self.r.check(exc.rcvd is not None, "python received a close frame")
                await asyncio.wait_for(ws.wait_closed(), 10)
                self.r.eq(ws.close_code, code, "python's close_code")
                self.r.eq(ws.close_reason, reason, "python's close_reason")
                sent = await conn.next("send", pred=lambda e: e["op"] == "close")
                wire = b"" if code == 1005 else struct.pack("!H", code) + reason.encode()
                self.r.eq(sent["data"], wire.hex(), "close frame sent by ws-cpp")
                # python echoes the close frame's payload as it was.
                ev = await conn.next("close")
                self.r.eq((ev["code"], ev["reason"]), (str(code), hexs(reason)),
                          "ws-cpp's on_close (python's echo)")
                await conn.next("gone")
                self.r.eq(len(conn.all("close")), 1, "on_close called once")

        long_reason = ("r\u00e9" * 41)  # 123 bytes: the largest reason a close frame can carry
        assert len(long_reason.encode()) == 123

        await self.r.run("server/close: python closes with 4003 'client bye ✓'",
                         lambda: python_closes(4003, "client bye \u2713"))
        await self.r.run("server/close: python closes with 1001 and no reason", lambda: python_closes(1001, ""))
        await self.r.run("server/close: python's default close() (1000)", lambda: python_closes(None, None))
        await self.r.run("server/close: ws-cpp closes with 4001 'some reason'",
                         lambda: server_closes("!close 4001 some reason", 4001, "some reason"))
        await self.r.run("server/close: ws-cpp closes with 1000 'd\u00e9j\u00e0 vu \u2713'",
                         lambda: server_closes("!close 1000 d\u00e9j\u00e0 vu \u2713", 1000, "d\u00e9j\u00e0 vu \u2713"))
        await self.r.run("server/close: ws-cpp closes with a 123-byte reason",
                         lambda: server_closes("!close 3000 " + long_reason, 3000, long_reason))
        await self.r.run("server/close: ws-cpp closes with an empty close frame (python sees 1005)",
                         lambda: server_closes("!close 0", 1005, ""))

        async def shutdown():
            async with connect(url + "/a") as a, connect(url + "/b") as b:
                ca = await self.conn(peer, a)
                cb = await self.conn(peer, b)
                await self.echo(b, cb, "b is open", "second connection")
                await a.send("!shutdown")
                for name, ws, conn in (("a", a, ca), ("b", b, cb)):
                    try:
                        got = await recv(ws)
                        raise AssertionError("connection %s: expected a close, got %r" % (name, got))
                    except ConnectionClosed:
                        pass
                    await asyncio.wait_for(ws.wait_closed(), 10)
                    self.r.eq(ws.close_code, 1001, "connection %s: python's close_code after shutdown()" % name)
                    ev = await conn.next("close")
                    self.r.eq(ev["code"], "1001", "connection %s: ws-cpp's on_close (python's echo)" % name)
            status = await peer.wait_exit()
            self.r.eq(status, 0, "ws_peer's exit status after shutdown()")
            self.r.eq(peer.events[-1].raw, "- exit status=ok", "ws_peer's last line")

        await self.r.run("server/close: Sender::shutdown() closes every connection with 1001 and exits", shutdown)

    # --- subprotocol -----------------------------------------------------------------------------

    async def subprotocol(self):
        peer, url = await self.start("--protocol", "chat.v2", "--protocol", "superchat", label="server-proto")

        async def offer(offered, expected):
            async with connect(url + "/proto", subprotocols=offered) as ws:
                conn = await self.conn(peer, ws)
                req = await conn.next("request")
                self.r.eq(req["protocols"], ",".join(hexs(p) for p in offered) if offered else "-",
                          "protocols on_request saw, in order")
                self.r.eq(ws.subprotocol, expected, "python's negotiated subprotocol")
                self.r.eq(ws.response_headers.get_all("Sec-WebSocket-Protocol"), [expected] if expected else [],
                          "Sec-WebSocket-Protocol in the response")
                opened = await conn.next("open")
                self.r.eq(opened["protocol"], hexs(expected) if expected else "-", "Handshake response protocol")
                await self.echo(ws, conn, "with protocol %s" % expected, "message")
                await self.close_normally(ws, conn)

        await self.r.run("server/subprotocol: offers chat.v1, chat.v2 -> chat.v2",
                         lambda: offer(["chat.v1", "chat.v2"], "chat.v2"))
        await self.r.run("server/subprotocol: offers superchat, chat.v2 -> superchat (client's order)",
                         lambda: offer(["superchat", "chat.v2"], "superchat"))
        await self.r.run("server/subprotocol: offers only unknown ones -> none",
                         lambda: offer(["nope", "chat.v9"], None))
        await self.r.run("server/subprotocol: offers none -> none", lambda: offer(None, None))
        await peer.stop()

    # --- ipv6 ------------------------------------------------------------------------------------

    async def ipv6(self):
        peer, url = self.peer, self.url

        async def over_v6():
            async with connect(url + "/v6") as ws:
                self.r.eq(ws.remote_address[0], "::1", "python connected to")
                conn = await self.conn(peer, ws)
                opened = await conn.next("open")
                self.r.eq(opened["peer"], "[::1]:%d" % ws.local_address[1], "Handshake peer_addr")
                self.r.eq(opened["local"], "[::1]:%d" % ws.remote_address[1], "Handshake local_addr")
                await self.echo(ws, conn, "over IPv6 \u2713", "text")
                await self.echo(ws, conn, gen_binary(MIB), "1 MiB binary")
                waiter = await ws.ping(b"v6")
                await asyncio.wait_for(waiter, 5)
                self.r.check(True, "pong over IPv6")
                await asyncio.wait_for(ws.close(4006, "v6 bye"), 10)
                ev = await conn.next("close")
                self.r.eq((ev["code"], ev["reason"]), ("4006", hexs("v6 bye")), "ws-cpp's on_close")
                self.r.eq(ws.close_code, 4006, "python's close_code")

        await self.r.run("server/ipv6: text, 1 MiB, ping, close over [::1]", over_v6)


async def run_group(exe, group):
    runner = Runner("ws-cpp server <- python3-websockets %s client: %s" % (websockets.__version__, group))
    host = "127.0.0.1"
    if group == "ipv6":
        problem = ipv6_loopback_problem()
        if problem:
            print("SKIP: no IPv6 loopback on this machine (%s)" % problem)
            return SKIP
        host = "::1"
    tests = ServerTests(runner, exe, host)
    try:
        try:
            tests.peer, tests.url = await tests.start()
        except Exception as exc:  # noqa: BLE001
            runner.fail("start ws_peer server", str(exc))
            for peer in runner.peers:
                peer.dump()
            return runner.summary()
        await getattr(tests, group)()
    finally:
        for peer in runner.peers:
            await peer.stop()
    # Every ws_peer must have run without printing an unexpected error.
    for peer in runner.peers:
        errors = peer.errors()
        if errors:
            runner.fail("no errors reported by ws_peer [%s]" % peer.label, "; ".join(errors[:5]))
    return runner.summary()


if __name__ == "__main__":
    main(run_group, GROUPS)

#!/usr/bin/python3
"""ws-cpp's client against python3-websockets' asyncio server.

    client_interop.py PATH_TO_WS_PEER GROUP

Starts websockets.serve on 127.0.0.1 (or [::1]) port 0 and, for every scenario, a fresh
`ws_peer client ws://host:port/<scenario>` (an echo client that obeys '!' commands, see
ws_peer.cpp). The server's handler for that path drives the scenario and checks what comes back;
the driver then checks ws-cpp's side in ws_peer's event log and that ws_peer exited cleanly.
Groups: messages, fragments, large, ping, close, subprotocol, ipv6.
"""

import asyncio
import struct
import time

from interop_common import (MIB, SCENARIO_TIMEOUT, SKIP, CheckFailed, Conn, Peer, Runner, crc_hex, frame_key,
                            gen_binary, gen_text, hexs, import_websockets, ipv6_loopback_problem, main,
                            mixed_text, wire_frames)

websockets = import_websockets()
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.frames import OP_CONT, OP_TEXT  # noqa: E402

GROUPS = ["messages", "fragments", "large", "ping", "close", "subprotocol", "ipv6"]
RECV_TIMEOUT = 10.0


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), RECV_TIMEOUT)


class PythonServer:
    """websockets.serve on host:0; each connection's path picks the scenario coroutine that
    handles it; the coroutine's outcome is kept for the driver."""

    def __init__(self, host, **kwargs):
        self.host = host
        self.kwargs = kwargs
        self.handlers = {}
        self.outcomes = {}
        self.server = None
        self.port = None

    async def start(self):
        options = dict(ping_interval=None, close_timeout=5, max_size=4 * MIB)
        options.update(self.kwargs)
        self.server = await websockets.serve(self._handle, self.host, 0, **options)
        self.port = self.server.sockets[0].getsockname()[1]
        print("    python server listening on %s port %d" % (self.host, self.port))
        return self

    def url(self, path):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "ws://%s:%d%s" % (host, self.port, path)

    def expect(self, path, handler):
        self.handlers[path] = handler
        self.outcomes[path] = asyncio.get_running_loop().create_future()

    async def _handle(self, ws, path=None):
        path = ws.path
        outcome = self.outcomes.get(path)
        handler = self.handlers.get(path)
        if handler is None:
            await ws.close(1008, "no scenario for this path")
            return
        try:
            await asyncio.wait_for(handler(ws), SCENARIO_TIMEOUT - 5)
        except BaseException as exc:  # noqa: BLE001 - the driver reports it
            if not outcome.done():
                outcome.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        if not outcome.done():
            outcome.set_result(None)

    async def stop(self):
        if self.server is not None:
            self.server.close()
            await asyncio.wait_for(self.server.wait_closed(), 10)


class ClientTests:
    def __init__(self, runner, exe, host="127.0.0.1"):
        self.r = runner
        self.exe = exe
        self.host = host
        self.server = None
        self.count = 0

    async def scenario(self, server, path, handler, *peer_args):
        """Runs one ws_peer client against `server` at `path`; `handler(ws)` drives it on the
        python side. Returns (peer, conn) after ws_peer exited with status 0."""
        self.count += 1
        server.expect(path, handler)
        peer = Peer(self.exe, ["client", server.url(path), *peer_args], "client-%d" % self.count)
        self.r.peers[:] = [peer]
        await peer.start()
        try:
            await peer.wait_for(lambda e: e.tag != "-" or e.name in ("exit", "connect-failed"),
                                "sign of a connection from ws_peer")
            try:
                await asyncio.wait_for(server.outcomes[path], SCENARIO_TIMEOUT - 10)
            except ConnectionClosed as exc:
                # Python saw the connection end early: explain it by ws-cpp's side when clear.
                try:
                    await peer.wait_exit(5)
                    self.check_loop_outlived_connection(peer)
                except CheckFailed as explained:
                    raise CheckFailed("%s; python saw: %r" % (explained, exc)) from exc
                raise
            status = await peer.wait_exit()
            self.check_loop_outlived_connection(peer)
            self.r.check(True, "WebSocket::run() returned after the connection ended")
            self.r.eq(status, 0, "ws_peer client's exit status")
            self.r.eq(peer.events[-1].raw if peer.events else None, "- exit status=ok", "ws_peer's last line")
        finally:
            await peer.stop()
        conn = None
        tagged = [e for e in peer.events if e.tag != "-"]
        if tagged:
            conn = Conn(peer, tagged[0].tag)
        return peer, conn

    def no_errors(self, peer):
        errors = peer.errors()
        if errors:
            raise CheckFailed("ws_peer reported errors: " + "; ".join(errors[:5]))
        self.r.check(True, "no errors reported by ws-cpp")

    def check_loop_outlived_connection(self, peer):
        """WebSocket::run() (no listener) must return only after its last connection ended:
        ws_peer prints "- exit" after run() returns, so every connection event comes first."""
        exits = [i for i, e in enumerate(peer.events) if e.tag == "-" and e.name == "exit"]
        late = [e.raw for e in peer.events[exits[0] + 1:]] if exits else []
        if late:
            raise CheckFailed("WebSocket::run() returned while the connection was still open: ws_peer "
                              "printed %s after run() returned (from ~WebSocket)" % late)

    async def echo(self, ws, message, what):
        await ws.send(message)
        back = await recv(ws)
        self.r.eq(type(back), type(message), what + ": echo type")
        self.r.eq(back, message, what + ": echo")

    async def expect_close_by_ws_cpp(self, ws):
        try:
            got = await recv(ws)
            raise CheckFailed("expected the connection to close, got a message %s" % (got[:80],))
        except ConnectionClosed:
            pass
        await asyncio.wait_for(ws.wait_closed(), 10)

    async def close_1000(self, ws):
        await asyncio.wait_for(ws.close(), 10)
        self.r.eq(ws.close_code, 1000, "python's close_code after its close()")

    def closed_normally(self, conn, code="1000", reason=""):
        ev = conn.all("close")
        self.r.eq([(e["code"], e["reason"]) for e in ev], [(code, hexs(reason))], "ws-cpp's on_close, once")
        self.r.eq(len(conn.all("gone")), 1, "connection_lost once")

    # --- messages --------------------------------------------------------------------------------

    async def messages(self):
        server = self.server

        async def handshake():
            seen = {}

            async def handler(ws):
                seen["headers"] = ws.request_headers
                seen["remote"] = ws.remote_address
                seen["extensions"] = ws.extensions
                seen["subprotocol"] = ws.subprotocol
                await self.echo(ws, "hi", "text")
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, "/handshake?q=%C3%A9&x=1", handler)
            h = seen["headers"]
            self.r.eq(h.get("Upgrade", "").lower(), "websocket", "request Upgrade header")
            self.r.check("upgrade" in h.get("Connection", "").lower(), "request Connection header has 'upgrade'")
            self.r.eq(h.get("Sec-WebSocket-Version"), "13", "request Sec-WebSocket-Version")
            self.r.eq(h.get("Host"), "%s:%d" % ("127.0.0.1", server.port), "request Host")
            self.r.eq(h.get_all("Sec-WebSocket-Protocol"), [], "no subprotocol offered")
            self.r.eq(h.get_all("Sec-WebSocket-Extensions"), [], "no extension offered")
            self.r.eq(seen["extensions"], [], "python negotiated no extension")
            self.r.eq(seen["subprotocol"], None, "python negotiated no subprotocol")
            res = await conn.next("response")
            self.r.eq((res["status"], res["protocol"], res["extensions"]), ("101", "-", "-"),
                      "on_response: status, protocol, extensions")
            opened = await conn.next("open")
            self.r.eq(opened["resource"], hexs("/handshake?q=%C3%A9&x=1"), "Handshake request resource")
            self.r.eq(opened["peer"], "127.0.0.1:%d" % server.port, "Handshake peer_addr")
            self.r.eq(opened["local"], "127.0.0.1:%d" % seen["remote"][1], "Handshake local_addr")
            self.closed_normally(conn)
            self.no_errors(peer)

        async def single():
            messages = ["hello ws-cpp", "h\u00e9llo w\u00f6rld \u2713 \U0001f389 \u65e5\u672c\u8a9e",
                        bytes(range(256)), b"\x00\xff\x00\xfe", "", b"", "x" * 125, b"y" * 126,
                        "z" * 65535, b"w" * 65536]

            async def handler(ws):
                for m in messages:
                    await self.echo(ws, m, "%s of %d" % (type(m).__name__, len(m)))
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, "/single", handler)
            got = conn.all("message")
            self.r.eq([(e["type"], e["data"], e["crc"]) for e in got],
                      [("text" if isinstance(m, str) else "binary", hexs(m) if len(m) <= 256 else "-",
                        crc_hex(m))
                       for m in messages],
                      "messages ws-cpp received (type, bytes)")
            self.closed_normally(conn)
            self.no_errors(peer)

        async def burst():
            messages = [("msg %d \u2713" % i) if i % 2 == 0 else struct.pack("!I", i) * (i % 7) for i in range(200)]

            async def handler(ws):
                for m in messages:
                    await ws.send(m)
                back = [await recv(ws) for _ in messages]
                self.r.eq(back, messages, "200 mixed messages echoed in order")
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, "/burst", handler)
            self.r.eq([e["data"] for e in conn.all("message")], [hexs(m) for m in messages],
                      "ws-cpp received the 200 messages in order")
            self.no_errors(peer)

        await self.r.run("client/handshake: request headers, on_response, Handshake fields", handshake)
        await self.r.run("client/messages: text, UTF-8, binary, empty, length encodings", single)
        await self.r.run("client/messages: 200-message burst in order", burst)

    # --- fragments -------------------------------------------------------------------------------

    async def fragments(self):
        server = self.server

        def data_frames(conn):
            return [frame_key(f) for f in conn.all("frame") if f["op"] in ("text", "binary", "continuation")]

        text_parts = ["frag-one ", "frag-tw\u00f6 ", "\u2713"]
        binary_parts = [b"\x00\x01", b"", b"\xff" * 1000, b"end"]
        whole = "caf\u00e9 \u2713 \U0001f389!".encode("utf-8")
        split_parts = [whole[:4], whole[4:7], whole[7:8], whole[8:12], whole[12:]]

        async def fragments_from_python():
            async def handler(ws):
                await ws.send(text_parts)
                self.r.eq(await recv(ws), "".join(text_parts), "text in 3 fragments echoed")
                await ws.send(binary_parts)
                self.r.eq(await recv(ws), b"".join(binary_parts), "binary in 4 fragments (one empty) echoed")
                for i, p in enumerate(split_parts):
                    await ws.write_frame(i == len(split_parts) - 1, OP_TEXT if i == 0 else OP_CONT, p)
                self.r.eq(await recv(ws), whole.decode(), "text split inside UTF-8 sequences echoed")
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, "/fragments", handler)
            self.r.eq(data_frames(conn),
                      wire_frames("text", text_parts) + wire_frames("binary", binary_parts)
                      + wire_frames("text", split_parts, by_send=False),
                      "data frames seen by on_frame (opcode, FIN, length, CRC-32)")
            self.r.eq([(e["type"], int(e["len"]), e["crc"]) for e in conn.all("message")],
                      [(t, len(m), crc_hex(m)) for t, m in (("text", "".join(text_parts).encode()),
                                                            ("binary", b"".join(binary_parts)), ("text", whole))],
                      "reassembled messages (type, length, CRC-32)")
            self.closed_normally(conn)
            self.no_errors(peer)

        async def interleaved_ping():
            async def handler(ws):
                async def parts():
                    yield b"first"
                    waiter = await ws.ping(b"mid")
                    await asyncio.wait_for(waiter, 5)
                    yield b"second"
                await ws.send(parts())
                self.r.eq(await recv(ws), b"firstsecond", "message with a ping between fragments echoed")
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, "/frag-ping", handler)
            frames = [(f["op"], f["fin"], f["data"]) for f in conn.all("frame")]
            self.r.eq(frames, [("binary", "0", hexs(b"first")), ("ping", "1", hexs(b"mid")),
                               ("continuation", "0", hexs(b"second")), ("continuation", "1", ""),
                               ("close", "1", hexs(struct.pack("!H", 1000)))], "frames seen by on_frame")
            pongs = [e["data"] for e in conn.all("send") if e["op"] == "pong"]
            self.r.eq(pongs, [hexs(b"mid")], "ws-cpp's pong payload")
            self.no_errors(peer)

        async def many():
            big = gen_binary(MIB)
            text = mixed_text(MIB)

            async def handler(ws):
                parts = [bytes([i % 256]) for i in range(1000)]
                await ws.send(parts)
                self.r.eq(await recv(ws), b"".join(parts), "1000 one-byte fragments reassembled")
                await ws.send([big[i:i + 65536] for i in range(0, MIB, 65536)])
                self.r.eq(await recv(ws), big, "1 MiB binary in 16 fragments reassembled")
                await ws.send([text[i:i + 10000] for i in range(0, len(text), 10000)])
                self.r.eq(await recv(ws), text, "1 MiB text in fragments reassembled")
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, "/frag-many", handler)
            self.closed_normally(conn)
            self.no_errors(peer)

        await self.r.run("client/fragments: text, binary (empty fragment), split UTF-8", fragments_from_python)
        await self.r.run("client/fragments: ping between fragments (async iterable)", interleaved_ping)
        await self.r.run("client/fragments: 1000 fragments, 1 MiB fragmented", many)

    # --- large -----------------------------------------------------------------------------------

    async def large(self):
        server = self.server

        async def big(path, *peer_args):
            async def handler(ws):
                await self.echo(ws, mixed_text(MIB), "1 MiB text (1-4 byte characters)")
                await self.echo(ws, gen_binary(MIB), "1 MiB binary (every byte value)")
                await ws.send("!gen text %d" % MIB)
                self.r.eq(await recv(ws), gen_text(MIB), "1 MiB text generated by ws-cpp")
                await ws.send("!gen binary %d" % MIB)
                self.r.eq(await recv(ws), gen_binary(MIB), "1 MiB binary generated by ws-cpp")
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, path, handler, *peer_args)
            got = conn.all("message")
            self.r.payload_event(got[0], mixed_text(MIB), "1 MiB text received by ws-cpp")
            self.r.payload_event(got[1], gen_binary(MIB), "1 MiB binary received by ws-cpp")
            self.closed_normally(conn)
            self.no_errors(peer)

        await self.r.run("client/large: 1 MiB text and binary, both ways", lambda: big("/large"))
        await self.r.run("client/large: 1 MiB sent by ws-cpp in 16 KiB fragments (masked)",
                         lambda: big("/large-frag", "--fragment-size", "16384"))

    # --- ping ------------------------------------------------------------------------------------

    async def ping(self):
        server = self.server
        payloads = [b"", b"hello", b"\x00\xff\x80\xc3 not UTF-8", bytes(range(125))]

        async def python_pings():
            async def handler(ws):
                for p in payloads:
                    waiter = await ws.ping(p)
                    await asyncio.wait_for(waiter, 5)  # resolves only for a pong with payload p
                    self.r.check(True, "ws-cpp's pong for a %d-byte ping" % len(p))
                await self.echo(ws, "still open", "message after pings")
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, "/ping", handler)
            self.r.eq([e["data"] for e in conn.all("frame") if e["op"] == "ping"], [p.hex() for p in payloads],
                      "pings seen by on_frame")
            self.r.eq([e["data"] for e in conn.all("send") if e["op"] == "pong"], [p.hex() for p in payloads],
                      "auto pongs seen by on_send_frame")
            self.closed_normally(conn)
            self.no_errors(peer)

        async def client_pings():
            async def handler(ws):
                for p in payloads:
                    await ws.send("!ping " + p.hex())
                    self.r.eq(await recv(ws), "!pong " + p.hex(),
                              "python's pong for ws-cpp's %d-byte ping, seen by on_frame" % len(p))
                await self.close_1000(ws)

            peer, conn = await self.scenario(server, "/client-ping", handler)
            self.r.eq([e["data"] for e in conn.all("send") if e["op"] == "ping"], [p.hex() for p in payloads],
                      "pings sent by ws-cpp")
            self.r.eq([e["data"] for e in conn.all("frame") if e["op"] == "pong"], [p.hex() for p in payloads],
                      "pongs seen by on_frame")
            self.closed_normally(conn)
            self.no_errors(peer)

        await self.r.run("client/ping: python pings, ws-cpp pongs the same payload", python_pings)
        await self.r.run("client/ping: ws-cpp pings, python's pong seen by on_frame", client_pings)

    # --- close -----------------------------------------------------------------------------------

    async def close(self):
        server = self.server

        async def python_closes(path, code, reason):
            seen = {}

            async def handler(ws):
                await self.echo(ws, "before close", "message before close")
                started = time.monotonic()
                if code is None:
                    await asyncio.wait_for(ws.close(), 10)
                else:
                    await asyncio.wait_for(ws.close(code, reason), 10)
                seen["elapsed"] = time.monotonic() - started
                seen["code"], seen["reason"] = ws.close_code, ws.close_reason

            peer, conn = await self.scenario(server, path, handler)
            want_code = 1000 if code is None else code
            want_reason = "" if code is None else reason
            frames = [e["data"] for e in conn.all("frame") if e["op"] == "close"]
            self.r.eq(frames, [(struct.pack("!H", want_code) + want_reason.encode()).hex()],
                      "close frame seen by on_frame")
            self.closed_normally(conn, str(want_code), want_reason)
            # ws-cpp replies with the same code and no reason (RFC 6455 5.5.1).
            sent = [e["data"] for e in conn.all("send") if e["op"] == "close"]
            self.r.eq(sent, [struct.pack("!H", want_code).hex()], "ws-cpp's close reply")
            self.r.eq((seen["code"], seen["reason"]), (want_code, ""), "python's close_code/close_reason")
            self.r.check(seen["elapsed"] < 4.0, "python's close() returned after %.2f s (< 4 s)" % seen["elapsed"])
            self.no_errors(peer)

        async def client_closes(path, command, code, reason):
            seen = {}

            async def handler(ws):
                await ws.send(command)
                await self.expect_close_by_ws_cpp(ws)
                seen["code"], seen["reason"] = ws.close_code, ws.close_reason

            started = time.monotonic()
            peer, conn = await self.scenario(server, path, handler)
            elapsed = time.monotonic() - started
            self.r.eq((seen["code"], seen["reason"]), (code, reason), "python's close_code/close_reason")
            sent = [e["data"] for e in conn.all("send") if e["op"] == "close"]
            wire = b"" if code == 1005 else struct.pack("!H", code) + reason.encode()
            self.r.eq(sent, [wire.hex()], "close frame sent by ws-cpp")
            # python echoes the close payload as it was; then the server closes TCP and the
            # client's loop ends at once (not after close_timeout_ms, 5 s).
            self.closed_normally(conn, str(code), reason)
            self.r.check(elapsed < 4.0, "ws_peer ran and exited in %.2f s (< 4 s)" % elapsed)
            self.no_errors(peer)

        async def python_drops():
            async def handler(ws):
                await self.echo(ws, "then the TCP connection drops", "message")
                ws.transport.abort()  # no close frame: RST

            peer, conn = await self.scenario(server, "/drop", handler)
            closes = [(e["code"], e["reason"]) for e in conn.all("close")]
            self.r.eq(closes, [("1006", "")], "ws-cpp's on_close(Abnormal) once")
            self.r.eq(len(conn.all("gone")), 1, "connection_lost once")

        long_reason = "r\u00e9" * 41
        await self.r.run("client/close: python closes with 4011 'server bye ✓'",
                         lambda: python_closes("/pc1", 4011, "server bye \u2713"))
        await self.r.run("client/close: python's default close() (1000)", lambda: python_closes("/pc2", None, None))
        await self.r.run("client/close: ws-cpp closes with 4010 'client reason'",
                         lambda: client_closes("/cc1", "!close 4010 client reason", 4010, "client reason"))
        await self.r.run("client/close: ws-cpp closes with 3000 and a 123-byte reason",
                         lambda: client_closes("/cc2", "!close 3000 " + long_reason, 3000, long_reason))
        await self.r.run("client/close: ws-cpp closes with an empty close frame (python sees 1005)",
                         lambda: client_closes("/cc3", "!close 0", 1005, ""))
        await self.r.run("client/close: python drops TCP without a close frame -> 1006", python_drops)

    # --- subprotocol -----------------------------------------------------------------------------

    async def subprotocol(self):
        async def negotiate(server_protocols, expected, path, select=None):
            kwargs = {"subprotocols": server_protocols}
            if select is not None:
                kwargs["select_subprotocol"] = select
            server = await PythonServer(self.host, **kwargs).start()
            seen = {}
            try:
                async def handler(ws):
                    seen["offered"] = [p.strip() for v in ws.request_headers.get_all("Sec-WebSocket-Protocol")
                                       for p in v.split(",")]
                    seen["chosen"] = ws.subprotocol
                    if select is not None:
                        # ws-cpp must fail this connection (RFC 6455 4.1: a subprotocol it did
                        # not offer); the close must come from ws-cpp.
                        try:
                            await asyncio.wait_for(ws.recv(), 5)
                        except ConnectionClosed:
                            pass
                        seen["code"] = ws.close_code
                        return
                    await self.echo(ws, "speaking %s" % expected, "message")
                    await self.close_1000(ws)

                peer, conn = await self.scenario(server, path, handler, "--protocol", "chat.v1",
                                                 "--protocol", "chat.v2")
            finally:
                await server.stop()
            self.r.eq(seen["offered"], ["chat.v1", "chat.v2"], "protocols ws-cpp offered, in order")
            if select is not None:
                self.r.eq(conn.all("open"), [], "no on_open for a response with an unoffered protocol")
                self.r.eq(conn.all("close"), [], "no on_close either (the connection never opened)")
                self.r.check(len(conn.all("error")) >= 1, "on_error reported the failed handshake",
                             str([e.raw for e in conn.all("error")]))
                self.r.check(seen.get("code") in (1006, 1002),
                             "python saw the connection fail (close_code %s)" % seen.get("code"))
                return
            self.r.eq(seen["chosen"], expected, "python selected")
            want = hexs(expected) if expected else "-"
            res = await conn.next("response")
            self.r.eq(res["protocol"], want, "Response::protocol() in on_response")
            opened = await conn.next("open")
            self.r.eq(opened["protocol"], want, "Handshake response protocol in on_open")
            self.closed_normally(conn)
            self.no_errors(peer)

        await self.r.run("client/subprotocol: offers chat.v1, chat.v2; python supports superchat, chat.v2 -> chat.v2",
                         lambda: negotiate(["superchat", "chat.v2"], "chat.v2", "/proto1"))
        await self.r.run("client/subprotocol: python supports none of them -> none",
                         lambda: negotiate(["other"], None, "/proto2"))
        await self.r.run("client/subprotocol: python answers chat.v3 (not offered) -> ws-cpp fails the handshake",
                         lambda: negotiate(["chat.v3"], None, "/proto3", select=lambda client, srv: "chat.v3"))

    # --- ipv6 ------------------------------------------------------------------------------------

    async def ipv6(self):
        server = self.server

        async def over_v6():
            seen = {}

            async def handler(ws):
                seen["remote"] = ws.remote_address
                seen["host"] = ws.request_headers.get("Host")
                await self.echo(ws, "over IPv6 \u2713", "text")
                await self.echo(ws, gen_binary(MIB), "1 MiB binary")
                waiter = await ws.ping(b"v6")
                await asyncio.wait_for(waiter, 5)
                self.r.check(True, "pong over IPv6")
                await ws.send("!ping 7636")
                self.r.eq(await recv(ws), "!pong 7636", "ws-cpp's ping answered over IPv6")
                await asyncio.wait_for(ws.close(4006, "v6 bye"), 10)
                self.r.eq(ws.close_code, 4006, "python's close_code")

            peer, conn = await self.scenario(server, "/v6", handler)
            self.r.eq(seen["remote"][0], "::1", "python's peer address")
            self.r.eq(seen["host"], "[::1]:%d" % server.port, "request Host")
            opened = await conn.next("open")
            self.r.eq(opened["peer"], "[::1]:%d" % server.port, "Handshake peer_addr")
            self.r.eq(opened["local"], "[::1]:%d" % seen["remote"][1], "Handshake local_addr")
            self.closed_normally(conn, "4006", "v6 bye")
            self.no_errors(peer)

        await self.r.run("client/ipv6: text, 1 MiB, pings both ways, close over [::1]", over_v6)


async def run_group(exe, group):
    runner = Runner("ws-cpp client -> python3-websockets %s server: %s" % (websockets.__version__, group))
    host = "127.0.0.1"
    if group == "ipv6":
        problem = ipv6_loopback_problem()
        if problem:
            print("SKIP: no IPv6 loopback on this machine (%s)" % problem)
            return SKIP
        host = "::1"
    tests = ClientTests(runner, exe, host)
    try:
        if group != "subprotocol":
            try:
                tests.server = await PythonServer(host).start()
            except Exception as exc:  # noqa: BLE001
                runner.fail("start the python server on %s" % host, repr(exc))
                return runner.summary()
        await getattr(tests, group)()
    finally:
        for peer in runner.peers:
            await peer.stop()
        if tests.server is not None:
            await tests.server.stop()
    return runner.summary()


if __name__ == "__main__":
    main(run_group, GROUPS)

#!/usr/bin/python3
"""ws-cpp against websocketpp (Debian's libwebsocketpp-dev 0.8.2), in both directions.

    websocketpp_interop.py PATH_TO_WS_PEER PATH_TO_WEBSOCKETPP_PEER server|client GROUP

server: `ws_peer server` (ws-cpp) and, per scenario, `websocketpp_peer client URL`.
client: `websocketpp_peer server` and, per scenario, `ws_peer client URL` (ws-cpp).

ws_peer echoes every message and obeys '!' commands; websocketpp_peer never echoes and does what
this driver writes on its standard input (see websocketpp_peer.cpp). Every check reads both event
logs: what websocketpp sent, what ws-cpp's handler saw, what came back. Needs only the Python
standard library. Groups: messages, large, ping, close, subprotocol.
"""

import asyncio
import struct
import sys
import time

from interop_common import (EVENT_TIMEOUT, GROUP_TIMEOUT, MIB, CheckFailed, Conn, Peer, Runner, gen_binary,
                            gen_text, hexs, mixed_text)

GROUPS = ["messages", "large", "ping", "close", "subprotocol"]
DIRECTIONS = ["server", "client"]


class CommandPeer(Peer):
    """A Peer whose standard input is a pipe: websocketpp_peer reads its commands there."""

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            self.exe, *self.args, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        print("    [%s] started pid %d: websocketpp_peer %s" % (self.label, self.proc.pid, " ".join(self.args)))
        self._tasks = [asyncio.create_task(self._read_stdout()),
                       asyncio.create_task(self._read_stderr())]
        return self

    async def cmd(self, line):
        shown = line if len(line) < 100 else line[:100] + "..."
        print("    [%s] <- %s" % (self.label, shown))
        self.proc.stdin.write(line.encode() + b"\n")
        await asyncio.wait_for(self.proc.stdin.drain(), EVENT_TIMEOUT)

    def errors(self):
        out = []
        for e in self.events:
            if e.name in ("command-failed", "fail"):
                out.append(e.raw)
        return out


def raw_of(message):
    return message.encode("utf-8") if isinstance(message, str) else bytes(message)


def kind_of(message):
    return "text" if isinstance(message, str) else "binary"


def hex_arg(data):
    """websocketpp_peer's hex argument: '-' for no bytes."""
    return raw_of(data).hex() or "-"


class Pair:
    """One connection between ws-cpp (c: ws_peer's Conn) and websocketpp (w: websocketpp_peer's
    Conn); `ending` is the process that ends with the connection (the client)."""

    def __init__(self, cpp, c, wspp, w, ending):
        self.cpp, self.c, self.wspp, self.w, self.ending = cpp, c, wspp, w, ending


class Tests:
    def __init__(self, runner, ws_peer, wspp_peer, direction):
        self.r = runner
        self.ws_peer = ws_peer
        self.wspp_peer = wspp_peer
        self.direction = direction
        self.count = 0
        self.servers = {}  # server args -> (peer, url), started on first use
        self.clients = []  # client processes of finished scenarios (checked for errors)

    # --- processes -------------------------------------------------------------------------------

    async def server(self, args):
        """The group's server for these arguments: ws_peer (direction server) or websocketpp_peer."""
        key = tuple(args)
        if key not in self.servers:
            label = "%s-server%d" % ("ws_peer" if self.direction == "server" else "websocketpp", len(self.servers))
            if self.direction == "server":
                peer = Peer(self.ws_peer, ["server", *args], label)
            else:
                peer = CommandPeer(self.wspp_peer, ["server", *args], label)
            self.r.peers.append(peer)
            await peer.start()
            ip, port = await peer.listening()
            self.servers[key] = (peer, "ws://%s:%d" % (ip, port))
        return self.servers[key]

    async def open(self, path, cpp_args=(), wspp_args=()):
        """Starts the client of this direction at `path`; returns the Pair once both sides opened."""
        self.count += 1
        if self.direction == "server":
            cpp, url = await self.server(cpp_args)
            wspp = CommandPeer(self.wspp_peer, ["client", url + path, *wspp_args], "websocketpp-client%d" % self.count)
            self.r.peers.append(wspp)
            await wspp.start()
            _, ev = await wspp.wait_for(lambda e: e.name in ("open", "fail", "exit", "connect-failed"),
                                        "websocketpp's open")
            if ev.name != "open":
                raise CheckFailed("websocketpp client did not open: %s" % ev.raw)
            w = Conn(wspp, ev.tag)
            local_port = int(ev["local"].rsplit(":", 1)[1])
            c = await cpp.conn_by_peer_port(local_port)
            ending = wspp
        else:
            wspp, url = await self.server(wspp_args)
            start = len(wspp.events)
            cpp = Peer(self.ws_peer, ["client", url + path, *cpp_args], "ws_peer-client%d" % self.count)
            self.r.peers.append(cpp)
            await cpp.start()
            _, ev = await cpp.wait_for(lambda e: e.name in ("open", "error", "exit", "connect-failed"),
                                       "ws-cpp's open")
            if ev.name != "open":
                raise CheckFailed("ws-cpp client did not open: %s" % ev.raw)
            c = Conn(cpp, ev.tag)
            local = ev["local"]
            _, wev = await wspp.wait_for(lambda e: e.name == "open" and e["peer"] == local,
                                         "websocketpp's open for %s" % local, start=start)
            w = Conn(wspp, wev.tag)
            ending = cpp
        self.clients.append(ending)
        return Pair(cpp, c, wspp, w, ending)

    async def ended(self, pair):
        """The client process ended by itself, with status 0, after the connection closed."""
        status = await pair.ending.wait_exit()
        self.r.eq(status, 0, "%s's exit status" % pair.ending.label)
        self.r.eq(pair.ending.events[-1].raw, "- exit status=ok", "%s's last line" % pair.ending.label)

    # --- checks shared by the groups -------------------------------------------------------------

    async def echo(self, p, message, what):
        """websocketpp sends `message`; ws-cpp receives it and echoes it; websocketpp gets it back."""
        await p.wspp.cmd("send %s %s" % (kind_of(message), hex_arg(message)))
        await self.received(p, message, what)

    async def received(self, p, message, what):
        ev = await p.c.next("message")
        self.r.eq(ev["type"], kind_of(message), what + ": type ws-cpp received")
        self.r.payload_event(ev, message, what + ": bytes ws-cpp received")
        ev = await p.w.next("message")
        self.r.eq(ev["type"], kind_of(message), what + ": type of the echo websocketpp received")
        self.r.payload_event(ev, message, what + ": bytes of the echo websocketpp received")

    async def wspp_closes(self, p, code, reason):
        """websocketpp closes with (code, reason); ws-cpp replies with the code (RFC 6455 5.5.1)."""
        started = time.monotonic()
        await p.wspp.cmd("close %d %s" % (code, hex_arg(reason)))
        frame = await p.c.next("frame", pred=lambda e: e["op"] == "close")
        wire = b"" if code == 1005 else struct.pack("!H", code) + reason.encode()
        self.r.eq(frame["data"], wire.hex(), "close frame seen by ws-cpp's on_frame")
        ev = await p.c.next("close")
        self.r.eq((ev["code"], ev["reason"]), (str(code), hexs(reason)), "ws-cpp's on_close(code, reason)")
        sent = await p.c.next("send", pred=lambda e: e["op"] == "close")
        self.r.eq(sent["data"], ("" if code == 1005 else struct.pack("!H", code).hex()), "ws-cpp's close reply")
        ev = await p.w.next("close")
        self.r.eq((ev["local_code"], ev["local_reason"]), (str(code), hexs(reason)), "websocketpp's close (sent)")
        self.r.eq((ev["remote_code"], ev["remote_reason"]), (str(code), ""),
                  "websocketpp's close (ws-cpp's reply received)")
        await p.c.next("gone")
        await self.ended(p)
        elapsed = time.monotonic() - started
        self.r.check(elapsed < 4.0, "close handshake and TCP close in %.2f s (< 4 s)" % elapsed)
        self.r.eq(len(p.c.all("close")), 1, "on_close called once")

    async def cpp_closes(self, p, code, reason):
        """ws-cpp closes with (code, reason) (code 0: an empty close frame); websocketpp replies."""
        started = time.monotonic()
        await p.wspp.cmd("send text %s" % hex_arg("!close %d %s" % (code, reason) if reason else "!close %d" % code))
        sent = await p.c.next("send", pred=lambda e: e["op"] == "close")
        wire = b"" if code == 0 else struct.pack("!H", code) + reason.encode()
        self.r.eq(sent["data"], wire.hex(), "close frame sent by ws-cpp")
        ev = await p.w.next("close")
        if code == 0:
            self.r.eq((ev["remote_code"], ev["remote_reason"]), ("1005", ""), "websocketpp's close (received: no status)")
            # websocketpp answers a close frame without a status with 1000 (its documented choice;
            # RFC 6455 5.5.1 lets an endpoint pick its reply's code).
            self.r.eq((ev["local_code"], ev["local_reason"]), ("1000", ""), "websocketpp's close reply")
            want = ("1000", "")
        else:
            self.r.eq((ev["remote_code"], ev["remote_reason"]), (str(code), hexs(reason)),
                      "websocketpp's close (received)")
            self.r.eq((ev["local_code"], ev["local_reason"]), (str(code), hexs(reason)),
                      "websocketpp's close reply (echoes code and reason)")
            want = (str(code), hexs(reason))
        ev = await p.c.next("close")
        self.r.eq((ev["code"], ev["reason"]), want, "ws-cpp's on_close (websocketpp's reply)")
        await p.c.next("gone")
        await self.ended(p)
        elapsed = time.monotonic() - started
        self.r.check(elapsed < 4.0, "close handshake and TCP close in %.2f s (< 4 s)" % elapsed)
        self.r.eq(len(p.c.all("close")), 1, "on_close called once")

    # --- groups ----------------------------------------------------------------------------------

    async def messages(self):
        async def handshake():
            p = await self.open("/chat/room?x=1&y=%C3%A9")
            opened = await p.c.next("open")
            self.r.eq(opened["resource"], hexs("/chat/room?x=1&y=%C3%A9"), "ws-cpp's Handshake resource")
            self.r.eq(opened["protocol"], "-", "ws-cpp's Handshake protocol")
            self.r.eq(opened["extensions"], "-", "ws-cpp's Handshake extensions")
            w = await p.w.next("open")
            self.r.eq(w["resource"], hexs("/chat/room?x=1&y=%C3%A9"), "websocketpp's resource")
            self.r.eq(w["protocol"], "-", "websocketpp's subprotocol")
            self.r.eq(w["extensions"], "-", "Sec-WebSocket-Extensions in the response")
            self.r.eq(opened["peer"], w["local"], "ws-cpp's peer address is websocketpp's local address")
            self.r.eq(opened["local"], w["peer"], "ws-cpp's local address is websocketpp's peer address")
            await self.wspp_closes(p, 1000, "")

        async def single():
            p = await self.open("/single")
            for m in ["hello ws-cpp", "h\u00e9llo w\u00f6rld \u2713 \U0001f389 \u65e5\u672c\u8a9e",
                      bytes(range(256)), b"\x00\xff\x00\xfe", "", b"", "x" * 125, b"y" * 126,
                      "z" * 65535, b"w" * 65536]:
                await self.echo(p, m, "%s of %d bytes" % (kind_of(m), len(raw_of(m))))
            await self.wspp_closes(p, 1000, "")

        async def burst():
            p = await self.open("/burst")
            messages = [("msg %d \u2713" % i) if i % 2 == 0 else struct.pack("!I", i) * (i % 7) for i in range(200)]
            for m in messages:  # all sent before anything is read back
                await p.wspp.cmd("send %s %s" % (kind_of(m), hex_arg(m)))
            got_c = [await p.c.next("message") for _ in messages]
            got_w = [await p.w.next("message") for _ in messages]
            want = [(kind_of(m), raw_of(m).hex()) for m in messages]
            self.r.eq([(e["type"], e["data"]) for e in got_c], want, "ws-cpp received the 200 messages in order")
            self.r.eq([(e["type"], e["data"]) for e in got_w], want, "websocketpp got the 200 echoes in order")
            await self.wspp_closes(p, 1000, "")

        await self.r.run("handshake: resource, no subprotocol, no extension, addresses", handshake)
        await self.r.run("messages: text, UTF-8, binary, empty, length encodings", single)
        await self.r.run("messages: 200-message burst in order", burst)

    async def large(self):
        async def big(path, cpp_args=()):
            p = await self.open(path, cpp_args)
            await self.echo(p, mixed_text(MIB), "1 MiB text (1-4 byte characters)")
            await p.wspp.cmd("gen binary %d" % MIB)
            await self.received(p, gen_binary(MIB), "1 MiB binary (every byte value)")
            await p.wspp.cmd("gen text %d" % MIB)
            await self.received(p, gen_text(MIB), "1 MiB text generated by websocketpp")
            await p.wspp.cmd("send text %s" % hex_arg("!gen binary %d" % MIB))
            await p.c.next("message")  # the command itself
            ev = await p.w.next("message")
            self.r.eq(ev["type"], "binary", "type of ws-cpp's generated message")
            self.r.payload_event(ev, gen_binary(MIB), "1 MiB binary generated by ws-cpp, received by websocketpp")
            await p.wspp.cmd("send text %s" % hex_arg("!gen text %d" % MIB))
            await p.c.next("message")
            ev = await p.w.next("message")
            self.r.eq(ev["type"], "text", "type of ws-cpp's generated message")
            self.r.payload_event(ev, gen_text(MIB), "1 MiB text generated by ws-cpp, received by websocketpp")
            await self.wspp_closes(p, 1000, "")

        await self.r.run("large: 1 MiB text and binary, both ways", lambda: big("/large"))
        await self.r.run("large: 1 MiB sent by ws-cpp in 16 KiB fragments",
                         lambda: big("/large-frag", ("--fragment-size", "16384")))

    async def ping(self):
        payloads = [b"", b"hello", b"\x00\xff\x80\xc3 not UTF-8", bytes(range(125))]

        async def wspp_pings():
            p = await self.open("/ping")
            for data in payloads:
                await p.wspp.cmd("ping %s" % hex_arg(data))
                ev = await p.c.next("frame", pred=lambda e: e["op"] in ("ping", "pong"))
                self.r.eq((ev["op"], ev["data"]), ("ping", data.hex()), "ping seen by ws-cpp's on_frame")
                ev = await p.c.next("send", pred=lambda e: e["op"] in ("ping", "pong"))
                self.r.eq((ev["op"], ev["data"]), ("pong", data.hex()), "ws-cpp's automatic pong")
                ev = await p.w.next("pong")
                self.r.eq(ev["data"], data.hex(), "pong websocketpp received for its %d-byte ping" % len(data))
            await self.echo(p, "still open", "message after pings")
            await self.wspp_closes(p, 1000, "")

        async def cpp_pings():
            p = await self.open("/cpp-ping")
            for data in payloads:
                await p.wspp.cmd("send text %s" % hex_arg("!ping " + data.hex()))
                ev = await p.c.next("send", pred=lambda e: e["op"] in ("ping", "pong"))
                self.r.eq((ev["op"], ev["data"]), ("ping", data.hex()), "ping sent by ws-cpp")
                ev = await p.w.next("ping")
                self.r.eq(ev["data"], data.hex(), "ping websocketpp received")
                ev = await p.c.next("frame", pred=lambda e: e["op"] in ("ping", "pong"))
                self.r.eq((ev["op"], ev["data"]), ("pong", data.hex()), "websocketpp's pong seen by ws-cpp's on_frame")
                ev = await p.w.next("message")
                self.r.eq(bytes.fromhex(ev["data"]), ("!pong " + data.hex()).encode(),
                          "ws_peer's '!pong' report reached websocketpp")
            await self.wspp_closes(p, 1000, "")

        await self.r.run("ping: websocketpp pings, ws-cpp pongs the same payload", wspp_pings)
        await self.r.run("ping: ws-cpp pings, websocketpp's pong seen by on_frame", cpp_pings)

    async def close(self):
        long_reason = "r\u00e9" * 41  # 123 bytes: the longest reason a close frame can carry
        assert len(long_reason.encode()) == 123

        async def by_wspp(path, code, reason):
            p = await self.open(path)
            await self.echo(p, "before close", "message before close")
            await self.wspp_closes(p, code, reason)

        async def by_cpp(path, code, reason):
            p = await self.open(path)
            await self.echo(p, "before close", "message before close")
            await self.cpp_closes(p, code, reason)

        await self.r.run("close: websocketpp closes with 4003 'bye \u2713'", lambda: by_wspp("/w1", 4003, "bye \u2713"))
        await self.r.run("close: websocketpp closes with 1001 and no reason", lambda: by_wspp("/w2", 1001, ""))
        await self.r.run("close: websocketpp closes with a 123-byte reason", lambda: by_wspp("/w3", 3000, long_reason))
        await self.r.run("close: websocketpp closes without a status (ws-cpp sees 1005)",
                         lambda: by_wspp("/w4", 1005, ""))
        await self.r.run("close: ws-cpp closes with 4001 'some reason'", lambda: by_cpp("/c1", 4001, "some reason"))
        await self.r.run("close: ws-cpp closes with 1000 'd\u00e9j\u00e0 vu \u2713'",
                         lambda: by_cpp("/c2", 1000, "d\u00e9j\u00e0 vu \u2713"))
        await self.r.run("close: ws-cpp closes with a 123-byte reason", lambda: by_cpp("/c3", 3000, long_reason))
        await self.r.run("close: ws-cpp closes with an empty close frame (websocketpp replies 1000)",
                         lambda: by_cpp("/c4", 0, ""))

    async def subprotocol(self):
        supported = ["--protocol", "superchat", "--protocol", "chat.v2"]
        offered = ["--protocol", "chat.v1", "--protocol", "chat.v2"]

        async def negotiate(path, server_args, client_args, expected, offer):
            if self.direction == "server":
                p = await self.open(path, cpp_args=server_args, wspp_args=client_args)
            else:
                p = await self.open(path, cpp_args=client_args, wspp_args=server_args)
            want = hexs(expected) if expected else "-"
            want_offer = ",".join(hexs(x) for x in offer) if offer else "-"
            opened = await p.c.next("open")
            self.r.eq(opened["protocol"], want, "ws-cpp's Handshake protocol")
            w = await p.w.next("open")
            self.r.eq(w["protocol"], want, "websocketpp's subprotocol")
            if self.direction == "server":
                req = await p.c.next("request")
                self.r.eq(req["protocols"], want_offer, "protocols ws-cpp's on_request saw, in order")
            else:
                self.r.eq(w["requested"], want_offer, "protocols websocketpp saw requested, in order")
                res = await p.c.next("response")
                self.r.eq(res["protocol"], want, "Response::protocol() in ws-cpp's on_response")
            await self.echo(p, "speaking %s" % expected, "message")
            await self.wspp_closes(p, 1000, "")

        names = offered[1::2]
        await self.r.run("subprotocol: chat.v1, chat.v2 offered; superchat, chat.v2 supported -> chat.v2",
                         lambda: negotiate("/p1", supported, offered, "chat.v2", names))
        await self.r.run("subprotocol: superchat, chat.v2 offered -> superchat (client's order)",
                         lambda: negotiate("/p2", supported, ["--protocol", "superchat", "--protocol", "chat.v2"],
                                           "superchat", ["superchat", "chat.v2"]))
        await self.r.run("subprotocol: only unknown ones offered -> none",
                         lambda: negotiate("/p3", supported, ["--protocol", "nope"], None, ["nope"]))
        await self.r.run("subprotocol: none offered -> none", lambda: negotiate("/p4", supported, [], None, []))


async def run_group(ws_peer, wspp_peer, direction, group):
    if direction == "server":
        title = "ws-cpp server <- websocketpp 0.8.2 client: %s" % group
    else:
        title = "ws-cpp client -> websocketpp 0.8.2 server: %s" % group
    runner = Runner(title)
    tests = Tests(runner, ws_peer, wspp_peer, direction)
    try:
        await getattr(tests, group)()
    finally:
        for peer in runner.peers:
            await peer.stop()
    for peer in runner.peers:
        errors = peer.errors()
        if errors:
            runner.fail("no errors reported by [%s]" % peer.label, "; ".join(errors[:5]))
    return runner.summary()


def main():
    if len(sys.argv) != 5 or sys.argv[3] not in DIRECTIONS or sys.argv[4] not in GROUPS:
        print("usage: %s PATH_TO_WS_PEER PATH_TO_WEBSOCKETPP_PEER {%s} {%s}"
              % (sys.argv[0], "|".join(DIRECTIONS), "|".join(GROUPS)))
        sys.exit(2)
    try:
        status = asyncio.run(asyncio.wait_for(run_group(*sys.argv[1:5]), GROUP_TIMEOUT))
    except asyncio.TimeoutError:
        print("=== FAIL: group %r did not finish within %.0f s" % (sys.argv[4], GROUP_TIMEOUT))
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()

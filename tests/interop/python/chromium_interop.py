#!/usr/bin/python3
"""A real browser against ws-cpp: headless Chromium chatting through the html_chat example.

    chromium_interop.py PATH_TO_HTML_CHAT

Starts `html_chat 0` (the chat page at / and its WebSocket at /ws, broadcast, on 127.0.0.1 and a
free port), a python3-websockets chat client, and Debian's headless Chromium on the page, driven
over the DevTools protocol (python3-websockets as the CDP client, Runtime.evaluate to act in the
page and read it back). Checks that a message typed into the page reaches the python client, that
the python client's messages appear in the page, binary and 1 MiB messages both ways through a
WebSocket that injected JavaScript opens, and the close handshake from the browser's side.

Bounded in time; every process is stopped by its PID and Chromium's temporary profile (HOME and
--user-data-dir) is removed. Exits 77 (skipped) when chromium or python3-websockets is missing.
"""

import asyncio
import json
import sys
import time

from chromium_driver import PAGE_HELPERS, STEP_TIMEOUT, Browser, DevTools, Program, become_subreaper, find_chromium
from interop_common import (GROUP_TIMEOUT, MIB, SKIP, CheckFailed, Runner, crc_hex, gen_binary, import_websockets,
                            mixed_text)


class ChatClient:
    """A python3-websockets client of the chat: keeps every message it receives."""

    def __init__(self, websockets, url):
        self.websockets = websockets
        self.url = url
        self.ws = None
        self.received = []
        self.changed = asyncio.Event()
        self.reader = None

    async def connect(self):
        self.ws = await asyncio.wait_for(self.websockets.connect(self.url, max_size=4 * MIB, ping_interval=None,
                                                                 close_timeout=5), 10)
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self):
        try:
            async for msg in self.ws:
                self.received.append(msg)
                self.changed.set()
        finally:
            self.changed.set()

    async def wait_for(self, pred, what, timeout=STEP_TIMEOUT, start=0):
        """The index of the first received message at or after `start` matching pred."""
        deadline = time.monotonic() + timeout
        while True:
            for i in range(start, len(self.received)):
                if pred(self.received[i]):
                    return i
            if self.reader.done():
                raise CheckFailed("python client: connection closed (%s) before %s" % (self.ws.close_code, what))
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed("python client: no %s within %.0f s" % (what, timeout))
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def close(self):
        if self.ws is not None:
            await asyncio.wait_for(self.ws.close(), 10)
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


class ChromiumTests:
    def __init__(self, runner, websockets, html_chat, chromium):
        self.r = runner
        self.websockets = websockets
        self.html_chat = html_chat
        self.chromium = chromium
        self.chat = None
        self.browser = None
        self.devtools = None
        self.client = None
        self.page_url = None

    @staticmethod
    def joined(online):
        return lambda raw: raw.startswith("Someone joined from 127.0.0.1 ") and raw.endswith("(%d online)." % online)

    @staticmethod
    def left(online):
        return lambda raw: raw == "Someone left (%d online)." % online

    async def wait_page_line(self, text, what):
        expr = ("window.__t.waitFor(() => window.__t.lines().find((l) => l.text === %s), %d, %s)"
                % (json.dumps(text), int(STEP_TIMEOUT * 1000), json.dumps(what)))
        return await self.devtools.evaluate(expr)

    async def run(self):
        r = self.r

        async def load():
            self.chat = Program(self.html_chat, ["0"], "html_chat")
            r.peers.append(self.chat)
            await self.chat.start()
            _, ev = await self.chat.line(lambda raw: raw.startswith("Chat server running: open http://127.0.0.1:"),
                                         "html_chat's address")
            self.page_url = ev.raw.split("open ", 1)[1].split(" ", 1)[0]
            r.check(self.page_url.startswith("http://127.0.0.1:") and self.page_url.endswith("/"),
                    "html_chat serves %s" % self.page_url)
            ws_url = "ws://" + self.page_url[len("http://"):] + "ws"
            self.client = await ChatClient(self.websockets, ws_url).connect()
            await self.chat.line(self.joined(1), "html_chat's 'Someone joined (1 online)' for the python client")
            r.check(True, "python client joined the chat at %s" % ws_url)

            self.browser = Browser(self.chromium)
            port = await self.browser.start(self.page_url)
            r.check(True, "chromium's DevTools listen on 127.0.0.1:%d" % port)
            self.devtools = DevTools(self.websockets)
            target = await self.devtools.attach(port, self.page_url)
            r.check(True, "attached to the page target %s" % target.get("url"))
            # The target may still show the initial blank document: wait (bounded) until the
            # page's own document has loaded; an evaluation cut by the navigation is retried.
            deadline = time.monotonic() + STEP_TIMEOUT
            state = None
            while True:
                try:
                    state = await self.devtools.evaluate("[location.href, document.readyState]", timeout=5)
                except CheckFailed:
                    state = None
                if state == [self.page_url, "complete"]:
                    break
                if time.monotonic() > deadline:
                    raise CheckFailed("the page did not load within %.0f s (last state %r)" % (STEP_TIMEOUT, state))
                await asyncio.sleep(0.05)
            r.check(True, "the page loaded: %s" % self.page_url)
            r.eq(await self.devtools.evaluate("document.title"), "ws-cpp chat", "page title (served by ws-cpp)")
            r.eq(await self.devtools.evaluate("document.characterSet"), "UTF-8", "page charset")
            await self.devtools.evaluate(PAGE_HELPERS)
            line = await self.wait_page_line("connected", "the page's 'connected' line")
            r.eq(line["status"], "status", "the page's socket opened (its onopen ran)")
            await self.chat.line(self.joined(2), "html_chat's 'Someone joined (2 online)' for the browser")
            r.check(True, "html_chat saw the browser's WebSocket open")

        async def page_to_client():
            text = "hello from chromium \u2713 d\u00e9j\u00e0 vu"
            start = len(self.client.received)
            sent = await self.devtools.evaluate(
                "(() => { const input = document.getElementById('text'); input.value = %s;"
                " document.getElementById('form').requestSubmit(); return input.value; })()" % json.dumps(text))
            r.eq(sent, "", "the form was submitted (its input cleared)")
            i = await self.client.wait_for(lambda m: m == text, "the browser's message", start=start)
            r.eq(self.client.received[i], text, "python client received the message typed in the page")
            r.eq(type(self.client.received[i]), str, "as a text message")
            await self.wait_page_line(text, "the browser's own message, broadcast back")
            r.check(True, "the page shows its own message (html_chat broadcasts to the speaker too)")

        async def client_to_page():
            for text in ("hello from python \U0001f389", "\u65e5\u672c\u8a9e \u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 \u2713",
                         "x" * 70000):
                await self.client.ws.send(text)
                line = await self.wait_page_line(text, "the python client's message")
                r.eq(line["text"], text, "the page shows the python client's %d-byte message"
                     % len(text.encode()))
                await self.client.wait_for(lambda m, t=text: m == t, "its own broadcast")

        async def probe():
            # A second WebSocket opened by injected JavaScript, binary type arraybuffer. The Network
            # domain reports its handshake as it went on the wire.
            await self.devtools.call("Network.enable")
            start = len(self.chat.events)
            info = await self.devtools.evaluate(r"""
(async () => {
  const ws = new WebSocket('ws://' + location.host + '/ws');
  ws.binaryType = 'arraybuffer';
  const probe = { ws, messages: [], closed: null };
  window.__probe = probe;
  ws.onmessage = (e) => probe.messages.push(window.__t.describe(e.data));
  ws.onclose = (e) => { probe.closed = { code: e.code, reason: e.reason, wasClean: e.wasClean }; };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('the probe WebSocket failed'));
  });
  return { protocol: ws.protocol, extensions: ws.extensions, readyState: ws.readyState };
})()""")
            r.eq(info, {"protocol": "", "extensions": "", "readyState": 1},
                 "probe socket open; no subprotocol; Chromium's permessage-deflate offer declined")
            await self.chat.line(self.joined(2), "html_chat's 'Someone joined (2 online)' for the probe", start=start)
            sent = [p for m, p in self.devtools.events if m == "Network.webSocketWillSendHandshakeRequest"]
            got = [p for m, p in self.devtools.events if m == "Network.webSocketHandshakeResponseReceived"]
            r.eq(len(sent), 1, "handshake requests the Network domain saw")
            r.eq(len(got), 1, "handshake responses the Network domain saw")
            req_headers = {k.lower(): v for k, v in sent[0]["request"]["headers"].items()}
            res_headers = {k.lower(): v for k, v in got[0]["response"]["headers"].items()}
            r.check("permessage-deflate" in req_headers.get("sec-websocket-extensions", ""),
                    "Chromium offered permessage-deflate", repr(req_headers.get("sec-websocket-extensions")))
            r.eq(got[0]["response"]["status"], 101, "ws-cpp's status")
            r.eq(res_headers.get("upgrade", "").lower(), "websocket", "response Upgrade header")
            r.eq(res_headers.get("sec-websocket-extensions"), None, "no Sec-WebSocket-Extensions in the response")
            await self.devtools.call("Network.disable")

            # Browser -> python: 1 MiB binary and 1 MiB text.
            start = len(self.client.received)
            await self.devtools.evaluate("window.__probe.ws.send(window.__t.genBinary(%d)); true" % MIB)
            want = gen_binary(MIB)
            i = await self.client.wait_for(lambda m: isinstance(m, bytes), "the browser's binary message", start=start)
            r.eq(self.client.received[i], want, "python received the browser's 1 MiB binary message")
            start = len(self.client.received)
            await self.devtools.evaluate("window.__probe.ws.send(window.__t.mixedText(%d)); true" % MIB)
            want_text = mixed_text(MIB)
            i = await self.client.wait_for(lambda m: isinstance(m, str) and len(m) > 1000, "the browser's 1 MiB text",
                                           start=start)
            r.eq(self.client.received[i], want_text, "python received the browser's 1 MiB text (1-4 byte characters)")

            # Python -> browser: binary, 1 MiB binary, 1 MiB text.
            for data, what in ((bytes(range(256)), "binary 0..255"), (gen_binary(MIB), "1 MiB binary"),
                               (mixed_text(MIB), "1 MiB text")):
                raw = data.encode() if isinstance(data, str) else data
                await self.client.ws.send(data)
                expr = ("window.__t.waitFor(() => window.__probe.messages.find((d) => d.crc === %s), %d,"
                        " 'the message')" % (json.dumps(crc_hex(raw)), int(STEP_TIMEOUT * 1000)))
                got = await self.devtools.evaluate(expr)
                r.eq(got, {"type": "text" if isinstance(data, str) else "binary", "len": len(raw), "crc": crc_hex(raw)},
                     "the browser received the python client's %s (type, length, CRC-32)" % what)

        async def page_closes():
            # The page's own socket (the page script's global `socket`), closed from the page.
            start = len(self.chat.events)
            closed = await self.devtools.evaluate(r"""
(async () => {
  const done = new Promise((resolve) => socket.addEventListener('close',
    (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean })));
  socket.close(4001, 'bye \u2713');
  return await Promise.race([done, new Promise((_, reject) =>
    setTimeout(() => reject(new Error('no close event')), %d))]);
})()""" % int(STEP_TIMEOUT * 1000))
            # ws-cpp echoes the status code (RFC 6455 5.5.1) and closes TCP: a clean close.
            r.eq(closed, {"code": 4001, "reason": "", "wasClean": True},
                 "the browser's close event after socket.close(4001, 'bye \u2713')")
            line = await self.wait_page_line("disconnected (4001)", "the page's 'disconnected' line")
            r.eq(line["status"], "status", "the page shows 'disconnected (4001)' (its onclose ran)")
            await self.chat.line(self.left(1), "html_chat's 'Someone left (1 online)'", start=start)
            r.check(True, "html_chat saw the browser's socket leave")

        async def browser_quits():
            start = len(self.chat.events)
            try:
                await self.devtools.call("Browser.close")
            except CheckFailed as exc:
                # The browser may close the DevTools connection before it answers.
                if "connection ended" not in str(exc):
                    raise
            await asyncio.wait_for(self.browser.proc.wait(), STEP_TIMEOUT)
            r.eq(self.browser.proc.returncode, 0, "chromium's exit status after Browser.close")
            await self.chat.line(self.left(1), "html_chat's 'Someone left (1 online)' for the probe", start=start)
            r.check(True, "html_chat saw the browser's last socket close")
            await self.client.ws.send("still here")
            await self.client.wait_for(lambda m: m == "still here", "the python client's own broadcast")
            r.check(True, "the chat still works for the python client")
            await self.client.close()
            r.eq(self.client.ws.close_code, 1000, "python client's close code")
            await self.chat.line(self.left(0), "html_chat's 'Someone left (0 online)'", start=start)

        # Each step builds on the ones before: after a failure the rest are reported, not run.
        steps = [("chromium: loads html_chat's page, its WebSocket opens", load, 60),
                 ("chromium: a message typed in the page reaches a python chat client", page_to_client, 30),
                 ("chromium: the python client's messages appear in the page", client_to_page, 30),
                 ("chromium: the page closes with 4001, ws-cpp echoes it, clean close", page_closes, 30),
                 # With the page's chat socket closed, big messages are not laid out in its log.
                 ("chromium: binary and 1 MiB messages both ways (injected WebSocket)", probe, 30),
                 ("chromium: Browser.close closes the browser's socket; the chat goes on", browser_quits, 30)]
        for name, step, timeout in steps:
            if any(error is not None for _, error in r.results):
                r.fail(name, "not run: an earlier step failed")
                continue
            await r.run(name, step, timeout=timeout)

    async def cleanup(self):
        if self.devtools is not None:
            await self.devtools.close()
        if self.client is not None and self.client.ws is not None:
            try:
                await self.client.close()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        if self.browser is not None:
            await self.browser.stop()


async def run_group(html_chat, websockets, chromium):
    runner = Runner("ws-cpp html_chat <- headless Chromium (%s) and python3-websockets %s"
                    % (chromium, websockets.__version__))
    tests = ChromiumTests(runner, websockets, html_chat, chromium)
    try:
        await tests.run()
        failed = any(error is not None for _, error in runner.results)
        if failed:
            if tests.devtools is not None and tests.devtools.console:
                print("    [chromium] page console:")
                for line in tests.devtools.console[-20:]:
                    print("        " + line)
            if tests.browser is not None:
                print("    [chromium] log (%s):" % tests.browser.log_path)
                for line in tests.browser.log_tail():
                    print("        " + line)
    finally:
        await tests.cleanup()
        for peer in runner.peers:
            await peer.stop()
    return runner.summary()


def main():
    if len(sys.argv) != 2:
        print("usage: %s PATH_TO_HTML_CHAT" % sys.argv[0])
        sys.exit(2)
    chromium = find_chromium()
    if chromium is None:
        print("SKIP: chromium is not installed (Debian: apt-get install chromium)")
        sys.exit(SKIP)
    websockets = import_websockets()
    if not become_subreaper():
        print("note: PR_SET_CHILD_SUBREAPER failed; Chromium's helpers are reaped by init")
    try:
        status = asyncio.run(asyncio.wait_for(run_group(sys.argv[1], websockets, chromium), GROUP_TIMEOUT))
    except asyncio.TimeoutError:
        print("=== FAIL: did not finish within %.0f s" % GROUP_TIMEOUT)
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()

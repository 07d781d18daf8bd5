#!/usr/bin/python3
"""Headless Chromium for the interop tests: finding Debian's chromium, starting it in its own
process group with a throwaway profile, its DevTools protocol (python3-websockets as the CDP
client, Runtime.evaluate to act in a page and read it back), the helpers injected into the page,
and Program, a peer whose stdout lines are waited for (chromium_interop.py uses it all).
"""

import asyncio
import ctypes
import json
import os
import shutil
import signal
import tempfile
import time
import urllib.request

from interop_common import MIB, CheckFailed, Peer

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STEP_TIMEOUT = 15.0  # one wait in the page or for a message
START_TIMEOUT = 30.0  # Chromium's start, up to its DevTools port


def find_chromium():
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def become_subreaper():
    """Chromium's helper processes outlive the browser by a moment: with PR_SET_CHILD_SUBREAPER
    they become this process's children (not init's), so they can be found, stopped and reaped."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def child_pids():
    """PIDs whose parent is this process."""
    me = os.getpid()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == me:
            out.append((int(entry), fields[0]))
    return out


def die_with_parent():
    """preexec_fn: the child gets SIGTERM when this driver dies (even by SIGKILL), so neither
    html_chat nor Chromium outlives a killed test."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Program(Peer):
    """A program whose stdout lines are kept (Event.raw) and waited for: here html_chat."""

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            self.exe, *self.args, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=die_with_parent)
        print("    [%s] started pid %d: %s %s" % (self.label, self.proc.pid, self.exe, " ".join(self.args)))
        self._tasks = [asyncio.create_task(self._read_stdout()), asyncio.create_task(self._read_stderr())]
        return self

    async def line(self, pred, what, start=0):
        return await self.wait_for(lambda e: pred(e.raw), what, STEP_TIMEOUT, start)

    def dump(self, last=40):
        print("    [%s] last output lines:" % self.label)
        for ev in self.events[-last:]:
            print("        " + (ev.raw if len(ev.raw) < 300 else ev.raw[:300] + "..."))
        for line in self.stderr_lines[-20:]:
            print("        stderr: " + line)


class Browser:
    """Headless Chromium in its own session (process group) with a fresh profile in a temp dir."""

    def __init__(self, exe):
        self.exe = exe
        self.tmp = tempfile.mkdtemp(prefix="ws-cpp-chromium-")
        self.profile = os.path.join(self.tmp, "profile")
        self.log_path = os.path.join(self.tmp, "chromium.log")
        self.proc = None

    async def start(self, url):
        env = dict(os.environ, HOME=self.tmp, XDG_CONFIG_HOME=os.path.join(self.tmp, "config"),
                   XDG_CACHE_HOME=os.path.join(self.tmp, "cache"))
        for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(key, None)
        args = CHROMIUM_FLAGS + ["--user-data-dir=" + self.profile, "--remote-debugging-address=127.0.0.1",
                                 "--remote-debugging-port=0", url]
        with open(self.log_path, "wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                self.exe, *args, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                env=env, start_new_session=True, preexec_fn=die_with_parent)
        print("    [chromium] started pid %d: %s %s" % (self.proc.pid, self.exe, " ".join(args)))
        # --remote-debugging-port=0: Chromium picks a free port and writes it to DevToolsActivePort.
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.returncode is not None:
                raise CheckFailed("chromium exited with status %s before its DevTools port was open"
                                  % self.proc.returncode)
            try:
                with open(port_file) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].strip().isdigit():
                    return int(lines[0])
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise CheckFailed("no DevToolsActivePort from chromium within %.0f s" % START_TIMEOUT)
            await asyncio.sleep(0.1)

    def log_tail(self, n=25):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return []
        # Without a system D-Bus Chromium logs the same error many times: not interesting.
        return [line for line in lines if "dbus" not in line.lower()][-n:]

    async def stop(self):
        """SIGTERM to Chromium's PID, SIGKILL to its process group after 5 s; then its helpers
        (now this process's children) by PID; then the temp dir."""
        if self.proc is not None and self.proc.returncode is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(self.proc.wait(), 5)
            except ProcessLookupError:
                pass
            except asyncio.TimeoutError:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await asyncio.wait_for(self.proc.wait(), 5)
            print("    [chromium] stopped pid %d (exit status %s)" % (self.proc.pid, self.proc.returncode))
        await self.reap_helpers()
        shutil.rmtree(self.tmp, ignore_errors=True)
        print("    [chromium] removed %s" % self.tmp)

    async def reap_helpers(self, grace=5.0):
        ours = {self.proc.pid} if self.proc is not None else set()
        deadline = time.monotonic() + grace
        while True:
            helpers = [(pid, state) for pid, state in child_pids() if pid not in ours and self.is_chromium(pid)]
            for pid, state in helpers:
                if state == "Z":
                    try:
                        os.waitpid(pid, 0)
                    except ChildProcessError:
                        pass
            alive = [pid for pid, state in helpers if state != "Z"]
            if not alive:
                return
            if time.monotonic() > deadline:
                for pid in alive:
                    print("    [chromium] helper pid %d still running: SIGKILL" % pid)
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + grace
            await asyncio.sleep(0.1)

    @staticmethod
    def is_chromium(pid):
        try:
            with open("/proc/%d/comm" % pid) as f:
                return "chrom" in f.read()
        except OSError:
            return False


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page target's WebSocket."""

    def __init__(self, websockets):
        self.websockets = websockets
        self.ws = None
        self.next_id = 0
        self.pending = {}
        self.console = []  # console messages and exceptions of the page, for failure reports
        self.events = []  # other events (method, params), e.g. the Network domain's
        self.reader = None

    async def attach(self, port, page_url):
        deadline = time.monotonic() + START_TIMEOUT
        target = None
        while target is None:
            targets = await asyncio.to_thread(self._list, port)
            target = next((t for t in targets if t.get("type") == "page" and t.get("url", "").startswith(page_url)),
                          None)
            if target is None:
                if time.monotonic() > deadline:
                    raise CheckFailed("no page target for %s in %r" % (page_url, [t.get("url") for t in targets]))
                await asyncio.sleep(0.1)
        self.ws = await asyncio.wait_for(
            self.websockets.connect(target["webSocketDebuggerUrl"], max_size=64 * MIB, ping_interval=None,
                                    compression=None), 10)
        self.reader = asyncio.create_task(self._read())
        await self.call("Runtime.enable")
        return target

    @staticmethod
    def _list(port):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open("http://127.0.0.1:%d/json/list" % port, timeout=5) as res:
            return json.loads(res.read().decode())

    async def _read(self):
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                if "id" in msg:
                    future = self.pending.pop(msg["id"], None)
                    if future is not None and not future.done():
                        future.set_result(msg)
                elif msg.get("method") == "Runtime.consoleAPICalled":
                    args = msg["params"].get("args", [])
                    self.console.append("console.%s: %s" % (msg["params"].get("type"),
                                                            " ".join(str(a.get("value", a.get("description")))
                                                                     for a in args)))
                elif msg.get("method") == "Runtime.exceptionThrown":
                    self.console.append("exception: %s" % msg["params"]["exceptionDetails"].get("text"))
                elif "method" in msg:
                    self.events.append((msg["method"], msg.get("params", {})))
        except Exception as exc:  # noqa: BLE001 - the connection ended: fail what waits
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(CheckFailed("DevTools connection ended: %r" % exc))

    async def call(self, method, params=None, timeout=STEP_TIMEOUT):
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        try:
            msg = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise CheckFailed("no DevTools answer to %s within %.0f s" % (method, timeout)) from None
        if "error" in msg:
            raise CheckFailed("DevTools %s failed: %s" % (method, msg["error"]))
        return msg["result"]

    async def evaluate(self, expression, timeout=STEP_TIMEOUT):
        """The JSON value of a JavaScript expression in the page (a promise is awaited)."""
        result = await self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                      "returnByValue": True}, timeout + 5)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CheckFailed("JavaScript failed: %s" % text)
        return result["result"].get("value")

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)


# Helpers defined in the page once (window.__t): CRC-32 and byte generators matching the Python
# side, the chat log's lines, and a bounded wait.
PAGE_HELPERS = r"""
window.__t = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  const bytesOf = (data) => typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
  return {
    crc(bytes) {
      let c = 0xffffffff;
      for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
      return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
    },
    describe(data) {
      const bytes = bytesOf(data);
      return { type: typeof data === 'string' ? 'text' : 'binary', len: bytes.length, crc: this.crc(bytes) };
    },
    genBinary(n) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (7 * i + Math.floor(i / 251)) & 0xff;
      return b;
    },
    mixedText(n) {
      const unit = 'A\u00df\u20ac\u{1d11e} z\u00f8\u4e2d\u{1f600}-';
      const width = new TextEncoder().encode(unit).length;
      const text = unit.repeat(Math.floor(n / width));
      return text + 'y'.repeat(n - new TextEncoder().encode(text).length);
    },
    lines() {
      return [...document.querySelectorAll('#log div')].map((d) => ({ text: d.textContent, status: d.className }));
    },
    waitFor(pred, ms, what) {
      return new Promise((resolve, reject) => {
        const start = Date.now();
        const tick = () => {
          let value;
          try { value = pred(); } catch (e) { reject(e); return; }
          if (value !== undefined && value !== null && value !== false) resolve(value);
          else if (Date.now() - start > ms) reject(new Error('timed out waiting for ' + what));
          else setTimeout(tick, 20);
        };
        tick();
      });
    },
  };
})();
true
"""

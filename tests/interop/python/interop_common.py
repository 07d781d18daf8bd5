"""Shared pieces of the python3-websockets interop drivers.

- Peer: runs tests/interop/ws_peer (the ws-cpp side) as a subprocess, parses its event log
  (stdout, one "<tag> <event> key=value ..." line per event), lets a scenario wait for events
  with a timeout, and always stops the process (by its PID) at the end.
- Conn: the events of one connection of a Peer, read in order, one cursor per event name.
- Runner: runs named scenarios, each bounded in time, prints one line per check and a summary,
  and gives the exit status (0: all passed, 1: a failure, 77: skipped).
"""

import asyncio
import signal
import socket
import sys
import time
import traceback
import zlib

SKIP = 77

# Every wait in the drivers is bounded by one of these (seconds).
EVENT_TIMEOUT = 10.0
SCENARIO_TIMEOUT = 30.0
GROUP_TIMEOUT = 100.0  # CTest's TIMEOUT is 120 s: leave time to clean up
EXIT_TIMEOUT = 10.0

MIB = 1 << 20


class CheckFailed(AssertionError):
    pass


def hexs(data):
    """Hex of bytes, or of a str's UTF-8 encoding (as ws_peer prints payloads)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return bytes(data).hex()


def crc_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "%08x" % (zlib.crc32(data) & 0xFFFFFFFF)


def short(value, limit=120):
    """A printable form of a possibly huge value."""
    if isinstance(value, (bytes, bytearray, str)) and len(value) > limit:
        kind = type(value).__name__
        return "<%s len=%d crc=%s head=%r>" % (kind, len(value), crc_hex(value), value[:40])
    return repr(value)


# --- generated payloads, built the same way ws_peer builds them --------------------------------

TEXT_PATTERN = "ws-cpp \u2713 d\u00e9j\u00e0 vu \U0001f389 0123456789\n"


def gen_text(n):
    """n bytes of UTF-8: whole code points of TEXT_PATTERN, cycled, then 'x' padding."""
    unit = len(TEXT_PATTERN.encode("utf-8"))
    parts = [TEXT_PATTERN * (n // unit)]
    size = (n // unit) * unit
    for ch in TEXT_PATTERN:
        width = len(ch.encode("utf-8"))
        if size + width > n:
            break
        parts.append(ch)
        size += width
    parts.append("x" * (n - size))
    text = "".join(parts)
    assert len(text.encode("utf-8")) == n
    return text


def gen_binary(n):
    """Byte i is (7 * i + i // 251) mod 256."""
    return bytes((7 * i + i // 251) & 0xFF for i in range(n))


def mixed_text(n):
    """n bytes of UTF-8 mixing 1- to 4-byte characters, different from gen_text's pattern."""
    unit = "A\u00df\u20ac\U0001d11e z\u00f8\u4e2d\U0001f600-"
    width = len(unit.encode("utf-8"))
    text = unit * (n // width)
    text += "y" * (n - len(text.encode("utf-8")))
    assert len(text.encode("utf-8")) == n
    return text


def wire_frames(first_op, parts, by_send=True):
    """(opcode, FIN, length, CRC-32) of the data frames python writes for a message in `parts`:
    with send(iterable) (by_send) every part with FIN clear, then an empty continuation frame
    with FIN set; with write_frame() exactly the parts, FIN on the last."""
    frames = list(parts) + ([b""] if by_send else [])
    return [(first_op if i == 0 else "continuation", "1" if i == len(frames) - 1 else "0",
             len(p.encode() if isinstance(p, str) else p), crc_hex(p))
            for i, p in enumerate(frames)]


def frame_key(ev):
    """The (opcode, FIN, length, CRC-32) of a ws_peer frame event, as wire_frames gives them."""
    return (ev["op"], ev["fin"], int(ev["len"]), ev["crc"])


# --- the ws_peer process -------------------------------------------------------------------------


class Event:
    def __init__(self, raw):
        self.raw = raw
        parts = raw.split(" ")
        self.tag = parts[0]
        self.name = parts[1] if len(parts) > 1 else ""
        self.fields = {}
        for part in parts[2:]:
            key, _, value = part.partition("=")
            self.fields[key] = value

    def __getitem__(self, key):
        if key not in self.fields:
            raise CheckFailed("event %r has no field %r" % (self.raw, key))
        return self.fields[key]

    def get(self, key, default=None):
        return self.fields.get(key, default)

    def __repr__(self):
        return "Event(%r)" % self.raw


class Peer:
    """ws_peer run as a subprocess; its stdout parsed into Events."""

    def __init__(self, exe, args, label):
        self.exe = exe
        self.args = list(args)
        self.label = label
        self.proc = None
        self.events = []
        self.stderr_lines = []
        self.eof = False
        self._cond = asyncio.Condition()
        self._tasks = []

    async def start(self):
        self.proc = await asyncio.create_subprocess_exec(
            self.exe, *self.args, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        print("    [%s] started pid %d: ws_peer %s" % (self.label, self.proc.pid, " ".join(self.args)))
        self._tasks = [asyncio.create_task(self._read_stdout()),
                       asyncio.create_task(self._read_stderr())]
        return self

    async def _read_stdout(self):
        while True:
            line = await self.proc.stdout.readline()
            async with self._cond:
                if not line:
                    self.eof = True
                    self._cond.notify_all()
                    return
                self.events.append(Event(line.decode("utf-8", "replace").rstrip("\n")))
                self._cond.notify_all()

    async def _read_stderr(self):
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                return
            self.stderr_lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    async def wait_for(self, pred, what, timeout=EVENT_TIMEOUT, start=0):
        """The index and Event of the first event at or after `start` matching pred."""
        def find():
            for i in range(start, len(self.events)):
                if pred(self.events[i]):
                    return i
            return None

        async def wait():
            async with self._cond:
                await self._cond.wait_for(lambda: find() is not None or self.eof)
                return find()

        try:
            index = await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise CheckFailed("[%s] no %s within %.0f s" % (self.label, what, timeout)) from None
        if index is None:
            try:
                status = await asyncio.wait_for(self.proc.wait(), 2)
                how = ("killed by signal %d" % -status) if status < 0 else ("exit status %d" % status)
            except asyncio.TimeoutError:
                how = "the process still runs"
            raise CheckFailed("[%s] no %s: its output ended (%s)" % (self.label, what, how))
        return index, self.events[index]

    async def listening(self):
        _, ev = await self.wait_for(lambda e: e.tag == "-" and e.name in ("listening", "bind-failed"),
                                    "listening line")
        if ev.name != "listening":
            raise CheckFailed("[%s] ws_peer could not bind: %s" % (self.label, ev.raw))
        return ev["ip"], int(ev["port"])

    async def conn_by_peer_port(self, port):
        _, ev = await self.wait_for(
            lambda e: e.name == "open" and e.get("peer", "").endswith(":%d" % port),
            "open event for the connection from port %d" % port)
        return Conn(self, ev.tag)

    async def first_conn(self):
        _, ev = await self.wait_for(lambda e: e.tag != "-", "first connection event")
        return Conn(self, ev.tag)

    async def wait_exit(self, timeout=EXIT_TIMEOUT):
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            raise CheckFailed("[%s] ws_peer (pid %d) still running %.0f s later"
                              % (self.label, self.proc.pid, timeout)) from None
        # Let the readers drain what the process wrote last.
        await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), 5)
        return self.proc.returncode

    async def stop(self):
        """Ends the process if it still runs: SIGTERM to its PID, SIGKILL after 5 s."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(self.proc.wait(), 5)
            except ProcessLookupError:
                pass
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
            print("    [%s] stopped pid %d (exit status %s)" % (self.label, self.proc.pid, self.proc.returncode))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def errors(self):
        """What ws_peer reported through on_error or a failed Sender call, decoded."""
        out = []
        for e in self.events:
            if e.name == "error":
                details = bytes.fromhex(e.get("details", "")).decode("utf-8", "replace")
                out.append("%s on_error %s: %s" % (e.tag, e.get("kind"), details))
            elif e.name == "sender-failed":
                what = bytes.fromhex(e.get("what", "")).decode("utf-8", "replace")
                out.append("%s Sender call '%s' failed: %s" % (e.tag, what, e.get("kind")))
        return out

    def dump(self, last=40):
        print("    [%s] last ws_peer events:" % self.label)
        for ev in self.events[-last:]:
            line = ev.raw if len(ev.raw) < 300 else ev.raw[:300] + "..."
            print("        " + line)
        if self.stderr_lines:
            print("    [%s] ws_peer stderr:" % self.label)
            for line in self.stderr_lines[-20:]:
                print("        " + line)


class Conn:
    """One connection's events, read in order: a separate cursor per event name."""

    def __init__(self, peer, tag):
        self.peer = peer
        self.tag = tag
        self.cursor = {}

    async def next(self, name, timeout=EVENT_TIMEOUT, pred=None):
        start = self.cursor.get(name, 0)
        index, ev = await self.peer.wait_for(
            lambda e: e.tag == self.tag and e.name == name and (pred is None or pred(e)),
            "'%s' event on %s (after #%d)" % (name, self.tag, start), timeout, start)
        self.cursor[name] = index + 1
        return ev

    def pending(self, name):
        """Events of this name not read yet (already printed by ws_peer)."""
        start = self.cursor.get(name, 0)
        return [e for e in self.peer.events[start:] if e.tag == self.tag and e.name == name]

    def all(self, name):
        return [e for e in self.peer.events if e.tag == self.tag and e.name == name]


# --- checks and the scenario runner --------------------------------------------------------------


class Runner:
    def __init__(self, title):
        self.title = title
        self.results = []
        self.peers = []  # dumped when a scenario fails
        print("=== %s" % title)

    def check(self, cond, what, detail=""):
        if not cond:
            raise CheckFailed("%s%s" % (what, (": " + detail) if detail else ""))
        print("    ok   %s" % what)

    def eq(self, actual, expected, what):
        if actual != expected:
            raise CheckFailed("%s: expected %s, got %s" % (what, short(expected), short(actual)))
        print("    ok   %s == %s" % (what, short(expected, 60)))

    def payload_event(self, ev, data, what):
        """ws_peer's len/crc/data fields describe exactly `data`."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        got = (int(ev["len"]), ev["crc"], ev["data"])
        want = (len(raw), crc_hex(raw), raw.hex() if len(raw) <= 256 else "-")
        if got != want:
            raise CheckFailed("%s: expected len=%d crc=%s data=%s, got len=%s crc=%s data=%s"
                              % (what, want[0], want[1], short(want[2]), got[0], got[1], short(got[2])))
        print("    ok   %s: len=%d crc=%s" % (what, want[0], want[1]))

    async def run(self, name, scenario, timeout=SCENARIO_TIMEOUT):
        print("--- %s" % name)
        started = time.monotonic()
        error = None
        try:
            await asyncio.wait_for(scenario(), timeout)
        except CheckFailed as exc:
            error = str(exc)
        except asyncio.TimeoutError:
            error = "timed out after %.0f s" % timeout
        except Exception:  # noqa: BLE001 - any exception fails the scenario, with its trace
            error = "exception:\n" + traceback.format_exc()
        elapsed = time.monotonic() - started
        if error is None:
            print("    PASS %s (%.2f s)" % (name, elapsed))
        else:
            print("    FAIL %s (%.2f s): %s" % (name, elapsed, error))
            for peer in self.peers:
                peer.dump()
        self.results.append((name, error))

    def fail(self, name, error):
        print("    FAIL %s: %s" % (name, error))
        self.results.append((name, error))

    def summary(self):
        failed = [r for r in self.results if r[1] is not None]
        print("=== summary: %s" % self.title)
        for name, error in self.results:
            print("    %s  %s" % ("PASS" if error is None else "FAIL", name))
        print("=== %d scenarios, %d passed, %d failed"
              % (len(self.results), len(self.results) - len(failed), len(failed)))
        if not self.results:
            print("=== no scenario ran")
            return 1
        return 1 if failed else 0


def ipv6_loopback_problem():
    """None when a socket can bind [::1]:0, else why not."""
    if not socket.has_ipv6:
        return "Python was built without IPv6 support"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError as exc:
        return "cannot bind [::1]:0: %s" % exc
    return None


def import_websockets():
    try:
        import websockets
    except ImportError as exc:
        print("SKIP: python3-websockets is not importable by %s: %s" % (sys.executable, exc))
        sys.exit(SKIP)
    if not websockets.__version__.startswith("10."):
        print("note: these drivers were written for websockets 10.x; found %s" % websockets.__version__)
    return websockets


def main(run_group, groups):
    """argv: ws_peer path, group name. Runs the group in a fresh event loop."""
    if len(sys.argv) != 3 or sys.argv[2] not in groups:
        print("usage: %s PATH_TO_WS_PEER {%s}" % (sys.argv[0], "|".join(groups)))
        sys.exit(2)
    exe, group = sys.argv[1], sys.argv[2]
    try:
        status = asyncio.run(asyncio.wait_for(run_group(exe, group), GROUP_TIMEOUT))
    except asyncio.TimeoutError:
        # run_group's finally clauses have stopped every process it started.
        print("=== FAIL: group %r did not finish within %.0f s" % (group, GROUP_TIMEOUT))
        status = 1
    sys.exit(status)

"""The two ways to run the cases.

fuzzingclient  the suite is the client; it tests a WebSocket server (a URL, or a command it
               starts on a free port). One TCP connection per case.
fuzzingserver  the suite is the server; it tests a WebSocket client that speaks the Autobahn
               case-runner protocol: GET /getCaseCount (the server sends the number of cases
               as a text message and closes), GET /runCase?case=N&agent=A (N from 1; the
               client echoes every message until the server closes), GET
               /updateReports?agent=A (the server closes; the run is over).
"""

import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

from . import handshake
from .codec import CLOSE, TEXT, close_payload, encode_frame
from .conn import Conn
from .engine import FAILED, NON_STRICT, OK, RANK, SECTIONS, Result, Timing, run_case

# ---------------------------------------------------------------- processes we start


class Child:
    """A peer process the suite started: output to a log file, stopped by its PID only."""

    def __init__(self, argv, label, log_dir):
        self.label = label
        self.log_path = os.path.join(log_dir, "%s.log" % label)
        self.log = open(self.log_path, "wb")
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def alive(self):
        return self.proc.poll() is None

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to this PID
            if self.wait(3.0) is None:
                self.proc.kill()
                self.wait(3.0)
        self.log.close()
        return self.proc.returncode

    def tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(data[-lines:])
        except OSError:
            return ""


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(host, port, child, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# ---------------------------------------------------------------- reporting


class Reporter:
    def __init__(self, role, agent, verbose, out=sys.stdout):
        self.role, self.agent, self.verbose, self.out = role, agent, verbose, out
        self.results = []

    def line(self, text=""):
        self.out.write(text + "\n")
        self.out.flush()

    def add(self, r):
        self.results.append(r)
        mark = "+" if r.case.extra else " "
        self.line("%-8s%s %-10s %6.0f ms  %s" % (r.case.id, mark, r.verdict, r.duration * 1000, r.case.title))
        if r.verdict != OK or self.verbose:
            for sev, text in r.notes:
                for k, part in enumerate(text.splitlines()):
                    self.line("%20s%s %s" % ("", "  " if k else "-", part))
        for text in r.infos:
            self.line("%20s  (%s)" % ("", text))

    def summary(self, strict, waivers, must_fail, must_pass=(), problems=(), expect=None):
        """Prints per-section counts and the final line; returns the process exit status.
        `problems`: failures of the run itself (the peer did not finish, too slow), each
        counted as one more failure."""
        self.line()
        self.line("== %s: %s, %d cases" % (self.agent, "server under test (suite = fuzzing client)"
                                           if self.role == "client" else "client under test (suite = fuzzing server)",
                                           len(self.results)))
        sections = []
        for r in self.results:
            if r.case.section not in sections:
                sections.append(r.case.section)
        for s in sections:
            rs = [r for r in self.results if r.case.section == s]
            counts = {v: sum(1 for r in rs if r.verdict == v) for v in (OK, NON_STRICT, FAILED)}
            self.line("section %-3s %-55s %4d OK %4d NON-STRICT %4d FAILED" % (
                s, SECTIONS.get(s, ""), counts[OK], counts[NON_STRICT], counts[FAILED]))
        total = {v: sum(1 for r in self.results if r.verdict == v) for v in (OK, NON_STRICT, FAILED)}
        self.line("all cases: %d OK, %d NON-STRICT, %d FAILED (NON-STRICT counts as %s)" % (
            total[OK], total[NON_STRICT], total[FAILED], "failed: --strict" if strict else "passed"))
        passed = failed = 0
        waived_used = []
        for r in self.results:
            good = r.verdict == OK or (r.verdict == NON_STRICT and not strict)
            w = waivers.get(r.case.id)
            if not good and w is not None and RANK[r.verdict] <= RANK[w]:
                waived_used.append(r)
                good = True
            if good:
                passed += 1
            else:
                failed += 1
        for r in waived_used:
            self.line("waived (a documented deviation of this peer, README.md): %s %s" % (r.case.id, r.verdict))
        for cid in sorted(set(waivers) - {r.case.id for r in waived_used}):
            if any(r.case.id == cid for r in self.results):
                self.line("note: waiver for %s not needed in this run" % cid)
        problems = list(problems)
        by_id = {r.case.id: r for r in self.results}
        for cid, verdict in (expect or {}).items():
            r = by_id.get(cid)
            got = r.verdict if r else "not run"
            if got != verdict:
                problems.append("case %s is %s; this peer is known to get %s there (README.md): the suite's "
                                "grading changed?" % (cid, got, verdict))
        if expect:
            self.line("known verdicts of this peer: %d of %d as expected" % (
                len(expect) - sum(1 for c, v in expect.items() if (by_id[c].verdict if c in by_id else None) != v),
                len(expect)))
        for p in problems:
            self.line("run problem: %s" % p)
        if must_fail:
            # The inverted check: the peer is broken on purpose; these cases must be FAILED,
            # and the control cases in must_pass OK (so that a peer that merely crashes, or a
            # suite that fails everything, does not pass this check).
            good = bad = 0
            for cid in must_fail:
                r = by_id.get(cid)
                if r is not None and r.verdict == FAILED:
                    good += 1
                else:
                    bad += 1
                    self.line("BROKEN PEER NOT CAUGHT: case %s is %s (must be FAILED)" % (
                        cid, r.verdict if r else "not run"))
            for cid in must_pass:
                r = by_id.get(cid)
                if r is not None and r.verdict == OK:
                    good += 1
                else:
                    bad += 1
                    self.line("CONTROL CASE NOT OK: case %s is %s (must be OK)" % (cid, r.verdict if r else "not run"))
            self.line("inverted check: %d of %d must-fail cases FAILED, %d of %d control cases OK" % (
                sum(1 for c in must_fail if c in by_id and by_id[c].verdict == FAILED), len(must_fail),
                sum(1 for c in must_pass if c in by_id and by_id[c].verdict == OK), len(must_pass)))
            bad += len(problems)
            self.line("%d passed, %d failed" % (good, bad))
            return 0 if bad == 0 else 1
        failed += len(problems)
        self.line("%d passed, %d failed" % (passed, failed))
        return 0 if failed == 0 else 1

    def write_json(self, path, extra):
        data = dict(extra)
        data["cases"] = [{"id": r.case.id, "title": r.case.title, "verdict": r.verdict, "extra": r.case.extra,
                          "duration_ms": round(r.duration * 1000, 1), "notes": [list(n) for n in r.notes],
                          "info": r.infos} for r in self.results]
        with open(path, "w") as f:
            json.dump(data, f, indent=1)


# ---------------------------------------------------------------- fuzzing client (tests a server)


def not_run(case, why):
    return Result(case, FAILED, [(FAILED, "not run: %s" % why)], [], 0.0)


def run_fuzzing_client(cases, url, reporter, timing=Timing, child=None, deadline=None):
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port or 80
    refused = 0  # consecutive cases that could not even open
    for case in cases:
        if deadline is not None and time.monotonic() > deadline:
            reporter.add(not_run(case, "the run's time limit passed"))
            continue
        if refused >= 5:
            reporter.add(not_run(case, "the server failed to open the last 5 connections"))
            continue
        if child is not None and not child.alive():
            r = Result(case, FAILED, [(FAILED, "the server under test exited (status %s) before this case"
                                       % child.proc.returncode)], [], 0.0)
            reporter.add(r)
            continue
        start = time.monotonic()
        try:
            sock = socket.create_connection((host, port), timeout=timing.handshake)
        except OSError as e:
            reporter.add(Result(case, FAILED, [(FAILED, "cannot connect to %s: %s" % (url, e))], [], 0.0))
            refused += 1
            continue
        try:
            sock.setblocking(False)
            leftover = handshake.client_handshake(sock, url, timing.handshake)
        except handshake.HandshakeError as e:
            sock.close()
            reporter.add(Result(case, FAILED, [(FAILED, "opening handshake: %s" % e)], [],
                                time.monotonic() - start))
            refused += 1
            continue
        refused = 0
        r = run_case(Conn(sock, "client", leftover), case, timing)
        r.duration = time.monotonic() - start
        reporter.add(r)


# ---------------------------------------------------------------- fuzzing server (tests a client)


class FuzzingServer:
    def __init__(self, cases, reporter, timing=Timing, host="127.0.0.1"):
        self.cases = cases
        self.reporter = reporter
        self.tm = timing
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(16)
        self.url = "ws://%s:%d" % (host, self.listener.getsockname()[1])
        self.done = set()
        self.reports_updated = False
        self.protocol_errors = []

    def _accept(self, timeout, child):
        deadline = time.monotonic() + timeout
        self.listener.settimeout(0.1)
        while time.monotonic() < deadline:
            try:
                sock, _ = self.listener.accept()
                return sock
            except socket.timeout:
                if child is not None and not child.alive():
                    # let a last queued connection through
                    try:
                        self.listener.settimeout(0.05)
                        sock, _ = self.listener.accept()
                        return sock
                    except socket.timeout:
                        return None
        return None

    def _control_endpoint(self, sock, leftover, text=None):
        """/getCaseCount and /updateReports: an optional text message, then close (1000),
        wait for the reply, FIN, wait for the client's FIN."""
        conn = Conn(sock, "server", leftover)
        if text is not None:
            conn.write(encode_frame(TEXT, text.encode()))
        conn.send_close_frame(encode_frame(CLOSE, close_payload(1000)))
        conn.pump(self.tm.close, lambda: conn.peer_close is not None or conn.eof is not None)
        conn.shutdown_write()
        conn.pump(self.tm.tcp, lambda: conn.eof is not None)
        conn.close()

    def serve(self, child, idle_timeout=15.0, deadline=None):
        """Serves the case-runner protocol until /updateReports, the client exits or goes
        quiet, or the deadline passes."""
        by_number = {k: c for k, c in enumerate(self.cases, 1)}
        why = "the client never ran this case"
        while not self.reports_updated:
            wait = idle_timeout
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    why = "the run's time limit passed"
                    break
            sock = self._accept(wait, child)
            if sock is None:
                break
            start = time.monotonic()
            sock.setblocking(False)
            try:
                req, problems, leftover = handshake.server_read_request(sock, self.tm.handshake)
            except handshake.HandshakeError as e:
                self.protocol_errors.append("a connection failed its opening handshake: %s" % e)
                sock.close()
                continue
            if req.path == "/getCaseCount":
                handshake.server_accept(sock, req)
                self._control_endpoint(sock, leftover, str(len(self.cases)))
            elif req.path == "/updateReports":
                handshake.server_accept(sock, req)
                self._control_endpoint(sock, leftover)
                self.reports_updated = True
            elif req.path == "/runCase":
                try:
                    n = int(req.query.get("case", ""))
                    case = by_number[n]
                except (ValueError, KeyError):
                    handshake.server_refuse(sock, 404, "Not Found")
                    sock.close()
                    self.protocol_errors.append("runCase for unknown case %r" % req.query.get("case"))
                    continue
                if problems:
                    handshake.server_refuse(sock, 400, "Bad Request")
                    sock.close()
                    self.reporter.add(Result(case, FAILED, [(FAILED, "bad opening handshake: " + "; ".join(problems))],
                                             [], time.monotonic() - start))
                    self.done.add(n)
                    continue
                handshake.server_accept(sock, req)
                r = run_case(Conn(sock, "server", leftover), case, self.tm)
                r.duration = time.monotonic() - start
                if n in self.done:
                    self.protocol_errors.append("case %d run twice" % n)
                self.done.add(n)
                self.reporter.add(r)
            else:
                handshake.server_refuse(sock, 404, "Not Found")
                sock.close()
                self.protocol_errors.append("request for unknown resource %r" % req.resource)
        self.listener.close()
        for n, case in by_number.items():
            if n not in self.done:
                self.reporter.add(not_run(case, why))
        self.reporter.results.sort(key=lambda r: self.cases.index(r.case))


def substitute(argv, **values):
    out = []
    for a in argv:
        for k, v in values.items():
            a = a.replace("{%s}" % k, str(v))
        out.append(a)
    return out


def log_dir_for(path):
    if path:
        os.makedirs(path, exist_ok=True)
        return path
    return tempfile.mkdtemp(prefix="wsconf-")


def describe_cmd(argv):
    return " ".join(shlex.quote(a) for a in argv)

#!/usr/bin/python3
"""ws-cpp's conformance suite: RFC 6455 behaviour in the style of the Autobahn Testsuite,
independent of ws-cpp's code (Python 3 standard library only). See README.md.

Test a server (the suite is the fuzzing client):
    conformance.py fuzzingclient --url ws://127.0.0.1:9001
    conformance.py fuzzingclient -- ./autobahn_server {port}        # started on a free port

Test a client (the suite is the fuzzing server; the client speaks Autobahn's case-runner
protocol: /getCaseCount, /runCase?case=N&agent=A, /updateReports?agent=A):
    conformance.py fuzzingserver -- ./autobahn_client {url} {agent}

Options: --cases 1.*,6.4 (patterns; a bare section or subsection selects everything under it),
--exclude, --profile quick|full, --strict (NON-STRICT counts as failed), --waive CASE=VERDICT
(a documented deviation of a reference peer), --must-fail CASES (inverted check for a broken
peer), --list, --report FILE.json, -v.
The last line printed is 'N passed, N failed'; the exit status is 0 exactly when N failed is 0.
"""

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wsconf import runner  # noqa: E402
from wsconf.cases import register_all  # noqa: E402
from wsconf.engine import FAILED, NON_STRICT, SECTIONS, Registry, select_cases  # noqa: E402


def split_list(values):
    out = []
    for v in values or []:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["fuzzingclient", "fuzzingserver", "list"])
    ap.add_argument("--url", help="fuzzingclient: the server's URL (instead of a command)")
    ap.add_argument("--cases", action="append", help="case patterns, comma-separated")
    ap.add_argument("--exclude", action="append", help="case patterns to leave out")
    ap.add_argument("--profile", choices=["quick", "full"], default="full")
    ap.add_argument("--strict", action="store_true", help="NON-STRICT counts as failed (ws-cpp's own runs)")
    ap.add_argument("--waive", action="append", default=[],
                    help="CASE=VERDICT: accept up to VERDICT for CASE (documented deviations only)")
    ap.add_argument("--must-fail", action="append", help="inverted check: these cases must be FAILED")
    ap.add_argument("--must-pass", action="append", help="with --must-fail: control cases that must be OK")
    ap.add_argument("--expect", action="append", default=[],
                    help="CASE=VERDICT: a verdict this peer is known to get (README.md); any other verdict "
                         "there fails the run (guards the grader itself)")
    ap.add_argument("--agent", default="peer")
    ap.add_argument("--report", help="write a JSON report here")
    ap.add_argument("--log-dir", help="where the peer's output goes (default: a temporary folder)")
    ap.add_argument("--time-limit", type=float, default=0,
                    help="seconds: cases not started by then are FAILED (not run) and the run fails")
    ap.add_argument("-v", "--verbose", action="store_true")
    argv = sys.argv[1:]
    command = []
    if "--" in argv:
        cut = argv.index("--")
        argv, command = argv[:cut], argv[cut + 1:]
    args = ap.parse_args(argv)
    args.command = command  # the peer to start; {port}, {url}, {agent} are replaced

    reg = register_all(Registry(args.profile))
    cases = select_cases(reg.sorted(), split_list(args.cases), split_list(args.exclude))
    if args.mode == "list":
        for c in cases:
            print("%-8s%s %s" % (c.id, "+" if c.extra else " ", c.title))
        counts = {}
        for c in cases:
            counts[c.section] = counts.get(c.section, 0) + 1
        for s, n in counts.items():
            print("section %-3s %-55s %d cases" % (s, SECTIONS.get(s, ""), n))
        print("%d cases" % len(cases))
        return 0
    if not cases:
        print("no case matches the selection")
        print("0 passed, 1 failed")
        return 1
    waivers = {}
    for w in args.waive:
        cid, _, verdict = w.partition("=")
        waivers[cid] = verdict or FAILED
        if waivers[cid] not in (NON_STRICT, FAILED):
            ap.error("--waive %s: the verdict must be NON-STRICT or FAILED" % w)
    must_fail = split_list(args.must_fail)
    must_pass = split_list(args.must_pass)
    expect = {}
    for e in split_list(args.expect):
        cid, _, verdict = e.partition("=")
        if verdict not in ("OK", NON_STRICT, FAILED):
            ap.error("--expect %s: the verdict must be OK, NON-STRICT or FAILED" % e)
        expect[cid] = verdict
    problems = []

    role = "client" if args.mode == "fuzzingclient" else "server"
    reporter = runner.Reporter(role, args.agent, args.verbose)
    log_dir = runner.log_dir_for(args.log_dir)
    child = None
    started = time.monotonic()
    deadline = started + args.time_limit if args.time_limit else None
    try:
        if args.mode == "fuzzingclient":
            if args.url:
                url = args.url
            elif args.command:
                port = runner.free_port()
                argv = runner.substitute(args.command, port=port)
                reporter.line("starting the server under test: %s" % runner.describe_cmd(argv))
                child = runner.Child(argv, "server-under-test", log_dir)
                if not runner.wait_listening("127.0.0.1", port, child):
                    if child.wait(0.1) == 77:
                        reporter.line("the peer says it cannot run here (exit 77): skipped\n%s" % child.tail())
                        return 77
                    reporter.line("the server under test did not listen on 127.0.0.1:%d\n%s" % (port, child.tail()))
                    reporter.line("0 passed, %d failed" % len(cases))
                    return 1
                url = "ws://127.0.0.1:%d/" % port
            else:
                ap.error("fuzzingclient needs --url or a command")
            reporter.line("testing the server at %s: %d cases (profile %s)" % (url, len(cases), args.profile))
            runner.run_fuzzing_client(cases, url, reporter, child=child, deadline=deadline)
        else:
            if not args.command:
                ap.error("fuzzingserver needs the client's command")
            server = runner.FuzzingServer(cases, reporter)
            argv = runner.substitute(args.command, url=server.url, agent=args.agent)
            reporter.line("fuzzing server at %s: %d cases (profile %s); starting the client under test: %s"
                          % (server.url, len(cases), args.profile, runner.describe_cmd(argv)))
            child = runner.Child(argv, "client-under-test", log_dir)
            server.serve(child, deadline=deadline)
            if not server.reports_updated:
                problems.append("the client never asked /updateReports")
            for e in server.protocol_errors:
                reporter.line("case-runner protocol: %s" % e)
            code = child.wait(10.0)
            if code == 77 and not server.done:
                reporter.line("the peer says it cannot run here (exit 77): skipped\n%s" % child.tail())
                return 77
            if code is None:
                problems.append("the client under test did not exit within 10 s of the last case; stopped")
            elif code != 0:
                problems.append("the client under test exited with status %d" % code)
    finally:
        if child is not None:
            child.stop()
    elapsed = time.monotonic() - started
    if any(r.verdict != "OK" for r in reporter.results) and child is not None:
        reporter.line("--- last lines of the peer's output (%s) ---\n%s" % (child.log_path, child.tail(15)))
    reporter.line("run time %.1f s" % elapsed)
    if args.report:
        reporter.write_json(args.report, {"agent": args.agent, "role": role, "profile": args.profile,
                                          "seconds": round(elapsed, 1)})
    if args.time_limit and elapsed > args.time_limit:
        problems.append("the run took %.1f s, over the limit of %.0f s" % (elapsed, args.time_limit))
    return reporter.summary(args.strict, waivers, must_fail, must_pass, problems, expect)


if __name__ == "__main__":
    sys.exit(main())

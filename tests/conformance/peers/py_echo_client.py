#!/usr/bin/python3
"""Reference peer: python3-websockets (Debian's 10.4) as a client of the Autobahn case-runner
protocol (the suite's fuzzing server).

    py_echo_client.py BASE_URL AGENT

Exits 77 when python3-websockets is missing (CTest: skipped)."""

import asyncio
import sys

try:
    import websockets
except ImportError:
    print("python3-websockets is not installed", file=sys.stderr)
    sys.exit(77)

OPTIONS = dict(max_size=64 << 20, max_queue=None, ping_interval=None, open_timeout=10, close_timeout=5)


async def main(base, agent):
    async with websockets.connect(base + "/getCaseCount", **OPTIONS) as ws:
        count = int(await ws.recv())
    print("%d cases" % count, flush=True)
    for n in range(1, count + 1):
        try:
            async with websockets.connect("%s/runCase?case=%d&agent=%s" % (base, n, agent), **OPTIONS) as ws:
                async for message in ws:
                    await ws.send(message)
        except websockets.ConnectionClosed:
            pass
        except Exception as e:  # a case the suite grades; keep going
            print("case %d: %r" % (n, e), flush=True)
    async with websockets.connect("%s/updateReports?agent=%s" % (base, agent), **OPTIONS) as ws:
        await ws.wait_closed()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

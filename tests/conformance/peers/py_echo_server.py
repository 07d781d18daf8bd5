#!/usr/bin/python3
"""Reference peer: python3-websockets (Debian's 10.4) as an echo server.

    py_echo_server.py PORT

Limits raised so that the suite's 16 MiB messages fit; keepalive pings off; everything else
is websockets' default behaviour, which is what the suite grades. Exits 77 when
python3-websockets is missing (CTest: skipped)."""

import asyncio
import sys

try:
    import websockets
except ImportError:
    print("python3-websockets is not installed", file=sys.stderr)
    sys.exit(77)


async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=64 << 20, max_queue=None, ping_interval=None,
                                close_timeout=5):
        print("python3-websockets %s echo server on 127.0.0.1:%d" % (websockets.__version__, port), flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

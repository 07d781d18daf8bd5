#!/usr/bin/env python3
"""A TCP proxy that damages the server-to-client stream, to prove that wsload fails loudly.

    faulty_proxy.py TARGET_PORT MODE OFFSET [FRAME_SIZE]

Listens on 127.0.0.1 (a free port, printed as "faulty_proxy listening on 127.0.0.1:PORT"),
forwards every connection to 127.0.0.1:TARGET_PORT, and once OFFSET bytes of the server's
replies have passed on a connection:

    flip    flips one bit of the byte at OFFSET (a corrupted echo)
    stall   forwards nothing more to the client (a missing echo)
    close   closes both sides (an unexpected close)
    dup     sends the next 64 bytes twice (a duplicated / misordered echo)
    swap    (OFFSET counts frames after the HTTP head, every frame FRAME_SIZE bytes, 18 by
            default: a 16-byte message) swaps frames OFFSET and OFFSET+1 (a reordered echo)

Client-to-server bytes pass unchanged. Used only by smoke_test.sh; exits by itself after 60 s.
"""
import signal
import socket
import sys
import threading


def pump(src, dst, damage=None):
    seen = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if damage is not None:
                mode, offset = damage
                if seen + len(data) > offset >= seen:
                    i = offset - seen
                    if mode == "flip":
                        data = data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:]
                    elif mode == "stall":
                        dst.sendall(data[:i])
                        while src.recv(65536):  # swallow the rest; the client waits forever
                            pass
                        return
                    elif mode == "close":
                        dst.sendall(data[:i])
                        # shutdown() first: close() alone sends no FIN while the other pump
                        # thread is still blocked in recv() on the same socket.
                        for s in (dst, src):
                            s.shutdown(socket.SHUT_RDWR)
                            s.close()
                        return
                    elif mode == "dup":
                        data = data[:i] + data[i:i + 64] + data[i:]
                seen += len(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_WR if s is dst else socket.SHUT_RD)
            except OSError:
                pass


def pump_swap(src, dst, index, frame):
    """Forwards src to dst with whole frames `index` and `index + 1` after the HTTP head swapped."""
    held = b""  # received, not yet forwarded
    start = 0  # stream offset of held[0]
    a = None  # stream offset of the first frame to swap
    done = False
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if done:
                dst.sendall(data)
                continue
            held += data
            if a is None:
                head = held.find(b"\r\n\r\n")
                if head < 0:
                    continue
                a = head + 4 + index * frame
            if start < a:  # everything before the pair goes through at once
                n = min(a - start, len(held))
                dst.sendall(held[:n])
                held = held[n:]
                start += n
            if start == a and len(held) >= 2 * frame:
                dst.sendall(held[frame:2 * frame] + held[:frame] + held[2 * frame:])
                held = b""
                done = True
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_WR if s is dst else socket.SHUT_RD)
            except OSError:
                pass


def main():
    target = int(sys.argv[1])
    mode = sys.argv[2]
    offset = int(sys.argv[3])
    frame = int(sys.argv[4]) if len(sys.argv) > 4 else 18
    signal.alarm(60)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(f"faulty_proxy listening on 127.0.0.1:{listener.getsockname()[1]}", flush=True)
    while True:
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", target))
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pump, args=(client, server), daemon=True).start()
        if mode == "swap":
            threading.Thread(target=pump_swap, args=(server, client, offset, frame), daemon=True).start()
        else:
            threading.Thread(target=pump, args=(server, client, (mode, offset)), daemon=True).start()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A TCP proxy that damages the server-to-client stream, to prove that wsload fails loudly.

    faulty_proxy.py TARGET_PORT MODE OFFSET

Listens on 127.0.0.1 (a free port, printed as "faulty_proxy listening on 127.0.0.1:PORT"),
forwards every connection to 127.0.0.1:TARGET_PORT, and once OFFSET bytes of the server's
replies have passed on a connection:

    flip    flips one bit of the byte at OFFSET (a corrupted echo)
    stall   forwards nothing more to the client (a missing echo)
    close   closes both sides (an unexpected close)
    dup     sends the next 64 bytes twice (a duplicated / misordered echo)

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
                        src.close()
                        dst.close()
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


def main():
    target = int(sys.argv[1])
    mode = sys.argv[2]
    offset = int(sys.argv[3])
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
        threading.Thread(target=pump, args=(server, client, (mode, offset)), daemon=True).start()


if __name__ == "__main__":
    main()

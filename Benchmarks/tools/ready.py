#!/usr/bin/env python3
"""Start-up time of `tipskiosk gateway` to READY=1 (and to the first "Connected" STATUS=), measured like systemd
sees it: a Unix datagram socket in $NOTIFY_SOCKET, the clock started just before the process is spawned.

usage: ready.py SOCKET_PATH RUNS -- COMMAND...
prints: one line per run "ready_ms=... connected_ms=...", then "ready_ms_median=..." and "connected_ms_median=..."
The gateway is stopped with SIGTERM after each run (and SIGKILL if it has not gone within 10 s).
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def one_run(sock_path, cmd):
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    s.settimeout(30)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = connected = None
    try:
        while ready is None or connected is None:
            data = s.recv(4096).decode("utf-8", "replace")
            now = time.monotonic()
            for line in data.split("\n"):
                if line == "READY=1" and ready is None:
                    ready = (now - t0) * 1000
                if line.startswith("STATUS=Connected") and connected is None:
                    connected = (now - t0) * 1000
    except socket.timeout:
        pass
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        s.close()
        os.unlink(sock_path)
    return ready, connected


def main():
    sock_path, runs = sys.argv[1], int(sys.argv[2])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    readies, connects = [], []
    for _ in range(runs):
        r, c = one_run(sock_path, cmd)
        print(f"ready_ms={r:.1f} connected_ms={c:.1f}" if r and c else f"ready_ms={r} connected_ms={c}")
        if r is not None:
            readies.append(r)
        if c is not None:
            connects.append(c)
        time.sleep(0.2)
    if not readies:
        print("no READY=1 received", file=sys.stderr)
        sys.exit(1)
    print(f"ready_ms_median={statistics.median(readies):.1f}")
    print(f"connected_ms_median={statistics.median(connects):.1f}" if connects else "connected_ms_median=NA")


if __name__ == "__main__":
    main()

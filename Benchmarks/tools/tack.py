#!/usr/bin/env python3
"""The visitor's wait, for scripts/bench: last key -> "Tack" on screen, on a pseudo-terminal.

usage: tack.py N [--raw] -- TIPSKIOSK prompt --config FILE
Runs the real prompt on a pty (TERM=xterm, 24x80) and types N tips as a visitor would (the same keys as
Tests/TestSupport typeTip: any key, category 7, quick pick 1, when 2, source Enter, a text, no contact), each
step waiting for its screen (one tip first, not counted, to warm up). For each tip it takes the time from writing the last key ("1", send) to reading
the first output that holds "Tack" (the thanks screen, drawn only after the report's synced commit), then a key
back to the welcome screen. Prints key=value lines: tack_n, tack_p50_ms, tack_p99_ms, tack_max_ms, tack_mean_ms;
with --raw, each wait in ms, one a line, instead (scripts/bench alternates this with synced_commit.py in chunks).
"""
import os
import pty
import select
import signal
import struct
import sys
import time
import fcntl
import termios

from percentiles import report


class Prompt:
    def __init__(self, argv):
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["TERM"] = "xterm"
            os.environ.pop("JOURNAL_STREAM", None)
            os.execv(argv[0], argv)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        self.pid, self.fd, self.buf = pid, fd, b""

    def write(self, keys):
        os.write(self.fd, keys.encode())

    def wait_for(self, marker, timeout=10.0):
        """Reads until `marker` (bytes) appears in what came since the last call; True when it did."""
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return False
                if not chunk:
                    return False
                self.buf += chunk
        self.buf = b""
        return True

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def main():
    n = int(sys.argv[1])
    raw = "--raw" in sys.argv[:sys.argv.index("--")]
    argv = sys.argv[sys.argv.index("--") + 1:]
    p = Prompt(argv)
    try:
        if not p.wait_for("Vid akut fara".encode(), 20):
            sys.exit("tack.py: the welcome screen did not come")
        waits = []
        for i in range(-1, n):   # tip -1 warms up (the outbox's first write, the page cache): not counted
            steps = [("x", 1), ("7", 2), ("1\r", 3), ("2", 4), ("\r", 5), (f"Tips nummer {i} till bänken\r", 6),
                     ("\r", 7)]
            for keys, then in steps:
                p.write(keys)
                if not p.wait_for(f"Steg {then} av 7".encode()):
                    sys.exit(f"tack.py: tip {i}: the screen 'Steg {then} av 7' did not come")
            t0 = time.perf_counter_ns()
            p.write("1")
            if not p.wait_for(b"Tack"):
                sys.exit(f"tack.py: tip {i}: no 'Tack'")
            if i >= 0:
                waits.append((time.perf_counter_ns() - t0) / 1e6)
            p.write(" ")   # any key: back to the welcome screen
            if not p.wait_for("Vid akut fara".encode()):
                sys.exit(f"tack.py: tip {i}: the welcome screen did not come back")
        if raw:
            print("\n".join(f"{w:.4f}" for w in waits))
            return
        report("tack", waits)
    finally:
        p.stop()


if __name__ == "__main__":
    main()

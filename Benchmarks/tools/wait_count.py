#!/usr/bin/env python3
"""Waits until the collector's database holds N reports (`scripts/bench central`).

    wait_count.py DB N PID [TIMEOUT_S] [INTERVAL_MS]

Polls DB every INTERVAL_MS (default 100) over one connection: `SELECT max(rowid) FROM reports` (a walk down the
right edge of the table, cheap), and when that reaches N, `SELECT count(*)` to confirm. Only the detection is
polled: the end time printed is max(received_at), the Unix ms the collector itself stamps on the rows of a
commit, taken just before that commit. As soon as N is there it reads the collector's /proc/PID/status (VmHWM,
peak RSS) and /proc/PID/stat (utime + stime), while it still runs. Fails when PID dies or TIMEOUT_S (600) passes.

Prints key=value lines: count, done_unix_ms, peak_rss_kb, cpu_s, polls.
"""
import os
import sqlite3
import sys
import time


def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def main():
    db, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 600
    interval = (float(sys.argv[5]) if len(sys.argv) > 5 else 100) / 1000
    deadline = time.monotonic() + timeout
    con = None
    polls = 0
    while True:
        if not os.path.exists("/proc/%d" % pid):
            sys.exit("wait_count: the collector (pid %d) is gone" % pid)
        if time.monotonic() > deadline:
            sys.exit("wait_count: timed out after %.0f s" % timeout)
        try:
            if con is None:
                con = sqlite3.connect(db, timeout=5, isolation_level=None)
            polls += 1
            top = con.execute("SELECT max(rowid) FROM reports").fetchone()[0] or 0
            if top >= n:
                count = con.execute("SELECT count(*) FROM reports").fetchone()[0]
                if count >= n:
                    rss = proc_status_kb(pid, "VmHWM")
                    cpu = proc_cpu_s(pid)
                    done = con.execute("SELECT max(received_at) FROM reports").fetchone()[0]
                    print("count=%d\ndone_unix_ms=%d\npeak_rss_kb=%d\ncpu_s=%.2f\npolls=%d" % (count, done, rss, cpu, polls))
                    return
        except sqlite3.OperationalError:
            pass  # not created yet, or busy: try again
        time.sleep(interval)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The floor for the visitor's wait, for scripts/bench: one synced SQLite commit on this disk.

usage: synced_commit.py DB N [--raw]
In a new database file DB (WAL mode, synchronous=FULL, as the prompt's outbox): N times BEGIN IMMEDIATE; one
INSERT of a report-sized row; COMMIT, each timed alone. Prints key=value lines: commit_n, commit_p50_ms,
commit_p99_ms, commit_max_ms, commit_mean_ms; with --raw, each time in ms, one a line, instead.
"""
import sqlite3
import sys
import time

from percentiles import report


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS reports (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
               "stored_at INTEGER NOT NULL, payload TEXT NOT NULL)")
    payload = "x" * 370
    times = []
    for i in range(-1, n):   # commit -1 warms up: not counted
        t0 = time.perf_counter_ns()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO reports (id, stored_at, payload) VALUES (?, ?, ?)", (f"id-{i}-{time.monotonic_ns()}", i, payload))
        db.execute("COMMIT")
        if i >= 0:
            times.append((time.perf_counter_ns() - t0) / 1e6)
    db.close()
    if "--raw" in sys.argv[3:]:
        print("\n".join(f"{t:.4f}" for t in times))
        return
    report("commit", times)


if __name__ == "__main__":
    main()

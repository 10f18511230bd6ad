#!/usr/bin/env python3
"""Latency statistics for scripts/bench.

usage: latency.py DB_ROWS SUB_LINES
  DB_ROWS:   lines "id stored_at_ms deleted_at_ms" (from the bench_latency table that a benchmark-only trigger on
             the outbox fills when the gateway deletes a row, i.e. right after its PUBACK)
  SUB_LINES: mosquitto_sub -F '%U %p' output: "unix_seconds.nanoseconds {payload json}"
prints key=value lines: stored_to_puback_* and stored_to_received_* (p50, p99, max, mean, n) in ms.
"""
import json
import statistics
import sys


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def report(name, values):
    print(f"{name}_n={len(values)}")
    if not values:
        return
    print(f"{name}_p50_ms={pct(values, 50):.2f}")
    print(f"{name}_p99_ms={pct(values, 99):.2f}")
    print(f"{name}_max_ms={max(values):.2f}")
    print(f"{name}_mean_ms={statistics.mean(values):.2f}")


def main():
    stored, acked = {}, []
    with open(sys.argv[1]) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            ident, s, d = parts[0], int(parts[1]), float(parts[2])
            stored[ident] = s
            acked.append(d - s)
    received = []
    with open(sys.argv[2]) as f:
        for line in f:
            ts, _, payload = line.partition(" ")
            try:
                ident = json.loads(payload)["id"]
            except (ValueError, KeyError):
                continue
            if ident in stored:
                received.append(float(ts) * 1000 - stored[ident])
    report("stored_to_puback", acked)
    report("stored_to_received", received)


if __name__ == "__main__":
    main()

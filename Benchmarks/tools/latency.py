#!/usr/bin/env python3
"""Latency statistics for scripts/bench.

usage: latency.py DB_ROWS SUB_LINES
  DB_ROWS:   lines "id stored_at_ms deleted_at_ms" (from the bench_latency table that a benchmark-only trigger on
             the outbox fills when the gateway deletes a row, i.e. right after its PUBACK)
  SUB_LINES: mosquitto_sub -F '%U %p' output: "unix_seconds.nanoseconds {payload json}"
prints key=value lines: stored_to_puback_* and stored_to_received_* (p50, p99, max, mean, n) in ms.
"""
import json
import sys

from percentiles import report


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
    report("stored_to_puback", acked, 2)
    report("stored_to_received", received, 2)


if __name__ == "__main__":
    main()

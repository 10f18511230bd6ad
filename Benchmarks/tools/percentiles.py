#!/usr/bin/env python3
"""Percentiles for scripts/bench and its tools: the one way they are computed and printed.

usage: percentiles.py FILE NAME [DIGITS]
Reads one time in ms a line from FILE and prints key=value lines NAME_n, NAME_p50_ms, NAME_p99_ms, NAME_max_ms
and NAME_mean_ms, with DIGITS decimals (3 unless given). latency.py, tack.py and synced_commit.py import
`pct` and `report` from here.
"""
import statistics
import sys


def pct(values, p):
    """The p-th percentile, interpolated between the two nearest ranks; NaN for no values."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def report(name, values, digits=3):
    """Prints NAME_n, and for any values NAME_p50_ms, NAME_p99_ms, NAME_max_ms and NAME_mean_ms."""
    print(f"{name}_n={len(values)}")
    if not values:
        return
    print(f"{name}_p50_ms={pct(values, 50):.{digits}f}")
    print(f"{name}_p99_ms={pct(values, 99):.{digits}f}")
    print(f"{name}_max_ms={max(values):.{digits}f}")
    print(f"{name}_mean_ms={statistics.mean(values):.{digits}f}")


def main():
    path, name = sys.argv[1], sys.argv[2]
    digits = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with open(path) as f:
        report(name, [float(x) for x in f if x.strip()], digits)


if __name__ == "__main__":
    main()

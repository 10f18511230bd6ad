#!/usr/bin/env python3
"""Report payloads for the collector benchmark (`scripts/bench central`).

    central_payloads.py N OUTDIR KIOSK [KIOSK ...]

Writes OUTDIR/payloads-KIOSK.txt: N valid `tipskiosk.report.v1` payloads in all, one JSON object a line, dealt out
round-robin over the kiosks; each kiosk's seqs run 1, 2, 3, ...; every id is a UUIDv7 unique per message (ordered
in time, as the kiosks make them); submitted_at is an RFC 3339 date-time with milliseconds and an offset, as the
kiosks write it. Key order and size as Report.jsonPayload (about 370 bytes each). The text is synthetic.
"""
import datetime
import os
import random
import sys
import time

CATEGORIES = ["unsafe_place", "drugs", "youth_groups", "threats_violence", "theft", "fraud", "vandalism",
              "traffic", "online", "other"]
PLACES = ["Centrum", "Ungdomsgården", "Stationen", "Skolgården", "Torget", "Badhuset", "Parken"]
OCCURRED = ["now", "today", "this_week", "earlier", "unknown"]
AGES = ["youth", "adult", "senior", None]


def uuid7(ms, rng):
    r = rng.getrandbits(74)
    b = ms << 80 | 0x7 << 76 | (r >> 62) << 64 | 0b10 << 62 | (r & ((1 << 62) - 1))
    h = "%032x" % b
    return "%s-%s-%s-%s-%s" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


def rfc3339(ms, tz):
    d = datetime.datetime.fromtimestamp(ms / 1000, tz)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (ms % 1000) + d.strftime("%z")[:3] + ":" + d.strftime("%z")[3:]


def main():
    n, out, kiosks = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    rng = random.Random(1)
    tz = datetime.timezone(datetime.timedelta(hours=1))
    start = int(time.time() * 1000) - n * 10
    files = {k: open(os.path.join(out, "payloads-%s.txt" % k), "w", encoding="utf-8") for k in kiosks}
    seq = {k: 0 for k in kiosks}
    for i in range(n):
        k = kiosks[i % len(kiosks)]
        seq[k] += 1
        ms = start + i * 10
        age = AGES[i % 4]
        files[k].write(
            '{"schema":"tipskiosk.report.v1","id":"%s","kiosk":"%s","seq":%d,"submitted_at":"%s",'
            '"category":"%s","place":"%s","occurred":"%s","text":"rapport nummer %d från benchmarken",'
            '"language":"sv","reporter":{"role":"visitor","age_group":%s},"contact":null,'
            '"site":"Testgården, Götene","event":null}\n'
            % (uuid7(ms, rng), k, seq[k], rfc3339(ms, tz), CATEGORIES[i % 10], PLACES[i % 7], OCCURRED[i % 5], i,
               '"%s"' % age if age else "null"))
    for f in files.values():
        f.close()


if __name__ == "__main__":
    main()

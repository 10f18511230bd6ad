#!/usr/bin/env python3
"""A large central database for the `lagesbild report` benchmark (`scripts/bench central`).

    central_db.py DB N DAYS KIOSKS

DB must already exist with the schema (`scripts/bench` starts `lagesbild collect` on it briefly, which creates
and migrates it). Adds, in one transaction, N reports with submitted_at spread uniformly over the last DAYS days
up to a minute ago (so the default 14-day picture holds N * 14 / DAYS of them), inserted in time order as a
collector would; KIOSKS kiosks, each with seqs 1..k in time order and one matching seq range (no gaps), and a
status row (one of them silent for three days); the 10 categories, 30 places (a few also typed in other case or
spacing: the picture groups them), some events, the age groups and `occurred` words (a few dates). Every NOT NULL
column is filled, and payload is the full JSON as a kiosk sends it (about 370 bytes). Deterministic (seeded),
except that "now" is now. Bulk-load settings (journal off, synchronous off) only for the load; the file is set
back to WAL, as the collector keeps it.
"""
import bisect
import datetime
import random
import sqlite3
import sys
import time

CATEGORIES = ["unsafe_place", "drugs", "youth_groups", "threats_violence", "theft", "fraud", "vandalism",
              "traffic", "online", "other"]
CATEGORY_WEIGHTS = [18, 14, 12, 9, 11, 5, 10, 8, 7, 6]
PLACES = ["Centrum", "Ungdomsgården", "Stationen", "Skolgården", "Torget", "Badhuset", "Parken", "Biblioteket",
          "Idrottsplatsen", "Busshållplatsen Storgatan", "Köpcentret", "Hamnen", "Kyrkan", "Vårdcentralen",
          "Fritidsgården Väst", "Skateparken", "Campingen", "Sporthallen", "Folkets park", "Järnvägsbron",
          "Gamla stan", "Kvarnbacken", "Strandpromenaden", "Gymnasiet", "Mellanstadiet", "Konsum", "Pizzerian",
          "Parkeringen vid ICA", "Cykelbanan", "Simhallen"]
# A few places as people type them too: the picture counts them as one place.
VARIANTS = {"Centrum": ["centrum", "CENTRUM"], "Folkets park": ["Folkets  park", "folkets park"],
            "Gamla stan": ["gamla stan"], "Skateparken": ["skateparken"]}
OCCURRED = ["now", "today", "this_week", "earlier", "unknown"]
OCCURRED_WEIGHTS = [30, 35, 15, 10, 5]
AGES = ["youth", "adult", "senior", None]
AGE_WEIGHTS = [45, 30, 10, 15]
EVENTS = ["Kulturnatten", "Valborg", "Skolavslutningen", "Marknadsdagen", "Julmarknaden"]


def uuid7(ms, rng):
    r = rng.getrandbits(74)
    b = ms << 80 | 0x7 << 76 | (r >> 62) << 64 | 0b10 << 62 | (r & ((1 << 62) - 1))
    h = "%032x" % b
    return "%s-%s-%s-%s-%s" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


TZ = datetime.timezone(datetime.timedelta(hours=1))


def rfc3339(ms):
    d = datetime.datetime.fromtimestamp(ms / 1000, TZ)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+01:00" % (ms % 1000)


def main():
    db, n, days, nk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(20261125)
    now = int(time.time() * 1000)
    lo, hi = now - days * 86_400_000, now - 60_000
    times = sorted(rng.randrange(lo, hi) for _ in range(n))
    kiosks = ["kiosk-%02d" % (i + 1) for i in range(nk)]
    sites = {k: "Plats %d, Götene" % (i + 1) for i, k in enumerate(kiosks)}
    kiosk_weights = [1 + (i % 3) for i in range(nk)]
    place_weights = [1 / (i + 1) ** 0.8 for i in range(len(PLACES))]
    # Cumulative weights, drawn with one random() each (faster than random.choices per row).
    def table(items, weights):
        acc, cum = 0, []
        for w in weights:
            acc += w
            cum.append(acc)
        return items, [c / acc for c in cum]

    def draw(t):
        items, cum = t
        return items[min(bisect.bisect(cum, rng.random()), len(items) - 1)]

    t_cat, t_place, t_occ = table(CATEGORIES, CATEGORY_WEIGHTS), table(PLACES, place_weights), table(OCCURRED, OCCURRED_WEIGHTS)
    t_age, t_kiosk = table(AGES, AGE_WEIGHTS), table(kiosks, kiosk_weights)
    seq = {k: 0 for k in kiosks}
    first = {}
    last = {}

    def rows():
        for i, ms in enumerate(times):
            k = draw(t_kiosk)
            seq[k] += 1
            first.setdefault(k, ms)
            last[k] = ms
            category = draw(t_cat)
            place = draw(t_place)
            if place in VARIANTS and rng.random() < 0.2:
                place = rng.choice(VARIANTS[place])
            occurred = draw(t_occ)
            if rng.random() < 0.04:
                occurred = datetime.datetime.fromtimestamp((ms - rng.randrange(0, 20) * 86_400_000) / 1000, TZ).strftime("%Y-%m-%d")
            age = draw(t_age)
            event = EVENTS[(ms // (86_400_000 * 30)) % len(EVENTS)] if rng.random() < 0.03 else None
            id_ = uuid7(ms, rng)
            payload = ('{"schema":"tipskiosk.report.v1","id":"%s","kiosk":"%s","seq":%d,"submitted_at":"%s",'
                       '"category":"%s","place":"%s","occurred":"%s","text":"tips nummer %d, syntetisk text för '
                       'benchmarken","language":"sv","reporter":{"role":"visitor","age_group":%s},"contact":null,'
                       '"site":"%s","event":%s}'
                       % (id_, k, seq[k], rfc3339(ms), category, place, occurred, i,
                          '"%s"' % age if age else "null", sites[k], '"%s"' % event if event else "null"))
            yield (id_, k, seq[k], ms, ms + rng.randrange(20, 3000), category, place, occurred,
                   age, event, "tipskiosk.report.v1", payload)

    con = sqlite3.connect(db, isolation_level=None)
    if con.execute("PRAGMA user_version").fetchone()[0] < 1:
        sys.exit("central_db: %s has no schema (start lagesbild collect on it first)" % db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-262144")
    con.execute("BEGIN")
    con.executemany("INSERT INTO reports (id, kiosk, seq, submitted_at, received_at, category, place, "
                    "occurred, age_group, event, schema, payload) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows())
    for i, k in enumerate(kiosks):
        if seq[k] == 0:
            continue
        con.execute("INSERT INTO seq_ranges (kiosk, lo, hi) VALUES (?, 1, ?)", (k, seq[k]))
        status_at = now - (3 * 86_400_000 if i == nk - 1 else rng.randrange(10_000, 300_000))
        status = ('{"schema":"tipskiosk.status.v1","kiosk":"%s","state":"online","pending":0,"dead_letters":0,'
                  '"awaiting_receipt":0,"last_seq":%d,"version":"0.2.0"}' % (k, seq[k]))
        con.execute("INSERT INTO kiosks (kiosk, site, first_seen_at, last_report_at, status_at, state, pending, "
                    "dead_letters, awaiting_receipt, last_seq, version, status) "
                    "VALUES (?, ?, ?, ?, ?, 'online', 0, 0, 0, ?, '0.2.0', ?)",
                    (k, sites[k], first[k], last[k], status_at, seq[k], status))
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    in_default = sum(1 for t in times if t >= now - 14 * 86_400_000)
    print("reports=%d\nkiosks=%d\nlast_14_days=%d" % (n, nk, in_default))


if __name__ == "__main__":
    main()

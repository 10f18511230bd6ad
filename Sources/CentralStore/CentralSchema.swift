/// The central database's versioned migrations (`PRAGMA user_version` counts those applied). Never edit one
/// that has shipped: add the next.
enum CentralSchema {
    static let migrations: [String] = [
        // 1: reports, the seq ranges held per kiosk, the kiosks' last status, rejects, meta.
        """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT
        ) WITHOUT ROWID;
        CREATE TABLE reports (
            id           TEXT    NOT NULL UNIQUE,   -- the report's UUID: the de-duplication key
            kiosk        TEXT    NOT NULL,
            seq          INTEGER NOT NULL,
            submitted_at INTEGER NOT NULL,          -- Unix ms, from the payload
            received_at  INTEGER NOT NULL,          -- Unix ms, when the collector committed it
            category     TEXT    NOT NULL,
            place        TEXT    NOT NULL,          -- as typed (the picture groups spellings: ReceivedReport.placeKey)
            occurred     TEXT    NOT NULL,
            age_group    TEXT,
            event        TEXT,
            schema       TEXT    NOT NULL,
            payload      TEXT    NOT NULL           -- the JSON exactly as received (unknown fields kept)
        );
        -- Covers the picture's one query: a period's counts come from the index alone.
        CREATE INDEX reports_by_time ON reports(submitted_at, category, place, kiosk, event, occurred, age_group);
        CREATE TABLE seq_ranges (                   -- the seqs held per kiosk, merged; gaps lie between ranges
            kiosk TEXT    NOT NULL,
            lo    INTEGER NOT NULL,
            hi    INTEGER NOT NULL,
            PRIMARY KEY (kiosk, lo)
        ) WITHOUT ROWID;
        CREATE TABLE kiosks (
            kiosk            TEXT PRIMARY KEY NOT NULL,
            site             TEXT,
            first_seen_at    INTEGER NOT NULL,
            last_report_at   INTEGER,
            status_at        INTEGER,               -- when its last status message arrived
            state            TEXT,                  -- online | offline, as it said
            pending          INTEGER,
            dead_letters     INTEGER,
            awaiting_receipt INTEGER,
            last_seq         INTEGER,               -- the highest seq it has handed out, from its status
            version          TEXT,
            status           TEXT                   -- the last status payload as received
        ) WITHOUT ROWID;
        CREATE TABLE rejects (
            received_at INTEGER NOT NULL,
            topic       TEXT    NOT NULL,
            reason      TEXT    NOT NULL,
            size        INTEGER NOT NULL,
            head        TEXT                        -- at most the first 1 KiB, for a person to look at
        );
        CREATE INDEX rejects_by_time ON rejects(received_at);
        """,
            // 2: the v1 additions `source` and `masked` (issue 14) as columns, filled in from the payloads already held,
        // and in the covering index so that the picture still reads only the index.
        """
        ALTER TABLE reports ADD COLUMN source TEXT;                -- saw | heard | NULL (not asked or not said)
        ALTER TABLE reports ADD COLUMN masked TEXT;                -- the kinds masked, comma-separated; NULL: none
        UPDATE reports SET source = json_extract(payload, '$.source') WHERE json_type(payload, '$.source') = 'text';
        UPDATE reports SET masked = (SELECT group_concat(value, ',') FROM json_each(payload, '$.masked') WHERE type = 'text')
            WHERE json_type(payload, '$.masked') = 'array';
        DROP INDEX reports_by_time;
        CREATE INDEX reports_by_time ON reports(submitted_at, category, place, kiosk, event, occurred, age_group,
                                                source, masked);
        """,
        // 3 (issue 22): each kiosk's daily intake for the quota (stored, rejected, refused over quota), and the
        // status numbers a kiosk poisoned before the centre bounded them (docs/CONTRACT.md §4.5) cleared, so
        // that the lägesbild draws again and the kiosk's next status sets them.
        """
        CREATE TABLE intake_days (
            kiosk      TEXT    NOT NULL,
            day        INTEGER NOT NULL,              -- UTC days since 1970-01-01, by the centre's clock
            stored     INTEGER NOT NULL DEFAULT 0,    -- reports stored
            rejected   INTEGER NOT NULL DEFAULT 0,    -- payloads kept in rejects
            over_quota INTEGER NOT NULL DEFAULT 0,    -- payloads not stored: over [central] daily_quota
            PRIMARY KEY (kiosk, day)
        ) WITHOUT ROWID;
        """ + SharedSQL.clearPoisonedStatuses,
    ]
}

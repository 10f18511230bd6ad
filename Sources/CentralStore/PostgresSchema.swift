/// The central database's migrations on PostgreSQL: the same tables, columns and index as SQLite's
/// (`CentralSchema`), in PostgreSQL's types. `schema_version` counts those applied. Never edit one that has
/// shipped: add the next, and mirror each of `CentralSchema`'s here under the same number.
enum PostgresSchema {
    static let migrations: [String] = [
        // 1: reports, the seq ranges held per kiosk, the kiosks' last status, rejects, meta; the function that
        // merges a kiosk's new seqs into its ranges.
        """
        CREATE TABLE meta (
            key   text PRIMARY KEY,
            value text
        );
        CREATE TABLE reports (
            id           text   NOT NULL UNIQUE,   -- the report's UUID: the de-duplication key
            kiosk        text   NOT NULL,
            seq          bigint NOT NULL,
            submitted_at bigint NOT NULL,          -- Unix ms, from the payload
            received_at  bigint NOT NULL,          -- Unix ms, when the collector committed it
            category     text   NOT NULL,
            place        text   NOT NULL,
            occurred     text   NOT NULL,
            age_group    text,
            event        text,
            schema       text   NOT NULL,
            payload      text   NOT NULL           -- the JSON exactly as received (unknown fields kept)
        );
        CREATE INDEX reports_by_time ON reports(submitted_at, category, place, kiosk, event, occurred, age_group);
        CREATE TABLE seq_ranges (
            kiosk text   NOT NULL,
            lo    bigint NOT NULL,
            hi    bigint NOT NULL,
            PRIMARY KEY (kiosk, lo)
        );
        CREATE TABLE kiosks (
            kiosk            text PRIMARY KEY,
            site             text,
            first_seen_at    bigint NOT NULL,
            last_report_at   bigint,
            status_at        bigint,
            state            text,
            pending          bigint,
            dead_letters     bigint,
            awaiting_receipt bigint,
            last_seq         bigint,
            version          text,
            status           text
        );
        CREATE TABLE rejects (
            n           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- SQLite's rowid: the order of arrival
            received_at bigint NOT NULL,
            topic       text   NOT NULL,
            reason      text   NOT NULL,
            size        bigint NOT NULL,
            head        text
        );
        CREATE INDEX rejects_by_time ON rejects(received_at);
        -- Merges a kiosk's new seqs into its held ranges (the caller holds the kiosk's advisory lock): the seqs'
        -- own runs first (gaps and islands), then each run with the ranges it touches. Saturating at the ends of
        -- bigint, so that no seq can make it fail.
        CREATE FUNCTION lagesbild_add_seqs(k text, seqs bigint[]) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            run record;
            r record;
            new_lo bigint;
            new_hi bigint;
        BEGIN
            FOR run IN SELECT min(s) AS lo, max(s) AS hi
                       FROM (SELECT s, s::numeric - row_number() OVER (ORDER BY s) AS g
                             FROM (SELECT DISTINCT unnest(seqs) AS s) d) x
                       GROUP BY g ORDER BY 1 LOOP
                new_lo := run.lo;
                new_hi := run.hi;
                FOR r IN DELETE FROM seq_ranges
                         WHERE kiosk = k
                           AND lo <= (CASE WHEN run.hi = 9223372036854775807 THEN run.hi ELSE run.hi + 1 END)
                           AND hi >= (CASE WHEN run.lo = -9223372036854775808 THEN run.lo ELSE run.lo - 1 END)
                         RETURNING lo, hi LOOP
                    new_lo := least(new_lo, r.lo);
                    new_hi := greatest(new_hi, r.hi);
                END LOOP;
                INSERT INTO seq_ranges (kiosk, lo, hi) VALUES (k, new_lo, new_hi);
            END LOOP;
        END $$;
        """,
        // 2: `source` and `masked` (issue 14), in the covering index too.
        """
        ALTER TABLE reports ADD COLUMN source text;
        ALTER TABLE reports ADD COLUMN masked text;
        UPDATE reports SET source = payload::jsonb ->> 'source' WHERE jsonb_typeof(payload::jsonb -> 'source') = 'string';
        UPDATE reports SET masked = (SELECT string_agg(v, ',') FROM jsonb_array_elements_text(payload::jsonb -> 'masked') v)
            WHERE jsonb_typeof(payload::jsonb -> 'masked') = 'array';
        DROP INDEX reports_by_time;
        CREATE INDEX reports_by_time ON reports(submitted_at, category, place, kiosk, event, occurred, age_group,
                                                source, masked);
        """,
        // 3 (issue 22): each kiosk's daily intake for the quota, and the status numbers a kiosk poisoned before
        // the centre bounded them cleared (as SQLite's 3).
        """
        CREATE TABLE intake_days (
            kiosk      text   NOT NULL,
            day        bigint NOT NULL,              -- UTC days since 1970-01-01, by the centre's clock
            stored     bigint NOT NULL DEFAULT 0,    -- reports stored
            rejected   bigint NOT NULL DEFAULT 0,    -- payloads kept in rejects
            over_quota bigint NOT NULL DEFAULT 0,    -- payloads not stored: over [central] daily_quota
            PRIMARY KEY (kiosk, day)
        );
        """ + SharedSQL.clearPoisonedStatuses,
    ]
}

/// The outbox's versioned migrations, applied in order inside one transaction each; `PRAGMA user_version`
/// records how many have run. Never edit a migration that has shipped, not even its comments: add the next one.
/// ("CONTRACT §4" in migration 1 is the report, docs/CONTRACT.md §4.1.)
enum Schema {
    static let migrations: [String] = [
        // 1: reports, the key/value meta table (next seq, event label), and the gateway's last word.
        """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT
        ) WITHOUT ROWID;
        CREATE TABLE reports (
            seq         INTEGER PRIMARY KEY,           -- CONTRACT §4 seq: allocated from meta.next_seq, FIFO order
            id          TEXT    NOT NULL UNIQUE,       -- UUIDv7
            stored_at   INTEGER NOT NULL,              -- Unix ms when committed
            payload     TEXT    NOT NULL,              -- the wire JSON, fixed at commit
            state       INTEGER NOT NULL DEFAULT 0,    -- 0 pending, 1 in flight, 2 dead letter
            attempts    INTEGER NOT NULL DEFAULT 0,    -- times handed to the broker
            dead_code   INTEGER,                       -- PUBACK reason code that refused it
            dead_reason TEXT,
            dead_at     INTEGER
        );
        CREATE INDEX reports_by_state ON reports(state, seq);
        CREATE TABLE gateway (
            one         INTEGER PRIMARY KEY CHECK (one = 1),
            broker      TEXT    NOT NULL,              -- connected | connecting | disconnected | stopped
            since       INTEGER NOT NULL,              -- Unix ms of the last change of `broker`
            last_ack_at INTEGER,                       -- Unix ms of the last successful PUBACK
            last_error  TEXT,
            protocol    TEXT,
            pid         INTEGER,
            updated_at  INTEGER NOT NULL
        );
        """,
        // 2: end-to-end receipts. State 3 is "sent (the broker's PUBACK said success), awaiting the collector's
        // receipt"; `sent_at` is when that PUBACK came (Unix ms).
        """
        ALTER TABLE reports ADD COLUMN sent_at INTEGER;
        """,
        // 3: the gateway no longer marks the rows it publishes (state 1 and `attempts` are not written any
        // more): it keeps what is in flight in memory and records the highest seq it has taken on its current
        // connection, NULL when it is not connected. Rows still pending at or below it are in flight.
        """
        ALTER TABLE gateway ADD COLUMN sent_through INTEGER;
        """,
    ]
}

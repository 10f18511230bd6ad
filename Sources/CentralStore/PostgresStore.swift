import LagesbildReport
import PostgreSQL
import ReportModel

/// The central database on PostgreSQL (`[central] database = "postgresql://…"`): the same tables as the SQLite
/// file (`PostgresSchema` mirrors `CentralSchema`), so that a region's centre can run on a primary with a
/// streaming standby and survive the loss of a machine. Several collectors may write one database at once:
/// reports go in by id with `ON CONFLICT DO NOTHING`, and a kiosk's seq ranges are merged under that kiosk's
/// advisory lock (taken in kiosk order, so two commits never deadlock over them).
///
/// A commit is one transaction (BEGIN … COMMIT) with `synchronous_commit` on: when `commit` returns, the server
/// has flushed it to its WAL (and, with synchronous replication set up on the server, to a standby's). When the
/// connection is lost the error says so (`isBusy`: try again) and the next call connects anew, through every
/// host of a multi-host conninfo (`target_session_attrs=read-write` finds the primary after a failover). A commit
/// whose COMMIT went unanswered may or may not be stored: sending the same batch again is safe, by id.
///
/// Not `Sendable`: one per thread.
public final class PostgresStore: CentralDatabase {
    /// The conninfo without its password, for logs and messages.
    public let location: String
    let conninfo: String
    private let readOnly: Bool
    private var connection: PGConnection?

    /// Connects (and, unless `readOnly`, creates or migrates the tables).
    public static func open(conninfo: String, readOnly: Bool = false, timeout: Duration = .seconds(10)) throws(CentralStoreError) -> PostgresStore {
        let store = PostgresStore(conninfo: conninfo, readOnly: readOnly)
        do {
            let db = try store.connected(timeout: timeout)
            if readOnly {
                let v = try db.query("SELECT to_regclass('schema_version') IS NOT NULL")
                guard v.value(0, 0) == .bool(true) else {
                    throw CentralStoreError(message: "\(store.location) holds no lagesbild tables: has `lagesbild collect` run with this configuration?")
                }
            } else {
                try store.migrate(db)
            }
        } catch let e as CentralStoreError {
            throw e
        } catch let e as PGError {
            throw CentralStoreError(e, location: store.location)
        } catch {
            throw CentralStoreError(message: "\(error)")
        }
        return store
    }

    private init(conninfo: String, readOnly: Bool) {
        self.conninfo = conninfo
        self.readOnly = readOnly
        self.location = Self.redacted(conninfo)
    }

    /// The connection's socket, for the collector's poll(); -1 when not connected.
    public var socket: Int32 { connection?.socket ?? -1 }

    /// The open connection, or a new one (the old one was lost, or its server became read-only).
    private func connected(timeout: Duration = .seconds(10)) throws(PGError) -> PGConnection {
        if let c = connection, c.isConnected { return c }
        connection = nil
        let c = try PGConnection.connect(conninfo, timeout: timeout)
        for sql in Self.sessionSettings(readOnly: readOnly) { try c.query(sql) }
        connection = c
        return c
    }

    /// Set on every new connection: every commit durable before it is confirmed, whatever the server's default.
    static func sessionSettings(readOnly: Bool) -> [String] {
        ["SET synchronous_commit = on", "SET application_name = 'lagesbild'"]
            + (readOnly ? ["SET default_transaction_read_only = on"] : [])
    }

    /// The connection, when there is one that is up.
    var openConnection: PGConnection? { connection.flatMap { $0.isConnected ? $0 : nil } }
    /// Takes a connection made outside (`PendingCommit` connects without blocking).
    func adopt(_ c: PGConnection) { connection = c }
    /// Forgets the connection: the next use connects anew.
    func drop() { connection = nil }

    /// Runs `body` on a connection; a lost connection is dropped, so that the next call connects anew.
    private func using<T>(_ body: (PGConnection) throws(PGError) -> T) throws(CentralStoreError) -> T {
        do {
            let c = try connected()
            return try body(c)
        } catch {
            if error.needsReconnect { connection = nil }
            throw CentralStoreError(error, location: location)
        }
    }

    private func migrate(_ db: PGConnection) throws(PGError) {
        try db.transaction { () throws(PGError) in
            // Two collectors starting at once: the second waits here, then finds the work done. The lock is an
            // advisory one, taken before `schema_version` exists (two `CREATE TABLE IF NOT EXISTS` at once collide
            // in PostgreSQL's catalogue); it ends with the transaction.
            try db.query("SELECT pg_advisory_xact_lock(hashtext('lagesbild.schema'))")
            try db.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            let current = Int(try db.query("SELECT max(version) FROM schema_version").int64(0, 0) ?? 0)
            for (index, sql) in PostgresSchema.migrations.enumerated() where index >= current {
                try db.execute(sql)
            }
            if current < PostgresSchema.migrations.count {
                try db.query("DELETE FROM schema_version")
                try db.query("INSERT INTO schema_version VALUES ($1)", [.int(Int64(PostgresSchema.migrations.count))])
            }
        }
    }

    // MARK: Intake

    /// The bounds and the daily quota `commit` applies (`[central] daily_quota`), as on SQLite.
    public var intake = IntakePolicy()

    public func commit(_ batch: CentralStore.Batch, at now: Int64) throws(CentralStoreError) -> CentralStore.Committed {
        guard !batch.isEmpty else { return CentralStore.Committed(held: [:], new: 0) }
        let policy = intake
        return try using { (db) throws(PGError) -> CentralStore.Committed in
            try db.transaction { () throws(PGError) -> CentralStore.Committed in
                var read: [PGResult] = []
                for step in Self.intakeReads(batch, at: now) { read.append(try db.query(step.sql, step.params)) }
                let admitted = Self.admit(batch, policy: policy, now: now, reads: read)
                var last: PGResult?
                for step in Self.commitWrites(admitted, at: now) { last = try db.query(step.sql, step.params) }
                return Self.committed(admitted, newRows: last!)
            }
        }
    }

    typealias Statement = (sql: String, params: [PGValue])

    /// A commit's first statements, after BEGIN: the batch's kiosks locked, in order, for the rest of the
    /// transaction (their ranges merge and their quota counts one commit at a time), then what `IntakeLedger`
    /// asks: the kiosks' use of today's quota, and which of the batch's ids are held already. Only the batch's
    /// values as parameters, so that they go in one pipeline.
    static func intakeReads(_ batch: CentralStore.Batch, at now: Int64) -> [Statement] {
        let kiosks = Set(IntakeLedger.kiosks(of: batch)).union(batch.statuses.map(\.kiosk)).sorted()
        return [
            ("SELECT pg_advisory_xact_lock(hashtext('lagesbild.kiosk'), hashtext(k)) FROM unnest($1::text[]) AS u(k) ORDER BY k",
             [.array(kiosks.map { .text($0) })]),
            ("SELECT kiosk, stored + rejected FROM intake_days WHERE day = $1 AND kiosk = ANY($2::text[])",
             [.int(IntakePolicy.day(of: now)), .array(IntakeLedger.kiosks(of: batch).map { .text($0) })]),
            ("SELECT id FROM reports WHERE id = ANY($1::text[])", [.array(batch.reports.map { .text($0.id) })]),
        ]
    }

    /// `IntakeLedger`'s decisions from the results of `intakeReads` (the last two are its answers).
    static func admit(_ batch: CentralStore.Batch, policy: IntakePolicy, now: Int64, reads: [PGResult]) -> IntakeLedger.Admitted {
        let usedRows = reads[reads.count - 2], heldRows = reads[reads.count - 1]
        var used: [String: Int] = [:]
        for i in 0..<usedRows.count { used[usedRows.string(i, 0) ?? ""] = Int(usedRows.int64(i, 1) ?? 0) }
        let held = Set((0..<heldRows.count).compactMap { heldRows.string($0, 0) })
        return IntakeLedger.admit(batch, policy: policy, now: now, usedToday: { (kiosk) throws(Never) in used[kiosk] ?? 0 },
                                  holds: { (id) throws(Never) in held.contains(id) })
    }

    /// The statements that store what `IntakeLedger` admitted, before COMMIT; the last one's rows are the kiosks
    /// with reports that were new, and how many (kiosk, count). None depends on another's result, so that a
    /// caller driving the connection asynchronously can send them at once (pipelined).
    static func commitWrites(_ admitted: IntakeLedger.Admitted, at now: Int64) -> [Statement] {
        let batch = admitted.batch
        var steps: [Statement] = []
        let sites = batch.sitesByKiosk
        if !sites.isEmpty {
            let ordered = sites.keys.sorted()
            steps.append(("""
                INSERT INTO kiosks (kiosk, site, first_seen_at, last_report_at)
                SELECT k, s, $3, $3 FROM unnest($1::text[], $2::text[]) AS u(k, s) ORDER BY k
                ON CONFLICT (kiosk) DO UPDATE SET site = coalesce(excluded.site, kiosks.site),
                  last_report_at = excluded.last_report_at
                """, [.array(ordered.map { .text($0) }), .array(ordered.map { PGValue(sites[$0] ?? nil) }), .int(now)]))
        }
        // Statuses one by one, in the batch's order: the last status wins, as in SQLite.
        for s in batch.statuses {
            steps.append((SharedSQL.statusUpsert, [.text(s.kiosk), .int(now), PGValue(s.state), PGValue(s.pending),
                                                   PGValue(s.deadLetters), PGValue(s.awaitingReceipt), PGValue(s.lastSeq),
                                                   PGValue(s.version), .text(s.payload)]))
        }
        if !batch.rejects.isEmpty {
            let r = batch.rejects
            steps.append(("""
                INSERT INTO rejects (received_at, topic, reason, size, head)
                SELECT $1, t, why, n, h FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[]) WITH ORDINALITY AS u(t, why, n, h, i) ORDER BY i
                """, [.int(now), .array(r.map { .text($0.topic) }), .array(r.map { .text($0.reason) }),
                      .array(r.map { .int(Int64($0.size)) }), .array(r.map { .text($0.head) })]))
        }
        if !admitted.counts.isEmpty {
            let kiosks = admitted.counts.keys.sorted()
            let c = kiosks.map { admitted.counts[$0] ?? .init() }
            steps.append(("""
                INSERT INTO intake_days AS d (kiosk, day, stored, rejected, over_quota)
                SELECT k, $1, s, r, q FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(k, s, r, q) ORDER BY k
                ON CONFLICT (kiosk, day) DO UPDATE SET stored = d.stored + excluded.stored,
                  rejected = d.rejected + excluded.rejected, over_quota = d.over_quota + excluded.over_quota
                """, [.int(IntakePolicy.day(of: now)), .array(kiosks.map { .text($0) }),
                      .array(c.map { .int(Int64($0.stored)) }), .array(c.map { .int(Int64($0.rejected)) }),
                      .array(c.map { .int(Int64($0.overQuota)) })]))
        }
        // The reports by id (in id order: two collectors inserting the same ids never wait on each other in a
        // circle), the new ones' seqs merged into their kiosk's ranges; the rows returned are the new reports.
        let p = batch.reports
        steps.append(("""
            WITH fresh AS (
                INSERT INTO reports (id, kiosk, seq, submitted_at, received_at, category, place, occurred, age_group,
                                     event, schema, payload, source, masked)
                SELECT id, k, seq, sub, $14, cat, place, occ, age, ev, sch, pl, src, msk
                FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
                     AS u(id, k, seq, sub, cat, place, occ, age, ev, sch, pl, src, msk)
                ORDER BY id
                ON CONFLICT (id) DO NOTHING
                RETURNING kiosk, seq
            )
            SELECT kiosk, n, lagesbild_add_seqs(kiosk, seqs)
            FROM (SELECT kiosk, count(*) AS n, array_agg(seq) AS seqs FROM fresh GROUP BY kiosk ORDER BY kiosk) f
            """, [.array(p.map { .text($0.id) }), .array(p.map { .text($0.kiosk) }), .array(p.map { .int($0.seq) }),
                  .array(p.map { .int($0.submittedAt) }), .array(p.map { .text($0.category) }), .array(p.map { .text($0.place) }),
                  .array(p.map { .text($0.occurred) }), .array(p.map { PGValue($0.ageGroup) }), .array(p.map { PGValue($0.event) }),
                  .array(p.map { .text($0.schema) }), .array(p.map { .text($0.payload) }), .array(p.map { PGValue($0.source) }),
                  .array(p.map { PGValue($0.masked.isEmpty ? nil : $0.masked.joined(separator: ",")) }), .int(now)]))
        return steps
    }

    /// What a commit stored, from what was admitted and the rows of its last statement (kiosk, how many were new).
    static func committed(_ admitted: IntakeLedger.Admitted, newRows: PGResult) -> CentralStore.Committed {
        let new = (0..<newRows.count).reduce(0) { $0 + Int(newRows.int64($1, 1) ?? 0) }
        return CentralStore.Committed(held: admitted.held, new: new, refused: admitted.refused, overQuota: admitted.overQuota)
    }

    // MARK: Reading

    public func heldRanges() throws(CentralStoreError) -> [String: [ClosedRange<Int64>]] {
        try using { (db) throws(PGError) in
            let r = try db.query("SELECT kiosk, lo, hi FROM seq_ranges ORDER BY kiosk, lo")
            var out: [String: [ClosedRange<Int64>]] = [:]
            for i in 0..<r.count { out[r.string(i, 0) ?? "", default: []].append((r.int64(i, 1) ?? 0)...(r.int64(i, 2) ?? 0)) }
            return out
        }
    }

    /// The gaps in SQL: between consecutive ranges of a kiosk, before its first (from 1), and after its last up
    /// to the last seq its status named.
    static let gapsQuery = """
        WITH r AS (
            SELECT kiosk, lo, hi, lag(hi) OVER (PARTITION BY kiosk ORDER BY lo) AS prev FROM seq_ranges
        ), g AS (
            SELECT kiosk, coalesce(prev, 0) + 1 AS lo, lo - 1 AS hi FROM r WHERE lo > coalesce(prev, 0) + 1
            UNION ALL
            SELECT k.kiosk, coalesce(m.hi, 0) + 1, k.last_seq
            FROM kiosks k LEFT JOIN (SELECT kiosk, max(hi) AS hi FROM seq_ranges GROUP BY kiosk) m USING (kiosk)
            WHERE k.last_seq IS NOT NULL AND coalesce(m.hi, 0) < 9223372036854775807 AND k.last_seq > coalesce(m.hi, 0)
        )
        SELECT kiosk, lo, hi FROM g ORDER BY kiosk COLLATE "C", lo
        """

    public func gaps() throws(CentralStoreError) -> [Picture.Gap] {
        try using { (db) throws(PGError) in try Self.readGaps(db) }
    }

    static func readGaps(_ db: PGConnection) throws(PGError) -> [Picture.Gap] {
        let r = try db.query(gapsQuery)
        return (0..<r.count).map { Picture.Gap(kiosk: r.string($0, 0) ?? "", from: r.int64($0, 1) ?? 0, to: r.int64($0, 2) ?? 0) }
    }

    public func reportCount() throws(CentralStoreError) -> Int {
        try using { (db) throws(PGError) in Int(try db.query("SELECT count(*) FROM reports").int64(0, 0) ?? 0) }
    }

    public func rejects(limit: Int = 100) throws(CentralStoreError) -> [(topic: String, reason: String, size: Int)] {
        try using { (db) throws(PGError) in
            let r = try db.query("SELECT topic, reason, size FROM rejects ORDER BY n DESC LIMIT $1", [.int(Int64(limit))])
            return (0..<r.count).map { (r.string($0, 0) ?? "", r.string($0, 1) ?? "", Int(r.int64($0, 2) ?? 0)) }
        }
    }

    // MARK: Retention

    /// Deletes old reports and rejects, then VACUUMs the two tables so that their space is reused. PostgreSQL has
    /// no `secure_delete`: the deleted text stays in the data files' free space (and in WAL archives and base
    /// backups) until it is overwritten; docs/CENTRAL.md says how long, and what to encrypt.
    public func prune(before cutoff: Int64) throws(CentralStoreError) -> (reports: Int, rejects: Int) {
        try using { (db) throws(PGError) -> (reports: Int, rejects: Int) in
            let result = try db.transaction { () throws(PGError) -> (reports: Int, rejects: Int) in
                // By received_at too: a report that claimed a far future before the centre bounded it still goes.
                let reports = try db.query("DELETE FROM reports WHERE submitted_at < $1 OR received_at < $1",
                                           [.int(cutoff)]).affectedRows
                let rejects = try db.query("DELETE FROM rejects WHERE received_at < $1", [.int(cutoff)]).affectedRows
                try db.query("DELETE FROM intake_days WHERE day < $1", [.int(IntakePolicy.day(of: cutoff))])
                return (reports, rejects)
            }
            // Each on its own: VACUUM runs in no transaction, and several statements in one call are one.
            try db.execute("VACUUM reports", timeout: .seconds(3600))
            try db.execute("VACUUM rejects", timeout: .seconds(3600))
            return result
        }
    }

    // MARK: The picture

    public func picture(period: Picture.Period, now: Int64, silentAfterHours: Int,
                        includeText: Bool) throws(CentralStoreError) -> Picture {
        try using { (db) throws(PGError) -> Picture in
            // One snapshot for every query of the picture.
            try db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? db.query("ROLLBACK") }
            var tally = PictureTally()
            let s = try db.query("""
                SELECT submitted_at >= $1, category, place, kiosk, event, occurred, age_group, count(*), source, masked
                FROM reports WHERE submitted_at >= $2 AND submitted_at < $3
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 9, 10
                """, [.int(period.since), .int(period.previous.since), .int(period.until)])
            for i in 0..<s.count {
                tally.add(current: s.value(i, 0) == .bool(true), category: s.string(i, 1) ?? "", place: s.string(i, 2) ?? "",
                          kiosk: s.string(i, 3) ?? "", event: s.string(i, 4), occurred: s.string(i, 5) ?? "",
                          ageGroup: s.string(i, 6), source: s.string(i, 8), masked: s.string(i, 9),
                          count: Int(s.int64(i, 7) ?? 0))
            }
            let k = try db.query("""
                SELECT kiosk, site, state, status_at, last_report_at, pending, dead_letters, awaiting_receipt FROM kiosks
                """)
            var kiosks = (0..<k.count).map {
                PictureTally.kiosk(id: k.string($0, 0) ?? "", site: k.string($0, 1), state: k.string($0, 2),
                                   statusAt: k.int64($0, 3), lastReportAt: k.int64($0, 4), pending: k.int64($0, 5),
                                   deadLetters: k.int64($0, 6), awaitingReceipt: k.int64($0, 7), now: now,
                                   silentAfterHours: silentAfterHours)
            }
            // Over quota in the period's days (a database of a collector not yet migrated to 3 has no such table).
            if try db.query("SELECT to_regclass('intake_days') IS NOT NULL").value(0, 0) == .bool(true) {
                let days = PictureTally.quotaDays(of: period)
                let q = try db.query("""
                    SELECT kiosk, sum(over_quota) FROM intake_days WHERE day >= $1 AND day <= $2 GROUP BY kiosk
                    """, [.int(days.lowerBound), .int(days.upperBound)])
                var overQuota: [String: Int] = [:]
                for i in 0..<q.count { overQuota[q.string(i, 0) ?? ""] = Int(q.int64(i, 1) ?? 0) }
                kiosks = PictureTally.kiosks(kiosks, overQuota: overQuota)
            }
            let rejects = Int(try db.query("SELECT count(*) FROM rejects WHERE received_at >= $1 AND received_at < $2",
                                           [.int(period.since), .int(period.until)]).int64(0, 0) ?? 0)
            let gaps = try Self.readGaps(db)
            var tips: [Picture.Tip]? = nil
            if includeText {
                let t = try db.query("""
                    SELECT submitted_at, kiosk, seq, category, place, occurred, payload::jsonb ->> 'text' FROM reports
                    WHERE submitted_at >= $1 AND submitted_at < $2 ORDER BY submitted_at, kiosk COLLATE "C", seq
                    """, [.int(period.since), .int(period.until)])
                tips = (0..<t.count).map {
                    Picture.Tip(submittedAt: t.int64($0, 0) ?? 0, kiosk: t.string($0, 1) ?? "", seq: t.int64($0, 2) ?? 0,
                                category: t.string($0, 3) ?? "", place: t.string($0, 4) ?? "", occurred: t.string($0, 5) ?? "",
                                text: t.string($0, 6) ?? "")
                }
            }
            return tally.picture(period: period, now: now, silentAfterHours: silentAfterHours, kiosks: kiosks, gaps: gaps,
                                 rejects: rejects, tips: tips)
        }
    }

    /// The conninfo with any password replaced by `***` (`postgresql://user:secret@host/db`, `password=secret`).
    public static func redacted(_ conninfo: String) -> String {
        var s = conninfo
        if let scheme = s.firstRange(of: "://"), let at = s[scheme.upperBound...].firstIndex(of: "@"),
           let colon = s[scheme.upperBound..<at].firstIndex(of: ":") {
            s.replaceSubrange(s.index(after: colon)..<at, with: "***")
        }
        for key in ["password=", "password = "] {
            while let r = s.firstRange(of: key), !s[r.upperBound...].hasPrefix("***") {
                let end = s[r.upperBound...].firstIndex(where: { $0 == " " || $0 == "&" }) ?? s.endIndex
                s.replaceSubrange(r.upperBound..<end, with: "***")
            }
        }
        return s
    }
}

extension CentralStoreError {
    /// A PostgreSQL error as a sentence. A lost connection, a server that became read-only (failover) and a
    /// conflict with another collector are `isBusy`: nothing was confirmed, and the same batch is sent again.
    init(_ e: PGError, location: String) {
        self.init(message: "\(location): \(e)")
        isBusy = e.needsReconnect || e.isRetryable
        isDiskFull = e.sqlState == "53100"   // disk_full
    }
}

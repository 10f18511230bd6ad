import CSQLite
import Glibc
import LagesbildReport
import ReportModel
import SQLite

/// The central database of `lagesbild`: every report the collector received, de-duplicated by `id`, the seq
/// ranges it holds per kiosk (the gaps lie between them), each kiosk's last status, and the payloads that were
/// not reports (rejects). One SQLite file in WAL mode; a commit is synced (`synchronous=FULL`) before the
/// collector confirms it with a receipt.
///
/// Not `Sendable`: open one per thread.
public final class CentralStore {
    /// What arrives in one loop turn of the collector, committed together.
    public struct Batch: Sendable {
        public var reports: [ReceivedReport] = []
        public var statuses: [ReceivedStatus] = []
        public var rejects: [Reject] = []
        public init() {}
        public var isEmpty: Bool { reports.isEmpty && statuses.isEmpty && rejects.isEmpty }
    }

    /// A payload that is not a valid report or status.
    public struct Reject: Sendable, Equatable {
        public var topic: String
        public var reason: String
        public var size: Int
        /// At most the first 1 KiB, as text (invalid UTF-8 replaced).
        public var head: String
        public init(topic: String, reason: String, payload: UnsafeRawBufferPointer) {
            self.topic = topic
            self.reason = reason
            self.size = payload.count
            self.head = String(decoding: UnsafeRawBufferPointer(rebasing: payload.prefix(1024)), as: UTF8.self)
        }
        /// A decoded report the store refuses (`IntakePolicy.refusal`).
        init(report: ReceivedReport, reason: String) {
            topic = "reports/" + report.kiosk
            self.reason = reason
            size = report.payload.utf8.count
            head = String(decoding: report.payload.utf8.prefix(1024), as: UTF8.self)
        }
        /// The kiosk whose topic it came on (the topic's last level): the daily quota counts it against that kiosk.
        public var kiosk: String { topic.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? topic }
    }

    public let path: String
    let db: SQLiteConnection
    /// The bounds and the daily quota `commit` applies (`[central] daily_quota`).
    public var intake = IntakePolicy()

    /// Opens (creating and migrating) the database at `path`. `readOnly` is for `lagesbild report`.
    public static func open(path: String, readOnly: Bool = false) throws(CentralStoreError) -> CentralStore {
        do {
            if readOnly { return try CentralStore(path: path, readOnly: true) }
            try ensureDirectory(of: path)
            // Two collectors starting at once (a shared subscription) must not set up a new file under each other.
            guard let lock = FileLock(path: path + ".lock") else {
                throw CentralStoreError(message: "cannot create the lock file \(path).lock: \(String(cString: strerror(errno)))")
            }
            defer { lock.unlock() }
            return try CentralStore(path: path, readOnly: false)
        } catch let e as CentralStoreError {
            throw e
        } catch let e as SQLiteError {
            throw CentralStoreError(e, path: path)
        } catch {
            throw CentralStoreError(message: "\(error)")
        }
    }

    private init(path: String, readOnly: Bool) throws {
        self.path = path
        if readOnly {
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw CentralStoreError(message: "\(path) does not exist: has `lagesbild collect` run with this configuration?")
            }
        }
        db = try SQLiteConnection(path: path, readOnly: readOnly)
        db.setBusyTimeout(milliseconds: 15_000)
        _ = try db.scalar("PRAGMA schema_version")
        if !readOnly {
            let mode = try db.text("PRAGMA journal_mode=WAL")
            guard mode?.lowercased() == "wal" else {
                throw CentralStoreError(message: "WAL mode could not be set on \(path) (got \(mode ?? "nothing"))")
            }
            try db.execute("PRAGMA synchronous=FULL")
            try db.execute("PRAGMA journal_size_limit=67108864")
            try migrate()
        } else {
            let version = Int(try db.scalar("PRAGMA user_version") ?? 0)
            guard version >= 1 else { throw CentralStoreError(message: "\(path) is not a lagesbild database") }
        }
    }

    private func migrate() throws(SQLiteError) {
        let version = Int(try db.scalar("PRAGMA user_version") ?? 0)
        guard version < CentralSchema.migrations.count else { return }
        try db.writeTransaction { () throws(SQLiteError) in
            let current = Int(try db.scalar("PRAGMA user_version") ?? 0)
            for (index, sql) in CentralSchema.migrations.enumerated() where index >= current {
                try db.execute(sql)
            }
            try db.execute("PRAGMA user_version = \(CentralSchema.migrations.count)")
        }
    }

    static func ensureDirectory(of path: String) throws(CentralStoreError) {
        if let problem = FilePath.makeFolder(of: path) { throw CentralStoreError(message: problem) }
    }

    // MARK: Intake

    /// What one commit stored.
    public struct Committed: Sendable, Equatable {
        /// Per kiosk, every seq of its reports in the batch, new and already held alike: what the receipts confirm.
        public var held: [String: [Int64]]
        /// Reports that were new (not already held by id).
        public var new: Int
        /// Per kiosk, the seqs of the batch the store refused and does not hold (`IntakePolicy`: too far in the
        /// future, or over the kiosk's daily quota). They get no receipt: the kiosk keeps them.
        public var refused: [String: [Int64]]
        /// Payloads (reports and rejects) not stored because their kiosk was over its daily quota.
        public var overQuota: Int
        public init(held: [String: [Int64]], new: Int, refused: [String: [Int64]] = [:], overQuota: Int = 0) {
            self.held = held
            self.new = new
            self.refused = refused
            self.overQuota = overQuota
        }
        public var duplicates: Int { held.values.reduce(0) { $0 + $1.count } - new }
    }

    /// Commits one batch in one synced transaction.
    public func commit(_ batch: Batch, at now: Int64) throws(CentralStoreError) -> Committed {
        guard !batch.isEmpty else { return Committed(held: [:], new: 0) }
        do {
            return try db.writeTransaction { () throws(SQLiteError) -> Committed in
                let day = IntakePolicy.day(of: now)
                let used = try db.statement("SELECT stored + rejected FROM intake_days WHERE kiosk = ? AND day = ?")
                let holds = try db.statement("SELECT 1 FROM reports WHERE id = ?")
                let admitted = try IntakeLedger.admit(batch, policy: intake, now: now, usedToday: { (kiosk) throws(SQLiteError) -> Int in
                    defer { used.reset() }
                    used.bind(1, kiosk)
                    used.bind(2, day)
                    return try used.step() ? Int(used.int64(0)) : 0
                }, holds: { (id) throws(SQLiteError) -> Bool in
                    defer { holds.reset() }
                    holds.bind(1, id)
                    return try holds.step()
                })
                let new = try store(admitted.batch, at: now)
                try saveCounts(admitted.counts, day: day)
                return Committed(held: admitted.held, new: new, refused: admitted.refused, overQuota: admitted.overQuota)
            }
        } catch {
            throw CentralStoreError(error, path: path)
        }
    }

    /// Stores what `IntakeLedger` admitted; how many reports were new.
    private func store(_ batch: Batch, at now: Int64) throws(SQLiteError) -> Int {
        var fresh: [String: [Int64]] = [:]
        let insert = try db.statement("""
            INSERT INTO reports (id, kiosk, seq, submitted_at, received_at, category, place, occurred,
                                 age_group, event, schema, payload, source, masked)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING
            """)
        for r in batch.reports {
            insert.bind(1, r.id)
            insert.bind(2, r.kiosk)
            insert.bind(3, r.seq)
            insert.bind(4, r.submittedAt)
            insert.bind(5, now)
            insert.bind(6, r.category)
            insert.bind(7, r.place)
            insert.bind(8, r.occurred)
            insert.bind(9, r.ageGroup)
            insert.bind(10, r.event)
            insert.bind(11, r.schema)
            insert.bind(12, r.payload)
            insert.bind(13, r.source)
            insert.bind(14, r.masked.isEmpty ? nil : r.masked.joined(separator: ","))
            try insert.run()
            if db.changes > 0 { fresh[r.kiosk, default: []].append(r.seq) }
        }
        for (kiosk, seqs) in fresh { try addRanges(kiosk: kiosk, seqs: seqs) }
        let k = try db.statement("""
            INSERT INTO kiosks (kiosk, site, first_seen_at, last_report_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(kiosk) DO UPDATE SET site = coalesce(excluded.site, kiosks.site),
              last_report_at = excluded.last_report_at
            """)
        for (kiosk, site) in batch.sitesByKiosk {
            k.bind(1, kiosk)
            k.bind(2, site)
            k.bind(3, now)
            k.bind(4, now)
            try k.run()
        }
        let st = try db.statement(SharedSQL.statusUpsert)
        for s in batch.statuses {
            st.bind(1, s.kiosk)
            st.bind(2, now)
            st.bind(3, s.state)
            st.bind(4, s.pending)
            st.bind(5, s.deadLetters)
            st.bind(6, s.awaitingReceipt)
            st.bind(7, s.lastSeq)
            st.bind(8, s.version)
            st.bind(9, s.payload)
            try st.run()
        }
        let rj = try db.statement("INSERT INTO rejects (received_at, topic, reason, size, head) VALUES (?, ?, ?, ?, ?)")
        for r in batch.rejects {
            rj.bind(1, now)
            rj.bind(2, r.topic)
            rj.bind(3, r.reason)
            rj.bind(4, Int64(r.size))
            rj.bind(5, r.head)
            try rj.run()
        }
        return fresh.values.reduce(0) { $0 + $1.count }
    }

    /// Adds this commit's counts to `intake_days`, inside the commit's transaction.
    private func saveCounts(_ counts: [String: IntakeLedger.Count], day: Int64) throws(SQLiteError) {
        let s = try db.statement("""
            INSERT INTO intake_days (kiosk, day, stored, rejected, over_quota) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(kiosk, day) DO UPDATE SET stored = stored + excluded.stored,
              rejected = rejected + excluded.rejected, over_quota = over_quota + excluded.over_quota
            """)
        for (kiosk, c) in counts {
            s.bind(1, kiosk)
            s.bind(2, day)
            s.bind(3, Int64(c.stored))
            s.bind(4, Int64(c.rejected))
            s.bind(5, Int64(c.overQuota))
            try s.run()
        }
    }

    /// Merges the seqs into the kiosk's held ranges.
    private func addRanges(kiosk: String, seqs: [Int64]) throws(SQLiteError) {
        let find = try db.statement("SELECT lo, hi FROM seq_ranges WHERE kiosk = ? AND lo <= ? AND hi >= ?")
        let delete = try db.statement("DELETE FROM seq_ranges WHERE kiosk = ? AND lo = ?")
        let insert = try db.statement("INSERT INTO seq_ranges (kiosk, lo, hi) VALUES (?, ?, ?)")
        for r in DeliveryReceipt.ranges(of: seqs) {
            var lo = r.lowerBound, hi = r.upperBound
            find.bind(1, kiosk)
            find.bind(2, hi.addingSaturated(1))
            find.bind(3, lo.addingSaturated(-1))
            var touching: [Int64] = []
            while try find.step() {
                lo = min(lo, find.int64(0))
                hi = max(hi, find.int64(1))
                touching.append(find.int64(0))
            }
            find.reset()
            for start in touching {
                delete.bind(1, kiosk)
                delete.bind(2, start)
                try delete.run()
            }
            insert.bind(1, kiosk)
            insert.bind(2, lo)
            insert.bind(3, hi)
            try insert.run()
        }
    }

    // MARK: Reading

    /// The seq ranges held for each kiosk, ascending.
    public func heldRanges() throws(CentralStoreError) -> [String: [ClosedRange<Int64>]] {
        do { return try readHeldRanges() } catch { throw CentralStoreError(error, path: path) }
    }

    /// The open gaps: seqs missing between the ranges held, from 1, and up to the last seq a kiosk's status named.
    public func gaps() throws(CentralStoreError) -> [Picture.Gap] {
        do { return try readGaps() } catch { throw CentralStoreError(error, path: path) }
    }

    func readHeldRanges() throws(SQLiteError) -> [String: [ClosedRange<Int64>]] {
        let s = try db.statement("SELECT kiosk, lo, hi FROM seq_ranges ORDER BY kiosk, lo")
        defer { s.reset() }
        var out: [String: [ClosedRange<Int64>]] = [:]
        while try s.step() { out[s.string(0) ?? "", default: []].append(s.int64(1)...s.int64(2)) }
        return out
    }

    func readGaps() throws(SQLiteError) -> [Picture.Gap] {
        let ranges = try readHeldRanges()
        var lastSeq: [String: Int64] = [:]
        let s = try db.statement("SELECT kiosk, last_seq FROM kiosks WHERE last_seq IS NOT NULL")
        defer { s.reset() }
        while try s.step() { lastSeq[s.string(0) ?? ""] = s.int64(1) }
        var gaps: [Picture.Gap] = []
        for kiosk in Set(ranges.keys).union(lastSeq.keys).sorted() {
            var next: Int64 = 1
            for r in ranges[kiosk] ?? [] {
                if r.lowerBound > next { gaps.append(.init(kiosk: kiosk, from: next, to: r.lowerBound - 1)) }
                next = max(next, r.upperBound.addingSaturated(1))
            }
            if let last = lastSeq[kiosk], last >= next { gaps.append(.init(kiosk: kiosk, from: next, to: last)) }
        }
        return gaps
    }

    /// How many reports the database holds.
    public func reportCount() throws(CentralStoreError) -> Int {
        do { return Int(try db.scalar("SELECT count(*) FROM reports") ?? 0) } catch { throw CentralStoreError(error, path: path) }
    }

    /// The rejects, newest first (reason, topic, size).
    public func rejects(limit: Int = 100) throws(CentralStoreError) -> [(topic: String, reason: String, size: Int)] {
        do {
            let s = try db.statement("SELECT topic, reason, size FROM rejects ORDER BY rowid DESC LIMIT ?")
            defer { s.reset() }
            s.bind(1, Int64(limit))
            var out: [(String, String, Int)] = []
            while try s.step() { out.append((s.string(0) ?? "", s.string(1) ?? "", Int(s.int64(2)))) }
            return out
        } catch {
            throw CentralStoreError(error, path: path)
        }
    }

    // MARK: Retention

    /// Deletes reports submitted before `cutoff` (Unix ms) and rejects received before it; the deleted text is
    /// overwritten (`secure_delete`) and the WAL truncated, so that it does not linger in free pages. The seq
    /// ranges stay: they hold no personal data, and without them every pruned seq would look like a gap.
    /// Returns how many reports and rejects were deleted.
    public func prune(before cutoff: Int64) throws(CentralStoreError) -> (reports: Int, rejects: Int) {
        do {
            try db.execute("PRAGMA secure_delete=ON")
            let result = try db.writeTransaction { () throws(SQLiteError) -> (Int, Int) in
                // By received_at too: a report that claimed a far future before the centre bounded it still goes.
                let r = try db.statement("DELETE FROM reports WHERE submitted_at < ?1 OR received_at < ?1")
                r.bind(1, cutoff)
                try r.run()
                let reports = db.changes
                let j = try db.statement("DELETE FROM rejects WHERE received_at < ?")
                j.bind(1, cutoff)
                try j.run()
                let rejects = db.changes
                let d = try db.statement("DELETE FROM intake_days WHERE day < ?")
                d.bind(1, IntakePolicy.day(of: cutoff))
                try d.run()
                return (reports, rejects)
            }
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return result
        } catch {
            throw CentralStoreError(error, path: path)
        }
    }
}

/// Why the central database could not be used, as a sentence.
public struct CentralStoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// The disk is full: the collector waits and retries (its commit was not made, so nothing was confirmed).
    public var isDiskFull = false
    public var isBusy = false
    public init(message: String) { self.message = message }
    init(_ e: SQLiteError, path: String) {
        if e.isDiskFull {
            message = "the disk under \(path) is full"
            isDiskFull = true
        } else if e.isBusy {
            message = "\(path) was busy for too long (another process held it)"
            isBusy = true
        } else if e.primary == SQLITE_READONLY {
            message = "\(path) or its folder is read-only (\(e.message))"
        } else if e.primary == SQLITE_CANTOPEN {
            message = "cannot open \(path): check the folder exists and its permissions (\(e.message))"
        } else if e.isCorruption {
            message = "\(path) is damaged (\(e.message)); restore it from a backup, or move it aside to start a new one"
        } else {
            message = "\(path): \(e.description)"
        }
    }
    public var description: String { message }
}

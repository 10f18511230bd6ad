import CSQLite
import Daemon
import Glibc
import ReportModel
import SQLite

/// The durable outbox: every report a visitor was thanked for, until the broker has acknowledged it.
///
/// One SQLite file in WAL mode, shared by processes: the prompt and `submit` store, the gateway reads and
/// deletes. Writes take the lock up front (`BEGIN IMMEDIATE`) and wait up to `busyTimeout` for it, so a
/// visitor never sees "database is locked". A store commits with `synchronous=FULL` (fsync of the WAL) before
/// it returns: that commit is the moment a report may be thanked for.
///
/// `seq` is allocated in the same transaction as the row from `meta.next_seq` and is never reused: not after
/// every row is deleted, not after a restart, and not after a damaged file is moved aside (a small sidecar file,
/// `<path>.seq`, keeps a high-water mark ahead of the last seq; a fresh outbox starts above it).
///
/// Not `Sendable`: open one `Outbox` per thread.
public final class Outbox {
    public struct Identity: Sendable, Equatable {
        public var kiosk: String
        public var site: String
        /// The label from the configuration file; a label set by staff (stored in the outbox) wins.
        public var defaultEvent: String?
        /// `[kiosk] age_group` of the configuration file; a setting made by staff (stored in the outbox) wins.
        public var defaultAgeGroup: AgeGroupSetting?
        public init(kiosk: String, site: String, defaultEvent: String?, defaultAgeGroup: AgeGroupSetting? = nil) {
            self.kiosk = kiosk
            self.site = site
            self.defaultEvent = defaultEvent
            self.defaultAgeGroup = defaultAgeGroup
        }
    }

    /// How this process uses the file; the gateway's own commits need no fsync (a lost delete only resends).
    public enum Role: Sendable { case store, gateway, reader }

    public struct Receipt: Sendable, Equatable {
        public var id: String
        public var seq: Int64
    }

    public let path: String
    public let identity: Identity
    public let maxPending: Int
    public let clock: WallClock
    /// Reports stored through this connection since `checkpointIfDue` last ran a checkpoint.
    private var storesSinceCheckpoint = 0
    /// Set when opening found a damaged file and moved it aside: where it went.
    public private(set) var recoveredFrom: String?

    let db: SQLiteConnection
    private let seqMark: SeqMark
    /// Device and inode of the file when it was opened (see `isStillAtPath`).
    private var fileIdentity: (dev: UInt64, ino: UInt64)?
    private var rng = SystemRandomNumberGenerator()
    private var ids = UUIDv7Generator()

    /// Opens (creating, migrating, or recovering) the outbox at `path`.
    ///
    /// A file that is not a database, or fails SQLite's `quick_check` (truncated, damaged), is moved aside to
    /// `<path>.corrupt-<time>` together with its `-wal` and `-shm`, `log` is told, and a fresh outbox is opened.
    /// It is never deleted. `verify: false` skips the `quick_check` (for short read-only commands).
    public static func open(path: String, identity: Identity, maxPending: Int, role: Role,
                            verify: Bool = true, busyTimeoutMilliseconds: Int32 = 15_000,
                            clock: WallClock = .system,
                            log: (String) -> Void = { _ in }) throws(OutboxError) -> Outbox {
        try ensureDirectory(of: path)
        // Two processes never move a file aside under each other.
        guard let lock = FileLock(path: path + ".lock") else {
            throw .unusable("cannot create the lock file \(path).lock: \(String(cString: strerror(errno)))")
        }
        FileOwner.adopt(path + ".lock")
        defer { lock.unlock() }
        do {
            return try Outbox(path: path, identity: identity, maxPending: maxPending, role: role, verify: verify,
                              busyTimeout: busyTimeoutMilliseconds, clock: clock, recoveredFrom: nil)
        } catch let e where e.isCorruption {
            let moved = try moveAside(path: path, clock: clock)
            log("outbox \(path) is damaged (\(e.message)); moved it aside to \(moved) and opened a fresh outbox")
            do {
                return try Outbox(path: path, identity: identity, maxPending: maxPending, role: role, verify: false,
                                  busyTimeout: busyTimeoutMilliseconds, clock: clock, recoveredFrom: moved)
            } catch {
                throw mapError(error)
            }
        } catch {
            throw mapError(error)
        }
    }

    private init(path: String, identity: Identity, maxPending: Int, role: Role, verify: Bool, busyTimeout: Int32,
                 clock: WallClock, recoveredFrom: String?) throws(SQLiteError) {
        self.path = path
        self.identity = identity
        self.maxPending = maxPending
        self.clock = clock
        self.seqMark = SeqMark(path: path + ".seq")
        let db = try SQLiteConnection(path: path)
        // Before the first write: SQLite gives the -wal and -shm files that root creates the database's owner.
        FileOwner.adopt(path)
        self.db = db
        db.setBusyTimeout(milliseconds: busyTimeout)
        // Reading the header: SQLITE_NOTADB shows here for a file that is not a database.
        _ = try db.scalar("PRAGMA schema_version")
        let mode = try db.text("PRAGMA journal_mode=WAL")
        if mode?.lowercased() != "wal" {
            throw SQLiteError(code: SQLITE_ERROR, message: "WAL mode could not be set (got \(mode ?? "nothing"))", context: "journal_mode")
        }
        try db.execute(role == .gateway ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL")
        // The gateway makes most of the writes (a delete per delivered report): checkpoint every 256 pages
        // (1 MiB) rather than SQLite's 1000, so that the WAL stays small on a small card, and truncate a WAL that
        // grew larger (during a backlog) back to 4 MiB after a checkpoint.
        if role == .gateway { try db.execute("PRAGMA wal_autocheckpoint=256") }
        // The gateway reads the table front to back and deletes behind itself: a small page cache (256 KiB
        // instead of SQLite's 2 MiB) serves that as well and keeps its memory small on the kiosk.
        if role == .gateway { try db.execute("PRAGMA cache_size=-256") }
        try db.execute("PRAGMA journal_size_limit=4194304")
        // A delivered report's text is overwritten in the file, not only unlinked from it.
        try db.execute("PRAGMA secure_delete=ON")
        try db.execute("PRAGMA foreign_keys=ON")
        if verify {
            let result = try db.text("PRAGMA quick_check") ?? "no answer"
            if result != "ok" {
                throw SQLiteError(code: SQLITE_CORRUPT, message: "quick_check: \(result)", context: "quick_check")
            }
        }
        try migrate()
        var st = stat()
        if stat(path, &st) == 0 { fileIdentity = (UInt64(st.st_dev), UInt64(st.st_ino)) }
        if let recoveredFrom {
            self.recoveredFrom = recoveredFrom
            try db.writeTransaction { () throws(SQLiteError) in
                try setMeta("recovered_from", recoveredFrom)
                try setMeta("recovered_at", String(clock.now().unixMillis))
            }
        } else {
            self.recoveredFrom = try meta("recovered_from")
        }
    }

    /// False when the file at `path` is no longer the one this connection opened: another process found it
    /// damaged and moved it aside, or somebody replaced it. A long-running process should then open it again.
    /// The folder the outbox file is in (for the gateway's file watch).
    public var folder: String { FilePath.folder(of: path) }

    public func isStillAtPath() -> Bool {
        guard let id = fileIdentity else { return true }
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return UInt64(st.st_dev) == id.dev && UInt64(st.st_ino) == id.ino
    }

    // MARK: Schema

    private func migrate() throws(SQLiteError) {
        let version = Int(try db.scalar("PRAGMA user_version") ?? 0)
        guard version < Schema.migrations.count else { return }
        try db.writeTransaction { () throws(SQLiteError) in
            // Re-read inside the lock: another process may have migrated meanwhile.
            let current = Int(try db.scalar("PRAGMA user_version") ?? 0)
            for (index, sql) in Schema.migrations.enumerated() where index >= current {
                try db.execute(sql)
            }
            if current == 0 {
                // A new file: start above anything an earlier file (now moved aside or removed) handed out.
                try setMeta("next_seq", String(Self.firstSeq(after: seqMark)))
            }
            try db.execute("PRAGMA user_version = \(Schema.migrations.count)")
        }
    }

    /// The first seq a new outbox file hands out: above anything an earlier file at the same path handed out
    /// (its seq mark), else 1.
    static func firstSeq(after mark: SeqMark) -> Int64 { max(1, mark.read() ?? 1) }

    /// The first seq an outbox created at `path` now would hand out (for `tipskiosk status` where there is none
    /// yet).
    public static func firstSeqOfNewFile(at path: String) -> Int64 { firstSeq(after: SeqMark(path: path + ".seq")) }

    func meta(_ key: String) throws(SQLiteError) -> String? {
        let s = try db.statement("SELECT value FROM meta WHERE key = ?")
        defer { s.reset() }
        s.bind(1, key)
        return try s.step() ? s.string(0) : nil
    }

    func setMeta(_ key: String, _ value: String?) throws(SQLiteError) {
        let s = try db.statement("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        s.bind(1, key)
        s.bind(2, value)
        try s.run()
    }

    // MARK: Storing

    /// Stores the drafts as reports in one transaction, all or none, and returns after the synced commit.
    /// Refuses with `.full` when they would take the undelivered count past `maxPending`.
    @discardableResult
    public func store(_ drafts: [ValidDraft]) throws(OutboxError) -> [Receipt] {
        let receipts: [Receipt]
        do {
            receipts = try storeOnce(drafts)
        } catch .diskFull {
            // The WAL may hold the space: a checkpoint lets SQLite write over it. Then try once more.
            guard reclaimSpace() else { throw .diskFull }
            receipts = try storeOnce(drafts)
        }
        storesSinceCheckpoint += 1
        return receipts
    }

    /// How many stores `checkpointIfDue` lets pass between its checkpoints. A tip writes about four WAL pages, so
    /// a hundred stay well under SQLite's own checkpoint at 1,000 pages, which would otherwise run inside a
    /// visitor's commit (about 1 ms more for that visitor, once every 250 tips, while no gateway deletes: during
    /// a broker outage).
    public static let storesPerCheckpoint = 100

    /// Copies the WAL into the database once every `storesPerCheckpoint` stores through this connection: a passive
    /// checkpoint, which never waits for a reader or the gateway. The prompt calls it after the thanks screen is
    /// up, so that no visitor waits for a checkpoint. Returns true when it ran one.
    @discardableResult
    public func checkpointIfDue() -> Bool {
        guard storesSinceCheckpoint >= Self.storesPerCheckpoint else { return false }
        storesSinceCheckpoint = 0
        guard let s = try? db.statement("PRAGMA wal_checkpoint(PASSIVE)") else { return false }
        defer { s.reset() }
        return (try? s.step()) == true
    }

    /// Copies the WAL into the database and truncates it (`wal_checkpoint(TRUNCATE)`): on a full disk this is
    /// often what frees the room for the next commit, since the WAL only grows until a checkpoint (every
    /// 1000 pages) lets it start over. Returns true when the checkpoint completed.
    @discardableResult
    public func reclaimSpace() -> Bool {
        guard let s = try? db.statement("PRAGMA wal_checkpoint(TRUNCATE)") else { return false }
        defer { s.reset() }
        // One row: busy (0 = completed), WAL frames, frames checkpointed.
        return (try? s.step()) == true && s.int64(0) == 0
    }

    private func storeOnce(_ drafts: [ValidDraft]) throws(OutboxError) -> [Receipt] {
        guard !drafts.isEmpty else { return [] }
        do {
            return try db.writeTransaction { () throws(SQLiteError) -> Result<[Receipt], OutboxError> in
                // The rows are no more than the span of their seqs (two look-ups of the key): only near the limit
                // is it worth counting them (a scan of the index, long after days without a broker).
                let span = Int(try db.scalar("SELECT coalesce((SELECT max(seq) FROM reports) - (SELECT min(seq) FROM reports) + 1, 0)") ?? 0)
                if span + drafts.count > maxPending {
                    let pending = Int(try db.scalar("SELECT count(*) FROM reports WHERE state <> \(State.deadLetter.sql)") ?? 0)
                    if pending + drafts.count > maxPending {
                        return .failure(.full(maxPending: maxPending, pending: pending))
                    }
                }
                guard let next = Int64(try meta("next_seq") ?? "") else {
                    throw SQLiteError(code: SQLITE_CORRUPT, message: "meta.next_seq is missing", context: "store")
                }
                try seqMark.ensure(above: next + Int64(drafts.count))
                let label = try currentEvent()
                // The kiosk's own age group fills in a report that has none (a visitor at an `ask` kiosk who
                // skipped the question has none, and keeps none).
                var fixedAge: Reporter.AgeGroup? = nil
                if case .group(let g) = try currentAgeGroup() { fixedAge = g }
                let (ms, offset) = clock.now()
                let submittedAt = RFC3339.format(unixMillis: ms, utcOffsetSeconds: offset)
                let insert = try db.statement("INSERT INTO reports (seq, id, stored_at, payload, state) VALUES (?, ?, ?, ?, \(State.pending.sql))")
                var receipts: [Receipt] = []
                receipts.reserveCapacity(drafts.count)
                for (i, draft) in drafts.enumerated() {
                    let seq = next + Int64(i)
                    let id = ids.next(unixMillis: ms, using: &rng)
                    let report = Report(id: id, kiosk: identity.kiosk, seq: seq, submittedAt: submittedAt,
                                        draft: draft.reporter.ageGroup == nil ? fixedAge.map(draft.withAgeGroup) ?? draft : draft,
                                        site: identity.site, event: label)
                    insert.bind(1, seq)
                    insert.bind(2, id)
                    insert.bind(3, ms)
                    insert.bind(4, report.jsonPayload)
                    try insert.run()
                    receipts.append(Receipt(id: id, seq: seq))
                }
                try setMeta("next_seq", String(next + Int64(drafts.count)))
                return .success(receipts)
            }.get()
        } catch let e as OutboxError {
            throw e
        } catch let e as SQLiteError {
            throw Self.mapError(e)
        } catch {
            throw .unusable("\(error)")
        }
    }

    // MARK: Event label

    /// The label every report stored now carries: staff's label if set, else the configuration's.
    func currentEvent() throws(SQLiteError) -> String? {
        if let row = try eventRow() { return row.isEmpty ? nil : row }
        return identity.defaultEvent
    }

    private func eventRow() throws(SQLiteError) -> String? { try meta("event") }

    /// Sets the event label for every later report (nil or "" means none); `clear()` returns to the config's.
    public func setEventLabel(_ label: String?) throws(OutboxError) {
        do {
            try db.writeTransaction { () throws(SQLiteError) in try setMeta("event", label ?? "") }
        } catch {
            throw Self.mapError(error)
        }
    }


    // MARK: Errors

    static func mapError(_ e: SQLiteError) -> OutboxError {
        if e.isDiskFull { return .diskFull }
        if e.isBusy { return .busy }
        if e.primary == SQLITE_READONLY { return .unusable("the file or its folder is read-only (\(e.message))") }
        if e.primary == SQLITE_CANTOPEN { return .unusable("cannot open the file: check the folder exists and its permissions (\(e.message))") }
        return .unusable(e.description)
    }

    static func ensureDirectory(of path: String) throws(OutboxError) {
        if let problem = FilePath.makeFolder(of: path) { throw .unusable(problem) }
    }

    /// Renames the damaged file and its WAL/SHM to `<path>.corrupt-<unix ms>`; returns the new main path.
    static func moveAside(path: String, clock: WallClock) throws(OutboxError) -> String {
        let target = "\(path).corrupt-\(clock.now().unixMillis)"
        for suffix in ["-wal", "-shm"] where access(path + suffix, F_OK) == 0 {
            _ = rename(path + suffix, target + suffix)
        }
        if rename(path, target) != 0 {
            throw .unusable("the outbox is damaged and could not be moved aside: \(String(cString: strerror(errno)))")
        }
        return target
    }
}

/// The `seq` high-water mark beside the database: every seq ever handed out is below the number in the file.
/// Written (fsync, rename, fsync of the folder) once per `step` reports, under the database's write lock.
final class SeqMark {
    let path: String
    let step: Int64 = 1000
    private var cached: Int64?
    init(path: String) { self.path = path }

    func read() -> Int64? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 32)
        let n = Glibc.read(fd, &buf, 31)
        guard n > 0 else { return nil }
        return Int64(String(decoding: buf[0..<n].filter { $0 >= 48 && $0 <= 57 }, as: UTF8.self))
    }

    /// Makes sure the mark is at least `seq`, raising it by `step` beyond when needed.
    func ensure(above seq: Int64) throws(SQLiteError) {
        if let c = cached, c >= seq { return }
        if let onDisk = read(), onDisk >= seq { cached = onDisk; return }
        let value = seq + step
        let tmp = path + ".tmp"
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        if fd >= 0 { FileOwner.adopt(tmp) }
        guard fd >= 0 else { throw SQLiteError(code: errno == ENOSPC || errno == EDQUOT ? SQLITE_FULL : SQLITE_CANTOPEN, message: "cannot write \(tmp): \(String(cString: strerror(errno)))", context: "seq mark") }
        let text = Array("\(value)\n".utf8)
        let ok = Glibc.write(fd, text, text.count) == text.count && fsync(fd) == 0
        let err = errno
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            let code = err == ENOSPC ? SQLITE_FULL : SQLITE_IOERR
            throw SQLiteError(code: code, message: "cannot write \(path): \(String(cString: strerror(err)))", context: "seq mark")
        }
        let dfd = Glibc.open(FilePath.folder(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
        cached = value
    }
}

/// Files the outbox makes belong to the owner of its folder, also when root makes them: a `tipskiosk submit` or
/// `status` run as root on a fresh box must not leave a database, lock or seq file that the services (user
/// tipskiosk) cannot open. Only root can give a file away; for anyone else this does nothing.
enum FileOwner {
    static func adopt(_ path: String) {
        guard geteuid() == 0 else { return }
        var folder = stat(), file = stat()
        guard stat(FilePath.folder(of: path), &folder) == 0, folder.st_uid != 0,
              stat(path, &file) == 0, file.st_uid == 0 else { return }
        _ = chown(path, folder.st_uid, folder.st_gid)
        _ = chmod(path, file.st_mode & 0o640)   // as the services' UMask=0027 would have made it
    }
}

import CSQLite
import Glibc

/// A thin wrapper over one libsqlite3 connection: just what the kiosk's outbox and the central database need
/// (cached prepared statements, `BEGIN IMMEDIATE` transactions, typed errors that tell a full disk from a busy
/// lock from a damaged file), and nothing more.
///
/// Not `Sendable`: a connection belongs to the thread that opened it (SQLite's own rule in multi-thread mode).
public final class SQLiteConnection {
    /// The libsqlite3 handle, for calls this wrapper does not cover.
    public let handle: OpaquePointer
    /// The file this connection opened.
    public let path: String
    /// Prepared statements by their SQL, kept for the life of the connection (the hot paths reuse them).
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens (or, unless `readOnly`, creates) the database file at `path`, with extended result codes on.
    public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            let sysErrno = db.map { sqlite3_system_errno($0) } ?? 0
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message, context: "open \(path)", systemErrno: sysErrno)
        }
        sqlite3_extended_result_codes(db, 1)
        self.handle = db
        self.path = path
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Waits up to `ms` for another process's lock before a statement gives SQLITE_BUSY.
    public func setBusyTimeout(milliseconds ms: Int32) { sqlite3_busy_timeout(handle, ms) }

    /// Runs one or more statements that return no rows (pragmas, schema).
    public func execute(_ sql: String) throws(SQLiteError) {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(err)
            throw SQLiteError(code: rc, message: message, context: sql, systemErrno: sqlite3_system_errno(handle))
        }
    }

    /// A cached prepared statement for `sql`, reset and with its bindings cleared.
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let s = cache[sql] {
            s.reset()
            return s
        }
        let s = try prepare(sql)
        cache[sql] = s
        return s
    }

    /// A new prepared statement that is not cached (for statements run once).
    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql) }
        return SQLiteStatement(stmt, connection: self, sql: sql)
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction (the write lock is taken at once, so a busy database waits
    /// in the busy handler here and never fails half-way through); commits, or rolls back on any error.
    public func writeTransaction<T>(_ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try transaction("BEGIN IMMEDIATE", body)
    }

    /// Runs `body` in a deferred (read) transaction: one consistent snapshot of the file.
    public func readTransaction<T>(_ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try transaction("BEGIN DEFERRED", body)
    }

    private func transaction<T>(_ begin: String, _ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try statement(begin).run()
        do {
            let result = try body()
            try statement("COMMIT").run()
            return result
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// A single integer (or nil) from the first row of `sql`.
    public func scalar(_ sql: String) throws(SQLiteError) -> Int64? {
        let s = try statement(sql)
        defer { s.reset() }
        return try s.step() ? s.isNull(0) ? nil : s.int64(0) : nil
    }

    /// A single text value (or nil) from the first row of `sql`.
    public func text(_ sql: String) throws(SQLiteError) -> String? {
        let s = try statement(sql)
        defer { s.reset() }
        return try s.step() ? s.string(0) : nil
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The connection's last error as a typed value.
    public func error(_ rc: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), context: context,
                    systemErrno: sqlite3_system_errno(handle))
    }
}

/// A prepared statement. Bind with 1-based indices, read columns with 0-based ones.
public final class SQLiteStatement {
    let stmt: OpaquePointer
    unowned let connection: SQLiteConnection
    let sql: String

    init(_ stmt: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.stmt = stmt
        self.connection = connection
        self.sql = sql
    }
    deinit { sqlite3_finalize(stmt) }

    /// Resets the statement and clears its bindings.
    public func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    /// Binds an integer to the 1-based parameter `i`.
    public func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(stmt, i, v) }
    /// Binds an integer (or NULL for nil) to the 1-based parameter `i`.
    public func bind(_ i: Int32, _ v: Int64?) {
        if let v { sqlite3_bind_int64(stmt, i, v) } else { sqlite3_bind_null(stmt, i) }
    }
    /// Binds text (or NULL for nil) to the 1-based parameter `i`.
    public func bind(_ i: Int32, _ v: String?) {
        guard var v else { sqlite3_bind_null(stmt, i); return }
        // SQLITE_TRANSIENT: SQLite copies the bytes before this call returns. From the String's own UTF-8 with
        // its length: no C string is made for it.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        v.withUTF8 { buf in
            guard let base = buf.baseAddress else { _ = sqlite3_bind_text(stmt, i, "", 0, transient); return }
            base.withMemoryRebound(to: CChar.self, capacity: buf.count) { p in
                _ = sqlite3_bind_text(stmt, i, p, Int32(buf.count), transient)
            }
        }
    }

    /// Steps once: true when a row is ready, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error(rc, sql)
    }

    /// Runs to completion (for INSERT/UPDATE/DELETE), then resets for the next use.
    public func run() throws(SQLiteError) {
        defer { reset() }
        while try step() {}
    }

    /// True when column `col` (0-based) of the current row is NULL.
    public func isNull(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_NULL }
    /// Column `col` (0-based) as an integer.
    public func int64(_ col: Int32) -> Int64 { sqlite3_column_int64(stmt, col) }
    /// Column `col` (0-based) as text, nil for NULL.
    public func string(_ col: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, col) else { return nil }
        return String(cString: p)
    }
    /// The column's bytes (text as UTF-8), copied once.
    public func bytes(_ col: Int32) -> [UInt8] {
        guard let p = sqlite3_column_blob(stmt, col) else { return [] }
        let n = Int(sqlite3_column_bytes(stmt, col))
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// An error from libsqlite3, with its (extended) result code.
public struct SQLiteError: Error, CustomStringConvertible {
    /// The extended result code.
    public var code: Int32
    public var message: String
    /// The statement or operation that failed.
    public var context: String
    /// The errno of the failed system call behind an I/O error (`sqlite3_system_errno`), 0 when none.
    public var systemErrno: Int32 = 0

    public init(code: Int32, message: String, context: String, systemErrno: Int32 = 0) {
        self.code = code
        self.message = message
        self.context = context
        self.systemErrno = systemErrno
    }

    /// The primary result code (the low byte of `code`).
    public var primary: Int32 { code & 0xFF }
    /// The file is damaged or not a database.
    public var isCorruption: Bool { primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB }
    /// SQLITE_FULL, or an I/O error whose system call failed with ENOSPC/EDQUOT: growing the WAL or the
    /// shared-memory file on a full disk gives SQLITE_IOERR_* (e.g. SQLITE_IOERR_SHMSIZE), not SQLITE_FULL.
    public var isDiskFull: Bool {
        primary == SQLITE_FULL || (primary == SQLITE_IOERR && (systemErrno == ENOSPC || systemErrno == EDQUOT))
    }
    /// Another connection held the lock past the busy timeout.
    public var isBusy: Bool { primary == SQLITE_BUSY || primary == SQLITE_LOCKED }
    public var description: String { "\(message) (SQLite code \(code))" }
}

import CPostgres
import Glibc

/// A thin wrapper over one libpq connection, through libpq's asynchronous API: connecting with
/// `PQconnectStart`/`PQconnectPoll`, the socket (`PQsocket`) for the caller's own poll() loop, statements sent with
/// `PQsendQueryParams` and their results read with `PQconsumeInput`/`PQisBusy`/`PQgetResult`. The blocking
/// conveniences (`connect(_:timeout:)`, `query`, `transaction`) are the same calls with a poll() on the socket
/// between them, bounded by a timeout; nothing here blocks in libpq itself.
///
/// Parameters are positional, `$1`, `$2`, … in the SQL, bound in order from the `[PGValue]` given (a parameter can
/// be used more than once, `$1` twice; PostgreSQL has no named parameters). They go as text, and the server
/// parses them as the column or cast (`$1::bigint`) says.
///
/// Not `Sendable`: a connection belongs to one thread.
public final class PGConnection {
    /// The libpq handle, for calls this wrapper does not cover.
    public let handle: OpaquePointer

    private init(handle: OpaquePointer) {
        self.handle = handle
        // Notices (e.g. "relation already exists, skipping") are not errors: they are not printed on stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    // MARK: Connecting

    /// Where a connection attempt stands: wait until the socket is readable or writable, then call
    /// `continueConnecting()` again; or it is ready.
    public enum ConnectProgress: Sendable, Equatable {
        case waitReadable, waitWritable, ready
    }

    /// Starts connecting to `conninfo` (`postgresql://user@host1:5432,host2:5433/db?target_session_attrs=read-write`,
    /// or `key=value` pairs) without blocking. Drive it with `continueConnecting()` when `socket` is ready.
    public static func start(_ conninfo: String) throws(PGError) -> PGConnection {
        guard let h = PQconnectStart(conninfo) else {
            throw PGError(kind: .connectFailed, sqlState: nil, message: "out of memory", context: "connect")
        }
        let c = PGConnection(handle: h)
        if PQstatus(h) == CONNECTION_BAD { throw c.error(.connectFailed, context: "connect") }
        return c
    }

    /// One step of the connection attempt (`PQconnectPoll`). The socket can change between steps (libpq tries the
    /// next host of a multi-host conninfo on a new one): read `socket` again after each.
    public func continueConnecting() throws(PGError) -> ConnectProgress {
        switch PQconnectPoll(handle) {
        case PGRES_POLLING_OK:
            PQsetnonblocking(handle, 1)
            return .ready
        case PGRES_POLLING_READING: return .waitReadable
        case PGRES_POLLING_WRITING: return .waitWritable
        default: throw error(.connectFailed, context: "connect")
        }
    }

    /// Connects, waiting at most `timeout` (the attempt across every host of the conninfo).
    public static func connect(_ conninfo: String, timeout: Duration = .seconds(10)) throws(PGError) -> PGConnection {
        let c = try start(conninfo)
        let deadline = ContinuousClock.now + timeout
        var progress = ConnectProgress.waitWritable
        while true {
            progress = try c.continueConnecting()
            if progress == .ready { return c }
            guard try c.wait(progress == .waitReadable ? Int16(POLLIN) : Int16(POLLOUT), until: deadline) else {
                throw PGError(kind: .connectFailed, sqlState: nil, message: "no connection within \(timeout)", context: "connect")
            }
        }
    }

    /// The connection's socket, for poll(): readable means `consumeInput()`; while `flush()` says more is to be
    /// sent, wait for writable too. -1 when there is none.
    public var socket: Int32 { PQsocket(handle) }

    /// True while the connection is up (not lost, not failed).
    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's host and port this connection reached (of a multi-host conninfo, the one that answered).
    public var server: String {
        let host = PQhost(handle).map { String(cString: $0) } ?? "?"
        let port = PQport(handle).map { String(cString: $0) } ?? "?"
        return "\(host):\(port)"
    }

    /// A server setting as the server reported it (`server_version`, `in_hot_standby`, …).
    public func parameter(_ name: String) -> String? { PQparameterStatus(handle, name).map { String(cString: $0) } }

    /// Where the connection is in a transaction.
    public enum TransactionStatus: Sendable { case idle, active, inTransaction, inFailedTransaction, unknown }
    public var transactionStatus: TransactionStatus {
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: .idle
        case PQTRANS_ACTIVE: .active
        case PQTRANS_INTRANS: .inTransaction
        case PQTRANS_INERROR: .inFailedTransaction
        default: .unknown
        }
    }

    // MARK: The asynchronous query path

    /// Sends one statement with its parameters (`PQsendQueryParams`, text format) without waiting for it.
    /// Then call `flush()` until it is sent, and `consumeInput()`/`nextResult()` as the socket becomes readable.
    public func send(_ sql: String, _ params: [PGValue] = []) throws(PGError) {
        let texts: [[CChar]?] = params.map { $0.text.map { Array($0.utf8CString) } }
        let ok = withCStrings(texts) { pointers in
            PQsendQueryParams(handle, sql, Int32(params.count), nil, pointers, nil, nil, 0)
        }
        guard ok == 1 else { throw error(.statementFailed, context: sql) }
    }

    /// Sends what libpq has buffered; true when everything is sent, false when the socket must become writable
    /// first (then call again).
    public func flush() throws(PGError) -> Bool {
        switch PQflush(handle) {
        case 0: return true
        case 1: return false
        default: throw error(.connectionLost, context: "send")
        }
    }

    /// Reads what arrived on the socket (`PQconsumeInput`); call it when the socket is readable.
    public func consumeInput() throws(PGError) {
        guard PQconsumeInput(handle) == 1 else { throw error(.connectionLost, context: "receive") }
    }

    /// True while `nextResult()` would have to wait for more input.
    public var isBusy: Bool { PQisBusy(handle) == 1 }

    /// The next result of the statement sent (`PQgetResult`), nil when the statement is done. Only call it when
    /// `isBusy` is false, or it blocks. A failed statement gives a result whose `error` says why.
    public func nextResult() -> PGResult? {
        PQgetResult(handle).map { PGResult($0, connection: self) }
    }

    // MARK: Pipeline mode

    /// Enters pipeline mode (`PQenterPipelineMode`): statements sent one after another without waiting, their
    /// results read in order, each ended by a nil from `nextResult()`; `pipelineSync()` marks the end, whose
    /// result `isPipelineSync`. After an error the rest up to the sync are not run (`isPipelineAborted`).
    public func enterPipelineMode() throws(PGError) {
        guard PQenterPipelineMode(handle) == 1 else { throw error(.statementFailed, context: "enter pipeline mode") }
    }

    /// Ends the statements sent so far with a synchronisation point (`PQpipelineSync`), and sends them.
    public func pipelineSync() throws(PGError) {
        guard PQpipelineSync(handle) == 1 else { throw error(.connectionLost, context: "pipeline sync") }
    }

    /// Leaves pipeline mode, once every result has been read.
    public func exitPipelineMode() throws(PGError) {
        guard PQexitPipelineMode(handle) == 1 else { throw error(.statementFailed, context: "exit pipeline mode") }
    }

    // MARK: Blocking conveniences (poll() on the socket, bounded)

    /// Runs one statement and returns its result (the last, of a statement that gave several), or throws its error.
    @discardableResult
    public func query(_ sql: String, _ params: [PGValue] = [], timeout: Duration = .seconds(30)) throws(PGError) -> PGResult {
        try send(sql, params)
        return try finish(sql, timeout: timeout)
    }

    /// Runs statements that return no rows, several separated by `;` allowed (schema, settings), with no parameters.
    public func execute(_ sql: String, timeout: Duration = .seconds(60)) throws(PGError) {
        guard PQsendQuery(handle, sql) == 1 else { throw error(.statementFailed, context: sql) }
        _ = try finish(sql, timeout: timeout)
    }

    /// Waits for the statement sent to finish; its last result, or the first error.
    private func finish(_ sql: String, timeout: Duration) throws(PGError) -> PGResult {
        let deadline = ContinuousClock.now + timeout
        while try !flush() {
            guard try wait(Int16(POLLOUT), until: deadline) else { throw timedOut(sql, timeout) }
        }
        var last: PGResult?
        var failure: PGError?
        while true {
            while isBusy {
                guard try wait(Int16(POLLIN), until: deadline) else { throw timedOut(sql, timeout) }
                try consumeInput()
            }
            guard let r = nextResult() else { break }
            if failure == nil, let e = r.error(context: sql) { failure = e }
            last = r
        }
        if let failure { throw failure }
        guard let last else { throw PGError(kind: .statementFailed, sqlState: nil, message: "no result", context: sql) }
        return last
    }

    private func timedOut(_ sql: String, _ timeout: Duration) -> PGError {
        // The statement may still run on the server: the connection is no longer in a known state.
        PGError(kind: .connectionLost, sqlState: nil, message: "no answer within \(timeout)", context: sql)
    }

    /// poll() on the socket for `events` until `deadline`: true when ready, false at the deadline.
    func wait(_ events: Int16, until deadline: ContinuousClock.Instant) throws(PGError) -> Bool {
        let fd = socket
        guard fd >= 0 else { throw error(.connectionLost, context: "poll") }
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return false }
            let ms = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            var p = pollfd(fd: fd, events: events, revents: 0)
            let n = Glibc.poll(&p, 1, ms)
            if n > 0 { return true }
            if n < 0 && errno != EINTR {
                throw PGError(kind: .connectionLost, sqlState: nil, message: String(cString: strerror(errno)), context: "poll")
            }
        }
    }

    /// Runs `body` between BEGIN and COMMIT; rolls back on any error. COMMIT's success is the durable point
    /// (with `synchronous_commit` on, the server has flushed the commit to its WAL before it answers). When the
    /// connection is lost during COMMIT the outcome is unknown: the error's kind is `.connectionLost`, and the
    /// caller must reconnect and redo the work idempotently, confirming nothing until a COMMIT succeeds.
    public func transaction<T>(_ body: () throws(PGError) -> T) throws(PGError) -> T {
        try query("BEGIN")
        do {
            let result = try body()
            try query("COMMIT")
            return result
        } catch {
            if isConnected && transactionStatus != .idle { _ = try? query("ROLLBACK", timeout: .seconds(5)) }
            throw error
        }
    }

    /// The connection's last error message as a typed error.
    func error(_ kind: PGError.Kind, context: String) -> PGError {
        let message = String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines
        let lost = PQstatus(handle) == CONNECTION_BAD
        return PGError(kind: lost && kind == .statementFailed ? .connectionLost : kind, sqlState: nil,
                       message: message.isEmpty ? "unknown error" : message, context: context)
    }
}

/// The result of one statement: its status, its rows as typed values, or its error.
public final class PGResult {
    let result: OpaquePointer
    unowned let connection: PGConnection

    init(_ result: OpaquePointer, connection: PGConnection) {
        self.result = result
        self.connection = connection
    }
    deinit { PQclear(result) }

    /// The number of rows and of columns.
    public var count: Int { Int(PQntuples(result)) }
    public var columns: Int { Int(PQnfields(result)) }
    /// The column's name.
    public func name(_ col: Int) -> String { String(cString: PQfname(result, Int32(col))) }
    /// Rows an INSERT/UPDATE/DELETE touched (`PQcmdTuples`), 0 when none is said.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func isNull(_ row: Int, _ col: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(col)) == 1 }
    /// The value as text, nil for NULL.
    public func string(_ row: Int, _ col: Int) -> String? {
        isNull(row, col) ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(col)))
    }
    /// The value as an integer, nil for NULL or a value that is not one.
    public func int64(_ row: Int, _ col: Int) -> Int64? { string(row, col).flatMap { Int64($0) } }
    /// The value typed by its column's type (integers, booleans, text; everything else as text).
    public func value(_ row: Int, _ col: Int) -> PGValue {
        guard let s = string(row, col) else { return .null }
        switch PQftype(result, Int32(col)) {
        case 20, 21, 23, 26: return Int64(s).map { .int($0) } ?? .text(s)   // int8, int2, int4, oid
        case 16: return .bool(s == "t")
        default: return .text(s)
        }
    }
    /// Every row, typed.
    public var rows: [[PGValue]] { (0..<count).map { r in (0..<columns).map { value(r, $0) } } }

    /// The end of a pipeline's statements (`pipelineSync()`).
    public var isPipelineSync: Bool { PQresultStatus(result) == PGRES_PIPELINE_SYNC }
    /// A statement of a pipeline that was not run because one before it failed.
    public var isPipelineAborted: Bool { PQresultStatus(result) == PGRES_PIPELINE_ABORTED }

    /// The statement's error, nil when it succeeded.
    public func error(context: String) -> PGError? {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE, PGRES_COPY_IN, PGRES_COPY_OUT,
             PGRES_PIPELINE_SYNC:
            return nil
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            var message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines
            if let detail = PQresultErrorField(result, Int32(UInt8(ascii: "D"))) { message += " (\(String(cString: detail)))" }
            let lost = PQstatus(connection.handle) == CONNECTION_BAD || state.map(PGError.isConnectionState) == true
            return PGError(kind: lost ? .connectionLost : .statementFailed, sqlState: state,
                           message: message.isEmpty ? "unknown error" : message, context: context)
        }
    }

    /// Throws the statement's error, if it failed.
    public func check(_ context: String = "") throws(PGError) {
        if let e = error(context: context) { throw e }
    }
}

/// A parameter or a column value. Parameters go to the server as text.
public enum PGValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case int(Int64)
    case bool(Bool)
    case text(String)

    public init(_ v: String?) { self = v.map { .text($0) } ?? .null }
    public init(_ v: Int64?) { self = v.map { .int($0) } ?? .null }

    /// The text form sent to the server, nil for NULL.
    public var text: String? {
        switch self {
        case .null: nil
        case .int(let v): String(v)
        case .bool(let v): v ? "t" : "f"
        case .text(let v): v
        }
    }
    public var description: String { text ?? "NULL" }

    /// A one-dimensional array literal (`{"a","b",NULL}`) for a `$n::text[]` or `$n::bigint[]` parameter: many
    /// rows in one statement with `unnest`.
    public static func array(_ values: [PGValue]) -> PGValue {
        var s = "{"
        for (i, v) in values.enumerated() {
            if i > 0 { s += "," }
            guard let t = v.text else { s += "NULL"; continue }
            s += "\""
            for ch in t.unicodeScalars {
                if ch == "\"" || ch == "\\" { s += "\\" }
                s.unicodeScalars.append(ch)
            }
            s += "\""
        }
        return .text(s + "}")
    }
}

/// Why a connection or a statement failed, for people: the SQLSTATE and the server's message, and whether the
/// connection was lost (reconnect and resend; an in-flight COMMIT's outcome is unknown) or the statement failed
/// on a connection that is still good.
public struct PGError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// No connection could be made (no host answered, wrong password, no read-write server among the hosts).
        case connectFailed
        /// The connection went away or stopped answering: nothing sent since the last successful COMMIT is known
        /// to be stored.
        case connectionLost
        /// The server refused the statement; the connection is still usable (after a ROLLBACK).
        case statementFailed
    }
    public var kind: Kind
    /// The five-character SQLSTATE (`23505` unique violation, `25006` read-only transaction, …), when the server sent one.
    public var sqlState: String?
    public var message: String
    /// The statement or operation that failed.
    public var context: String

    public init(kind: Kind, sqlState: String?, message: String, context: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.context = context
    }

    /// The connection must be made anew: lost, never made, or on a server that has become read-only (a primary
    /// demoted, or a standby: SQLSTATE 25006) or is shutting down.
    public var needsReconnect: Bool { kind != .statementFailed || sqlState == "25006" }
    /// A transient conflict with another session (serialization failure, deadlock): run the transaction again.
    public var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// SQLSTATEs that mean the connection is gone or going: class 08 (connection exception), 57P01–57P03
    /// (administrator shutdown, crash shutdown, cannot connect now).
    static func isConnectionState(_ s: String) -> Bool { s.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(s) }

    public var description: String {
        let what: String
        switch kind {
        case .connectFailed: what = "cannot connect to PostgreSQL"
        case .connectionLost: what = "the connection to PostgreSQL was lost"
        case .statementFailed: what = "PostgreSQL refused a statement"
        }
        return "\(what): \(message)\(sqlState.map { " (SQLSTATE \($0))" } ?? "")"
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Calls `body` with C pointers to the strings (NULL for nil), valid for the call.
private func withCStrings<R>(_ strings: [[CChar]?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    var pointers: [UnsafePointer<CChar>?] = []
    pointers.reserveCapacity(strings.count)
    var buffers: [UnsafeMutablePointer<CChar>] = []
    defer { buffers.forEach { $0.deallocate() } }
    for s in strings {
        guard let s else { pointers.append(nil); continue }
        let b = UnsafeMutablePointer<CChar>.allocate(capacity: s.count)
        b.initialize(from: s, count: s.count)
        buffers.append(b)
        pointers.append(UnsafePointer(b))
    }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

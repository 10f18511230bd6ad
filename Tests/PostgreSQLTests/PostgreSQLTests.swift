import Glibc
import PostgreSQL
import Testing
import TestSupport

/// The libpq wrapper against a real cluster started by the test: parameters and typed rows, the asynchronous path
/// driven by poll() on the socket, transactions, errors with their SQLSTATE, and a lost connection told apart
/// from a refused statement.
@Suite(.serialized) struct PostgreSQLTests {
    @Test("Parameters go as text and come back typed; NULL and quotes survive; an array parameter unnests")
    func parametersAndTypedRows() throws {
        let pg = try TestPostgres()
        let c = try PGConnection.connect(pg.conninfo)
        try c.execute("CREATE TABLE t (id bigint PRIMARY KEY, name text, ok boolean)")
        let inserted = try c.query("INSERT INTO t VALUES ($1, $2, $3), ($4, $5, $3)",
                                   [.int(1), .text("Gården \"O'Brien\" \\ ö"), .bool(true), .int(Int64.max), .null])
        #expect(inserted.affectedRows == 2)
        let r = try c.query("SELECT id, name, ok FROM t WHERE id >= $1 ORDER BY id", [.int(1)])
        #expect(r.count == 2 && r.columns == 3 && r.name(1) == "name")
        #expect(r.rows == [[.int(1), .text("Gården \"O'Brien\" \\ ö"), .bool(true)], [.int(Int64.max), .null, .bool(true)]])
        let names: [PGValue] = [.text("a,b"), .text("{x}"), .null, .text("\"q\"\\")]
        let u = try c.query("SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n", [.array(names)])
        #expect(u.rows.map { $0[0] } == names)
    }

    @Test("The asynchronous path: send, then poll() on the socket, consumeInput, isBusy, nextResult")
    func asynchronousQuery() throws {
        let pg = try TestPostgres()
        let c = try PGConnection.start(pg.conninfo)
        // Connect without blocking: poll() for what PQconnectPoll asks for.
        var progress = PGConnection.ConnectProgress.waitWritable
        while progress != .ready {
            var p = pollfd(fd: c.socket, events: Int16(progress == .waitReadable ? POLLIN : POLLOUT), revents: 0)
            #expect(poll(&p, 1, 5000) == 1)
            progress = try c.continueConnecting()
        }
        try c.send("SELECT pg_sleep(0.2), $1::bigint + 1", [.int(41)])
        #expect(try c.flush())
        var turns = 0
        while c.isBusy {
            var p = pollfd(fd: c.socket, events: Int16(POLLIN), revents: 0)
            #expect(poll(&p, 1, 5000) == 1)
            try c.consumeInput()
            turns += 1
        }
        #expect(turns >= 1, "the answer came only after the sleep, while the caller was free")
        let r = try #require(c.nextResult())
        try r.check()
        #expect(r.value(0, 1) == .int(42))
        #expect(c.nextResult() == nil)
    }

    @Test("Pipeline mode: three statements in one round trip, results in order; after a failure the rest is aborted")
    func pipeline() throws {
        let pg = try TestPostgres()
        let c = try PGConnection.connect(pg.conninfo)
        try c.execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        func run(_ statements: [(String, [PGValue])]) throws -> [[PGResult]] {
            try c.enterPipelineMode()
            for (sql, params) in statements { try c.send(sql, params) }
            try c.pipelineSync()
            while try !c.flush() {}
            var results: [[PGResult]] = [[]]
            while true {
                while c.isBusy {
                    var p = pollfd(fd: c.socket, events: Int16(POLLIN), revents: 0)
                    _ = poll(&p, 1, 5000)
                    try c.consumeInput()
                }
                guard let r = c.nextResult() else { results.append([]); continue }
                if r.isPipelineSync { break }
                results[results.count - 1].append(r)
            }
            try c.exitPipelineMode()
            return results.filter { !$0.isEmpty }
        }
        let ok = try run([("BEGIN", []), ("INSERT INTO t VALUES ($1)", [.int(1)]), ("SELECT count(*) FROM t", []), ("COMMIT", [])])
        #expect(ok.count == 4)
        #expect(ok[2].first?.value(0, 0) == .int(1))
        let failed = try run([("BEGIN", []), ("INSERT INTO t VALUES ($1)", [.int(1)]), ("INSERT INTO t VALUES ($1)", [.int(2)]), ("COMMIT", [])])
        #expect(failed[1].first?.error(context: "")?.sqlState == "23505")
        #expect(failed[2].first?.isPipelineAborted == true && failed[3].first?.isPipelineAborted == true)
        if c.transactionStatus != .idle { try c.query("ROLLBACK") }
        #expect(try c.query("SELECT count(*) FROM t").int64(0, 0) == 1, "row 2 was not stored")
    }

    @Test("A transaction commits, or rolls back on error; a refused statement has its SQLSTATE and keeps the connection")
    func transactionsAndErrors() throws {
        let pg = try TestPostgres()
        let c = try PGConnection.connect(pg.conninfo)
        #expect(c.parameter("server_version")?.hasPrefix("1") == true)
        let sync = try c.query("SHOW synchronous_commit")
        #expect(sync.string(0, 0) == "on")
        try c.execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        let committed = try c.transaction { () throws(PGError) in
            try c.query("INSERT INTO t VALUES (1)").affectedRows
        }
        #expect(committed == 1)
        do {
            try c.transaction { () throws(PGError) in
                try c.query("INSERT INTO t VALUES (2)")
                try c.query("INSERT INTO t VALUES (1)")
            }
            Issue.record("a duplicate key must fail")
        } catch {
            #expect(error.kind == .statementFailed)
            #expect(error.sqlState == "23505")
            #expect(!error.needsReconnect)
            #expect(error.description.contains("duplicate key"), "\(error)")
        }
        #expect(c.transactionStatus == .idle)
        #expect(try c.query("SELECT count(*) FROM t").int64(0, 0) == 1, "the failed transaction's row 2 was rolled back")
        do {
            try c.query("SELEKT 1")
            Issue.record("a syntax error must fail")
        } catch {
            #expect(error.sqlState == "42601" && error.kind == .statementFailed)
        }
    }

    @Test("A server killed under a statement is a lost connection, not a refused statement; a new connection after restart sees every commit")
    func lostConnection() throws {
        let pg = try TestPostgres()
        let c = try PGConnection.connect(pg.conninfo)
        try c.execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        try c.query("INSERT INTO t SELECT generate_series(1, 100)")
        try c.send("SELECT pg_sleep(30)")
        _ = try c.flush()
        pg.kill()
        do {
            var p = pollfd(fd: c.socket, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 10_000)
            try c.consumeInput()
            while let r = c.nextResult() { try r.check() }
            Issue.record("the statement cannot have succeeded")
        } catch {
            #expect(error.kind == .connectionLost, "\(error)")
            #expect(error.needsReconnect)
        }
        #expect(!c.isConnected)
        do {
            _ = try PGConnection.connect(pg.conninfo, timeout: .seconds(3))
            Issue.record("nothing listens")
        } catch {
            #expect(error.kind == .connectFailed)
        }
        try pg.start()
        let again = try PGConnection.connect(pg.conninfo)
        #expect(try again.query("SELECT count(*) FROM t").int64(0, 0) == 100)
    }

    @Test("A standby receives the primary's rows; after the primary is killed and the standby promoted, a multi-host conninfo with target_session_attrs=read-write reaches it")
    func standbyAndFailover() throws {
        let primary = try TestPostgres()
        let c = try PGConnection.connect(primary.conninfo)
        try c.execute("CREATE TABLE t (id bigint PRIMARY KEY)")
        let standby = try primary.standby()
        try c.query("INSERT INTO t SELECT generate_series(1, 500)")
        let s = try PGConnection.connect(standby.conninfo)
        #expect(try s.query("SELECT pg_is_in_recovery()").value(0, 0) == .bool(true))
        #expect(waitUntil(timeout: 20) { (try? s.query("SELECT count(*) FROM t").int64(0, 0)) == 500 })
        do {
            try s.query("INSERT INTO t VALUES (0)")
            Issue.record("a standby is read-only")
        } catch {
            #expect(error.sqlState == "25006" && error.needsReconnect)
        }

        let both = TestPostgres.conninfo(readWriteAmong: [primary, standby])
        #expect(try PGConnection.connect(both).server == "127.0.0.1:\(primary.port)")
        primary.kill()
        do {
            _ = try PGConnection.connect(both, timeout: .seconds(8))
            Issue.record("no read-write server is left before the promotion")
        } catch {
            #expect(error.kind == .connectFailed)
        }
        try standby.promote()
        let w = try PGConnection.connect(both)
        #expect(w.server == "127.0.0.1:\(standby.port)")
        try w.query("INSERT INTO t VALUES (501)")
        #expect(try w.query("SELECT count(*) FROM t").int64(0, 0) == 501)
    }
}

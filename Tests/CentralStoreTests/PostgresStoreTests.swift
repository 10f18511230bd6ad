import Foundation
import PostgreSQL
@testable import CentralStore
import ReportModel
import Testing
import TestSupport

/// What only the PostgreSQL engine has: its tables mirror SQLite's, several collectors commit at once, a
/// password never reaches a log.
@Suite struct PostgresStoreTests {
    @Test("Every table has the same columns on both engines (the migrations mirror each other)")
    func schemaMirrorsSQLite() throws {
        let pg = try Backend.cluster.get()
        let database = try pg.createDatabase()
        _ = try PostgresStore.open(conninfo: pg.conninfo(database: database))
        let c = try PGConnection.connect(pg.conninfo(database: database))
        let dir = TempDir("central")
        _ = try CentralStore.open(path: dir.file("c.sqlite"))
        for table in ["reports", "seq_ranges", "kiosks", "rejects", "meta", "intake_days"] {
            let r = try c.query("SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
                                [.text(table)])
            let pgColumns = (0..<r.count).compactMap { r.string($0, 0) }.filter { $0 != "n" }   // rejects.n: SQLite's rowid
            let s = try runProcess("/usr/bin/sqlite3", [dir.file("c.sqlite"), "SELECT name FROM pragma_table_info('\(table)')"])
            let sqliteColumns = s.stdout.split(separator: "\n").map(String.init)
            #expect(pgColumns == sqliteColumns, "\(table)")
        }
        let version = try c.query("SELECT version FROM schema_version").int64(0, 0)
        #expect(version == Int64(PostgresSchema.migrations.count))
        #expect(PostgresSchema.migrations.count == CentralSchema.migrations.count)
    }

    @Test("Two collectors committing overlapping batches of the same kiosks at once: each report once, ranges whole")
    func concurrentCollectors() async throws {
        let pg = try Backend.cluster.get()
        let conninfo = pg.conninfo(database: try pg.createDatabase())
        _ = try PostgresStore.open(conninfo: conninfo)
        let kiosks = ["k-1", "k-2", "k-3"]
        // Both collectors get every batch, in opposite orders of kiosks within the batch.
        func batches(reversed: Bool) -> [CentralStore.Batch] {
            stride(from: Int64(1), through: 400, by: 20).map { start in
                let reports = kiosks.flatMap { k in (start..<(start + 20)).map { CentralStoreTests.report(kiosk: k, seq: $0, at: CentralStoreTests.t0) } }
                return CentralStoreTests.batch(reversed ? reports.reversed() : reports)
            }
        }
        let news = try await withThrowingTaskGroup(of: Int.self) { group in
            for reversed in [false, true] {
                group.addTask {
                    let store = try PostgresStore.open(conninfo: conninfo)
                    var new = 0
                    for b in batches(reversed: reversed) { new += try store.commit(b, at: CentralStoreTests.t0).new }
                    return new
                }
            }
            return try await group.reduce(0, +)
        }
        let store = try PostgresStore.open(conninfo: conninfo)
        #expect(news == 1200, "each report new for exactly one of the two")
        #expect(try store.reportCount() == 1200)
        #expect(try store.heldRanges() == ["k-1": [1...400], "k-2": [1...400], "k-3": [1...400]])
    }

    @Test func passwordsAreRedacted() {
        #expect(PostgresStore.redacted("postgresql://lagesbild:s3cret@db1:5432,db2/lagesbild?sslmode=require")
                == "postgresql://lagesbild:***@db1:5432,db2/lagesbild?sslmode=require")
        #expect(PostgresStore.redacted("postgresql://db1/lagesbild?user=l&password=s3cret&sslmode=require")
                == "postgresql://db1/lagesbild?user=l&password=***&sslmode=require")
        #expect(PostgresStore.redacted("postgresql://lagesbild@db1/lagesbild") == "postgresql://lagesbild@db1/lagesbild")
    }
}

extension PostgresStoreTests {
    @Test("A commit the server refuses throws, is not called busy, confirms nothing; the next one connects anew and works")
    func refusedCommitIsRolledBack() throws {
        let pg = try Backend.cluster.get()
        let conninfo = pg.conninfo(database: try pg.createDatabase())
        let store = try PostgresStore.open(conninfo: conninfo)
        let admin = try PGConnection.connect(conninfo)
        let batch = CentralStoreTests.batch([CentralStoreTests.report(seq: 1, at: CentralStoreTests.t0)])
        try admin.execute("ALTER TABLE reports RENAME TO reports_away")
        do {
            _ = try PostgresFailoverTests.drive(store, batch, at: CentralStoreTests.t0)
            Issue.record("the commit cannot succeed without its table")
        } catch {
            #expect(!error.isBusy)
            #expect(error.message.contains("42P01"), "\(error)")   // undefined_table
        }
        try admin.execute("ALTER TABLE reports_away RENAME TO reports")
        // A commit given up before its answer confirms nothing either, and leaves the next one free to work.
        let abandoned = store.startCommit(batch, at: CentralStoreTests.t0)
        #expect(try abandoned.advance() == nil, "not answered yet")
        abandoned.abandon()
        #expect(try admin.query("SELECT count(*) FROM kiosks").int64(0, 0) == 0, "the kiosk row written before it was rolled back too")
        // (Whether the abandoned one got as far as its COMMIT is a race: the batch is held once either way.)
        #expect(try PostgresFailoverTests.drive(store, batch, at: CentralStoreTests.t0).held == ["k-1": [1]])
        #expect(try store.reportCount() == 1)
        #expect(try store.heldRanges() == ["k-1": [1...1]])
    }
}

extension PostgresStoreTests {
    @Test("The collector's pipelined commit decides as the blocking one and as SQLite: quota, far future, held resends, rejects")
    func pendingCommitAppliesTheIntakePolicy() throws {
        let far = CentralStoreTests.t0 + 2 * 86_400_000
        func batches() -> [CentralStore.Batch] {
            var first = CentralStoreTests.batch((1...95).map { CentralStoreTests.report(kiosk: "k-1", seq: Int64($0), at: CentralStoreTests.t0) }
                + [CentralStoreTests.report(kiosk: "k-1", seq: 96, at: far), CentralStoreTests.report(kiosk: "k-2", seq: 1, at: CentralStoreTests.t0)])
            first.rejects = (0..<6).map { _ in
                Array("not json".utf8).withUnsafeBytes { CentralStore.Reject(topic: "lagesbild/v1/reports/k-1", reason: "nonsense", payload: $0) }
            }
            let second = CentralStoreTests.batch([CentralStoreTests.report(kiosk: "k-1", seq: 3, at: CentralStoreTests.t0),
                                                  CentralStoreTests.report(kiosk: "k-1", seq: 97, at: CentralStoreTests.t0)])
            return [first, second]
        }
        let pg = try Backend.cluster.get()
        let pipelined = try PostgresStore.open(conninfo: pg.conninfo(database: try pg.createDatabase()))
        let blocking = try PostgresStore.open(conninfo: pg.conninfo(database: try pg.createDatabase()))
        let dir = TempDir("central")
        let sqlite = try CentralStore.open(path: dir.file("c.sqlite"))
        pipelined.intake = IntakePolicy(dailyQuota: 100)
        blocking.intake = IntakePolicy(dailyQuota: 100)
        sqlite.intake = IntakePolicy(dailyQuota: 100)
        for (i, b) in batches().enumerated() {
            let p = try PostgresFailoverTests.drive(pipelined, b, at: CentralStoreTests.t0)
            let c = try blocking.commit(b, at: CentralStoreTests.t0)
            let s = try sqlite.commit(b, at: CentralStoreTests.t0)
            #expect(p == c, "batch \(i)")
            #expect(p == s, "batch \(i)")
            if i == 0 {
                #expect(p.new == 96 && p.refused == ["k-1": [96]] && p.overQuota == 2, "k-1: 95 stored, 1 far future and 4 rejects kept fill its 100; 2 rejects over it")
            } else {
                #expect(p.held == ["k-1": [3]] && p.refused == ["k-1": [97]], "over quota: the resend is confirmed, the new one not")
            }
        }
        #expect(try pipelined.reportCount() == 96 && sqlite.reportCount() == 96)
        #expect(try pipelined.rejects(limit: 100).count == 5)
        #expect(try pipelined.heldRanges() == sqlite.heldRanges())
    }
}

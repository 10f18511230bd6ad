@testable import CentralStore
import Foundation
import LagesbildReport
import PostgreSQL
import ReportModel
import Testing
import TestSupport

/// Issue 22: what one kiosk with valid credentials (or a buggy one) can send, against the store and the picture
/// drawn from it, on both engines. Each test here failed (or crashed the test process) before its fix.
@Suite struct AdversarialIntakeTests {
    static let day: Int64 = 86_400_000
    static let t0 = CentralStoreTests.t0

    static func payload(seq: String = "1", submittedAt: String = "2026-11-20T18:30:00.000+01:00", kiosk: String = "k-1") -> String {
        #"{"schema":"tipskiosk.report.v1","id":"01a21455-ecbd-75b3-97be-22dd959c09e2","kiosk":"\#(kiosk)","seq":\#(seq),"submitted_at":"\#(submittedAt)","category":"drugs","place":"Centrum","occurred":"today","text":"hej"}"#
    }

    static func decode(_ json: String, kiosk: String = "k-1") -> Result<ReceivedReport, ReceivedReport.Rejection> {
        Array(json.utf8).withUnsafeBytes { buffer in Result { () throws(ReceivedReport.Rejection) in try ReceivedReport.decode(buffer, topicKiosk: kiosk) } }
    }

    static func status(_ json: String, kiosk: String = "k-1") -> Result<ReceivedStatus, ReceivedReport.Rejection> {
        Array(json.utf8).withUnsafeBytes { ReceivedStatus.decode($0, topicKiosk: kiosk) }
    }

    // MARK: 1 Crash loop

    @Test("Attack 1: a report with seq Int64.max is refused at intake, and the store's seq ranges cannot overflow", arguments: Backend.allCases)
    func seqOverflow(backend: Backend) throws {
        guard case .failure(let why) = Self.decode(Self.payload(seq: "9223372036854775807")) else {
            Issue.record("a seq of Int64.max was accepted")
            return
        }
        #expect(why.reason.hasPrefix("seq:"))
        // The largest seq the contract allows is taken; one more is not.
        #expect((try? Self.decode(Self.payload(seq: "9007199254740991")).get())?.seq == 9_007_199_254_740_991)
        #expect((try? Self.decode(Self.payload(seq: "9007199254740992")).get()) == nil)
        // Even a report that got past intake some other way does not crash the commit (hi + 1, lo - 1).
        let (store, dir) = try backend.open()
        _ = dir
        let edge = [Int64.max, Int64.max - 1, 1]
        _ = try store.commit(CentralStoreTests.batch(edge.map { CentralStoreTests.report(seq: $0, at: Self.t0) }), at: Self.t0)
        _ = try store.commit(CentralStoreTests.batch([CentralStoreTests.report(seq: Int64.max - 2, at: Self.t0)]), at: Self.t0)
        #expect(try store.heldRanges()["k-1"] == [1...1, (Int64.max - 2)...Int64.max])
        #expect(try store.gaps() == [.init(kiosk: "k-1", from: 2, to: Int64.max - 3)])
    }

    // MARK: 3 Poisoned status

    @Test("Attack 3: a status with last_seq or dead_letters at Int64.max is refused, and the reports survive one stored before", arguments: Backend.allCases)
    func poisonedStatus(backend: Backend) throws {
        for json in [#"{"kiosk":"k-1","state":"online","dead_letters":9223372036854775807}"#,
                     #"{"kiosk":"k-1","state":"online","last_seq":9223372036854775807}"#,
                     #"{"kiosk":"k-1","state":"online","pending":-1}"#] {
            guard case .failure(let why) = Self.status(json) else { Issue.record("accepted: \(json)"); continue }
            #expect(!why.reason.isEmpty)
        }
        #expect((try? Self.status(#"{"kiosk":"k-1","state":"online","dead_letters":3,"last_seq":9007199254740991}"#).get())?.deadLetters == 3)

        // A database poisoned before the bound: two kiosks at Int64.max. Every format still renders.
        let (store, dir) = try backend.open()
        _ = dir
        var b = CentralStore.Batch()
        b.statuses = ["k-1", "k-2"].map {
            ReceivedStatus(kiosk: $0, state: "online", pending: Int64.max, deadLetters: Int64.max,
                                     awaitingReceipt: Int64.max, lastSeq: Int64.max, version: nil, payload: "{}")
        }
        _ = try store.commit(b, at: Self.t0)
        let period = Picture.Period(since: Self.t0 - 14 * Self.day, until: Self.t0 + 1, utcOffsetSeconds: 0)
        let p = try store.picture(period: period, now: Self.t0, silentAfterHours: 24, includeText: false)
        let text = PictureRenderer.renderText(p)
        #expect(text.contains("döda brev"))
        _ = PictureRenderer.renderHTML(p)
        _ = PictureRenderer.renderCSV(p)
        _ = PictureRenderer.renderJSON(p)

        // The kiosk's next honest status wins: its last_seq comes down, and the giant gap closes.
        b.statuses = [ReceivedStatus(kiosk: "k-1", state: "online", pending: 0, deadLetters: 0, awaitingReceipt: 0,
                                               lastSeq: 3, version: nil, payload: "{}")]
        _ = try store.commit(b, at: Self.t0)
        #expect(try store.gaps().first { $0.kiosk == "k-1" } == .init(kiosk: "k-1", from: 1, to: 3))
    }

    @Test("Attack 3: a database poisoned before 0.2.0 draws again after migration 3, with no hand editing", arguments: Backend.allCases)
    func migrationClearsAPoisonedStatus(backend: Backend) throws {
        let insert = """
            INSERT INTO kiosks (kiosk, first_seen_at, status_at, state, pending, dead_letters, awaiting_receipt, last_seq)
            VALUES ('k-1', 0, \(Self.t0), 'online', 0, 9223372036854775807, 0, 9223372036854775807),
                   ('k-2', 0, \(Self.t0), 'online', 0, 9223372036854775807, 0, 9223372036854775807),
                   ('k-3', 0, \(Self.t0), 'online', 1, 2, 0, 7);
            """
        let dir = TempDir("central")
        let store: any CentralDatabase
        switch backend {
        case .sqlite:
            let path = dir.file("old.sqlite")
            let sql = CentralSchema.migrations[0] + CentralSchema.migrations[1] + "\nPRAGMA user_version = 2;\n" + insert
            let made = try runProcess("/usr/bin/sqlite3", [path], input: Data(sql.utf8))
            #expect(made.status == 0, "\(made.stderr)")
            store = try CentralStore.open(path: path)
        case .postgres:
            // The tables as PostgresSchema's 1 and 2 left them, poisoned the same way.
            let pg = try Backend.cluster.get()
            let conninfo = pg.conninfo(database: try pg.createDatabase())
            let c = try PGConnection.connect(conninfo)
            try c.execute("CREATE TABLE schema_version (version integer NOT NULL); INSERT INTO schema_version VALUES (2);")
            try c.execute(PostgresSchema.migrations[0])
            try c.execute(PostgresSchema.migrations[1])
            try c.execute(insert)
            store = try PostgresStore.open(conninfo: conninfo)
        }
        let period = Picture.Period(since: Self.t0 - Self.day, until: Self.t0 + 1, utcOffsetSeconds: 0)
        let p = try store.picture(period: period, now: Self.t0, silentAfterHours: 24, includeText: false)
        #expect(p.kiosks.first { $0.id == "k-1" }?.deadLetters == nil)
        #expect(p.kiosks.first { $0.id == "k-3" }?.deadLetters == 2, "sane values stay")
        #expect(try store.gaps() == [.init(kiosk: "k-3", from: 1, to: 7)])
        #expect(PictureRenderer.renderText(p).contains("kiosk k-3: 2 döda brev"))
    }

    // MARK: 5 Unbounded (store side)

    @Test("Attack 5: a report submitted in the year 9999 is not stored; one an hour ahead (a clock a little fast) is", arguments: Backend.allCases)
    func farFuture(backend: Backend) throws {
        let (store, dir) = try backend.open()
        _ = dir
        let far = RFC3339.parse("9999-12-31T23:59:59Z")!
        _ = try store.commit(CentralStoreTests.batch([CentralStoreTests.report(seq: 1, at: far),
                                                      CentralStoreTests.report(seq: 2, at: Self.t0 + 3_600_000)]), at: Self.t0)
        #expect(try store.reportCount() == 1)
        #expect(try store.heldRanges()["k-1"] == [2...2])
        // Refused reports count against the kiosk's quota in the order they came: 30 refused, then 70 stored.
        let (other, otherDir) = try backend.open()
        _ = otherDir
        other.intake = IntakePolicy(dailyQuota: 100)
        let flood = (1...30).map { CentralStoreTests.report(seq: Int64($0), at: far) }
            + (31...180).map { CentralStoreTests.report(seq: Int64($0), at: Self.t0) }
        let c = try other.commit(CentralStoreTests.batch(flood), at: Self.t0)
        #expect(c.new == 70 && c.overQuota == 80)
        #expect(try other.rejects(limit: 100).count == 30)
    }

    @Test("Attack 5: one kiosk's flood stops at its daily quota; the other kiosks' reports are stored", arguments: Backend.allCases)
    func dailyQuota(backend: Backend) throws {
        let (store, dir) = try backend.open()
        _ = dir
        let flood = (1...2_100).map { CentralStoreTests.report(kiosk: "k-evil", seq: Int64($0), at: Self.t0) }
        let committed = try store.commit(CentralStoreTests.batch(flood + [CentralStoreTests.report(kiosk: "k-ok", seq: 1, at: Self.t0)]), at: Self.t0)
        #expect(try store.reportCount() == 2_001)
        #expect(committed.held["k-evil"]?.count == 2_000, "only what is stored is confirmed: the kiosk keeps the rest")
        #expect(committed.held["k-ok"] == [1])
    }

    @Test("The quota: rejects count too; a held report is still confirmed; refusals are shown; the next day it fits", arguments: Backend.allCases)
    func dailyQuotaDetails(backend: Backend) throws {
        let (store, dir) = try backend.open()
        _ = dir
        store.intake = IntakePolicy(dailyQuota: 100)
        var b = CentralStoreTests.batch((1...90).map { CentralStoreTests.report(kiosk: "k-1", seq: Int64($0), at: Self.t0) })
        b.rejects = (0..<20).map { _ in
            Array("not json".utf8).withUnsafeBytes { CentralStore.Reject(topic: "lagesbild/v1/reports/k-1", reason: "nonsense", payload: $0) }
        }
        let first = try store.commit(b, at: Self.t0)
        #expect(first.new == 90)
        #expect(first.overQuota == 10, "90 reports + 10 rejects fill the quota; the other 10 rejects are counted only")
        #expect(try store.rejects(limit: 100).count == 10)
        // Over quota: a new report is refused and not confirmed; a resend of a held one is confirmed.
        let again = try store.commit(CentralStoreTests.batch([CentralStoreTests.report(kiosk: "k-1", seq: 91, at: Self.t0),
                                                              CentralStoreTests.report(kiosk: "k-1", seq: 5, at: Self.t0)]), at: Self.t0)
        #expect(again.held == ["k-1": [5]])
        #expect(again.refused == ["k-1": [91]])
        let period = Picture.Period(since: Self.t0 - Self.day, until: Self.t0 + Self.day, utcOffsetSeconds: 0)
        let p = try store.picture(period: period, now: Self.t0, silentAfterHours: 24, includeText: false)
        #expect(p.kiosks.first { $0.id == "k-1" }?.overQuota == 11)
        #expect(PictureRenderer.renderText(p).contains("kiosk k-1: 11 gånger inte mottaget"))
        // The next UTC day the kiosk's resend is stored.
        let tomorrow = try store.commit(CentralStoreTests.batch([CentralStoreTests.report(kiosk: "k-1", seq: 91, at: Self.t0)]),
                                        at: Self.t0 + Self.day)
        #expect(tomorrow.held == ["k-1": [91]] && tomorrow.new == 1)
    }

    // MARK: 6 Operator's terminal

    @Test("Attack 6: OSC 52, C1 controls and bidi overrides in kiosk strings never reach the operator's terminal", arguments: Backend.allCases)
    func terminalEscape(backend: Backend) throws {
        let osc52 = "\u{1B}]52;c;cm0gLXJmIH4K\u{07}"
        let evil = "x\(osc52)\u{9B}31m\u{9D}0;t\u{9C}\u{202E}gpj.exe"
        let (store, dir) = try backend.open()
        _ = dir
        let kiosk = "k-1"
        var r = CentralStoreTests.report(kiosk: kiosk, seq: 1, at: Self.t0, category: "drugs" + evil, place: "Torget" + evil,
                                         occurred: "now" + evil, age: "youth" + evil, event: "Mässa" + evil, site: "Gården" + evil)
        r.source = "saw" + evil
        r.masked = ["phone" + evil]
        var b = CentralStoreTests.batch([r])
        b.statuses = [ReceivedStatus(kiosk: kiosk, state: "online" + evil, pending: 0, deadLetters: 1, awaitingReceipt: 0,
                                               lastSeq: 3, version: "0.2" + evil, payload: "{}")]
        _ = try store.commit(b, at: Self.t0)
        let period = Picture.Period(since: Self.t0 - 14 * Self.day, until: Self.t0 + 1, utcOffsetSeconds: 0)
        let p = try store.picture(period: period, now: Self.t0, silentAfterHours: 24, includeText: true)
        for (format, out) in [("text", PictureRenderer.renderText(p)), ("csv", PictureRenderer.renderCSV(p)),
                              ("html", PictureRenderer.renderHTML(p)), ("json", PictureRenderer.renderJSON(p))] {
            let bad = out.unicodeScalars.filter {
                ($0.value < 0x20 && $0 != "\n" && $0 != "\r") || (0x7F...0x9F).contains($0.value)
                    || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
            }
            #expect(bad.isEmpty, "\(format): \(bad.map { String($0.value, radix: 16) })")
            #expect(!out.contains("]52;"), "\(format): the OSC 52 body is removed whole")
        }
    }
}

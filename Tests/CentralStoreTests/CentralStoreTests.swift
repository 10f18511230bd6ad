import CentralStore
import LagesbildReport
import ReportModel
import Testing
import TestSupport

/// The central database, the same tests on each engine (a real SQLite file; a real PostgreSQL cluster started by
/// the test): de-duplication, seq ranges and gaps, the picture's counts, prune.
@Suite struct CentralStoreTests {
    static let day: Int64 = 86_400_000
    static let t0: Int64 = 1_795_000_000_000   // a fixed "now" (November 2026)

    static func report(kiosk: String = "k-1", seq: Int64, at: Int64, category: String = "drugs", place: String = "Centrum",
                       occurred: String = "today", age: String? = nil, event: String? = nil, id: String? = nil,
                       text: String = "tips", site: String? = "Gården") -> ReceivedReport {
        let uuid = id ?? testID(seq: seq, kiosk: kiosk)
        let payload = #"{"schema":"tipskiosk.report.v1","id":"\#(uuid)","kiosk":"\#(kiosk)","seq":\#(seq),"text":"\#(text)"}"#
        return ReceivedReport(schema: reportSchema, id: uuid, kiosk: kiosk, seq: seq, submittedAt: at, category: category,
                              place: place, occurred: occurred, ageGroup: age, site: site, event: event, payload: payload)
    }

    static func batch(_ reports: [ReceivedReport]) -> CentralStore.Batch {
        var b = CentralStore.Batch()
        b.reports = reports
        return b
    }

    @Test("A duplicate id is stored once, and every seq of the batch is confirmed, the duplicate's too", arguments: Backend.allCases)
    func dedupe(backend: Backend) throws {
        let opened = try backend.open(), store = opened.store
        let a = Self.report(seq: 1, at: Self.t0)
        #expect(try store.commit(Self.batch([a]), at: Self.t0) == .init(held: ["k-1": [1]], new: 1))
        let again = try store.commit(Self.batch([a, Self.report(seq: 2, at: Self.t0)]), at: Self.t0)
        #expect(again == .init(held: ["k-1": [1, 2]], new: 1))
        #expect(again.duplicates == 1)
        #expect(try store.reportCount() == 2)
    }

    @Test("A kiosk's site is the one its reports name; a report without a site, later in the batch, keeps it", arguments: Backend.allCases)
    func siteOfANewKiosk(backend: Backend) throws {
        let opened = try backend.open(), store = opened.store
        _ = try store.commit(Self.batch([Self.report(kiosk: "k-9", seq: 1, at: Self.t0, site: "Gården"),
                                         Self.report(kiosk: "k-9", seq: 2, at: Self.t0, site: nil),
                                         Self.report(kiosk: "k-8", seq: 1, at: Self.t0, site: nil)]), at: Self.t0)
        let period = Picture.Period(since: Self.t0 - Self.day, until: Self.t0 + 1, utcOffsetSeconds: 3600)
        let kiosks = try store.picture(period: period, now: Self.t0, silentAfterHours: 24, includeText: false).kiosks
        #expect(kiosks.first { $0.id == "k-9" }?.site == "Gården")
        #expect(kiosks.first { $0.id == "k-8" }.map { $0.site == nil } == true)
    }

    @Test("Seq ranges merge as reports arrive out of order; gaps close when late reports come", arguments: Backend.allCases)
    func rangesAndGaps(backend: Backend) throws {
        let opened = try backend.open(), store = opened.store
        let seqs: [Int64] = [1, 2, 3, 7, 8, 12]
        _ = try store.commit(Self.batch(seqs.map { Self.report(seq: $0, at: Self.t0) }), at: Self.t0)
        #expect(try store.heldRanges()["k-1"] == [1...3, 7...8, 12...12])
        #expect(try store.gaps() == [.init(kiosk: "k-1", from: 4, to: 6), .init(kiosk: "k-1", from: 9, to: 11)])
        _ = try store.commit(Self.batch([4, 5, 6, 9].map { Self.report(seq: $0, at: Self.t0) }), at: Self.t0)
        #expect(try store.heldRanges()["k-1"] == [1...9, 12...12])
        #expect(try store.gaps() == [.init(kiosk: "k-1", from: 10, to: 11)])
        // A status naming a later last seq opens a gap at the end; a first seq above 1 one at the start.
        var b = CentralStore.Batch()
        b.statuses = [ReceivedStatus(kiosk: "k-1", state: "online", pending: 0, deadLetters: 2, awaitingReceipt: 0,
                                               lastSeq: 15, version: "0.2.0", payload: "{}")]
        b.reports = [Self.report(kiosk: "k-2", seq: 5, at: Self.t0)]
        _ = try store.commit(b, at: Self.t0)
        #expect(try store.gaps() == [.init(kiosk: "k-1", from: 10, to: 11), .init(kiosk: "k-1", from: 13, to: 15),
                                     .init(kiosk: "k-2", from: 1, to: 4)])
    }

    @Test("The picture counts this period against the previous one, groups places by spelling, names silent kiosks", arguments: Backend.allCases)
    func picture(backend: Backend) throws {
        let opened = try backend.open(), store = opened.store
        var reports: [ReceivedReport] = []
        var seq: Int64 = 0
        func add(_ n: Int, daysAgo: Int64, category: String, place: String, age: String? = nil, event: String? = nil,
                 occurred: String = "today") {
            for _ in 0..<n {
                seq += 1
                reports.append(Self.report(seq: seq, at: Self.t0 - daysAgo * Self.day, category: category, place: place,
                                           occurred: occurred, age: age, event: event, text: "hemligt \(seq)"))
            }
        }
        add(5, daysAgo: 1, category: "drugs", place: "Centrum", age: "youth")
        add(2, daysAgo: 3, category: "theft", place: "centrum ", event: "Seniormässan")
        add(1, daysAgo: 13, category: "traffic", place: "Skolan", occurred: "2026-11-01")
        add(4, daysAgo: 20, category: "drugs", place: "Skolan")        // previous period
        add(3, daysAgo: 40, category: "drugs", place: "Parken")        // before both
        _ = try store.commit(Self.batch(reports), at: Self.t0)
        var b = CentralStore.Batch()
        b.statuses = [ReceivedStatus(kiosk: "k-1", state: "online", pending: 0, deadLetters: 1, awaitingReceipt: 0,
                                               lastSeq: seq, version: nil, payload: "{}")]
        _ = try store.commit(b, at: Self.t0 - 30 * 3_600_000)   // its last status: 30 hours ago

        let period = Picture.Period(since: Self.t0 - 14 * Self.day, until: Self.t0, utcOffsetSeconds: 3600)
        let p = try store.picture(period: period, now: Self.t0, silentAfterHours: 24, includeText: false)
        #expect(p.total == 8)
        #expect(p.previousTotal == 4)
        #expect(p.byCategory.first == .init(key: "drugs", current: 5, previous: 4))
        #expect(p.byCategory.count == Category.allCases.count, "every category, also those with 0")
        #expect(p.places.first == .init(name: "Centrum", current: 7, previous: 0, byCategory: ["drugs": 5, "theft": 2]))
        #expect(p.places.contains { $0.name == "Skolan" && $0.current == 1 && $0.previous == 4 })
        #expect(!p.places.contains { $0.name == "Parken" })
        #expect(p.byOccurred.contains { $0.key == "date" && $0.current == 1 })
        #expect(p.byAgeGroup.contains { $0.key == "youth" && $0.current == 5 })
        #expect(p.byAgeGroup.contains { $0.key == nil && $0.current == 3 })
        #expect(p.byEvent.contains { $0.key == "Seniormässan" && $0.current == 2 })
        #expect(p.kiosks.count == 1)
        #expect(p.kiosks.first?.silent == true, "no status for 30 h > 24 h")
        #expect(p.kiosks.first?.deadLetters == 1)
        #expect(p.tips == nil, "no text unless asked for")
        let withText = try store.picture(period: period, now: Self.t0, silentAfterHours: 48, includeText: true)
        #expect(withText.tips?.count == 8)
        #expect(withText.tips?.first?.text.hasPrefix("hemligt") == true)
        #expect(withText.kiosks.first?.silent == false)
    }

    @Test("Prune deletes old reports and keeps the seq ranges, so pruned reports are not gaps", arguments: Backend.allCases)
    func prune(backend: Backend) throws {
        let opened = try backend.open(), store = opened.store
        _ = try store.commit(Self.batch([Self.report(seq: 1, at: Self.t0 - 200 * Self.day, text: "gammalt"),
                                         Self.report(seq: 2, at: Self.t0 - 10 * Self.day)]), at: Self.t0)
        let (reports, _) = try store.prune(before: Self.t0 - 180 * Self.day)
        #expect(reports == 1)
        #expect(try store.reportCount() == 1)
        #expect(try store.gaps().isEmpty)
        // The deleted text is not left in the file's free pages (SQLite's secure_delete; PostgreSQL's is
        // docs/CENTRAL.md's matter).
        guard backend == .sqlite else { return }
        let bytes = try #require(FileManager.default.contents(atPath: opened.dir.file("c.sqlite")))
        #expect(bytes.range(of: Data("gammalt".utf8)) == nil)
    }

    @Test("The JSON of 14 days over 200,000 stored reports comes in well under a second", arguments: Backend.allCases)
    func pictureIsQuick(backend: Backend) throws {
        let opened = try backend.open(), store = opened.store
        var batch: [ReceivedReport] = []
        let categories = Category.allCases.map(\.rawValue)
        for i in 0..<200_000 {
            batch.append(Self.report(kiosk: "k-\(i % 5)", seq: Int64(i / 5 + 1), at: Self.t0 - Int64(i % 365) * Self.day,
                                     category: categories[i % 10], place: ["Centrum", "Skolan", "Torget"][i % 3]))
            if batch.count == 20_000 { _ = try store.commit(Self.batch(batch), at: Self.t0); batch.removeAll() }
        }
        let start = ContinuousClock.now
        let p = try store.picture(period: .init(since: Self.t0 - 14 * Self.day, until: Self.t0, utcOffsetSeconds: 0),
                                  now: Self.t0, silentAfterHours: 24, includeText: false)
        let elapsed = ContinuousClock.now - start
        #expect(p.total > 0)
        #expect(elapsed < .seconds(1), "\(elapsed)")
    }
}

import Foundation

/// A UUID-shaped id made from a kiosk and a seq (unique per pair), for tests.
func testID(seq: Int64, kiosk: String) -> String {
    func hex(_ v: UInt64, _ width: Int) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }
    let k = kiosk.utf8.reduce(UInt64(7)) { $0 &* 31 &+ UInt64($1) } & 0xFFFF_FFFF
    return hex(k, 8) + "-0000-7000-8000-" + hex(UInt64(seq), 12)
}

import Foundation
@testable import CentralStore
import LagesbildReport
import ReportModel
import Testing
import TestSupport

/// The v1 additions `source` and `masked` at the centre: decoded, stored in their own columns, counted, and
/// filled in from the payloads of a database made before migration 2.
@Suite struct SourceAndMaskedTests {
    static let t0 = CentralStoreTests.t0

    static func payload(seq: Int64, extra: String) -> String {
        #"{"schema":"tipskiosk.report.v1","id":"\#(testID(seq: seq, kiosk: "k-1"))","kiosk":"k-1","seq":\#(seq),"submitted_at":"2026-11-20T10:00:00.000+01:00","category":"drugs","place":"Centrum","occurred":"today","text":"tips","language":"sv","reporter":{"role":"visitor","age_group":null},"contact":null,"site":"S","event":null\#(extra)}"#
    }

    static func decode(_ s: String) throws -> ReceivedReport {
        try Array(s.utf8).withUnsafeBytes { try ReceivedReport.decode($0, topicKiosk: "k-1") }
    }

    @Test func decodesSourceAndMaskedAndRefusesNonsense() throws {
        let r = try Self.decode(Self.payload(seq: 1, extra: #","source":"saw","masked":["phone","email","phone"]"#))
        #expect(r.source == "saw" && r.masked == ["phone", "email"])
        let none = try Self.decode(Self.payload(seq: 2, extra: ""))
        #expect(none.source == nil && none.masked.isEmpty)
        for bad in [#","masked":"phone""#, #","masked":[1]"#, #","masked":["a,b"]"#, #","source":7"#] {
            #expect(throws: ReceivedReport.Rejection.self, "\(bad)") { try Self.decode(Self.payload(seq: 3, extra: bad)) }
        }
    }

    @Test(arguments: Backend.allCases) func countedInThePicture(backend: Backend) throws {
        let opened = try backend.open(), store = opened.store
        var b = CentralStore.Batch()
        let extras = [#","source":"saw","masked":["phone","email"]"#, #","source":"heard","masked":["phone"]"#,
                      #","source":"saw""#, ""]
        b.reports = try extras.enumerated().map { i, e in
            var r = try Self.decode(Self.payload(seq: Int64(i + 1), extra: e))
            r.submittedAt = Self.t0 - 1000
            return r
        }
        _ = try store.commit(b, at: Self.t0)
        let period = Picture.Period(since: Self.t0 - 14 * CentralStoreTests.day, until: Self.t0, utcOffsetSeconds: 3600)
        let p = try store.picture(period: period, now: Self.t0, silentAfterHours: 24, includeText: false)
        #expect(p.total == 4)
        #expect(Set(p.bySource) == [.init(key: "saw", current: 2, previous: 0), .init(key: "heard", current: 1, previous: 0),
                                    .init(key: nil, current: 1, previous: 0)])
        #expect(Set(p.byMasked) == [.init(key: "phone", current: 2, previous: 0), .init(key: "email", current: 1, previous: 0)])
        let json = PictureRenderer.renderJSON(p, language: .sv)
        #expect(json.contains(#""by_source":["#) && json.contains(#""by_masked":["#))
    }

    @Test("A database made before migration 2 gets the columns, filled from the payloads it holds")
    func migrationFillsTheNewColumns() throws {
        let dir = TempDir("central")
        let path = dir.file("old.sqlite")
        let rows = [Self.payload(seq: 1, extra: #","source":"heard","masked":["personnummer"]"#), Self.payload(seq: 2, extra: "")]
        var sql = CentralSchema.migrations[0] + "\nPRAGMA user_version = 1;\n"
        for (i, p) in rows.enumerated() {
            sql += """
                INSERT INTO reports (id, kiosk, seq, submitted_at, received_at, category, place, occurred, schema, payload)
                VALUES ('\(testID(seq: Int64(i + 1), kiosk: "k-1"))', 'k-1', \(i + 1), \(Self.t0 - 1000), \(Self.t0),
                        'drugs', 'Centrum', 'today', 'tipskiosk.report.v1', '\(p)');
                INSERT INTO seq_ranges VALUES ('k-1', \(i + 1), \(i + 1));

                """
        }
        let made = try runProcess("/usr/bin/sqlite3", [path], input: Data(sql.utf8))
        #expect(made.status == 0, "\(made.stderr)")
        let store = try CentralStore.open(path: path)
        let period = Picture.Period(since: Self.t0 - CentralStoreTests.day, until: Self.t0, utcOffsetSeconds: 3600)
        let p = try store.picture(period: period, now: Self.t0, silentAfterHours: 24, includeText: false)
        #expect(p.total == 2)
        #expect(Set(p.bySource) == [.init(key: "heard", current: 1, previous: 0), .init(key: nil, current: 1, previous: 0)])
        #expect(p.byMasked == [.init(key: "personnummer", current: 1, previous: 0)])
        let version = try runProcess("/usr/bin/sqlite3", [path, "PRAGMA user_version"])
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(CentralSchema.migrations.count))
    }
}

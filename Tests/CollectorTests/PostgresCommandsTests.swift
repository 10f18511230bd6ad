import CentralStore
import Foundation
import ReportModel
import Testing
import TestSupport

/// `lagesbild report`, `prune` and `check-config` with `[central] database` on a real PostgreSQL cluster (`collect`
/// on PostgreSQL: FaultTests' CentreFailoverTests).
@Suite struct PostgresCommandsTests {
    @Test func reportPruneAndCheckConfigOnPostgreSQL() throws {
        let pg = try TestPostgres()
        let conninfo = pg.conninfo(database: try pg.createDatabase())
        let store = try PostgresStore.open(conninfo: conninfo)
        let now = Int64(Date().timeIntervalSince1970 * 1000), day: Int64 = 86_400_000
        var batch = CentralStore.Batch()
        batch.reports = (1...3).map { seq in
            let id = "0000000\(seq)-0000-7000-8000-000000000000"
            return ReceivedReport(schema: reportSchema, id: id, kiosk: "k-1", seq: Int64(seq),
                                  submittedAt: now - (seq == 3 ? 30 : 1) * day, category: "drugs", place: "Centrum",
                                  occurred: "today", ageGroup: nil, site: "Gården", event: nil,
                                  payload: #"{"id":"\#(id)","text":"tips"}"#)
        }
        _ = try store.commit(batch, at: now)

        let dir = TempDir("pg-commands")
        let config = writeCentralConfig(in: dir, port: 1883, extraCentral: "database = \"\(conninfo)\"")
        let check = try lagesbild(["check-config", "--config", config])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("database \(conninfo)"), "\(check.stdout)")

        let report = try lagesbild(["report", "--config", config, "--format", "json", "--days", "14"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(jsonObject(report.stdout))
        #expect(json["total"] as? Int == 2, "\(report.stdout.prefix(300))")

        let prune = try lagesbild(["prune", "--config", config, "--older-than", "10"])
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.hasPrefix("deleted 1 report(s)"), "\(prune.stdout)")
        #expect(try store.reportCount() == 2)
        #expect(try store.gaps().isEmpty, "the pruned report's seq is still held")
    }
}

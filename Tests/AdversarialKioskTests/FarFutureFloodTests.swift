import Foundation
import Testing
import TestSupport

/// Attack 5, store side: 64 KiB reports with fresh ids and `submitted_at` in the year 9999 were stored and never
/// pruned, filling the centre's disk. The centre now refuses a report more than a day ahead of its clock, and stores
/// at most `[central] daily_quota` payloads of one kiosk a day; over it, nothing is stored or confirmed (the kiosk
/// keeps its reports), each refusal is counted and the report names the kiosk.
@Suite(.serialized, .enabled(if: Site.canRun))
struct FarFutureFloodTests {
    @Test("Attack 5, far-future flood: reports dated 9999 are refused, one kiosk's flood stops at its daily quota, the others' reports are stored")
    func farFutureFlood() throws {
        let site = try Site()
        let (cdir, central, collector) = try site.collector(extraCentral: "daily_quota = 100")
        defer { _ = collector.terminate(); withExtendedLifetime(cdir) {} }
        let text = String(repeating: "x", count: 2000)
        let future = (1...30).map {
            KioskAttack.report(kiosk: "tls-kiosk-1", seq: "\($0)", submittedAt: "9999-12-31T23:59:59.000Z", extra: #","note":"\#(text)""#)
        }
        let flood = (31...180).map { KioskAttack.report(kiosk: "tls-kiosk-1", seq: "\($0)") }
        let r = try KioskAttack.publish(site, as: "tls-kiosk-1", topic: "lagesbild/v1/reports/tls-kiosk-1", future + flood)
        #expect(r.status == 0, "\(r.stderr)")
        // 30 refused (rejects), then 70 stored fill the quota of 100; the other 80 are counted only.
        #expect(waitUntil(timeout: 20) { Centre.held(central) == 70 && Centre.rejects(central) == 30 }, "\(collector.log)")
        // Another kiosk is not held back by it.
        let (kdir, config, gw) = try site.gateway("tls-kiosk-2")
        defer { _ = gw.terminate(); withExtendedLifetime(kdir) {} }
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(5)).status == 0)
        #expect(try waitUntil(timeout: 20) { try status(config)["pending"] as? Int == 0 }, "\(gw.log)")
        #expect(Centre.held(central) == 75)
        let report = try lagesbild(["report", "--config", central, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let kiosks = json["kiosks"] as? [[String: Any]] ?? []
        #expect(kiosks.first { $0["id"] as? String == "tls-kiosk-1" }?["over_quota"] as? Int == 80)
        #expect(kiosks.first { $0["id"] as? String == "tls-kiosk-2" }?["over_quota"] as? Int == 0)
    }
}

import CentralStore
import Foundation
import KioskConfig
import Testing
import TestSupport

/// A retained report: a kiosk never retains one, and the broker would hand a retained report to the collector again
/// on every subscription, after every restart (with a poisoned seq, a crash loop). The collector refuses it into the
/// rejects table, and stores the kiosk's next, ordinary report.
@Suite(.serialized, .enabled(if: Site.canRun))
struct RetainedReportTests {
    @Test("Retained report: refused into the rejects table, not stored, and not taken again after a restart; the kiosk's next report is stored")
    func retainedReportIsRefused() throws {
        let site = try Site()
        let (centralDir, central, collector) = try site.collector()
        defer { collector.terminate(); withExtendedLifetime(centralDir) {} }
        let r = try site.mosquittoPub(user: "tls-kiosk-1", clientID: "tls-kiosk-1",
                                      ["-q", "1", "-r", "-t", "lagesbild/v1/reports/tls-kiosk-1",
                                       "-m", SessionTakeoverTests.report(kiosk: "tls-kiosk-1", seq: 1)])
        #expect(r.status == 0, "\(r.stderr)")
        func rejects() -> [String] {
            guard let c = try? CentralConfiguration.load(path: central, secrets: .skip),
                  let store = try? CentralStore.open(path: c.databasePath, readOnly: true) else { return [] }
            return ((try? store.rejects()) ?? []).map(\.reason)
        }
        #expect(waitUntil(timeout: 20) { rejects().contains { $0.contains("retained") } }, "\(rejects())\n\(collector.log)")
        #expect(Centre.held(central) == 0)

        // A restart subscribes again: the broker sends the retained report again, and it is refused again.
        #expect(collector.terminate() == 0)
        try collector.start()
        #expect(waitUntil(timeout: 20) { rejects().filter { $0.contains("retained") }.count >= 2 }, "\(rejects())\n\(collector.log)")
        #expect(collector.isRunning && Centre.held(central) == 0)

        try SessionTakeoverTests.publishReports(site, kiosk: "tls-kiosk-1", seqs: 2...2, mtls: false)
        #expect(waitUntil(timeout: 20) { Centre.held(central) == 1 }, "\(collector.log)")
    }
}

import Foundation
import Testing
import TestSupport

/// Attack 1, the crash loop: a report with `"seq": 9223372036854775807` overflowed `hi + 1` in the seq ranges inside
/// the commit; the collector died on every restart, and reports PUBACKed in the same batch were lost. The centre now
/// refuses a seq above 2^53 − 1 like any invalid report, and its seq arithmetic saturates.
@Suite(.serialized, .enabled(if: Site.canRun))
struct SeqOverflowTests {
    @Test("Attack 1, seq overflow: a kiosk's report with seq Int64.max is refused; the collector stays up and stores the others'")
    func seqOverflow() throws {
        let site = try Site()
        let (cdir, central, collector) = try site.collector()
        defer { _ = collector.terminate(); withExtendedLifetime(cdir) {} }
        let r = try KioskAttack.publish(site, as: "tls-kiosk-1", topic: "lagesbild/v1/reports/tls-kiosk-1",
                                        [KioskAttack.report(kiosk: "tls-kiosk-1", seq: "9223372036854775807"),
                                         KioskAttack.report(kiosk: "tls-kiosk-1", seq: "9007199254740992"),
                                         KioskAttack.report(kiosk: "tls-kiosk-1", seq: "1")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(waitUntil(timeout: 15) { Centre.rejects(central) == 2 && Centre.held(central) == 1 }, "\(collector.log)")
        #expect(collector.isRunning, "\(collector.log)")
        // The other kiosks keep delivering through the same collector.
        let (kdir, config, gw) = try site.gateway("tls-kiosk-2")
        defer { _ = gw.terminate(); withExtendedLifetime(kdir) {} }
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(5)).status == 0)
        #expect(try waitUntil(timeout: 20) { try status(config)["pending"] as? Int == 0 }, "\(gw.log)\n\(collector.log)")
        #expect(Centre.held(central) == 6)
        #expect(collector.isRunning)
    }
}

import Foundation
import Testing
import TestSupport

/// Attack 3, the poisoned status: `last_seq` or `dead_letters` at Int64.max in a kiosk's retained status overflowed
/// the sums of the text and HTML report, and `last_seq` only ever grew: every report crashed until the database was
/// edited by hand. The centre now refuses a status with a number out of its bounds, the last status wins, and the
/// report's sums saturate.
@Suite(.serialized, .enabled(if: Site.canRun))
struct PoisonedStatusTests {
    static func status(_ kiosk: String, deadLetters: String, lastSeq: String) -> String {
        #"{"kiosk":"\#(kiosk)","state":"online","pending":0,"dead_letters":\#(deadLetters),"awaiting_receipt":0,"last_seq":\#(lastSeq),"version":"0.2.0"}"#
    }

    @Test("Attack 3, poisoned status: two kiosks' statuses at Int64.max are refused, every report format still draws, and an honest status wins")
    func poisonedStatus() throws {
        let site = try Site()
        let (cdir, central, collector) = try site.collector()
        defer { _ = collector.terminate(); withExtendedLifetime(cdir) {} }
        for kiosk in ["tls-kiosk-1", "tls-kiosk-2"] {
            let r = try KioskAttack.publish(site, as: kiosk, topic: "lagesbild/v1/status/\(kiosk)",
                                            [Self.status(kiosk, deadLetters: "9223372036854775807", lastSeq: "9223372036854775807")],
                                            retain: true)
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(waitUntil(timeout: 15) { Centre.rejects(central) == 2 }, "\(collector.log)")
        for format in ["text", "html", "csv", "json"] {
            let r = try lagesbild(["report", "--config", central, "--format", format])
            #expect(r.status == 0, "\(format): \(r.stderr)")
        }
        // The kiosk's next honest status is taken, and a last_seq may come down.
        let honest = try KioskAttack.publish(site, as: "tls-kiosk-1", topic: "lagesbild/v1/status/tls-kiosk-1",
                                             [Self.status("tls-kiosk-1", deadLetters: "2", lastSeq: "9000"),
                                              Self.status("tls-kiosk-1", deadLetters: "2", lastSeq: "3")], retain: true)
        #expect(honest.status == 0)
        #expect(try waitUntil(timeout: 15) {
            let r = try lagesbild(["report", "--config", central, "--format", "text"])
            return r.status == 0 && r.stdout.contains("kiosk tls-kiosk-1: seq 1–3 saknas (3)") && r.stdout.contains("tls-kiosk-1: 2 döda brev")
        })
    }
}

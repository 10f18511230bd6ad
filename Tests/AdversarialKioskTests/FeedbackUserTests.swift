import Foundation
import Testing
import TestSupport

/// Attack 4, broker side: `lagesbild feedback` ran as the collector's broker user, so every staff machine that
/// publishes feedback could also write any kiosk's receipts, and a forged receipt deletes reports never sent. The
/// shipped ACL gives feedback a user of its own that writes the feedback topics and nothing else.
@Suite(.serialized, .enabled(if: Site.canRun))
struct FeedbackUserTests {
    @Test("Forged receipt, broker side: the user that may publish feedback cannot write a kiosk's receipts")
    func feedbackUserCannotWriteReceipts() throws {
        let site = try Site()
        let writer = try Centre.feedbackWriter()
        let forged = #"{"schema":"lagesbild.receipt.v1","kiosk":"tls-kiosk-1","seqs":[[1,9223372036854775807]],"at":"2026-11-20T17:31:02.501+00:00"}"#
        let r = try site.mosquittoPub(user: writer, clientID: writer,
                                      ["-d", "-q", "1", "-t", "lagesbild/v1/receipts/tls-kiosk-1", "-m", forged])
        #expect(r.stdout.contains("received PUBACK (Mid: 1, RC:135)"), "\(writer) may write receipts:\n\(r.stdout)\(r.stderr)")
        // It may still publish feedback.
        let feedback = #"{"schema":"lagesbild.feedback.v1","text":{"sv":"Lampan är lagad."},"published_at":"2026-11-25T10:00:00.000+01:00","until":null}"#
        let ok = try site.mosquittoPub(user: writer, clientID: writer,
                                       ["-d", "-q", "1", "-r", "-t", "lagesbild/v1/feedback/all", "-m", feedback])
        // 0x10: accepted, no one subscribed yet.
        #expect(ok.stdout.contains("received PUBACK (Mid: 1, RC:0)") || ok.stdout.contains("received PUBACK (Mid: 1, RC:16)"),
                "\(ok.stdout)\(ok.stderr)")
    }
}

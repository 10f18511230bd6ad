import Delivery
import Foundation
import Testing
import TestSupport

/// Attack 4, forged receipt: `{"seqs":[[1,9223372036854775807]]}` on a kiosk's receipt topic deleted every row of
/// its outbox, reports never sent and dead letters included (the delete named seqs, not states). A kiosk's
/// credentials may not write receipts at all (the ACL), and whoever may (the collectors' users) deletes only what
/// awaits a receipt: what the broker has already acknowledged, which a collector's kept session still receives.
@Suite(.serialized, .enabled(if: Site.canRun))
struct ForgedReceiptTests {
    static func forged(_ kiosk: String, to last: Int64 = .max) -> String {
        #"{"schema":"lagesbild.receipt.v1","kiosk":""# + kiosk
            + #"","seqs":[[1,"# + String(last) + #"]],"at":"2026-11-20T17:31:02.501+00:00"}"#
    }

    /// The seqs of the kiosk's outbox in `state`.
    static func seqs(_ outbox: String, _ state: OutboxRowState) throws -> [Int] {
        let r = try runProcess("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", outbox, "SELECT seq FROM reports WHERE state = \(state.sql) ORDER BY seq"])
        return r.stdout.split(separator: "\n").compactMap { Int($0) }
    }

    @Test("Forged receipt: no kiosk may write receipts, its own or another's; with a collector's user, nothing unsent is deleted and the centre still gets every report")
    func forgedReceiptDeletesNothingUnsent() throws {
        let site = try Site()
        let kiosk = "tls-kiosk-1", topic = "lagesbild/v1/receipts/tls-kiosk-1"
        // The collector's kept session is registered, then the collector goes away: what the kiosk sends waits at
        // the broker for it, and at the kiosk for a receipt.
        let (centreDir, centreConfig, first) = try site.collector()
        first.terminate()
        let (dir, config) = site.kiosk(kiosk)
        let outbox = dir.file("outbox.sqlite")
        // No report waits long enough to be sent again during the test: which rows await a receipt stays fixed.
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.replacingOccurrences(of: "receipt_timeout_s = 5\n", with: "receipt_timeout_s = 600\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        // 1,200 reports; seq 1 a dead letter (as the broker's refusal leaves one). At most 1,000 are out and
        // unconfirmed at once: seqs 2–1001 go out and wait for a receipt, 1002–1200 are never sent.
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(1200)).status == 0)
        _ = try runProcess("/usr/bin/sqlite3", [outbox, "UPDATE reports SET state = \(OutboxRowState.deadLetter.sql), dead_code = 135, dead_reason = 'not authorized', dead_at = 1 WHERE seq = 1"])
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try waitUntil(timeout: 30) { try status(config)["awaiting_receipt"] as? Int == 1000 }, "\(gw.log.suffix(2000))")
        let unsent = Array(1002...1200)
        #expect(try Self.seqs(outbox, .pending) == unsent)

        // Another kiosk's credentials on this kiosk's receipt topic, and this kiosk's own: the ACL refuses both
        // (MQTT 5 PUBACK 0x87, not authorized).
        for user in ["tls-kiosk-2", kiosk] {
            let r = try site.mosquittoPub(user: user, clientID: user, ["-d", "-q", "1", "-t", topic, "-m", Self.forged(kiosk)])
            #expect(r.stdout.contains("received PUBACK (Mid: 1, RC:135)"), "\(user) may write \(topic):\n\(r.stdout)\(r.stderr)")
        }
        // (Its own user name took the gateway's client id for a moment: it connects again.)
        #expect(try waitUntil(timeout: 60) { try status(config)["broker"] as? String == "connected" })
        #expect(try status(config)["awaiting_receipt"] as? Int == 1000)
        #expect(try Self.seqs(outbox, .pending) == unsent)
        #expect(try Self.seqs(outbox, .deadLetter) == [1])

        // A collector's user may write receipts, and the broker takes them: here the second collector's (the
        // first one's would take its client id, and with a clean start its kept session). The kiosk refuses one
        // that names more seqs than a commit can hold, plainly, and deletes nothing.
        let collector = Site.collectorUsers[1]
        func forge(to last: Int64) throws {
            let r = try site.mosquittoPub(user: collector, clientID: collector,
                                          ["-d", "-q", "1", "-t", topic, "-m", Self.forged(kiosk, to: last)])
            #expect(r.stdout.contains("received PUBACK (Mid: 1, RC:0)"), "\(r.stdout)\(r.stderr)")
        }
        try forge(to: .max)
        #expect(waitUntil(timeout: 10) { gw.log.contains("ignored a receipt on \(topic) that is not valid: seqs names more than") },
                "\(gw.log.suffix(1500))")
        #expect(try status(config)["awaiting_receipt"] as? Int == 1000)
        #expect(try Self.seqs(outbox, .pending) == unsent)
        // One within the bounds that names every seq the outbox holds deletes only the rows awaiting a receipt,
        // never the 199 not sent, nor the dead letter. Those 199 go out next.
        try forge(to: 1200)
        let sentNext = try waitUntil(timeout: 30) { try Self.seqs(outbox, .awaitingReceipt) == unsent }
        #expect(sentNext, "\(gw.log.suffix(2000))")
        #expect(try Self.seqs(outbox, .deadLetter) == [1])
        #expect(try Self.seqs(outbox, .pending).isEmpty)

        // The collector comes back to its kept session: the centre holds every report the kiosk sent, and the
        // receipts empty the outbox but for the dead letter.
        let back = GatewayProcess.collector(config: centreConfig, log: centreDir.file("back.log"))
        try back.start()
        defer { back.terminate() }
        let done = try waitUntil(timeout: 60) { try Centre.held(centreConfig) == 1199 && status(config)["pending"] as? Int == 0 }
        #expect(done, "held \(Centre.held(centreConfig))\n\(back.log.suffix(1500))")
        #expect(try status(config)["dead_letters"] as? Int == 1)
        #expect(!gw.log.contains("rapport nummer"), "the gateway's log holds no tip text")
    }
}

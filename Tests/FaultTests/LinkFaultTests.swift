import CentralStore
import Delivery
import Foundation
import Glibc
import Testing
import TestSupport

/// The centre of a link-fault test: `lagesbild collect` on the test's broker (a kept session under a fixed client
/// id, as a site runs it), and what its database holds.
final class LinkCentre: @unchecked Sendable {
    let dir = TempDir("centre")
    let config: String
    let collector: GatewayProcess

    /// Starts the collector and waits until it is connected (and so subscribed a moment later).
    init(port: Int) throws {
        config = writeCentralConfig(in: dir, port: port)
        collector = GatewayProcess.collector(config: config, log: dir.file("collect.log"))
        try start()
    }

    func start() throws {
        let before = collector.log.components(separatedBy: "connected to").count
        try collector.start()
        #expect(waitUntil(timeout: 15) { self.collector.log.components(separatedBy: "connected to").count > before },
                "\(collector.log.suffix(1500))")
    }

    private func store() -> CentralStore? { try? CentralStore.open(path: dir.file("central.sqlite"), readOnly: true) }

    /// How many reports the centre holds (each once, whatever was sent twice).
    var count: Int { (try? store()?.reportCount()) ?? 0 }

    /// The seq → id of every report the centre holds for `kiosk`.
    func held(kiosk: String = "test-kiosk-1") throws -> [Int: String] {
        let r = try runProcess("/usr/bin/sqlite3", ["-readonly", "-cmd", ".timeout 5000", dir.file("central.sqlite"),
                                                    "SELECT seq || ' ' || id FROM reports WHERE kiosk = '\(kiosk)'"])
        var out: [Int: String] = [:]
        for line in r.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let seq = Int(parts[0]) { out[seq] = String(parts[1]) }
        }
        return out
    }

    /// The open seq gaps the centre reports, as `lagesbild report --format json` gives them.
    func gaps() throws -> [(kiosk: String, from: Int, to: Int, count: Int)] {
        let r = try lagesbild(["report", "--config", config, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let gaps = (jsonObject(r.stdout)?["gaps"] as? [[String: Any]]) ?? []
        return gaps.map { ($0["kiosk"] as? String ?? "", $0["from"] as? Int ?? 0, $0["to"] as? Int ?? 0, $0["count"] as? Int ?? 0) }
    }

    /// Zero loss: the centre holds exactly seqs 1...`total` of the kiosk, each with the id it was stored with at
    /// the kiosk, no gap open, and the kiosk's outbox is empty (every row confirmed by a receipt).
    func expectEverything(_ stored: [(id: String, seq: Int)], kioskConfig: String, kiosk: String = "test-kiosk-1",
                          timeout: Double = 120, _ comment: String = "") throws {
        let total = stored.count
        let done = try waitUntil(timeout: timeout) { try count >= total && (status(kioskConfig)["pending"] as? Int) == 0 }
        let pending = try status(kioskConfig)["pending"] as? Int
        #expect(done, "\(comment): the centre holds \(count) of \(total), \(pending ?? -1) pending at the kiosk\n\(collector.log.suffix(1500))")
        let held = try held(kiosk: kiosk)
        #expect(held.count == total, "\(comment): exactly \(total) at the centre, not \(held.count)")
        let missing = stored.filter { held[$0.seq] == nil }.map(\.seq)
        #expect(missing.isEmpty, "\(comment): missing \(missing.count): \(missing.prefix(10))")
        let wrong = stored.first { held[$0.seq] != nil && held[$0.seq] != $0.id }
        #expect(wrong == nil, "\(comment): the centre holds seq \(wrong?.seq ?? 0) with another id")
        #expect(try gaps().filter { $0.kiosk == kiosk }.isEmpty, "\(comment): no gap open")
        #expect(pending == 0, "\(comment): every row left the outbox on a receipt")
    }
}

/// How far the kiosk's gateway has sent: every seq below its lowest pending row was acknowledged by the broker
/// (`total` when no row is pending; 0 when the outbox cannot be read now).
func sentBelow(_ outbox: String, total: Int) -> Int {
    guard let r = try? runProcess("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", outbox,
                                                       "SELECT min(seq) FROM reports WHERE state = \(OutboxRowState.pending.sql)"]),
          r.status == 0 else { return 0 }
    return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 - 1 } ?? total
}

/// A kiosk with receipts on (the default) and a short receipt timeout, so that what a fault loses after the
/// broker's PUBACK comes back within the test.
func receiptKiosk(_ dir: TempDir, port: Int, extraMQTT: String = "") -> String {
    writeTestConfig(in: dir, port: port, extraMQTT: "await_receipts = true\nreceipt_timeout_s = 5\n" + extraMQTT)
}

/// The broker and the link between kiosk and broker misbehave. With receipts (the default) every stored report
/// must reach the central database: exact counts there, every seq with its id, nothing left in the outbox.
@Suite(.serialized) struct LinkFaultTests {
    @Test func halfOpenLinkIsDetectedByKeepaliveAndStatusSaysSo() throws {
        let broker = try TestBroker()
        let proxy = try TCPProxy(target: broker.port)
        let centre = try LinkCentre(port: broker.port)
        defer { centre.collector.terminate() }
        let dir = TempDir("stall")
        let config = receiptKiosk(dir, port: proxy.port)   // keepalive_s = 5
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try waitUntil(timeout: 10) { try status(config)["broker"] as? String == "connected" })
        // The link goes silent: no RST, no FIN, no data, both ways.
        proxy.setMode(.stall)
        let stalledAt = Date()
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(20))
        #expect(stored.status == 0)
        let detected = try waitUntil(timeout: 20) { try status(config)["broker"] as? String == "disconnected" }
        let detectSeconds = Date().timeIntervalSince(stalledAt)
        #expect(detected, "gateway log:\n\(gw.log)")
        let s = try status(config)
        #expect((s["last_error"] as? String)?.lowercased().contains("keepalive") == true, "\(s)")
        #expect(s["pending"] as? Int == 20)
        // The link comes back: everything stored meanwhile reaches the central database.
        proxy.setMode(.forward)
        try centre.expectEverything(parseReceipts(stored.stdout), kioskConfig: config, timeout: 70, "half-open link")
        let recoverSeconds = Date().timeIntervalSince(stalledAt) - detectSeconds
        print("FAULT half-open link: detected after \(String(format: "%.1f", detectSeconds)) s (keepalive 5 s); 20 stored meanwhile, at the centre \(centre.count), recovered \(String(format: "%.1f", recoverSeconds)) s after the link came back")
        #expect(detectSeconds < 16, "keepalive 5 s: a dead link is found within about two keepalives")
    }

    @Test func slowLinkDeliversEverythingInOrder() throws {
        let broker = try TestBroker(logTypes: ["error"])
        let proxy = try TCPProxy(target: broker.port)
        proxy.latencyMillis = 30
        let centre = try LinkCentre(port: broker.port)
        defer { centre.collector.terminate() }
        // A watcher of the order of first arrivals (a few hundred reports: far below any broker queue limit).
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let dir = TempDir("slow")
        // A slow link is no reason to resend: the receipt timeout is the default, 60 s.
        let config = writeTestConfig(in: dir, port: proxy.port, extraMQTT: "await_receipts = true")
        let total = fxLong ? 2000 : 300
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(total))
        #expect(stored.status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        let start = Date()
        try gw.start()
        defer { gw.terminate() }
        try centre.expectEverything(parseReceipts(stored.stdout), kioskConfig: config, "slow link")
        let check = DeliveryCheck(waitForAll({ [sub] }, total: total, timeout: 30), expected: 1...total)
        #expect(check.firstOutOfOrder == nil)
        #expect(check.duplicates == 0, "a slow link is no reason to resend")
        print("FAULT slow link (30 ms a chunk each way): \(total) reports at the centre in \(String(format: "%.1f", Date().timeIntervalSince(start))) s, held \(centre.count), duplicates \(check.duplicates)")
    }

    @Test func brokerUnreachableForALongTime() throws {
        let broker = try TestBroker(logTypes: ["error"])
        let proxy = try TCPProxy(target: broker.port)
        let centre = try LinkCentre(port: broker.port)
        defer { centre.collector.terminate() }
        let dir = TempDir("outage")
        let config = receiptKiosk(dir, port: proxy.port)
        proxy.setMode(.refuse)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        let outage = fxLong ? 300.0 : 12.0
        let total = 50
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(total))
        #expect(stored.status == 0)
        usleep(UInt32(outage * 1_000_000))
        let s = try status(config)
        #expect(s["broker"] as? String == "disconnected")
        #expect(s["pending"] as? Int == total)
        #expect((s["last_error"] as? String)?.isEmpty == false)
        let back = Date()
        proxy.setMode(.forward)
        try centre.expectEverything(parseReceipts(stored.stdout), kioskConfig: config, timeout: 90, "unreachable broker")
        let recover = Date().timeIntervalSince(back)
        // Backoff is capped at 60 s (plus jitter within it), so the next attempt comes within a minute.
        #expect(recover < 70)
        print("FAULT broker unreachable \(Int(outage)) s: \(total) stored, at the centre \(centre.count), \(String(format: "%.1f", recover)) s after it came back")
    }

    @Test func brokerRestartsWithoutPersistenceMidDrain() throws {
        let broker = try TestBroker(logTypes: ["error"])
        let centre = try LinkCentre(port: broker.port)
        defer { centre.collector.terminate() }
        // The kiosk's link waits 5 ms a chunk each way, so that the drain takes seconds, not a few commits of the
        // collector, and each restart falls inside it.
        let proxy = try TCPProxy(target: broker.port)
        proxy.latencyMillis = 5
        let dir = TempDir("restart")
        let config = receiptKiosk(dir, port: proxy.port, extraMQTT: "window = 10")
        let total = fxLong ? 20_000 : 6000
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(total))
        #expect(stored.status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        let rounds = fxLong ? 10 : 3
        var midDrain = 0, sent = 0
        for _ in 1...rounds {
            // Each restart once the gateway has sent another 250 since the last (by what it has sent: the centre's
            // count moves by whole commits, up to 2,000 at once on a loaded machine). What a restart loses comes
            // back after the receipt timeout, up to 1,000 at once, so three restarts stay well inside 6,000.
            let from = sent
            _ = waitUntil(timeout: 60) {
                sent = sentBelow(dir.file("outbox.sqlite"), total: total)
                return sent >= from + 250
            }
            // A broker without persistence restarts mid-drain: what it acknowledged and had not handed to the
            // collector yet, and whatever is published before the collector has subscribed again, is gone. The
            // receipts bring it back.
            if try status(config)["pending"] as? Int ?? 0 > 0 { midDrain += 1 }
            try broker.restart()   // SIGTERM, then start again
        }
        try centre.expectEverything(parseReceipts(stored.stdout), kioskConfig: config, timeout: 240, "restarts without persistence")
        #expect(midDrain == rounds, "every restart hit a drain in progress")
        print("FAULT broker restart without persistence: \(rounds) restarts (the last with \(sent) sent), \(total) reports, at the centre \(centre.count), resent for want of a receipt: \(gw.log.contains("had no receipt from the collector"))")
    }

    @Test func brokerRestartsWithPersistenceAndAPersistentCentralSession() throws {
        let broker = try TestBroker(extraConfig: ["persistence true", "persistence_location $DIR/", "autosave_interval 1"],
                                    logTypes: ["error"])
        // The central service as it runs at a site: a kept session (clean start off), QoS 1.
        let centre = try LinkCentre(port: broker.port)
        defer { centre.collector.terminate() }
        let dir = TempDir("persist")
        let config = receiptKiosk(dir, port: broker.port, extraMQTT: "window = 10")
        let total = fxLong ? 20_000 : 3000
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(total))
        #expect(stored.status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        let rounds = fxLong ? 10 : 3
        for round in 1...rounds {
            _ = waitUntil(timeout: 60) { centre.count >= total * round / (rounds + 1) }
            try broker.restart()   // SIGTERM (mosquitto saves its state), then start again
        }
        // Once, this lost 31 reports under load without receipts: the broker acknowledged them and then dropped
        // them (its queue limit for a subscriber that was away). With receipts the kiosk sends them again.
        try centre.expectEverything(parseReceipts(stored.stdout), kioskConfig: config, timeout: 240, "restarts with persistence")
        print("FAULT broker restart with persistence: \(rounds) restarts, \(total) reports, at the centre \(centre.count)")
    }

    @Test("Without receipts a broker's queue limit loses what it acknowledged while the collector was away, and the centre reports it as a gap; with receipts, the same broker loses nothing")
    func whatABrokerLosesWithoutReceiptsIsAGapAtTheCentre() throws {
        // A broker that queues at most 50 messages for a subscriber that is away (mosquitto's default is 1,000).
        let broker = try TestBroker(extraConfig: ["max_queued_messages 50"], logTypes: ["error"])
        let centre = try LinkCentre(port: broker.port)   // registers its kept session
        defer { centre.collector.terminate() }
        let plainDir = TempDir("plain"), receiptDir = TempDir("receipts")
        let plain = writeTestConfig(in: plainDir, kiosk: "k-plain", port: broker.port, extraMQTT: "await_receipts = false")
        let withReceipts = writeTestConfig(in: receiptDir, kiosk: "k-receipts", port: broker.port,
                                           extraMQTT: "await_receipts = true\nreceipt_timeout_s = 5")
        let gateways = [GatewayProcess(config: plain, log: plainDir.file("gateway.log")),
                        GatewayProcess(config: withReceipts, log: receiptDir.file("gateway.log"))]
        for g in gateways { try g.start() }
        defer { for g in gateways { g.terminate() } }
        #expect(try waitUntil(timeout: 10) { try [plain, withReceipts].allSatisfy { try status($0)["broker"] as? String == "connected" } })

        // The collector goes away; each kiosk stores 300 reports, which the broker acknowledges.
        centre.collector.terminate()
        let plainStored = parseReceipts(try tipskiosk(["submit", "--config", plain], input: submitLines(300)).stdout)
        let receiptStored = parseReceipts(try tipskiosk(["submit", "--config", withReceipts], input: submitLines(300)).stdout)
        #expect(plainStored.count == 300 && receiptStored.count == 300)
        #expect(try waitUntil(timeout: 30) { try status(plain)["pending"] as? Int == 0 },
                "the kiosk without receipts deleted every report on the broker's PUBACK")
        #expect(try waitUntil(timeout: 30) { try status(withReceipts)["awaiting_receipt"] as? Int ?? 0 > 0 })

        // The collector comes back and takes what the broker kept; then one more report each, so that the
        // highest seq is known at the centre (the kiosks' status names it too).
        try centre.start()
        let plainLast = parseReceipts(try tipskiosk(["submit", "--config", plain], input: submitLines(1, from: 300)).stdout)
        let receiptLast = parseReceipts(try tipskiosk(["submit", "--config", withReceipts], input: submitLines(1, from: 300)).stdout)
        try centre.expectEverything(receiptStored + receiptLast, kioskConfig: withReceipts, kiosk: "k-receipts",
                                    timeout: 90, "the kiosk with receipts")
        #expect(waitUntil(timeout: 30) { ((try? centre.held(kiosk: "k-plain"))?[301]) != nil })

        // The kiosk without receipts: what the broker dropped is gone, and the centre says so.
        let held = try centre.held(kiosk: "k-plain")
        let lost = (plainStored + plainLast).map(\.seq).filter { held[$0] == nil }
        #expect(!lost.isEmpty, "the broker's queue limit (50) dropped some of 300: held \(held.count)")
        #expect(held.count + lost.count == 301)
        let gaps = try centre.gaps().filter { $0.kiosk == "k-plain" }
        #expect(gaps.reduce(0) { $0 + $1.count } == lost.count, "every lost seq is in a gap: \(gaps)")
        #expect(gaps.allSatisfy { g in (g.from...g.to).allSatisfy { held[$0] == nil } }, "a gap names only missing seqs")
        // Where an operator looks: the text report names the gap.
        let text = try lagesbild(["report", "--config", centre.config, "--language", "en"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Gaps in the numbering"), "\(text.stdout)")
        for g in gaps {
            let range = g.from == g.to ? "\(g.from)" : "\(g.from)–\(g.to)"
            #expect(text.stdout.contains("kiosk k-plain: seq \(range) missing (\(g.count))"), "\(text.stdout)")
        }
        #expect(!text.stdout.contains("kiosk k-receipts"), "no gap for the kiosk with receipts")
        print("FAULT broker queue limit 50, collector away: without receipts \(lost.count) of 301 lost and shown as \(gaps.count) gap(s) (\(gaps.map { "\($0.from)–\($0.to)" }.joined(separator: ", "))); with receipts 301 of 301 at the centre")
    }
}

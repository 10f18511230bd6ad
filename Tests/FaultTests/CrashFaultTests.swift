import Daemon
import Delivery
import Foundation
import Glibc
import Testing
import TestSupport
@testable import Outbox
import ReportModel

/// Processes die at bad moments, and files are found damaged or replaced.
@Suite(.serialized) struct CrashFaultTests {
    @Test func gatewayKilledAtRandomPointsOfALongDrain() throws {
        // Queued messages as the site broker keeps them (config/broker/mosquitto.conf): a stock mosquitto drops
        // QoS 1 messages for a subscriber more than 1,000 behind, and on a loaded machine this test's own
        // subscriber falls that far behind the drain. Those would be the broker's losses, not the gateway's.
        let broker = try TestBroker(extraConfig: ["max_queued_messages 500000"], logTypes: ["error"])
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let dir = TempDir("kills")
        let window = 10
        let config = writeTestConfig(in: dir, port: broker.port, extraMQTT: "window = \(window)")
        let total = fxLong ? 100_000 : 40_000
        let rounds = fxLong ? 60 : 15
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(total)).status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        var rng = SystemRandomNumberGenerator()
        var kills = 0, recoveries: [Double] = []
        let start = Date()
        for _ in 0..<rounds {
            // A random instant: anywhere from just after start-up to well into the drain.
            usleep(UInt32.random(in: 10_000...150_000, using: &rng))
            guard (try status(config)["pending"] as? Int ?? 0) > 0 else { break }
            gw.kill9()
            kills += 1
            let before = sub.lines.count
            let restarted = Date()
            try gw.start()
            _ = waitUntil(timeout: 10) { sub.lines.count > before }
            recoveries.append(Date().timeIntervalSince(restarted))
        }
        let check = DeliveryCheck(waitForAll({ [sub] }, total: total, timeout: fxLong ? 1800 : 300), expected: 1...total)
        _ = try waitUntil(timeout: 10) { try status(config)["pending"] as? Int == 0 }
        // A report not received yet is either still in the outbox (slow, e.g. a loaded machine: not lost) or lost.
        let stillPending = try status(config)["pending"] as? Int ?? 0
        let lost = max(0, check.missing.count - stillPending)
        #expect(kills >= rounds / 2, "the kills hit a drain in progress")
        #expect(check.complete, "missing \(check.missing.count), of which still pending in the outbox \(stillPending): \(check.missing.prefix(10))")
        #expect(check.firstOutOfOrder == nil, "first arrivals in FIFO order")
        #expect(check.inconsistent == 0, "every duplicate carries the same id and seq")
        // In flight, and acknowledged but not yet deleted: at most a window and a batch per kill.
        let bound = kills * (window + DeliveryMachine<Outbox.Pending>.Settings.defaultFlushLimit)
        #expect(check.duplicates <= bound, "at most a window and a batch per kill")
        let sorted = recoveries.sorted()
        print("FAULT gateway kill -9 at random points: \(kills) kills, \(total) reports in \(String(format: "%.1f", Date().timeIntervalSince(start))) s, lost \(lost), not yet delivered \(check.missing.count - lost), duplicates \(check.duplicates) (bound \(bound)), first delivery after restart median \(Int((sorted[sorted.count / 2]) * 1000)) ms, max \(Int(sorted.last! * 1000)) ms")
    }

    @Test func promptKilledRightAfterTack() throws {
        let dir = TempDir("promptkill")
        let config = writeTestConfig(in: dir)
        let rounds = fxLong ? 20 : 4
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "JOURNAL_STREAM")
        var thanked: [String] = []
        for round in 0..<rounds {
            let pty = try PseudoTerminal.spawn(tipskioskBinary(), ["prompt", "--config", config], environment: env, rows: 24, columns: 80)
            #expect(pty.waitForScreen("Vid akut fara: ring 112", timeout: 20))
            let text = "Tips nummer \(round) före strömavbrottet"
            let missing = pty.typeTip(category: "7", place: "1", when: "2", text: text)
            #expect(missing == nil, "the screen \(missing ?? "") did not come")
            #expect(pty.waitForScreen("Tack", timeout: 10))
            thanked.append(text)
            pty.signal(SIGKILL)
            #expect(pty.waitForExit(timeout: 10) == .signaled(SIGKILL))
        }
        let o = try Outbox.open(path: dir.file("outbox.sqlite"), identity: .init(kiosk: "test-kiosk-1", site: "x", defaultEvent: nil),
                                maxPending: 1000, role: .reader)
        let texts = try o.takePending(after: 0, limit: 1000).compactMap { jsonObject($0.payload)?["text"] as? String }
        #expect(texts == thanked, "every report thanked for is in the outbox, in order")
        print("FAULT prompt kill -9 right after Tack: \(rounds) rounds, \(thanked.count) thanked, \(thanked.count - texts.count) lost")
    }

    @Test func damagedOutboxAtGatewayStartIsMovedAsideAndReported() throws {
        let broker = try TestBroker()
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let dir = TempDir("damaged")
        let config = writeTestConfig(in: dir, port: broker.port)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(500)).status == 0)
        // Truncate the file to a third: what an interrupted copy or a bad card leaves.
        let path = dir.file("outbox.sqlite")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: path))
        for s in ["-wal", "-shm"] { unlink(path + s) }
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(waitUntil(timeout: 10) { gw.log.contains("moved it aside to") }, "gateway log:\n\(gw.log)")
        let s = try status(config)
        let aside = try #require(s["recovered_from"] as? String)
        #expect(FileManager.default.fileExists(atPath: aside), "the damaged file is kept")
        #expect(s["pending"] as? Int == 0)
        // The kiosk goes on: a new report gets a seq above everything handed out before, and is delivered.
        let r = try tipskiosk(["submit", "--config", config], input: submitLines(1))
        let seq = try #require(parseReceipts(r.stdout).first?.seq)
        #expect(seq > 500)
        let lines = sub.waitFor(count: 1, timeout: 10)
        #expect(lines.compactMap(Received.init).first?.seq == seq)
        #expect(try tipskiosk(["status", "--config", config]).stdout.contains("a damaged outbox was moved aside to"))
        print("FAULT damaged outbox at start: moved aside to \((aside as NSString).lastPathComponent), next seq \(seq), gateway delivering again")
    }

    @Test func gatewayNoticesTheOutboxFileWasReplaced() throws {
        let broker = try TestBroker()
        let dir = TempDir("replaced")
        let config = writeTestConfig(in: dir, port: broker.port)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        #expect(try waitUntil(timeout: 10) { try status(config)["broker"] as? String == "connected" })
        let path = dir.file("outbox.sqlite")
        for s in ["", "-wal", "-shm"] { rename(path + s, path + ".old" + s) }
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(1)).status == 0)
        #expect(waitUntil(timeout: 10) { !gw.isRunning }, "the gateway must not keep watching a file nobody writes")
        #expect(gw.log.contains("was replaced"))
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        try gw.start()   // what systemd's Restart=always does
        defer { gw.terminate() }
        #expect(sub.waitFor(count: 1, timeout: 10).count == 1)
    }
}

@Suite struct ClockFaultTests {
    /// A wall clock that a test can step, as NTP does on a box without a real-time clock.
    final class SteppedClock: @unchecked Sendable {
        private let lock = NSLock()
        private var ms: Int64
        init(_ ms: Int64) { self.ms = ms }
        func set(_ v: Int64) { lock.lock(); ms = v; lock.unlock() }
        var clock: WallClock { WallClock { [self] in lock.lock(); defer { lock.unlock() }; return (ms, 3600) } }
    }

    @Test func clockStepsLeaveSeqAndOrderAloneAndTimesHonest() throws {
        let dir = TempDir("clock")
        let t0: Int64 = 1_795_000_000_000
        let stepped = SteppedClock(t0)
        let o = try Outbox.open(path: dir.file("outbox.sqlite"), identity: .init(kiosk: "k", site: "s", defaultEvent: nil),
                                maxPending: 100, role: .store, clock: stepped.clock)
        let draft = try ReportDraft(category: .traffic, place: "Rondellen", occurred: .now, text: "Bilar kör för fort",
                                    language: "sv").validated()
        let times: [Int64] = [t0, t0 - 3_600_000, t0 + 86_400_000, 0]   // now, back an hour, forward a day, 1970 (no RTC)
        var receipts: [Outbox.Receipt] = []
        for t in times {
            stepped.set(t)
            receipts += try o.store([draft])
        }
        #expect(receipts.map(\.seq) == [1, 2, 3, 4], "seq follows storing order, not the clock")
        #expect(Set(receipts.map(\.id)).count == 4)
        let rows = try o.takePending(after: 0, limit: 10)
        #expect(rows.map(\.seq) == [1, 2, 3, 4], "FIFO by seq")
        let stamps = rows.compactMap { jsonObject($0.payload)?["submitted_at"] as? String }
        #expect(stamps == times.map { RFC3339.format(unixMillis: $0, utcOffsetSeconds: 3600) },
                "submitted_at is what the box's clock said, with its offset: honest, never invented")
        print("FAULT clock steps (-1 h, +1 d, to 1970): seq \(receipts.map(\.seq)), order kept, submitted_at as the clock said")
    }
}

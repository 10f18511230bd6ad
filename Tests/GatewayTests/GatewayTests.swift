import Delivery
import Foundation
import Glibc
import Outbox
import Testing
import TestSupport

@Suite(.serialized) struct GatewayTests {
    @Test func deliversToASubscriberNobodyHereWroteUnchanged() throws {
        let broker = try TestBroker()
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let props = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%P")
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: broker.port)
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(25))
        #expect(stored.status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        let lines = sub.waitFor(count: 25, timeout: 10)
        #expect(lines.count == 25, "gateway log:\n\(gw.log)")
        // Byte for byte what the outbox committed.
        let receipts = parseReceipts(stored.stdout)
        let received = lines.compactMap(Received.init)
        #expect(received.map(\.seq) == Array(1...25))
        #expect(received.map(\.id) == receipts.map(\.id))
        #expect(received.allSatisfy { $0.topic == "lagesbild/v1/reports/test-kiosk-1" })
        let first = try #require(received.first)
        #expect(first.object["schema"] as? String == "tipskiosk.report.v1")
        #expect(first.object["text"] as? String == "rapport nummer 0")
        // MQTT 5 user properties repeat id, kiosk and seq.
        let p = props.waitFor(count: 25, timeout: 5)
        #expect(p.first?.contains("id:\(receipts[0].id)") == true, "\(p.first ?? "")")
        #expect(p.first?.contains("kiosk:test-kiosk-1") == true)
        #expect(p.first?.contains("seq:1") == true)
        #expect(try waitUntil(timeout: 5) { try status(config)["pending"] as? Int == 0 })
        let s = try status(config)
        #expect(s["broker"] as? String == "connected")
        #expect(s["last_ack_at"] is String)
        #expect(s["last_error"] is NSNull)
    }

    @Test func newReportsGoOutAtOnceWithoutPolling() throws {
        let broker = try TestBroker()
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: broker.port)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try waitUntil(timeout: 10) { try status(config)["broker"] as? String == "connected" })
        var worst = 0.0
        for i in 0..<5 {
            let start = Date()
            #expect(try tipskiosk(["submit", "--config", config], input: submitLines(1, from: i)).status == 0)
            let stored = Date()
            #expect(sub.waitFor(count: i + 1, timeout: 5).count == i + 1)
            worst = max(worst, Date().timeIntervalSince(stored))
            _ = start
        }
        print("stored-to-received, worst of 5: \(Int(worst * 1000)) ms")
        // The fallback check runs every 2 s; well under that proves the inotify wake-up works.
        #expect(worst < 1.0)
    }

    @Test func reportsStoredWhileTheBrokerIsDownArriveAfterItStarts() throws {
        let broker = try TestBroker()
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: broker.port)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try waitUntil(timeout: 10) { try status(config)["broker"] as? String == "connected" })
        broker.stop()
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(40))
        #expect(stored.status == 0)
        #expect(try waitUntil(timeout: 10) { try status(config)["broker"] as? String == "disconnected" })
        let down = try status(config)
        #expect(down["pending"] as? Int == 40)
        #expect((down["last_error"] as? String)?.isEmpty == false)
        // Hold the gateway still while the broker and the central subscriber come up, so that nothing can be
        // published before somebody listens; then let it go.
        gw.signal(SIGSTOP)
        try broker.restart()
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        gw.signal(SIGCONT)
        let lines = sub.waitFor(count: 40, timeout: 70)
        #expect(lines.compactMap(Received.init).map(\.seq) == Array(1...40), "gateway log:\n\(gw.log)")
        #expect(try waitUntil(timeout: 5) { try status(config)["pending"] as? Int == 0 })
    }

    @Test func tenThousandThroughKillsAndCutConnections() throws {
        // The subscriber must get everything the broker acknowledged: a stock mosquitto drops what is queued for
        // a subscriber beyond 1000 messages, which a loaded machine's mosquitto_sub falls that far behind (once a
        // seq went missing so). "notice" logs mosquitto's word for such a drop, which the test would name.
        let broker = try TestBroker(extraConfig: ["max_queued_messages 0"], logTypes: ["error", "notice"])
        let proxy = try TCPProxy(target: broker.port)
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: proxy.port, extraMQTT: "window = 10")
        let total = 10_000
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(total))
        #expect(stored.status == 0)
        let receipts = parseReceipts(stored.stdout)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        var kills = 0, cuts = 0, faultsWithBacklog = 0
        for round in 0..<10 {
            // Let some traffic flow, then break something while reports are still pending.
            _ = sub.waitFor(count: min(total, (round + 1) * total / 14), timeout: 20)
            if sub.lines.count < total { faultsWithBacklog += 1 }
            if round % 2 == 0 {
                gw.kill9()
                kills += 1
                try gw.start()
            } else {
                proxy.cutAll()
                cuts += 1
            }
        }
        // Wait for every seq (duplicates make the line count reach `total` before that).
        let check = DeliveryCheck(waitForAll({ [sub] }, total: total, timeout: 120), expected: 1...total)
        _ = try waitUntil(timeout: 10) { try status(config)["pending"] as? Int == 0 }
        print("10,000 through \(kills) kill -9 and \(cuts) cuts: received \(check.received), duplicates \(check.duplicates)")
        #expect(kills == 5 && cuts == 5)
        #expect(faultsWithBacklog >= 8, "faults must hit a drain in progress")
        #expect(check.complete, "every seq arrived; missing \(check.missing.count)")
        #expect(!broker.logText.contains("messages are being dropped"), "the broker dropped messages for the subscriber")
        #expect(check.firstOutOfOrder == nil, "first arrivals in FIFO order")
        let idMismatch = receipts.first { check.idOfSeq[$0.seq] != $0.id }
        #expect(idMismatch == nil, "ids exactly as stored; first difference at seq \(String(describing: idMismatch?.seq))")
        #expect(check.inconsistent == 0, "a duplicate carries the same id and seq")
        // A kill resends what was in flight and what was acknowledged, not yet deleted (a window and a batch); a
        // cut resends what was in flight (acknowledged rows are written before the reconnect): two windows.
        let bound = kills * (10 + DeliveryMachine<Outbox.Pending>.Settings.defaultFlushLimit) + cuts * 2 * 10
        #expect(check.duplicates <= bound, "duplicates are bounded at each fault")
        #expect(try status(config)["pending"] as? Int == 0)
    }

    @Test func aBrokerThatRefusesGivesDeadLettersNotALoop() throws {
        // Anonymous clients may write their status, but not reports: MQTT 5 PUBACK 0x87 (not authorized).
        let broker = try TestBroker(extraConfig: ["acl_file $DIR/acl"],
                                    files: ["acl": "topic write lagesbild/v1/status/#\ntopic read lagesbild/v1/#\n"])
        let statusSub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/status/#"], format: "%t %p")
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: broker.port)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(3)).status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try waitUntil(timeout: 10) { try status(config)["dead_letters"] as? Int == 3 }, "gateway log:\n\(gw.log)")
        let s = try status(config)
        #expect(s["pending"] as? Int == 0)
        #expect((s["last_error"] as? String)?.contains("refused") == true)
        let publishesBefore = gw.log.components(separatedBy: "refused report").count - 1
        #expect(publishesBefore == 3)
        usleep(1_500_000)
        #expect(gw.isRunning)
        #expect(gw.log.components(separatedBy: "refused report").count - 1 == 3, "never retried in a loop")
        // The retained status says so too.
        let statusLines = statusSub.waitFor(count: 2, timeout: 5).compactMap(Received.init)
        #expect(statusLines.contains { $0.object["dead_letters"] as? Int == 3 })
        let text = try tipskiosk(["status", "--config", config]).stdout
        #expect(text.contains("dead letters:  3 (refused by the broker: 0x87 ×3)"))
    }

    @Test func retainedStatusOnlineThenOfflineWhenKilled() throws {
        let broker = try TestBroker()
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: broker.port)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(2)).status == 0)
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/status/test-kiosk-1"], format: "%r %t %p")
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        let online = sub.waitFor(count: 1, timeout: 10)
        let firstStatus = try #require(online.first)
        // Live delivery to an existing subscriber clears the retain flag (MQTT); the late subscriber below sees it.
        #expect(firstStatus.hasPrefix("0 lagesbild/v1/status/test-kiosk-1 "))
        let obj = try #require(jsonObject(String(firstStatus.split(separator: " ", maxSplits: 2)[2])))
        #expect(obj["state"] as? String == "online")
        #expect(obj["kiosk"] as? String == "test-kiosk-1")
        for key in ["pending", "oldest_pending_at", "last_ack_at", "dead_letters", "version", "since"] {
            #expect(obj.keys.contains(key), "status has \(key)")
        }
        _ = try waitUntil(timeout: 5) { try status(config)["pending"] as? Int == 0 }
        usleep(1_200_000)   // the rate-limited refresh after the drain
        gw.kill9()
        #expect(waitUntil(timeout: 10) { sub.lines.last?.contains(#""state":"offline""#) == true }, "\(sub.lines)")
        // A new subscriber gets the retained offline message.
        let late = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/status/test-kiosk-1"], format: "%r %p")
        let retained = late.waitFor(count: 1, timeout: 5)
        #expect(retained.first?.hasPrefix("1 ") == true)
        #expect(retained.first?.contains(#""state":"offline""#) == true)
    }

    @Test func sigtermStopsCleanlyAndSaysOffline() throws {
        let broker = try TestBroker()
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: broker.port)
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/status/#"], format: "%t %p")
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        #expect(try waitUntil(timeout: 10) { try status(config)["broker"] as? String == "connected" })
        #expect(gw.terminate() == 0)
        #expect(waitUntil(timeout: 5) { sub.lines.last?.contains(#""state":"offline""#) == true })
        let last = try #require(sub.lines.last.flatMap(Received.init))
        #expect(last.object["pending"] as? Int == 0, "a clean stop reports its real numbers")
        #expect(try status(config)["broker"] as? String == "disconnected (gateway stopped)")
    }

    @Test func systemdNotifyReadyStatusAndWatchdog() throws {
        let broker = try TestBroker()
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: broker.port)
        let socketPath = dir.file("notify.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in socketPath.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start(environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "400000"])
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(5)
        var buf = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = recv(fd, &buf, buf.count, 0)
            if n > 0 { messages.append(String(decoding: buf[0..<n], as: UTF8.self)) }
            if messages.filter({ $0 == "WATCHDOG=1" }).count >= 3 && messages.contains(where: { $0.hasPrefix("STATUS=Connected") }) { break }
        }
        #expect(gw.terminate() == 0)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            messages.append(String(decoding: buf[0..<n], as: UTF8.self))
        }
        #expect(messages.contains { $0.hasPrefix("STOPPING=1") })
        #expect(messages.first?.hasPrefix("READY=1") == true, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("STATUS=Connected to 127.0.0.1:\(broker.port)") })
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 3, "every half of WATCHDOG_USEC")
    }
}

@Suite(.serialized) struct GatewayProtocolTests {
    @Test func fallsBackToMQTT311WhenTheBrokerRefuses5() throws {
        let broker = try TestBroker()
        let proxy = try TCPProxy(target: broker.port)
        proxy.refuseMQTT5 = true
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let dir = TempDir()
        let config = writeTestConfig(in: dir, port: proxy.port)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(5)).status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        let lines = sub.waitFor(count: 5, timeout: 15)
        #expect(lines.compactMap(Received.init).map(\.seq) == [1, 2, 3, 4, 5], "gateway log:\n\(gw.log)")
        #expect(proxy.refusedMQTT5 >= 1)
        #expect(gw.log.contains("does not speak MQTT 5; using MQTT 3.1.1"))
        #expect(try status(config)["protocol"] as? String == "MQTT 3.1.1")
    }
}

/// The unit files, checked with systemd's own tools where they are installed.
@Suite struct UnitFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func gatewayUnitIsNotifyWithWatchdogAndHardened() throws {
        let unit = try String(contentsOf: Self.root.appendingPathComponent("systemd/tipskiosk-gateway.service"), encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "Restart=always", "StartLimitIntervalSec=0", "User=tipskiosk",
                     "StateDirectory=tipskiosk", "ProtectSystem=strict", "NoNewPrivileges=yes",
                     // Reports on their way and the broker password are in its memory: never in a core dump.
                     "\nLimitCORE=0\n"] {
            #expect(unit.contains(line), "\(line)")
        }
        try Self.expectExposure(below: 2.0, unit: "tipskiosk-gateway.service")
    }

    @Test func promptUnitTakesTty1AndHasNoNetwork() throws {
        let unit = try String(contentsOf: Self.root.appendingPathComponent("systemd/tipskiosk-prompt.service"), encoding: .utf8)
        for line in ["TTYPath=/dev/tty1", "StandardInput=tty-force", "Conflicts=getty@tty1.service", "TTYReset=yes",
                     "TTYVHangup=yes", "Restart=always", "StartLimitIntervalSec=0", "PrivateNetwork=yes",
                     "RestrictAddressFamilies=AF_UNIX", "User=tipskiosk", "StandardError=journal"] {
            #expect(unit.contains(line), "\(line)")
        }
        #expect(!unit.contains("LoadCredential"), "the prompt holds no credentials")
        #expect(unit.contains("InaccessiblePaths=-/run/credentials -/etc/tipskiosk/secrets"), "nor can it see the gateway's")
        try Self.expectExposure(below: 2.0, unit: "tipskiosk-prompt.service")
    }

    static func expectExposure(below limit: Double, unit: String) throws {
        guard let (score, output) = try unitExposure(root.appendingPathComponent("systemd/\(unit)").path) else { return }
        #expect(try #require(score) < limit, "hardening score: \(output.suffix(300))")
    }
}

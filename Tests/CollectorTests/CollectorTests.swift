import CentralStore
import Foundation
import Glibc
import KioskConfig
import Testing
import TestSupport

/// The central side with real processes: mosquitto, `tipskiosk gateway`s and `lagesbild collect`.
@Suite(.serialized) struct CollectorTests {
    /// One kiosk of a test: its folder, configuration and gateway.
    final class Kiosk: @unchecked Sendable {
        let id: String
        let dir: TempDir
        let config: String
        let gateway: GatewayProcess
        init(id: String, port: Int, receipts: Bool) {
            self.id = id
            dir = TempDir(id)
            config = writeTestConfig(in: dir, kiosk: id, port: port,
                                     extraMQTT: "await_receipts = \(receipts)\nreceipt_timeout_s = 5")
            gateway = GatewayProcess(config: config, log: dir.file("gateway.log"))
        }
        func submit(_ lines: Data) throws -> [(id: String, seq: Int)] {
            let r = try tipskiosk(["submit", "--config", config], input: lines)
            #expect(r.status == 0, "\(r.stderr)")
            return parseReceipts(r.stdout)
        }
        func pending() throws -> Int? { try status(config)["pending"] as? Int }
        func awaitingReceipt() throws -> Int { try status(config)["awaiting_receipt"] as? Int ?? 0 }
    }

    /// `n` submit lines for a kiosk whose categories follow a fixed pattern, so that a test knows the truth.
    static func lines(_ n: Int, from start: Int, kiosk: Int) -> (Data, [String: Int]) {
        let categories = ["unsafe_place", "drugs", "youth_groups", "threats_violence", "theft", "fraud", "vandalism",
                          "traffic", "online", "other"]
        var counts: [String: Int] = [:]
        var s = ""
        for i in start..<(start + n) {
            let c = categories[(i * 7 + kiosk * 3) % categories.count]
            counts[c, default: 0] += 1
            let place = ["Centrum", "Busstationen", "Skolan"][i % 3]
            s += #"{"category":"\#(c)","place":"\#(place)","occurred":"today","text":"tips \#(i) från kiosk \#(kiosk)"}"# + "\n"
        }
        return (Data(s.utf8), counts)
    }

    static func centralCount(_ config: String) -> Int {
        guard let c = try? CentralConfiguration.load(path: config),
              let store = try? CentralStore.open(path: c.databasePath, readOnly: true) else { return 0 }
        return (try? store.reportCount()) ?? 0
    }

    /// The centre of a test: its folder (removed when this goes away), configuration and `lagesbild collect`.
    final class Central: @unchecked Sendable {
        let dir = TempDir("central")
        let config: String
        let collector: GatewayProcess
        init(port: Int, clientID: String, extraMQTT: String) {
            config = writeCentralConfig(in: dir, port: port, clientID: clientID, extraMQTT: extraMQTT)
            collector = GatewayProcess.collector(config: config, log: dir.file("collect.log"))
        }
        func file(_ name: String) -> String { dir.file(name) }
    }

    /// A centre with its collector running and connected (and so subscribed a moment later).
    static func startCollector(port: Int, clientID: String = "test-collector", extraMQTT: String = "") throws -> Central {
        let central = Central(port: port, clientID: clientID, extraMQTT: extraMQTT)
        try central.collector.start()
        #expect(waitUntil(timeout: 10) { central.collector.log.contains("connected to") }, "\(central.collector.log)")
        return central
    }

    static func report(_ config: String) throws -> [String: Any] {
        let r = try lagesbild(["report", "--config", config, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        return jsonObject(r.stdout) ?? [:]
    }

    @Test("3 kiosks × 5,000 reports with receipts, through gateway and collector kill -9s and a broker restart: all 15,000 arrive once, no gaps, every outbox empty")
    func nothingLostEndToEnd() throws {
        let perKiosk = 5000
        let broker = try TestBroker()
        let central = try Self.startCollector(port: broker.port)
        defer { central.collector.terminate() }
        let kiosks = (1...3).map { Kiosk(id: "kiosk-\($0)", port: broker.port, receipts: true) }
        for k in kiosks { try k.gateway.start() }
        defer { for k in kiosks { k.gateway.terminate() } }

        var truth: [String: Int] = [:]
        var rng = SplitMix(seed: 12)
        let chunks = 10
        let collectorKills: Set<Int> = [Int.random(in: 1...3, using: &rng), Int.random(in: 5...8, using: &rng)]
        let brokerRestartAt = collectorKills.max()!
        for chunk in 0..<chunks {
            let restartsBroker = chunk == brokerRestartAt
            if restartsBroker {
                // The collector goes away first, so that this chunk waits at the broker for it: the broker has
                // acknowledged it, the kiosks wait for receipts. Then the broker (no persistence) restarts, and
                // what it queued is gone: only the receipts' timeout brings it back.
                central.collector.kill9()
            }
            for (n, k) in kiosks.enumerated() {
                let (data, counts) = Self.lines(perKiosk / chunks, from: chunk * perKiosk / chunks, kiosk: n)
                _ = try k.submit(data)
                truth.merge(counts, uniquingKeysWith: +)
            }
            if restartsBroker {
                let queued = try waitUntil(timeout: 30) { try kiosks.allSatisfy { try $0.awaitingReceipt() > 0 } }
                #expect(queued, "every kiosk has reports the broker acknowledged and the centre has not")
                try broker.restart()
                usleep(500_000)
                try central.collector.start()
            }
            // A gateway killed at a random moment, restarted at once.
            usleep(UInt32.random(in: 20_000...200_000, using: &rng))
            let victim = kiosks[Int.random(in: 0..<3, using: &rng)]
            victim.gateway.kill9()
            try victim.gateway.start()
            if collectorKills.contains(chunk) && !restartsBroker {
                usleep(UInt32.random(in: 0...150_000, using: &rng))
                central.collector.kill9()
                usleep(500_000)
                try central.collector.start()
            }
        }
        let total = perKiosk * kiosks.count
        let done = try waitUntil(timeout: 150) {
            try kiosks.allSatisfy { try $0.pending() == 0 } && Self.centralCount(central.config) >= total
        }
        let pendings = try kiosks.map { try $0.pending() ?? -1 }
        #expect(done, "pending: \(pendings), central: \(Self.centralCount(central.config))\n\(central.collector.log.suffix(2000))")
        #expect(Self.centralCount(central.config) == total)
        let store = try CentralStore.open(path: central.file("central.sqlite"), readOnly: true)
        let gaps = try store.gaps()
        #expect(gaps.isEmpty, "\(gaps)")
        let report = try Self.report(central.config)
        #expect(report["total"] as? Int == total)
        let byCategory = (report["by_category"] as? [[String: Any]] ?? []).reduce(into: [String: Int]()) {
            $0[$1["key"] as? String ?? ""] = $1["count"] as? Int
        }
        for (category, n) in truth { #expect(byCategory[category] == n, "\(category)") }
        let byKiosk = (report["by_kiosk"] as? [[String: Any]] ?? []).reduce(into: [String: Int]()) {
            $0[$1["key"] as? String ?? ""] = $1["count"] as? Int
        }
        #expect(byKiosk == ["kiosk-1": perKiosk, "kiosk-2": perKiosk, "kiosk-3": perKiosk])
        #expect((report["gaps"] as? [Any])?.isEmpty == true)
        let log = central.collector.log
        #expect(!log.contains("tips 1 från"), "the collector's log holds no tip text")
        // The receipts did their work: reports the collector's deaths and the broker restart lost were sent again.
        let gatewayLogs = kiosks.map(\.gateway.log).joined()
        #expect(gatewayLogs.contains("had no receipt from the collector"), "\(gatewayLogs.suffix(3000))")
    }

    @Test("Without receipts the loss is shown honestly: the gaps name exactly the seqs a broker restart lost")
    func lossWithoutReceiptsIsAGap() throws {
        let broker = try TestBroker()
        let central = try Self.startCollector(port: broker.port)
        defer { central.collector.terminate() }
        let k = Kiosk(id: "kiosk-a", port: broker.port, receipts: false)
        try k.gateway.start()
        defer { k.gateway.terminate() }

        _ = try k.submit(Self.lines(300, from: 0, kiosk: 0).0)                       // seqs 1–300
        #expect(waitUntil(timeout: 20) { Self.centralCount(central.config) == 300 })
        central.collector.kill9()
        let lost = try k.submit(Self.lines(200, from: 300, kiosk: 0).0).map(\.seq)   // seqs 301–500
        #expect(try waitUntil(timeout: 20) { try k.pending() == 0 }, "the kiosk deleted them on the broker's PUBACK")
        try broker.restart()                                                          // the queued 200 are gone
        try central.collector.start()
        #expect(try waitUntil(timeout: 20) { try status(k.config)["broker"] as? String == "connected" })
        _ = try k.submit(Self.lines(100, from: 500, kiosk: 0).0)                     // seqs 501–600
        #expect(waitUntil(timeout: 20) { Self.centralCount(central.config) == 400 })
        let report = try Self.report(central.config)
        let gaps = report["gaps"] as? [[String: Any]] ?? []
        #expect(gaps.count == 1)
        #expect(gaps.first?["kiosk"] as? String == "kiosk-a")
        #expect(gaps.first?["from"] as? Int == lost.first)
        #expect(gaps.first?["to"] as? Int == lost.last)
        #expect(gaps.first?["count"] as? Int == 200)
    }

    @Test("With receipts on and no collector, PUBACKed reports wait in the outbox, counted in status and the retained status; the collector's receipts empty it")
    func awaitingIsVisible() throws {
        let broker = try TestBroker()
        let retained = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/status/#"], format: "%p")
        let k = Kiosk(id: "k-wait", port: broker.port, receipts: true)
        _ = writeTestConfig(in: k.dir, kiosk: k.id, port: broker.port, extraMQTT: "await_receipts = true\nreceipt_timeout_s = 60")
        try k.gateway.start()
        defer { k.gateway.terminate() }
        _ = try k.submit(submitLines(12))
        #expect(try waitUntil(timeout: 10) { try status(k.config)["awaiting_receipt"] as? Int == 12 })
        let s = try status(k.config)
        #expect(s["pending"] as? Int == 12, "awaiting a receipt is still undelivered")
        #expect(s["in_flight"] as? Int == 0)
        let text = try tipskiosk(["status", "--config", k.config]).stdout
        #expect(text.contains("12 sent, awaiting the collector's receipt"), "\(text)")
        #expect(waitUntil(timeout: 5) { retained.lines.contains { $0.contains(#""awaiting_receipt":12"#) } }, "\(retained.lines)")
        // The collector comes; the reports are sent again after the timeout, or on the next turn after its receipts.
        let central = try Self.startCollector(port: broker.port)
        defer { central.collector.terminate() }
        // A restart of the gateway gives the awaiting rows a fresh timeout; make it short for the test.
        k.gateway.terminate()
        _ = writeTestConfig(in: k.dir, kiosk: k.id, port: broker.port, extraMQTT: "await_receipts = true\nreceipt_timeout_s = 5")
        try k.gateway.start()
        #expect(try waitUntil(timeout: 20) { try k.pending() == 0 }, "\(k.gateway.log)")
        #expect(Self.centralCount(central.config) == 12)
        #expect(k.gateway.log.contains("12 reports await the collector's receipt"))
    }

    @Test("Two collectors on one database share the load through an MQTT 5 shared subscription; nothing twice, nothing lost")
    func sharedSubscription() throws {
        let broker = try TestBroker()
        let central = TempDir("central")
        let configs = [("collector-a", "a.toml"), ("collector-b", "b.toml")].map {
            writeCentralConfig(in: central, port: broker.port, clientID: $0.0, extraCentral: #"share_group = "lagesbild""#, name: $0.1)
        }
        let collectors = configs.enumerated().map { GatewayProcess.collector(config: $1, log: central.file("collect-\($0).log")) }
        for c in collectors { try c.start() }
        defer { for c in collectors { c.terminate() } }
        #expect(waitUntil(timeout: 20) { collectors.allSatisfy { $0.log.contains("connected to") } },
                "\(collectors.map(\.log).joined(separator: "\n---\n"))")
        let k = Kiosk(id: "k-shared", port: broker.port, receipts: true)
        try k.gateway.start()
        defer { k.gateway.terminate() }
        for chunk in 0..<4 { _ = try k.submit(submitLines(500, from: chunk * 500)) }
        #expect(try waitUntil(timeout: 30) { try k.pending() == 0 }, "\(k.gateway.log.suffix(1500))")
        #expect(Self.centralCount(configs[0]) == 2000)
        for c in collectors { c.terminate() }
        let shares = collectors.map { log -> Int in
            let line = log.log.split(separator: "\n").last { $0.contains("reports stored") } ?? ""
            return Int(line.components(separatedBy: "stopped: ").last?.split(separator: " ").first ?? "") ?? 0
        }
        #expect(shares.reduce(0, +) == 2000, "\(shares)")
        #expect(shares.allSatisfy { $0 > 0 }, "both took a share: \(shares)")
    }

    @Test("The example broker ACL (config/broker/acl) lets each kiosk send, get its receipts and the feedback, and no more")
    func exampleACL() throws {
        let root = DemoAndPictureTests.repository
        let broker = try TestBroker(extraConfig: ["acl_file \(root)/config/broker/acl"])
        let central = try Self.startCollector(port: broker.port, clientID: "lagesbild-collect",
                                                                    extraMQTT: #"username = "lagesbild-collect""#)
        defer { central.collector.terminate() }
        let k = Kiosk(id: "acl-kiosk-1", port: broker.port, receipts: true)
        _ = writeTestConfig(in: k.dir, kiosk: k.id, port: broker.port,
                            extraMQTT: "await_receipts = true\nreceipt_timeout_s = 5\nusername = \"acl-kiosk-1\"")
        try k.gateway.start()
        defer { k.gateway.terminate() }
        _ = try k.submit(submitLines(20))
        #expect(try waitUntil(timeout: 15) { try k.pending() == 0 }, "\(k.gateway.log)\n\(central.collector.log)")
        #expect(Self.centralCount(central.config) == 20)
        // The centre's feedback, for all and for this kiosk, reaches the kiosk's outbox through the ACL.
        for kioskOption in [[], ["--kiosk", k.id]] {
            let fb = try lagesbild(["feedback", "--config", central.config, "--sv", "Lampan i tunneln är lagad."] + kioskOption)
            #expect(fb.status == 0, "\(fb.stderr)")
        }
        let outbox = k.dir.file("outbox.sqlite")
        #expect(waitUntil(timeout: 10) {
            let r = try? runProcess("/usr/bin/sqlite3", [outbox, "SELECT count(*) FROM meta WHERE key LIKE 'feedback_%' AND value LIKE '%tunneln%'"])
            return r?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2"
        }, "\(k.gateway.log)")
        // A kiosk may not publish feedback.
        let pub = try #require(TestBrokerTools.findExecutable("mosquitto_pub"))
        let denied = try runProcess(pub, ["-h", "127.0.0.1", "-p", String(broker.port), "-u", k.id, "-V", "mqttv5", "-q", "1",
                                          "-t", "lagesbild/v1/feedback/all", "-m", "x"])
        _ = denied
        let sub = try #require(TestBrokerTools.findExecutable("mosquitto_sub"))
        let retained = try runProcess(sub, ["-h", "127.0.0.1", "-p", String(broker.port), "-u", "lagesbild-collect",
                                            "-t", "lagesbild/v1/feedback/all", "-C", "1", "-W", "3"])
        #expect(retained.stdout.contains("tunneln"), "the kiosk's publish replaced the feedback: \(retained.stdout)")
        // A kiosk that names another kiosk's topic is refused: its reports become dead letters, not deliveries.
        let intruder = Kiosk(id: "acl-kiosk-2", port: broker.port, receipts: false)
        _ = writeTestConfig(in: intruder.dir, kiosk: intruder.id, port: broker.port, extraMQTT: "username = \"acl-kiosk-1\"")
        try intruder.gateway.start()
        defer { intruder.gateway.terminate() }
        _ = try intruder.submit(submitLines(3))
        #expect(try waitUntil(timeout: 15) { try status(intruder.config)["dead_letters"] as? Int == 3 })
        #expect(Self.centralCount(central.config) == 20)
    }

    @Test("Payloads that are not reports go to the rejects table; the collector stays up and stores the next report")
    func rejects() throws {
        let broker = try TestBroker()
        let central = try Self.startCollector(port: broker.port)
        defer { central.collector.terminate() }
        let pub = try #require(TestBrokerTools.findExecutable("mosquitto_pub"))
        func publish(_ topic: String, file: String) throws {
            let r = try runProcess(pub, ["-h", "127.0.0.1", "-p", String(broker.port), "-q", "1", "-t", topic, "-f", file])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let notJSON = central.file("a"), wrongSchema = central.file("b"), huge = central.file("c")
        try "this is not json {".write(toFile: notJSON, atomically: true, encoding: .utf8)
        try #"{"schema":"tipskiosk.report.v2","id":"01a21455-ecbd-75b3-97be-22dd959c09e2","kiosk":"k-1","seq":1}"#
            .write(toFile: wrongSchema, atomically: true, encoding: .utf8)
        // Larger than a report may be (64 KiB), within the packets the collector takes (256 KiB): a larger one the
        // broker does not send it at all (its Maximum Packet Size), and the site broker refuses it from the kiosk.
        try Data(repeating: UInt8(ascii: "x"), count: 200 * 1024).write(to: URL(fileURLWithPath: huge))
        try publish("lagesbild/v1/reports/k-1", file: notJSON)
        try publish("lagesbild/v1/reports/k-1", file: wrongSchema)
        try publish("lagesbild/v1/reports/k-1", file: huge)
        // Then a real report from a kiosk, through its gateway.
        let k = Kiosk(id: "k-1", port: broker.port, receipts: true)
        try k.gateway.start()
        defer { k.gateway.terminate() }
        _ = try k.submit(submitLines(1))
        #expect(try waitUntil(timeout: 15) { try Self.centralCount(central.config) == 1 && k.pending() == 0 })
        #expect(central.collector.isRunning)
        let store = try CentralStore.open(path: central.file("central.sqlite"), readOnly: true)
        let rejects = try store.rejects()
        #expect(rejects.count == 3, "\(rejects)")
        let reasons = rejects.map(\.reason).joined(separator: " | ")
        #expect(reasons.contains("not JSON"))
        #expect(reasons.contains("schema"))
        #expect(reasons.contains("too large"))
        #expect(rejects.contains { $0.size == 200 * 1024 })
        #expect(rejects.allSatisfy { $0.topic == "lagesbild/v1/reports/k-1" })
    }

    @Test("A duplicate is stored once and confirmed again; unknown fields and a newer minor schema are kept as received")
    func duplicatesAndNewerSchema() throws {
        let broker = try TestBroker()
        let receipts = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/receipts/#"], format: "%t %p")
        let central = try Self.startCollector(port: broker.port)
        defer { central.collector.terminate() }
        let payload = #"{"schema":"tipskiosk.report.v1.3","id":"01a21455-ecbd-75b3-97be-22dd959c09e2","kiosk":"k-2","seq":7,"submitted_at":"2026-11-20T18:30:00.000+01:00","category":"drugs","place":"Centrum","occurred":"today","text":"hej","language":"sv","reporter":{"role":"visitor","age_group":"youth"},"contact":null,"site":"S","event":null,"mood":"worried"}"#
        let pub = try #require(TestBrokerTools.findExecutable("mosquitto_pub"))
        var got: [String] = []
        for n in 1...2 {
            let r = try runProcess(pub, ["-h", "127.0.0.1", "-p", String(broker.port), "-q", "1", "-t", "lagesbild/v1/reports/k-2", "-m", payload])
            #expect(r.status == 0)
            got = receipts.waitFor(count: n, timeout: 10)
        }
        #expect(got.count == 2, "one receipt per commit, the duplicate's too")
        let first = try #require(got.first.flatMap(Received.init))
        #expect(first.topic == "lagesbild/v1/receipts/k-2")
        #expect(first.object["schema"] as? String == "lagesbild.receipt.v1")
        #expect(first.object["kiosk"] as? String == "k-2")
        #expect((first.object["seqs"] as? [[Int]]) == [[7, 7]])
        #expect(Self.centralCount(central.config) == 1)
        let r = try lagesbild(["report", "--config", central.config, "--format", "json", "--since", "2026-11-01", "--until", "2026-12-01"])
        let json = try #require(jsonObject(r.stdout))
        #expect(json["total"] as? Int == 1)
        let db = central.file("central.sqlite")
        let kept = try runProcess("/usr/bin/sqlite3", [db, "SELECT payload FROM reports"])
        #expect(kept.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == payload, "the raw payload is kept, unknown field and all")
    }
}


/// The newcomer's path and the meeting's picture: `tipskiosk demo` without a terminal, and its HTML in chromium.
@Suite(.serialized) struct DemoAndPictureTests {
    /// The repository's folder (for scripts/).
    static var repository: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    @Test("tipskiosk demo: the collector confirms every report, and the lägesbild's HTML shows its charts in chromium")
    func demoDrawsThePicture() throws {
        let dir = TempDir("demo")
        var lines = ""
        let categories = ["drugs", "unsafe_place", "theft", "youth_groups", "traffic", "vandalism"]
        for i in 0..<60 {
            lines += #"{"category":"\#(categories[i % categories.count])","place":"\#(["Centrum", "Skolan", "Torget"][i % 3])","occurred":"today","text":"demo \#(i)"}"# + "\n"
        }
        let r = try tipskiosk(["demo", "--data-dir", dir.path], input: Data(lines.utf8))
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("the collector confirmed all 60 report(s)"))
        #expect(r.stdout.contains("RAPPORTER 60"), "the text picture follows")
        let html = dir.file("lagesbild.html")
        #expect(r.stdout.contains("the lägesbild of this demo: \(html)"))
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains(#"id="chart-categories""#) && page.contains(#"id="chart-places""#))
        #expect(!page.contains("demo 1"), "no free text unless asked for")
        // The demo's feedback went through the broker and the gateway into the kiosk's outbox.
        let stored = try runProcess("/usr/bin/sqlite3", [dir.file("outbox.sqlite"), "SELECT value FROM meta WHERE key = 'feedback_all'"])
        #expect(stored.stdout.contains("gångtunneln"), "\(stored.stdout) \(stored.stderr)")

        let script = Self.repository + "/scripts/render-report-screenshot"
        let shot = try runProcess("/usr/bin/env", ["BARS=1f4e8c", script, html, dir.file("report.png")])
        #expect(shot.status == 0, "\(shot.stdout)\n\(shot.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("report.png")))
        // The same page without its charts fails the check: the test can tell.
        let bare = page.replacingOccurrences(of: "<rect", with: "<g")
        try bare.write(toFile: dir.file("bare.html"), atomically: true, encoding: .utf8)
        let bad = try runProcess("/usr/bin/env", ["BARS=1f4e8c", script, dir.file("bare.html"), dir.file("bare.png")])
        #expect(bad.status == 1, "\(bad.stdout)\n\(bad.stderr)")
    }
}

@Suite struct CentralUnitFileTests {
    static func unit(_ name: String) throws -> String {
        try String(contentsOfFile: DemoAndPictureTests.repository + "/systemd/" + name, encoding: .utf8)
    }

    @Test func collectorUnitIsNotifyWithWatchdogAndHardened() throws {
        let unit = try Self.unit("lagesbild-collect.service")
        for line in ["Type=notify", "WatchdogSec=", "Restart=always", "StartLimitIntervalSec=0", "User=lagesbild",
                     "StateDirectory=lagesbild", "ProtectSystem=strict", "NoNewPrivileges=yes",
                     "ExecStart=/usr/bin/lagesbild collect", "LAGESBILD_CONFIG=/etc/lagesbild/lagesbild.toml"] {
            #expect(unit.contains(line), "\(line)")
        }
        for name in ["lagesbild-collect.service", "lagesbild-report.service", "lagesbild-prune.service"] {
            // Every kiosk's tips pass through their memory: never in a core dump.
            #expect(try Self.unit(name).contains("\nLimitCORE=0\n"), "\(name)")
        }
        for name in ["lagesbild-collect.service", "lagesbild-report.service", "lagesbild-prune.service"] {
            guard let (score, output) = try unitExposure(DemoAndPictureTests.repository + "/systemd/" + name) else { continue }
            #expect(try #require(score) < 2.0, "\(name): \(output.suffix(300))")
        }
    }

    @Test func reportEveryOtherMondayAndPruneDaily() throws {
        let timer = try Self.unit("lagesbild-report.timer")
        #expect(timer.contains("OnCalendar=Mon 06:00") && timer.contains("Persistent=true"))
        let report = try Self.unit("lagesbild-report.service")
        #expect(report.contains("--days 14 --format html --output \"/var/lib/lagesbild/reports/"))
        #expect(!report.contains("--include-text"), "the meeting's file holds no free text")
        // The even-week condition, run as systemd runs it (%% is a literal %), in an even and an odd week.
        let condition = try #require(report.split(separator: "\n").first { $0.hasPrefix("ExecCondition=") })
        var command = String(condition.dropFirst("ExecCondition=/bin/sh -c '".count).dropLast())
        command = command.replacingOccurrences(of: "%%", with: "%")
        // Weeks 48 and 47, and 08 and 09 (a leading zero is no octal number here).
        for week in ["2026-11-23", "2026-11-16", "2026-02-16", "2026-02-23"] {
            // date(1) of that day: a shim on PATH answers for the week number.
            let dir = TempDir("week")
            let shim = dir.file("date")
            let iso = try runProcess("/usr/bin/date", ["-d", week, "+%V"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try "#!/bin/sh\necho \(iso)\n".write(toFile: shim, atomically: true, encoding: .utf8)
            chmod(shim, 0o755)
            let r = try runProcess("/bin/sh", ["-c", command], environment: ["PATH": dir.path + ":/usr/bin:/bin"])
            #expect(r.status == (Int(iso)! % 2 == 0 ? 0 : 1), "\(week) is ISO week \(iso)")
        }
        let prune = try Self.unit("lagesbild-prune.timer")
        #expect(prune.contains("OnCalendar=*-*-* 03:30"))
        #expect(try Self.unit("lagesbild-prune.service").contains("ExecStart=/usr/bin/lagesbild prune"))
    }
}

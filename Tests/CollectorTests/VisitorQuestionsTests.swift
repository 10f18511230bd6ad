import Foundation
import Glibc
import Testing
import TestSupport

/// Issue 14 end to end: a visitor on a real terminal, the real gateway, broker and collector, and the
/// lägesbild's counts. Personal data in a tip is masked unless the visitor sends it as typed; the kiosk's age
/// group and the visitor's "did you see it yourself?" answer arrive and are counted.
@Suite(.serialized) struct VisitorQuestionsTests {
    static let tipText = "ring mig 070-123 45 67 eller kalle@example.se, han heter 19121212-1212"

    /// The reports the centre holds, oldest seq first, as decoded JSON.
    static func centralPayloads(_ central: CollectorTests.Central) throws -> [[String: Any]] {
        let r = try runProcess("/usr/bin/sqlite3", [central.file("central.sqlite"), "SELECT payload FROM reports ORDER BY seq"])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap { jsonObject(String($0)) }
    }

    /// The `{key, count}` pairs of one breakdown of `lagesbild report --format json`.
    static func counts(_ report: [String: Any], _ key: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for item in report[key] as? [[String: Any]] ?? [] {
            out[(item["key"] as? String) ?? "null"] = item["count"] as? Int
        }
        return out
    }

    @Test("Masked with 1, as typed with 4; a senior kiosk's age group and the visitor's source arrive and are counted")
    func maskingAgeGroupAndSourceEndToEnd() throws {
        let broker = try TestBroker()
        let central = try CollectorTests.startCollector(port: broker.port)
        defer { central.collector.terminate() }
        let dir = TempDir("questions")
        let config = writeTestConfig(in: dir, kiosk: "senior-kiosk", port: broker.port, extraKiosk: #"age_group = "senior""#)
        let gateway = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gateway.start()
        defer { gateway.terminate() }

        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        let pty = try PseudoTerminal.spawn(tipskioskBinary(), ["prompt", "--config", config], environment: env,
                                           rows: 30, columns: 120)
        defer { pty.signal(SIGTERM); _ = pty.waitForExit(timeout: 5) }
        #expect(pty.waitForScreen("112", timeout: 10))
        // 1: saw it, personal data masked.
        #expect(pty.typeTip(category: "2", place: "Centrum", when: "2", text: Self.tipText, source: "1") == nil)
        #expect(pty.waitForScreen("Tack för ditt tips!", timeout: 5), "\(pty.screenText)")
        pty.write("q")
        #expect(pty.waitForScreen("Tryck på valfri tangent för att börja", timeout: 5))
        // 2: heard it, the review screen marks the data, and 4 sends it as typed.
        #expect(pty.typeTip(category: "2", place: "Centrum", when: "2", text: Self.tipText, source: "2", send: "") == nil)
        #expect(pty.waitForScreen("»070-123 45 67«", timeout: 5), "\(pty.screenText)")
        pty.write("4")
        #expect(pty.waitForScreen("Tack för ditt tips!", timeout: 5), "\(pty.screenText)")

        #expect(waitUntil(timeout: 20) { CollectorTests.centralCount(central.config) == 2 }, "\(gateway.log)")
        let reports = try Self.centralPayloads(central)
        try #require(reports.count == 2)
        let masked = reports[0], typed = reports[1]
        let maskedText = try #require(masked["text"] as? String)
        for secret in ["070-123 45 67", "kalle@example.se", "19121212-1212"] {
            #expect(!maskedText.contains(secret), "\(maskedText)")
            #expect((typed["text"] as? String)?.contains(secret) == true)
        }
        #expect(maskedText.contains("[telefonnummer]") && maskedText.contains("[e-post]") && maskedText.contains("[personnummer]"))
        #expect(Set(masked["masked"] as? [String] ?? []) == ["phone", "email", "personnummer"])
        #expect(typed["masked"] == nil)
        #expect(masked["source"] as? String == "saw" && typed["source"] as? String == "heard")
        for r in reports {
            #expect((r["reporter"] as? [String: Any])?["age_group"] as? String == "senior")
            #expect(r["contact"] is NSNull)
        }

        // The lägesbild counts all three.
        let report = try CollectorTests.report(central.config)
        #expect(Self.counts(report, "by_age_group") == ["senior": 2])
        #expect(Self.counts(report, "by_source") == ["saw": 1, "heard": 1])
        #expect(Self.counts(report, "by_masked") == ["phone": 1, "email": 1, "personnummer": 1])
        let text = try lagesbild(["report", "--config", central.config])
        #expect(text.stdout.contains("SÅG DET SJÄLV?") && text.stdout.contains("PERSONUPPGIFTER SOM KIOSKEN MASKERADE"),
                "\(text.stdout)")
        // Logs never hold a tip's text.
        #expect(!gateway.log.contains("kalle@example.se") && !central.collector.log.contains("kalle@example.se"))
        _ = dir
    }
}

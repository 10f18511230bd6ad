import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The whole kiosk: the prompt on a pseudo-terminal, the gateway, a real broker and a central subscriber.
@Suite(.serialized) struct PromptDeliveryTests {
    @Test func typingATipShowsTackAndTheCentralSideHasItWithinASecond() throws {
        let broker = try TestBroker()
        let central = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let dir = TempDir("delivery")
        let config = writeTestConfig(in: dir, port: broker.port)
        let gateway = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gateway.start()
        defer { gateway.terminate() }
        #expect(try waitUntil(timeout: 10) {
            jsonObject(try tipskiosk(["status", "--json", "--config", config]).stdout)?["broker"] as? String == "connected"
        })
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "JOURNAL_STREAM")
        let pty = try PseudoTerminal.spawn(tipskioskBinary(), ["prompt", "--config", config], environment: env, rows: 24, columns: 80)
        #expect(pty.waitForScreen("Vid akut fara: ring 112", timeout: 20))
        PromptPTYTests.tip(pty, category: "1", place: "Parkeringen bakom hallen", when: "2", text: "Trasig belysning, känns otryggt")
        #expect(pty.waitForScreen("Tack", timeout: 10))
        let thanked = Date()
        let lines = central.waitFor(count: 1, timeout: 5)
        let delay = Date().timeIntervalSince(thanked)
        print("Tack on screen to the central subscriber: \(Int(delay * 1000)) ms")
        #expect(lines.count == 1)
        #expect(delay < 1.0, "the central side has it within a second of Tack")
        let payload = try #require(lines.first.flatMap { line in jsonObject(String(line.split(separator: " ", maxSplits: 1)[1])) })
        #expect(payload["category"] as? String == "unsafe_place")
        #expect(payload["place"] as? String == "Parkeringen bakom hallen")
        #expect(payload["text"] as? String == "Trasig belysning, känns otryggt")
        #expect(payload["occurred"] as? String == "today")
        #expect((payload["reporter"] as? [String: Any])?["role"] as? String == "visitor")
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }
}

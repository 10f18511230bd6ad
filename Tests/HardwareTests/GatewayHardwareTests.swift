import Foundation
import Glibc
import Testing
import TestSupport

/// The real `tipskiosk gateway` with a status light in a fake sysfs tree and a "watchdog" that is a plain file.
@Suite(.serialized) struct GatewayHardwareTests {
    @Test func theLightFollowsTheGatewayAndTheWatchdogEndsWithVOnSIGTERM() throws {
        let broker = try TestBroker()
        let dir = TempDir("gwhw")
        let led = try FakeLED(triggers: "[none] timer heartbeat")
        let watchdog = dir.file("watchdog")
        #expect(FileManager.default.createFile(atPath: watchdog, contents: nil))
        let config = writeTestConfig(in: dir, port: broker.port, extra: """
            [hardware]
            leds_root = "\(led.root)"
            status_led = "tips"
            watchdog = "\(watchdog)"
            watchdog_timeout_s = 15
            """)
        broker.stop()
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(5)).status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }

        // Not connected, reports waiting: slow blink. (The three files are written one after the other: wait for
        // the last, not only the first two.)
        #expect(waitUntil(timeout: 10) { led.trigger == "timer" && led.delayOn == "1000" && led.delayOff == "1000" },
                "\(gw.log)")
        // The broker comes up, the outbox drains: steady.
        try broker.restart()
        #expect(waitUntil(timeout: 15) { led.trigger == "none" && led.brightness == "255" }, "\(gw.log)")
        #expect(try status(config)["pending"] as? Int == 0)
        // The watchdog is petted while the loop runs (about every second, its timeout being unknown).
        #expect(waitUntil(timeout: 5) { ((try? Data(contentsOf: URL(fileURLWithPath: watchdog)))?.count ?? 0) >= 2 })

        #expect(gw.terminate() == 0, "\(gw.log)")
        #expect(led.trigger == "none" && led.brightness == "0", "off after SIGTERM")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: watchdog)))
        #expect(bytes.last == UInt8(ascii: "V"), "the magic close on a clean stop")
        #expect(bytes.dropLast().allSatisfy { $0 == UInt8(ascii: ".") } && bytes.count >= 3)
    }

    @Test func aFullOutboxBlinksFastAndAKillLeavesTheWatchdogArmed() throws {
        let dir = TempDir("gwhw")
        let led = try FakeLED(triggers: "[none] timer")
        let watchdog = dir.file("watchdog")
        #expect(FileManager.default.createFile(atPath: watchdog, contents: nil))
        // No broker on this port; the outbox holds at most 3 reports.
        let config = writeTestConfig(in: dir, port: 9, maxPending: 3, extra: """
            [hardware]
            leds_root = "\(led.root)"
            status_led = "tips"
            watchdog = "\(watchdog)"
            """)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(3)).status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(waitUntil(timeout: 10) { led.trigger == "timer" && led.delayOn == "125" }, "\(gw.log)")
        #expect(waitUntil(timeout: 5) { ((try? Data(contentsOf: URL(fileURLWithPath: watchdog)))?.count ?? 0) >= 1 })
        gw.kill9()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: watchdog)))
        #expect(!bytes.isEmpty && !bytes.contains(UInt8(ascii: "V")), "killed: no magic close, the box would be reset")
    }

}

import Foundation
import Glibc
import Testing
import TestSupport

/// A second broker implementation that nobody here wrote: Debian's RabbitMQ 3.10 with its MQTT plugin, which
/// speaks MQTT 3.1.1 only and drops an MQTT 5 CONNECT without any CONNACK. With the default settings
/// (`protocol` 5, falling back) the gateway must connect and deliver.
@Suite(.serialized) struct InteropTests {
    @Test(.timeLimit(.minutes(3)))
    func rabbitMQWithTheDefaultSettings() throws {
        let rabbit = try TestRabbitMQ()
        defer { rabbit.stop() }
        let sub = try TestSubscriber(port: rabbit.mqttPort, topics: ["lagesbild/v1/reports/#"], format: "%t %p",
                                     extraArguments: ["-V", "mqttv311"])
        let dir = TempDir("rabbit")
        let config = writeTestConfig(in: dir, kiosk: "rabbit-kiosk-1", port: rabbit.mqttPort)
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(2000))
        #expect(stored.status == 0)
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try waitUntil(timeout: 60) { try status(config)["pending"] as? Int == 0 }, "\(gw.log.suffix(2000))")
        let s = try status(config)
        #expect(s["protocol"] as? String == "MQTT 3.1.1")
        let lines = sub.waitFor(count: 2000, timeout: 20)
        let check = DeliveryCheck(lines, expected: 1...2000)
        #expect(check.complete, "missing \(check.missing.prefix(10))")
        #expect(check.inconsistent == 0)
    }
}

import Foundation
import Testing
import TestSupport

/// Attack 2, session takeover: a client id is not a password. With one kiosk's credentials, the client id
/// `lagesbild-collect` and a clean start, a broker that lets a client choose its id disconnects the collector and
/// throws its kept session away, with every report queued for it (MQTT 5 §3.1.4, §3.1.2.4); the same disconnects
/// any other kiosk. config/broker/ ties the client id to the user (`use_username_as_clientid`).
@Suite(.serialized, .enabled(if: Site.canRun && Site.pahoPython != nil))
struct SessionTakeoverTests {
    /// A valid report of `kiosk` with `seq`, as its gateway would publish it.
    static func report(kiosk: String, seq: Int) -> String {
        #"{"schema":"tipskiosk.report.v1","id":"\#(UUID().uuidString.lowercased())","kiosk":"\#(kiosk)","seq":\#(seq),"#
            + #""submitted_at":"2026-11-20T18:30:00.123+01:00","category":"theft","place":"Centrum","occurred":"today","#
            + #""text":"rapport \#(seq)","language":"sv","reporter":{"role":"visitor","age_group":null},"contact":null,"#
            + #""site":"Testgården","event":null}"#
    }

    /// Publishes reports `seqs` of `kiosk` with its own credentials (mosquitto_pub, QoS 1, one message a line).
    static func publishReports(_ site: Site, kiosk: String, seqs: ClosedRange<Int>, mtls: Bool) throws {
        let lines = seqs.map { report(kiosk: kiosk, seq: $0) }.joined(separator: "\n") + "\n"
        let r = try site.mosquittoPub(user: kiosk, clientID: kiosk, mtls: mtls,
                                      ["-q", "1", "-t", "lagesbild/v1/reports/\(kiosk)", "-l"], input: Data(lines.utf8))
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Connects with `user`'s credentials under `clientID` with a clean start (paho-mqtt), and disconnects once the
    /// broker has answered. Returns the broker's log from before this connection on.
    @discardableResult
    static func connectAs(_ site: Site, user: String, clientID: String, mtls: Bool) throws -> String {
        let before = site.broker.logText.count
        let r = try site.python("""
            c = site_client("\(user)", "\(clientID)", clean_start=True, mtls=\(mtls ? "True" : "False"))
            print("connected")
            c.disconnect()
            c.loop_stop()
            """)
        #expect(r.status == 0 && r.stdout.contains("connected"), "\(r.stdout)\(r.stderr)")
        return String(site.broker.logText.dropFirst(before))
    }

    @Test("Session takeover: a kiosk's credentials with client id lagesbild-collect and a clean start; the collector stays connected and keeps its queue",
          arguments: [false, true])
    func kioskCannotTakeTheCollectorsSession(mtls: Bool) throws {
        let site = try Site(config: mtls ? "mosquitto-mtls.conf" : "mosquitto.conf")
        let (centralDir, central, collector) = try site.collector(mtls: mtls)
        defer { collector.terminate(); withExtendedLifetime(centralDir) {} }

        // The collector is away; its kept session holds what the kiosks send meanwhile.
        #expect(collector.terminate() == 0)
        try Self.publishReports(site, kiosk: "tls-kiosk-2", seqs: 1...10, mtls: mtls)
        // The attacker: tls-kiosk-1's credentials, the collector's client id, a clean start.
        let log = try Self.connectAs(site, user: "tls-kiosk-1", clientID: "lagesbild-collect", mtls: mtls)
        #expect(!log.contains("lagesbild-collect"), "the broker knew the attacker as the collector:\n\(log)")
        try collector.start()
        #expect(waitUntil(timeout: 20) { Centre.held(central) == 10 },
                "the collector's queue was thrown away: it holds \(Centre.held(central)) of 10\n\(collector.log)")

        // The collector is connected: the same attack does not disconnect it.
        let online = try Self.connectAs(site, user: "tls-kiosk-1", clientID: "lagesbild-collect", mtls: mtls)
        #expect(!online.contains("already connected"), "the broker closed the collector's connection:\n\(online)")
        try Self.publishReports(site, kiosk: "tls-kiosk-2", seqs: 11...12, mtls: mtls)
        #expect(waitUntil(timeout: 20) { Centre.held(central) == 12 }, "\(collector.log)")
        #expect(collector.log.components(separatedBy: "connected to").count == 3, "one connection per start:\n\(collector.log)")
    }

    @Test("Session takeover: a kiosk's credentials with another kiosk's client id do not disconnect that kiosk")
    func kioskCannotDisconnectAnotherKiosk() throws {
        let site = try Site()
        let (centralDir, central, collector) = try site.collector()
        defer { collector.terminate(); withExtendedLifetime(centralDir) {} }
        let (kdir, config, gateway) = try site.gateway("tls-kiosk-1")
        defer { gateway.terminate(); withExtendedLifetime(kdir) {} }
        #expect(try waitUntil(timeout: 10) { try status(config)["broker"] as? String == "connected" }, "\(gateway.log)")

        let log = try Self.connectAs(site, user: "tls-kiosk-2", clientID: "tls-kiosk-1", mtls: false)
        #expect(!log.contains("already connected"), "the broker closed tls-kiosk-1's connection:\n\(log)")
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(3)).status == 0)
        #expect(try waitUntil(timeout: 20) { try status(config)["pending"] as? Int == 0 }, "\(gateway.log)")
        #expect(Centre.held(central) == 3)
        #expect(gateway.log.components(separatedBy: "connected to").count == 2, "one connection:\n\(gateway.log)")
    }
}

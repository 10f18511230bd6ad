import CentralStore
import Foundation
import Glibc
import KioskConfig
import Testing
import TestSupport

/// The site broker of config/broker/ (TestSupport's `Site`: certificates from scripts/make-certs, a real mosquitto),
/// the real gateway and collector: TLS with passwords, mutual TLS, and the failures a technician must be able to read in `status`.
@Suite(.serialized, .enabled(if: Site.canRun))
struct TLSSiteTests {
    static func held(_ config: String) -> Int {
        guard let c = try? CentralConfiguration.load(path: config, secrets: .skip),
              let store = try? CentralStore.open(path: c.databasePath, readOnly: true) else { return 0 }
        return (try? store.reportCount()) ?? 0
    }

    @Test("TLS with a password per kiosk: delivered and confirmed; a kiosk on another kiosk's topic gets 0x87 dead letters")
    func tlsWithPasswords() throws {
        let site = try Site()
        let (centralDir, central, collector) = try site.collector()
        defer { collector.terminate(); withExtendedLifetime(centralDir) {} }
        let (kdir, config) = site.kiosk("tls-kiosk-1")
        let gw = GatewayProcess(config: config, log: kdir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(20)).status == 0)
        #expect(try waitUntil(timeout: 20) { try status(config)["pending"] as? Int == 0 }, "\(gw.log)")
        #expect(Self.held(central) == 20)
        // tls-kiosk-2's reports sent with tls-kiosk-1's name: the ACL refuses them, under MQTT 5 as 0x87. (The broker
        // makes the user name the client id: the two gateways would take turns at one session, so one at a time.)
        gw.terminate()
        let (idir, intruder) = site.kiosk("tls-kiosk-2", user: "tls-kiosk-1")
        let igw = GatewayProcess(config: intruder, log: idir.file("gateway.log"))
        try igw.start()
        #expect(try tipskiosk(["submit", "--config", intruder], input: submitLines(3)).status == 0)
        #expect(try waitUntil(timeout: 15) { try status(intruder)["dead_letters"] as? Int == 3 }, "\(igw.log)")
        igw.terminate()
        let text = try tipskiosk(["status", "--config", intruder]).stdout
        #expect(text.contains("0x87 ×3"), "\(text)")
        try gw.start()
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(2, from: 20)).status == 0)
        #expect(try waitUntil(timeout: 15) { try status(config)["pending"] as? Int == 0 })
        #expect(Self.held(central) == 22, "the rightful kiosk's reports still go through")
    }

    @Test("Mutual TLS: client certificates instead of passwords, for the kiosk and the collector")
    func mutualTLS() throws {
        let site = try Site(config: "mosquitto-mtls.conf")
        let (centralDir, central, collector) = try site.collector(mtls: true)
        defer { collector.terminate(); withExtendedLifetime(centralDir) {} }
        let (kdir, config) = site.kiosk("tls-kiosk-1", mtls: true)
        let gw = GatewayProcess(config: config, log: kdir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(10)).status == 0)
        #expect(try waitUntil(timeout: 20) { try status(config)["pending"] as? Int == 0 }, "\(gw.log)")
        #expect(Self.held(central) == 10)
    }

    @Test("tls = true with a client certificate and no ca_file: the system's CA store verifies the broker, and the certificate is sent")
    func systemStoreWithAClientCertificate() throws {
        let site = try Site(config: "mosquitto-mtls.conf")
        let (centralDir, central, collector) = try site.collector(mtls: true)
        defer { collector.terminate(); withExtendedLifetime(centralDir) {} }
        let k = TempDir("tls-kiosk-1")
        let config = writeTestConfig(in: k, kiosk: "tls-kiosk-1", port: site.tlsPort, extraMQTT: """
            tls = true
            cert_file = "\(site.dir.file("clients/tls-kiosk-1.pem"))"
            key_file = "\(site.dir.file("clients/tls-kiosk-1.key"))"
            await_receipts = true
            """)
        let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "host = \"127.0.0.1\"", with: "host = \"localhost\"")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let gw = GatewayProcess(config: config, log: k.file("gateway.log"))
        // OpenSSL's default store honours $SSL_CERT_FILE: here it is the site's CA, as /etc/ssl/certs would be.
        try gw.start(environment: ["SSL_CERT_FILE": site.dir.file("ca.pem")])
        defer { gw.terminate() }
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(4)).status == 0)
        #expect(try waitUntil(timeout: 20) { try status(config)["pending"] as? Int == 0 }, "\(gw.log)")
        #expect(Self.held(central) == 4, "the broker requires the client certificate: it was sent")
    }

    /// Starts a gateway with `config`, stores 5 reports, and returns `status --json` once it has failed a while.
    static func failingStatus(_ dir: TempDir, _ config: String) throws -> [String: Any] {
        let gw = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gw.start()
        defer { gw.terminate() }
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(5)).status == 0)
        _ = try waitUntil(timeout: 10) { (try status(config)["last_error"] as? String) != nil }
        usleep(500_000)
        let s = try status(config)
        #expect(s["pending"] as? Int == 5, "nothing was sent")
        #expect(s["broker"] as? String != "connected")
        return s
    }

    @Test("A wrong CA, an expired certificate and a wrong host name: nothing sent, and status names the cause")
    func failuresSayWhy() throws {
        let site = try Site()
        // Wrong CA: the kiosk trusts another CA than the one that signed the broker.
        let other = TempDir("other-ca")
        _ = try runProcess(DemoAndPictureTests.repository + "/scripts/make-certs", [other.path])
        let (d1, c1) = site.kiosk("tls-kiosk-1", ca: other.file("ca.pem"))
        let s1 = try Self.failingStatus(d1, c1)
        let e1 = s1["last_error"] as? String ?? ""
        #expect(e1.contains("certificate verify failed") && e1.contains("unknown issuer") && e1.contains(other.file("ca.pem")), "\(e1)")
        let text = try tipskiosk(["status", "--config", c1]).stdout
        #expect(text.contains("unknown issuer"), "\(text)")

        // Expired: a broker whose certificate ran out yesterday.
        try site.brokerCertificate("expired", san: "DNS:localhost,IP:127.0.0.1", days: -1)
        let expired = try Site.withCertificate(from: site, name: "expired")
        let (d2, c2) = expired.kiosk("tls-kiosk-1")
        let e2 = try Self.failingStatus(d2, c2)["last_error"] as? String ?? ""
        #expect(e2.contains("expired on"), "\(e2)")

        // Host name: a certificate for another name.
        try site.brokerCertificate("elsewhere", san: "DNS:broker.elsewhere.example", days: 30)
        let wrong = try Site.withCertificate(from: site, name: "elsewhere")
        let (d3, c3) = wrong.kiosk("tls-kiosk-1")
        let e3 = try Self.failingStatus(d3, c3)["last_error"] as? String ?? ""
        #expect(e3.contains("host name mismatch") && e3.contains("not for localhost") && e3.contains("broker.elsewhere.example"), "\(e3)")
    }
}

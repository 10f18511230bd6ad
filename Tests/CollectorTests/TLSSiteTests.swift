import CentralStore
import Foundation
import Glibc
import KioskConfig
import Testing
import TestSupport

/// The site broker of config/broker/ with certificates from scripts/make-certs, a real mosquitto, the real gateway
/// and collector: TLS with passwords, mutual TLS, and the failures a technician must be able to read in `status`.
@Suite(.serialized, .enabled(if: TestBrokerTools.findExecutable("openssl") != nil && TestBrokerTools.findExecutable("mosquitto_passwd") != nil))
struct TLSSiteTests {
    /// A site: certificates, passwords, the ACL, and a broker made from one of config/broker/'s files.
    final class Site: @unchecked Sendable {
        let dir: TempDir
        let tlsPort: Int
        let broker: TestBroker

        /// A new site (certificates, passwords, ACL) whose broker shows `brokerCert`; or, with `sharing`, another
        /// broker of an existing site's folder.
        init(config: String = "mosquitto.conf", brokerCert: String = "broker", sharing: TempDir? = nil) throws {
            let root = DemoAndPictureTests.repository
            dir = sharing ?? TempDir("site")
            if sharing == nil {
                let made = try runProcess(root + "/scripts/make-certs",
                                          [dir.path, "--client", "tls-kiosk-1", "--client", "tls-kiosk-2", "--client", "lagesbild-collect"])
                guard made.status == 0 else { throw TestBrokerError("make-certs: \(made.stderr)") }
                guard let passwd = TestBrokerTools.findExecutable("mosquitto_passwd") else { throw TestBrokerError("no mosquitto_passwd") }
                for (n, user) in ["tls-kiosk-1", "tls-kiosk-2", "lagesbild-collect"].enumerated() {
                    _ = try runProcess(passwd, (n == 0 ? ["-c"] : []) + ["-b", dir.file("passwd"), user, "pw-\(user)"])
                    try "pw-\(user)\n".write(toFile: dir.file("\(user).password"), atomically: true, encoding: .utf8)
                    chmod(dir.file("\(user).password"), 0o600)
                }
                try FileManager.default.copyItem(atPath: root + "/config/broker/acl", toPath: dir.file("acl"))
            }
            let port = try TestBrokerTools.freeLoopbackPort()
            tlsPort = port
            let folder = dir.path
            let lines = try String(contentsOfFile: root + "/config/broker/" + config, encoding: .utf8)
                .split(separator: "\n").map(String.init)
                .filter { !$0.hasPrefix("#") && !$0.hasPrefix("persistence") && !$0.hasPrefix("per_listener_settings") }
                .map { $0.replacingOccurrences(of: "/etc/mosquitto/tipskiosk/", with: folder + "/")
                         .replacingOccurrences(of: "listener 8883", with: "listener \(port) 127.0.0.1")
                         .replacingOccurrences(of: "/broker.pem", with: "/\(brokerCert).pem")
                         .replacingOccurrences(of: "/broker.key", with: "/\(brokerCert).key") }
            broker = try TestBroker(extraConfig: lines)
            for _ in 0..<100 where !TestBrokerTools.canConnect(port: port) { usleep(20_000) }
        }

        /// Signs another broker certificate with the site's CA: `days` -1 makes one that has expired.
        func brokerCertificate(_ name: String, san: String, days: Int) throws {
            let script = """
                set -e; cd '\(dir.path)'
                openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \(name).key 2>/dev/null
                openssl req -new -key \(name).key -out \(name).csr -subj /CN=\(name) 2>/dev/null
                printf 'subjectAltName=\(san)\\n' > \(name).ext
                openssl x509 -req -in \(name).csr -CA ca.pem -CAkey ca.key -CAcreateserial -out \(name).pem -days \(days) -extfile \(name).ext 2>/dev/null
                """
            let r = try runProcess("/bin/sh", ["-c", script])
            guard r.status == 0 else { throw TestBrokerError("openssl: \(r.stderr)") }
        }

        /// A kiosk of this site (receipts on); `user` and `password` as the kiosk's file gives them.
        func kiosk(_ id: String, user: String? = nil, mtls: Bool = false, ca: String? = nil, host: String = "localhost") -> (TempDir, String) {
            let k = TempDir(id)
            var mqtt = "await_receipts = true\nreceipt_timeout_s = 5\nca_file = \"\(ca ?? dir.file("ca.pem"))\"\n"
            if mtls {
                mqtt += "cert_file = \"\(dir.file("clients/\(id).pem"))\"\nkey_file = \"\(dir.file("clients/\(id).key"))\"\n"
            } else {
                let u = user ?? id
                mqtt += "username = \"\(u)\"\npassword_file = \"\(dir.file("\(u).password"))\"\n"
            }
            let config = writeTestConfig(in: k, kiosk: id, port: tlsPort, extraMQTT: mqtt)
            // writeTestConfig writes host 127.0.0.1; the site's kiosks name the broker as its certificate does.
            let text = try! String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "host = \"127.0.0.1\"", with: "host = \"\(host)\"")
            try! text.write(toFile: config, atomically: true, encoding: .utf8)
            return (k, config)
        }

        /// The collector of this site, over TLS.
        func collector(mtls: Bool = false) throws -> (TempDir, String, GatewayProcess) {
            let c = TempDir("central")
            var mqtt = "ca_file = \"\(dir.file("ca.pem"))\"\n"
            if mtls {
                mqtt += "cert_file = \"\(dir.file("clients/lagesbild-collect.pem"))\"\nkey_file = \"\(dir.file("clients/lagesbild-collect.key"))\"\n"
            } else {
                mqtt += "username = \"lagesbild-collect\"\npassword_file = \"\(dir.file("lagesbild-collect.password"))\"\n"
            }
            let config = writeCentralConfig(in: c, port: tlsPort, clientID: "lagesbild-collect", extraMQTT: mqtt)
            let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "host = \"127.0.0.1\"", with: "host = \"localhost\"")
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let p = GatewayProcess.collector(config: config, log: c.file("collect.log"))
            try p.start()
            #expect(waitUntil(timeout: 10) { p.log.contains("connected to") }, "\(p.log)")
            return (c, config, p)
        }
    }

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
        // tls-kiosk-2's reports sent with tls-kiosk-1's name: the ACL refuses them, under MQTT 5 as 0x87.
        let (idir, intruder) = site.kiosk("tls-kiosk-2", user: "tls-kiosk-1")
        let igw = GatewayProcess(config: intruder, log: idir.file("gateway.log"))
        try igw.start()
        defer { igw.terminate() }
        #expect(try tipskiosk(["submit", "--config", intruder], input: submitLines(3)).status == 0)
        #expect(try waitUntil(timeout: 15) { try status(intruder)["dead_letters"] as? Int == 3 }, "\(igw.log)")
        let text = try tipskiosk(["status", "--config", intruder]).stdout
        #expect(text.contains("0x87 ×3"), "\(text)")
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

extension TLSSiteTests.Site {
    /// Another broker of the same site (same CA, passwords and ACL) that shows the certificate `name`.
    static func withCertificate(from site: TLSSiteTests.Site, name: String) throws -> TLSSiteTests.Site {
        try TLSSiteTests.Site(brokerCert: name, sharing: site.dir)
    }
}

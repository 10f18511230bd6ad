// The site of config/broker/ for tests: certificates from scripts/make-certs, a password per user made with
// mosquitto_passwd, the shipped ACL, and a real mosquitto started from one of the shipped config files, moved to a
// free loopback port. TLS as shipped. On it: kiosks (the real gateway), collectors and `lagesbild feedback` under
// their own broker users, and raw clients (mosquitto_pub/mosquitto_sub, or paho-mqtt through python3) that may send
// whatever an attacker holding a kiosk's credentials can send.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A site: certificates, passwords, the ACL, and a broker made from one of config/broker/'s files.
public final class Site: @unchecked Sendable {
    /// The repository's folder (for config/broker/ and scripts/).
    public static var repository: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    /// The collectors' broker users, one per collector (config/broker/acl).
    public static let collectorUsers = ["lagesbild-collect", "lagesbild-collect-2"]
    /// The broker user of `lagesbild feedback` (config/broker/acl).
    public static let feedbackUser = "lagesbild-feedback"
    /// The kiosks every new site has a password and a client certificate for.
    public static let defaultKiosks = ["tls-kiosk-1", "tls-kiosk-2"]

    /// True when the tools a site needs are installed (openssl, mosquitto_passwd).
    public static var canRun: Bool {
        TestBrokerTools.findExecutable("openssl") != nil && TestBrokerTools.findExecutable("mosquitto_passwd") != nil
    }

    /// The site's folder: ca.pem, broker.pem/.key, clients/<user>.pem/.key, passwd, acl, <user>.password.
    public let dir: TempDir
    /// The broker's TLS port on 127.0.0.1 (its certificate names localhost and 127.0.0.1).
    public let tlsPort: Int
    public let broker: TestBroker
    /// The config/broker/ file this broker runs.
    public let configName: String

    /// A new site (certificates and passwords for `kiosks`, the collectors and feedback; the ACL) whose broker runs
    /// config/broker/`config` and shows `brokerCert`; or, with `sharing`, another broker of an existing site's
    /// folder. `persistent` keeps the shipped persistence, in the site's folder; `extraConfig` lines are appended.
    public init(config: String = "mosquitto.conf", brokerCert: String = "broker", kiosks: [String] = Site.defaultKiosks,
                sharing: TempDir? = nil, persistent: Bool = false, extraConfig: [String] = []) throws {
        let root = Self.repository
        configName = config
        dir = sharing ?? TempDir("site")
        if sharing == nil {
            let users = kiosks + Self.collectorUsers + [Self.feedbackUser]
            let made = try runProcess(root + "/scripts/make-certs", [dir.path] + users.flatMap { ["--client", $0] })
            guard made.status == 0 else { throw TestBrokerError("make-certs: \(made.stderr)") }
            for user in users { try Self.addPassword(user, in: dir) }
            try FileManager.default.copyItem(atPath: root + "/config/broker/acl", toPath: dir.file("acl"))
        }
        let port = try TestBrokerTools.freeLoopbackPort()
        tlsPort = port
        let folder = dir.path
        let lines = try String(contentsOfFile: root + "/config/broker/" + config, encoding: .utf8)
            .split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.hasPrefix("per_listener_settings") }
            .filter { persistent || !$0.hasPrefix("persistence") }
            .map { $0.replacingOccurrences(of: "/etc/mosquitto/tipskiosk/", with: folder + "/")
                     .replacingOccurrences(of: "/var/lib/mosquitto/", with: folder + "/")
                     .replacingOccurrences(of: "listener 8883", with: "listener \(port) 127.0.0.1")
                     .replacingOccurrences(of: "/broker.pem", with: "/\(brokerCert).pem")
                     .replacingOccurrences(of: "/broker.key", with: "/\(brokerCert).key") }
        broker = try TestBroker(extraConfig: lines + extraConfig)
        for _ in 0..<100 where !TestBrokerTools.canConnect(port: port) { usleep(20_000) }
    }

    /// Another broker of the same site (same CA, passwords and ACL) that shows the certificate `name`.
    public static func withCertificate(from site: Site, name: String) throws -> Site {
        try Site(config: site.configName, brokerCert: name, sharing: site.dir)
    }

    /// The password of `user` (every user's is `pw-<user>`), also in the file `<user>.password` (0600).
    public func password(_ user: String) -> String { Self.password(user) }
    public func passwordFile(_ user: String) -> String { dir.file("\(user).password") }
    private static func password(_ user: String) -> String { "pw-\(user)" }

    private static func addPassword(_ user: String, in dir: TempDir) throws {
        guard let passwd = TestBrokerTools.findExecutable("mosquitto_passwd") else { throw TestBrokerError("no mosquitto_passwd") }
        let exists = FileManager.default.fileExists(atPath: dir.file("passwd"))
        let r = try runProcess(passwd, (exists ? [] : ["-c"]) + ["-b", dir.file("passwd"), user, password(user)])
        guard r.status == 0 else { throw TestBrokerError("mosquitto_passwd \(user): \(r.stderr)") }
        let file = dir.file("\(user).password")
        try "\(password(user))\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
    }

    /// Gives the running site another user (a password and a client certificate): the broker reloads its password
    /// file on SIGHUP.
    public func addUser(_ user: String) throws {
        let made = try runProcess(Self.repository + "/scripts/make-certs", [dir.path, "--client", user])
        guard made.status == 0 else { throw TestBrokerError("make-certs: \(made.stderr)") }
        try Self.addPassword(user, in: dir)
        if let pid = broker.pid { kill(pid, SIGHUP) }
        let before = broker.logText.components(separatedBy: "Reloading config").count
        _ = waitUntil(timeout: 5) { self.broker.logText.components(separatedBy: "Reloading config").count > before }
    }

    /// Signs another broker certificate with the site's CA: `days` -1 makes one that has expired.
    public func brokerCertificate(_ name: String, san: String, days: Int) throws {
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

    /// The `[mqtt]` lines that log `user` in: its client certificate with `mtls`, else its password file.
    public func credentials(_ user: String, mtls: Bool, ca: String? = nil) -> String {
        var mqtt = "ca_file = \"\(ca ?? dir.file("ca.pem"))\"\n"
        if mtls {
            mqtt += "cert_file = \"\(dir.file("clients/\(user).pem"))\"\nkey_file = \"\(dir.file("clients/\(user).key"))\"\n"
        } else {
            mqtt += "username = \"\(user)\"\npassword_file = \"\(passwordFile(user))\"\n"
        }
        return mqtt
    }

    /// A kiosk of this site (receipts on); `user` and `password` as the kiosk's file gives them.
    public func kiosk(_ id: String, user: String? = nil, mtls: Bool = false, ca: String? = nil, host: String = "localhost",
                      extraMQTT: String = "") -> (TempDir, String) {
        let k = TempDir(id)
        let mqtt = "await_receipts = true\nreceipt_timeout_s = 5\n" + credentials(mtls ? id : (user ?? id), mtls: mtls, ca: ca) + extraMQTT
        let config = writeTestConfig(in: k, kiosk: id, port: tlsPort, extraMQTT: mqtt)
        // writeTestConfig writes host 127.0.0.1; the site's kiosks name the broker as its certificate does.
        Self.replaceHost(in: config, with: host)
        return (k, config)
    }

    /// A kiosk's gateway, started.
    public func gateway(_ id: String, user: String? = nil, mtls: Bool = false) throws -> (TempDir, String, GatewayProcess) {
        let (k, config) = kiosk(id, user: user, mtls: mtls)
        let gw = GatewayProcess(config: config, log: k.file("gateway.log"))
        try gw.start()
        return (k, config, gw)
    }

    /// A collector's central file of this site, logged in as `user`, its client id the user name (the broker gives
    /// it that id anyway), its database in `dir`.
    public func centralConfig(user: String = Site.collectorUsers[0], mtls: Bool = false, in dir: TempDir? = nil,
                              extraCentral: String = "", name: String = "lagesbild.toml") -> (TempDir, String) {
        let c = dir ?? TempDir("central")
        let config = writeCentralConfig(in: c, port: tlsPort, clientID: user, extraCentral: extraCentral,
                                        extraMQTT: credentials(user, mtls: mtls), name: name)
        Self.replaceHost(in: config, with: "localhost")
        return (c, config)
    }

    /// A collector of this site over TLS as `user`, started, once it has connected.
    public func collector(user: String = Site.collectorUsers[0], mtls: Bool = false, in dir: TempDir? = nil,
                          extraCentral: String = "") throws -> (TempDir, String, GatewayProcess) {
        let (c, config) = centralConfig(user: user, mtls: mtls, in: dir, extraCentral: extraCentral,
                                        name: user == Site.collectorUsers[0] ? "lagesbild.toml" : "\(user).toml")
        let p = GatewayProcess.collector(config: config, log: c.file("\(user).log"))
        try p.start()
        guard waitUntil(timeout: 10, { p.log.contains("connected to") }) else {
            throw TestBrokerError("the collector \(user) did not connect: \(p.log)")
        }
        return (c, config, p)
    }

    /// The file of a staff machine that publishes feedback: the site's broker and CA in `[mqtt]`, the feedback
    /// user's password file (or certificate and key) in `[central]`, and no collector's credentials.
    public func feedbackConfig(mtls: Bool = false) -> (TempDir, String) {
        let c = TempDir("feedback")
        let user = Site.feedbackUser
        let central = "feedback_username = \"\(user)\"\n" + (mtls
            ? "feedback_cert_file = \"\(dir.file("clients/\(user).pem"))\"\nfeedback_key_file = \"\(dir.file("clients/\(user).key"))\"\n"
            : "feedback_password_file = \"\(passwordFile(user))\"\n")
        let config = writeCentralConfig(in: c, port: tlsPort, extraCentral: central,
                                        extraMQTT: "ca_file = \"\(dir.file("ca.pem"))\"\n", name: "feedback.toml")
        Self.replaceHost(in: config, with: "localhost")
        return (c, config)
    }

    /// `lagesbild feedback` with a staff machine's file (``feedbackConfig(mtls:)``).
    public func feedback(_ args: [String], mtls: Bool = false) throws -> ProcessResult {
        let (c, config) = feedbackConfig(mtls: mtls)
        return try withExtendedLifetime(c) { try lagesbild(["feedback", "--config", config] + args) }
    }

    private static func replaceHost(in config: String, with host: String) {
        let text = try! String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "host = \"127.0.0.1\"", with: "host = \"\(host)\"")
        try! text.write(toFile: config, atomically: true, encoding: .utf8)
    }

    // MARK: - Raw clients

    /// The arguments that connect mosquitto_pub/mosquitto_sub (MQTT 5) to this site as `user` with `clientID`.
    public func clientArguments(user: String, clientID: String, mtls: Bool = false) -> [String] {
        var args = ["-V", "mqttv5", "-h", "localhost", "-p", String(tlsPort), "--cafile", dir.file("ca.pem"), "-i", clientID]
        if mtls {
            args += ["--cert", dir.file("clients/\(user).pem"), "--key", dir.file("clients/\(user).key")]
        } else {
            args += ["-u", user, "-P", password(user)]
        }
        return args
    }

    /// `mosquitto_pub` as `user` with `clientID` (and any other flags: `-r`, `-f FILE`, `-m TEXT`, `-t TOPIC`).
    /// With `-l`, each line of `input` is one message.
    public func mosquittoPub(user: String, clientID: String, mtls: Bool = false, _ args: [String], input: Data? = nil) throws -> ProcessResult {
        guard let pub = TestBrokerTools.findExecutable("mosquitto_pub") else { throw TestBrokerError("no mosquitto_pub") }
        return try runProcess(pub, clientArguments(user: user, clientID: clientID, mtls: mtls) + args, input: input)
    }

    /// The python3 that has paho-mqtt (Debian's python3-paho-mqtt), or nil.
    public static var pahoPython: String? {
        for p in ["/usr/bin/python3", TestBrokerTools.findExecutable("python3")].compactMap({ $0 }) {
            if let r = try? runProcess(p, ["-c", "import paho.mqtt.client"]), r.status == 0 { return p }
        }
        return nil
    }

    /// Runs a python3 `script` with paho-mqtt to its end. The script has `site_client(user, client_id, clean_start=True,
    /// session_expiry=0, mtls=False)`, which returns a connected paho client (MQTT 5, TLS to this site, its loop
    /// started) or raises with the CONNACK's reason; and `PORT`, `CA`, `DIR`. What it prints is the result's stdout.
    public func python(_ script: String, timeout: Double = 60) throws -> ProcessResult {
        guard let py = Self.pahoPython else { throw TestBrokerError("no python3 with paho-mqtt (apt-get install python3-paho-mqtt)") }
        let file = dir.file("attack-\(UUID().uuidString.prefix(8)).py")
        try (pythonPrelude + script).write(toFile: file, atomically: true, encoding: .utf8)
        return try runProcess("/usr/bin/timeout", [String(Int(timeout)), py, file])
    }

    /// Starts a python3 `script` (as ``python(_:timeout:)``) in the background; its output goes to the returned
    /// process's `log`.
    public func startPython(_ script: String, name: String = "attacker") throws -> GatewayProcess {
        guard let py = Self.pahoPython else { throw TestBrokerError("no python3 with paho-mqtt (apt-get install python3-paho-mqtt)") }
        let file = dir.file("\(name)-\(UUID().uuidString.prefix(8)).py")
        try (pythonPrelude + script).write(toFile: file, atomically: true, encoding: .utf8)
        let p = GatewayProcess(program: py, arguments: ["-u", file], log: dir.file("\(name).log"))
        try p.start()
        return p
    }

    private var pythonPrelude: String {
        """
        import json, os, ssl, sys, threading, time
        import paho.mqtt.client as mqtt
        from paho.mqtt.properties import Properties
        from paho.mqtt.packettypes import PacketTypes
        PORT = \(tlsPort)
        CA = "\(dir.file("ca.pem"))"
        DIR = "\(dir.path)"

        def site_client(user, client_id, clean_start=True, session_expiry=0, mtls=False, timeout=10):
            c = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5)
            if mtls:
                c.tls_set(ca_certs=CA, certfile=DIR + "/clients/" + user + ".pem", keyfile=DIR + "/clients/" + user + ".key")
            else:
                c.tls_set(ca_certs=CA)
                c.username_pw_set(user, "pw-" + user)
            result = {}
            done = threading.Event()
            def on_connect(client, userdata, flags, rc, properties=None):
                result["rc"] = rc
                result["properties"] = properties
                done.set()
            c.on_connect = on_connect
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = session_expiry
            c.connect("localhost", PORT, keepalive=30, clean_start=clean_start, properties=props)
            c.loop_start()
            if not done.wait(timeout):
                raise RuntimeError("no CONNACK")
            if result["rc"] != 0:
                raise RuntimeError("CONNACK " + str(result["rc"]))
            c.connack_properties = result["properties"]
            return c


        """
    }
}

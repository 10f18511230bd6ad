import Foundation
import Glibc
import KioskConfig
import Testing
import TestSupport

/// Only the gateway resolves the `[mqtt]` secret paths; a password or key readable by every user is refused; a
/// password or a remote broker without TLS is refused unless `tls = false` says so.
@Suite struct SecretsTests {
    static let kioskPart = "[kiosk]\nid = \"k\"\nsite = \"s\"\n[storage]\npath = \"o.sqlite\"\n"

    /// A kiosk folder whose file names `$CREDENTIALS_DIRECTORY/mqtt-password`, as the contract's example does.
    static func credentialsKiosk() -> (TempDir, String) {
        let dir = TempDir("secrets")
        let config = writeTestConfig(in: dir, kiosk: "cred-kiosk", port: 1883,
                                     extraMQTT: "username = \"cred-kiosk\"\npassword_file = \"$CREDENTIALS_DIRECTORY/mqtt-password\"\nca_file = \"$CREDENTIALS_DIRECTORY/ca.pem\"")
        return (dir, config)
    }

    @Test("prompt, submit and status never fail over the gateway's secrets; check-config notes the unset variable")
    func onlyTheGatewayResolvesSecrets() throws {
        let (dir, config) = Self.credentialsKiosk()
        var env = ProcessInfo.processInfo.environment
        env["CREDENTIALS_DIRECTORY"] = nil
        let submit = try runProcess(tipskioskBinary(), ["submit", "--config", config], input: submitLines(1), environment: env)
        #expect(submit.status == 0, "\(submit.stderr)")
        let st = try runProcess(tipskioskBinary(), ["status", "--json", "--config", config], environment: env)
        #expect(st.status == 0, "\(st.stderr)")
        #expect(jsonObject(st.stdout)?["pending"] as? Int == 1)
        let check = try runProcess(tipskioskBinary(), ["check-config", "--config", config], environment: env)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.contains("mqtt.password_file: uses $CREDENTIALS_DIRECTORY, which is not set in this shell; only the gateway reads this key"))
        // The gateway does need them: a sentence and 78.
        let gw = try runProcess(tipskioskBinary(), ["gateway", "--config", config], environment: env)
        #expect(gw.status == 78)
        #expect(gw.stderr.contains("mqtt.password_file: uses $CREDENTIALS_DIRECTORY, which is not set in the environment"))

        // The prompt starts and takes a tip (on a real terminal) with the same file and no such variable.
        let pty = try PseudoTerminal.spawn(tipskioskBinary(), ["prompt", "--config", config], environment: env)
        defer { pty.signal(SIGTERM); _ = pty.waitForExit(timeout: 5) }
        #expect(pty.waitForScreen("112", timeout: 10), "the welcome screen: \(pty.text())")
        #expect(pty.typeTip(category: "1", place: "Centrum", when: "2", text: "Trasig lampa i tunneln") == nil)
        #expect(pty.waitForScreen("Tack", timeout: 5))
        let after = try runProcess(tipskioskBinary(), ["status", "--json", "--config", config], environment: env)
        #expect(jsonObject(after.stdout)?["pending"] as? Int == 2)
        _ = dir
    }

    @Test("A password or key file that every user can read is refused with its path and mode; 0600 and 0640 are fine")
    func worldReadableSecretsAreRefused() throws {
        let dir = TempDir("secrets")
        let pw = dir.file("pw")
        try "hemligt\r\n".write(toFile: pw, atomically: true, encoding: .utf8)
        let text = Self.kioskPart + "[mqtt]\nusername = \"k\"\npassword_file = \"\(pw)\"\nca_file = \"\(pw)\"\n"
        chmod(pw, 0o644)
        do {
            _ = try Configuration.parse(text: text, path: "t.toml", secrets: .resolve)
            Issue.record("accepted a password file every user can read")
        } catch {
            #expect(error.errors.map(\.description).contains("t.toml:8: mqtt.password_file: \(pw) can be read by every user (mode 644): make it readable by the gateway's user only (chmod 0600 or 0640), or use systemd's LoadCredential="), "\(error)")
        }
        for mode: mode_t in [0o600, 0o640] {
            chmod(pw, mode)
            let c = try Configuration.parse(text: text, path: "t.toml", secrets: .resolve)
            #expect(c.mqtt.passwordFile == pw)
            // A password file with CRLF line endings gives the password without the CR.
            #expect(try Configuration.readPassword(c.mqtt, sourcePath: "t.toml") == "hemligt")
        }
        // Commands other than the gateway do not look at it at all.
        chmod(pw, 0o644)
        #expect(try Configuration.parse(text: text, path: "t.toml", secrets: .skip).mqtt.passwordFile == nil)
    }

    @Test("A password, or a broker off this machine, without TLS is refused; tls = false accepts it with a note")
    func plaintextIsRefusedUnlessSaidSo() throws {
        let dir = TempDir("secrets")
        let pw = dir.file("pw")
        try "x".write(toFile: pw, atomically: true, encoding: .utf8)
        chmod(pw, 0o600)
        func problems(_ mqtt: String, _ secrets: SecretPaths = .resolve) -> (errors: [String], notes: [String]) {
            do {
                let c = try Configuration.parse(text: Self.kioskPart + "[mqtt]\n" + mqtt, path: "t.toml", secrets: secrets)
                return ([], c.warnings.map(\.description))
            } catch {
                return (error.errors.map(\.description), error.warnings.map(\.description))
            }
        }
        let password = problems("username = \"k\"\npassword_file = \"\(pw)\"\n")
        #expect(password.errors == ["t.toml:8: mqtt.password_file: the password would cross the network unencrypted: set ca_file (or tls = true for the system's CA store), or write tls = false to accept that"])
        let remote = problems("host = \"broker.kommun.se\"\n")
        #expect(remote.errors == ["t.toml:7: mqtt.host: the reports would cross the network to broker.kommun.se unencrypted: set ca_file (or tls = true for the system's CA store), or write tls = false to accept that"])
        let accepted = problems("host = \"broker.kommun.se\"\ntls = false\n")
        #expect(accepted.errors.isEmpty)
        #expect(accepted.notes == ["t.toml:8: mqtt.tls: is false: the reports would cross the network to broker.kommun.se unencrypted"])
        #expect(problems("host = \"127.0.0.1\"\n").errors.isEmpty, "loopback in the clear is fine")
        #expect(problems("host = \"broker.kommun.se\"\ntls = true\n").errors.isEmpty)
        #expect(problems("host = \"broker.kommun.se\"\n", .skip).errors.isEmpty, "the prompt does not care")
    }
}

@Suite(.enabled(if: geteuid() == 0, "giving files away needs root (CI runs as root)"))
struct RootRunTests {
    @Test("submit and status run as root on a fresh box leave files the services' user owns and can open")
    func rootLeavesNoRootOwnedFiles() throws {
        let dir = TempDir("rootrun")
        chmod(dir.path, 0o755)
        let state = dir.file("state")
        mkdir(state, 0o750)
        chown(state, 65534, 65534)   // the services' user, here nobody
        let config = dir.file("k.toml")
        try "[kiosk]\nid = \"k\"\nsite = \"s\"\n[storage]\npath = \"\(state)/outbox.sqlite\"\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o644)
        #expect(try tipskiosk(["status", "--config", config]).status == 0)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(3)).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(files.contains("outbox.sqlite") && files.contains("outbox.sqlite.lock") && files.contains("outbox.sqlite.seq"))
        for name in files {
            var st = stat()
            #expect(stat(state + "/" + name, &st) == 0)
            #expect(st.st_uid == 65534 && st.st_gid == 65534, "\(name) is owned by \(st.st_uid):\(st.st_gid)")
            #expect(st.st_mode & 0o007 == 0, "\(name) is not for every user")
        }
        // And the services' user can use them: submit as nobody.
        if let runuser = TestBrokerTools.findExecutable("setpriv") {
            let r = try runProcess(runuser, ["--reuid=65534", "--regid=65534", "--clear-groups", tipskioskBinary(),
                                             "submit", "--config", config], input: submitLines(1))
            #expect(r.status == 0, "\(r.stderr)")
        }
    }
}

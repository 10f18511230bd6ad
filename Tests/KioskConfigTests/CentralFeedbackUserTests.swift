import Foundation
import Glibc
import KioskConfig
import Testing
import TestSupport

/// `[central]`'s feedback user: `lagesbild feedback` logs in as a broker user of its own, never the collector's
/// (the site broker makes the user name the client id, so the collector's would take its session over).
@Suite struct CentralFeedbackUserTests {
    static func parse(_ mqtt: String, _ central: String, in dir: TempDir) throws(ConfigErrors) -> CentralConfiguration {
        try CentralConfiguration.parse(text: """
            [mqtt]
            host = "broker.example"
            port = 8883
            \(mqtt)

            [central]
            \(central)
            """, path: dir.file("lagesbild.toml"))
    }

    static func secret(_ dir: TempDir, _ name: String, mode: mode_t = 0o600) -> String {
        let path = dir.file(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data("pw-\(name)\n".utf8))
        chmod(path, mode)
        return path
    }

    @Test func feedbackHasItsOwnUserAndPasswordAndTheCollectorsBroker() throws {
        let dir = TempDir("central-feedback")
        let ca = Self.secret(dir, "ca.pem", mode: 0o644)
        let collector = Self.secret(dir, "collect.password"), feedback = Self.secret(dir, "feedback.password")
        let c = try Self.parse("username = \"lagesbild-collect\"\npassword_file = \"\(collector)\"\nca_file = \"\(ca)\"",
                               "feedback_password_file = \"\(feedback)\"", in: dir)
        #expect(c.central.feedbackUsername == "lagesbild-feedback", "config/broker/acl's feedback user by default")
        let m = c.feedbackMQTT
        #expect(m.username == "lagesbild-feedback" && m.passwordFile == feedback)
        #expect(m.host == "broker.example" && m.port == 8883 && m.tls && m.caFile == ca)
        #expect(try c.readFeedbackPassword() == "pw-feedback.password")
        #expect(c.mqtt.username == "lagesbild-collect" && c.mqtt.passwordFile == collector, "the collector keeps [mqtt]")
    }

    @Test func theCollectorsUserOrCertificateIsRefused() throws {
        let dir = TempDir("central-feedback")
        let ca = Self.secret(dir, "ca.pem", mode: 0o644)
        for (mqtt, central, key) in [
            ("username = \"lagesbild-collect\"", "feedback_username = \"lagesbild-collect\"", "central.feedback_username"),
            ("", "client_id = \"lagesbild-collect-2\"\nfeedback_username = \"lagesbild-collect-2\"", "central.feedback_username"),
            ("cert_file = \"\(ca)\"\nkey_file = \"\(Self.secret(dir, "k.key"))\"",
             "feedback_cert_file = \"\(ca)\"\nfeedback_key_file = \"\(Self.secret(dir, "k2.key"))\"", "central.feedback_cert_file"),
            ("", "feedback_cert_file = \"\(ca)\"", "central.feedback_key_file"),
            ("", "feedback_password_file = \"\(Self.secret(dir, "open.password", mode: 0o644))\"", "central.feedback_password_file"),
        ] {
            do {
                _ = try Self.parse("ca_file = \"\(ca)\"\n" + mqtt, central, in: dir)
                Issue.record("accepted: \(central)")
            } catch {
                #expect(error.errors.contains { $0.key == key }, "\(central): \(error)")
            }
        }
        do {
            _ = try Self.parse("", "feedback_password_file = \"\(Self.secret(dir, "plain.password"))\"", in: dir)
            Issue.record("a feedback password without TLS was accepted")
        } catch {
            #expect(error.description.contains("central.feedback_password_file: the password would cross the network unencrypted"), "\(error)")
        }
    }
}

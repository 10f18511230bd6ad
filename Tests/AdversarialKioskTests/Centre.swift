import CentralStore
import Foundation
import KioskConfig
import TestSupport

// The adversarial-kiosk suite (issue 22): a kiosk with valid credentials runs each attack against the real broker
// with the shipped config and ACL (TestSupport's `Site`), one file per attack, each attack a named test. What the
// files share about the centre is here.

/// What a centre's database holds, read as `lagesbild report` would.
enum Centre {
    /// The number of reports the database of the central file `config` holds (0 when it cannot be read yet).
    static func held(_ config: String) -> Int {
        guard let c = try? CentralConfiguration.load(path: config, secrets: .skip),
              let store = try? CentralStore.open(path: c.databasePath, readOnly: true) else { return 0 }
        return (try? store.reportCount()) ?? 0
    }

    /// The user the shipped ACL lets write the feedback topics: so that a test tries the publisher of the ACL it
    /// runs with (before issue 22, the collector's own user).
    static func feedbackWriter() throws -> String {
        let acl = try String(contentsOfFile: Site.repository + "/config/broker/acl", encoding: .utf8)
        var user: String?
        for line in acl.split(separator: "\n") {
            if line.hasPrefix("user ") { user = String(line.dropFirst(5)) }
            if line.hasPrefix("topic write lagesbild/v1/feedback/#"), let user { return user }
        }
        throw TestBrokerError("no user in config/broker/acl writes lagesbild/v1/feedback/#")
    }
}

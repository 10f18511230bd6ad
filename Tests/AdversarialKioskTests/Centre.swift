import CentralStore
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
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The configuration of the central service, `lagesbild`: the same file format as the kiosk's (docs/CONTRACT.md §2),
/// read without `[kiosk]`. Its broker is `[mqtt]`, its database `[storage] path`, its own settings `[central]`.
public struct CentralConfiguration: Sendable, Equatable {
    /// The `[central]` table.
    public struct Central: Sendable, Equatable {
        /// `lagesbild report` calls a kiosk silent when its last status is older than this many hours.
        public var silentAfterHours: Int
        /// The collector's MQTT client id, fixed so that the broker keeps its session (and what is queued for
        /// it) while it is away. Every collector needs its own.
        public var clientID: String
        /// With a group name, the collector subscribes as `$share/<group>/…` (MQTT 5 shared subscription):
        /// several collectors on one database share the load. Nil: an ordinary subscription.
        public var shareGroup: String?
        /// How long the broker keeps the collector's session after it went away (MQTT 5 Session Expiry).
        public var sessionExpirySeconds: Int
        /// `lagesbild prune` without `--older-than` deletes reports older than this many days.
        public var retentionDays: Int
        /// `[central] database`: a PostgreSQL conninfo (`postgresql://…`) for the centre's database; nil: the
        /// SQLite file at `[storage] path`.
        public var database: String? = nil
    }

    /// The collector's database (`[storage] path`; default `/var/lib/lagesbild/lagesbild.sqlite`).
    public var databasePath: String
    public var mqtt: Configuration.MQTT
    public var central: Central
    /// The file this came from.
    public var sourcePath: String
    /// Problems that did not stop the file from loading (unknown keys).
    public var warnings: [ConfigError] = []

    /// `[storage] path` when the file does not set it.
    public static let defaultDatabasePath = "/var/lib/lagesbild/lagesbild.sqlite"
    /// The file used when neither `--config` nor `$LAGESBILD_CONFIG` is given.
    public static let defaultPath = "/etc/lagesbild/lagesbild.toml"

    public func reportsFilter() -> String { shared("\(mqtt.topicPrefix)/reports/+") }
    public func statusFilter() -> String { shared("\(mqtt.topicPrefix)/status/+") }
    /// The receipts topic of one kiosk (docs/CONTRACT.md §3).
    public func receiptsTopic(kiosk: String) -> String { "\(mqtt.topicPrefix)/receipts/\(kiosk)" }

    private func shared(_ filter: String) -> String {
        central.shareGroup.map { "$share/\($0)/\(filter)" } ?? filter
    }

    /// `--config`, else `$LAGESBILD_CONFIG`, else `/etc/lagesbild/lagesbild.toml`. The central side has a file
    /// of its own: its `[storage] path` is its database, not a kiosk's outbox.
    public static func resolvePath(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["LAGESBILD_CONFIG"], !env.isEmpty { return env }
        return defaultPath
    }

    /// What is wrong with a `[central] database` value, nil when nothing is.
    static func databaseProblem(_ value: String) -> String? {
        guard value.hasPrefix("postgresql://") || value.hasPrefix("postgres://") else {
            return "must be a PostgreSQL URI, postgresql://user@host:5432/lagesbild (leave it out for the SQLite file at [storage] path)"
        }
        guard value.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            return "must be one line of printable ASCII without spaces (percent-encode the rest)"
        }
        return nil
    }

    /// Reads and checks the file. Throws `ConfigErrors` with every problem found, each `file:line: key: what`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            checkFiles: Bool = true, secrets: SecretPaths = .resolve) throws(ConfigErrors) -> CentralConfiguration {
        try parse(text: Configuration.readText(path: path), path: path, environment: environment, checkFiles: checkFiles,
                  secrets: secrets)
    }

    public static func parse(text: String, path: String, environment: [String: String] = [:],
                             checkFiles: Bool = true, secrets: SecretPaths = .resolve) throws(ConfigErrors) -> CentralConfiguration {
        let doc = try Configuration.document(text: text, path: path)
        var r = Reader(doc: doc, file: path, environment: environment, checkFiles: checkFiles, secrets: secrets)
        let baseDir = Configuration.folder(of: path)
        let database = r.path("storage", "path", baseDir: baseDir) ?? defaultDatabasePath
        let mqtt = r.mqtt(baseDir: baseDir)
        var central = Central(
            silentAfterHours: r.int("central", "silent_after_h", range: 1...8760) ?? 24,
            clientID: r.string("central", "client_id", check: { id in
                id.count <= 64 && !id.isEmpty && id.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
                    ? nil : "must be 1 to 64 of a-z, 0-9 and - (the collector's MQTT client id)"
            }) ?? "lagesbild-collect",
            shareGroup: r.string("central", "share_group", check: { g in
                g.isEmpty || (g.count <= 64 && g.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 })
                    ? nil : "must be 1 to 64 of a-z, 0-9 and - (a shared subscription group), or \"\" for none"
            }).flatMap { $0.isEmpty ? nil : $0 },
            sessionExpirySeconds: r.int("central", "session_expiry_s", range: 60...31_536_000) ?? 604_800,
            retentionDays: r.int("central", "retention_days", range: 1...3650) ?? 180
        )
        central.database = r.string("central", "database", check: databaseProblem)
        r.warnUnknown(known: Configuration.knownKeys)
        if !r.errors.isEmpty { throw ConfigErrors(r.errors, warnings: r.warnings) }
        return CentralConfiguration(databasePath: database, mqtt: mqtt, central: central, sourcePath: path, warnings: r.warnings)
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ReportModel

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
        /// The broker user `lagesbild feedback` connects as (its client id too), never a collector's: the site
        /// broker makes the user name the client id, so feedback under a collector's user would take over that
        /// collector's session and throw its queue away. The ACL lets this user write the feedback topics only.
        public var feedbackUsername: String = defaultFeedbackUsername
        /// That user's password file, or client certificate and key (mutual TLS); nil when the file sets none.
        public var feedbackPasswordFile: String?
        public var feedbackCertFile: String?
        public var feedbackKeyFile: String?
    }

    /// `[central] feedback_username` when the file does not set it; config/broker/acl's feedback user.
    public static let defaultFeedbackUsername = "lagesbild-feedback"

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

    /// The topics of docs/CONTRACT.md §3 under `[mqtt] topic_prefix`.
    public var topics: Topics { Topics(prefix: mqtt.topicPrefix) }
    /// The collector's subscriptions: every kiosk's reports and status (in the shared group, with `share_group`).
    public func reportsFilter() -> String { shared(topics.everyKiosksReports) }
    public func statusFilter() -> String { shared(topics.everyKiosksStatus) }

    /// The broker settings of `lagesbild feedback`: `[mqtt]`'s broker, TLS and CA, with `[central]`'s feedback
    /// user and its password file or certificate instead of the collector's credentials.
    public var feedbackMQTT: Configuration.MQTT {
        var m = mqtt
        m.username = central.feedbackUsername
        m.passwordFile = central.feedbackPasswordFile
        m.certFile = central.feedbackCertFile
        m.keyFile = central.feedbackKeyFile
        return m
    }

    /// Reads the first line of `[central] feedback_password_file`; nil when none is set. The error names the file
    /// and key.
    public func readFeedbackPassword() throws(ConfigError) -> String? {
        do {
            return try Configuration.readPassword(feedbackMQTT, sourcePath: sourcePath)
        } catch {
            throw ConfigError(file: error.file, line: error.line, key: "central.feedback_password_file", message: error.message)
        }
    }

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
        let central = Central(
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
            retentionDays: r.int("central", "retention_days", range: 1...3650) ?? 180,
            feedbackUsername: r.string("central", "feedback_username", check: { u in
                u.isEmpty ? "must not be empty (the broker user of lagesbild feedback)" : nil
            }) ?? defaultFeedbackUsername,
            feedbackPasswordFile: r.secretPath("feedback_password_file", table: "central", baseDir: baseDir, privateFile: true),
            feedbackCertFile: r.secretPath("feedback_cert_file", table: "central", baseDir: baseDir, privateFile: false),
            feedbackKeyFile: r.secretPath("feedback_key_file", table: "central", baseDir: baseDir, privateFile: true)
        )
        r.checkFeedbackUser(central, mqtt: mqtt)
        r.warnUnknown(known: Configuration.knownKeys)
        if !r.errors.isEmpty { throw ConfigErrors(r.errors, warnings: r.warnings) }
        return CentralConfiguration(databasePath: database, mqtt: mqtt, central: central, sourcePath: path, warnings: r.warnings)
    }
}

extension Reader {
    /// `[central]`'s feedback credentials: never the collector's user (its session would be taken over), a
    /// certificate with its key, and a password only over TLS (as `[mqtt] password_file`).
    mutating func checkFeedbackUser(_ central: CentralConfiguration.Central, mqtt: Configuration.MQTT) {
        let collectorsUser = central.feedbackUsername == mqtt.username || central.feedbackUsername == central.clientID
        if collectorsUser || (central.feedbackCertFile != nil && central.feedbackCertFile == mqtt.certFile) {
            fail("central", collectorsUser ? "feedback_username" : "feedback_cert_file",
                 "is the collector's own (\(collectorsUser ? central.feedbackUsername : mqtt.certFile ?? "")), as [mqtt] or " +
                 "client_id give it: lagesbild feedback would take over the collector's session and throw its queue away; " +
                 "give feedback a broker user of its own (\(CentralConfiguration.defaultFeedbackUsername)) and leave [mqtt] to the collector")
        }
        func isSet(_ key: String) -> Bool {
            if case .string(let v)? = doc.tables["central"]?.entries[key]?.value { return !v.isEmpty }
            return false
        }
        if isSet("feedback_cert_file") != isSet("feedback_key_file") {
            fail("central", isSet("feedback_cert_file") ? "feedback_key_file" : "feedback_cert_file",
                 "feedback_cert_file and feedback_key_file go together (a client certificate needs its key)")
        }
        if secrets != .skip && isSet("feedback_password_file") && !mqtt.tls && bool("mqtt", "tls") != false {
            fail("central", "feedback_password_file",
                 "the password would cross the network unencrypted: set [mqtt] ca_file (or tls = true), or write tls = false to accept that")
        }
    }
}

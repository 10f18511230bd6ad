#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ReportModel
#if canImport(Glibc)
import Glibc
#endif

/// What a command does with the `[mqtt]` keys that hold secrets or name files only the daemon opens
/// (`password_file`, `ca_file`, `cert_file`, `key_file`).
public enum SecretPaths: Sendable, Equatable {
    /// The daemon (gateway, collector): expand, check the files exist and can be read, and refuse a password
    /// or key file that every user can read.
    case resolve
    /// `check-config` in a shell: as `resolve`, but an unset `$VAR` (e.g. `$CREDENTIALS_DIRECTORY`, which only
    /// systemd sets for the daemon) or a file this user cannot read is a note, not an error.
    case note
    /// Every other command (prompt, submit, status, report, prune): leave them alone; they never fail over them.
    case skip
}

/// The configuration file of docs/CONTRACT.md §2, checked. Build one with `Configuration.load(path:)`.
public struct Configuration: Sendable, Equatable {
    public struct Kiosk: Sendable, Equatable {
        public var id: String
        public var site: String
        /// The default event label; staff can set another one, which the outbox keeps.
        public var event: String?
        public var languages: [String]
        public var idleTimeoutSeconds: Int
        public var places: [String]
        /// `age_group`: the age group every report carries (`youth`, `adult`, `senior`), or `ask` (the prompt
        /// asks the visitor); nil when unset (reports carry null). Staff can change it; the outbox keeps theirs.
        public var ageGroup: AgeGroupSetting?
    }
    public struct Storage: Sendable, Equatable {
        /// Absolute; a relative path in the file is taken relative to the file's folder.
        public var path: String
        public var maxPending: Int
    }
    public struct MQTT: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var topicPrefix: String
        public var qos: Int
        public var keepaliveSeconds: Int
        public var username: String?
        public var passwordFile: String?
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        public var tls: Bool
        /// Reports in flight at once (further bounded by the broker's Receive Maximum).
        public var window: Int
        /// MQTT protocol to try first: 5, falling back to 3.1.1 when the broker refuses 5.
        public var protocolVersion: Int
        /// The kiosk deletes a report only on the collector's receipt (`{prefix}/receipts/{kiosk}`), not on
        /// the broker's PUBACK; off by default, so that any plain central subscriber works.
        public var awaitReceipts: Bool
        /// Seconds to wait for a receipt after the PUBACK before sending the report again (same id and seq).
        public var receiptTimeoutSeconds: Int
    }
    public struct PromptOptions: Sendable, Equatable {
        public var staffPINHash: String?
        public var languageDirectory: String?
        /// `display`: where the prompt draws on a Linux virtual console.
        public var display: PromptDisplay = .auto
        /// `speech`: read each screen's question and choices aloud with espeak-ng (libespeak-ng, opened at
        /// run time); never what the visitor typed. Off by default.
        public var speech = false
    }

    public var kiosk: Kiosk
    public var storage: Storage
    public var mqtt: MQTT
    public var prompt: PromptOptions
    /// `[hardware]` (HardwareConfiguration.swift): every part off unless set.
    public var hardware = Hardware()
    /// The file this came from.
    public var sourcePath: String
    /// Problems that did not stop the file from loading (unknown keys): `check-config` prints them.
    public var warnings: [ConfigError] = []
    /// The line of every key in the file, as `table.key`, for messages about it made after loading.
    public var keyLines: [String: Int] = [:]

    /// A message about `key` (`table.key`) in the form `file:line: key: message`, with the key's line.
    public func problem(_ key: String, _ message: String) -> ConfigError {
        ConfigError(file: sourcePath, line: keyLines[key] ?? 0, key: key, message: message)
    }

    /// The topics of docs/CONTRACT.md §3 under `[mqtt] topic_prefix`.
    public var topics: Topics { Topics(prefix: mqtt.topicPrefix) }

    /// The path used when neither `--config` nor `$TIPSKIOSK_CONFIG` is given.
    public static let defaultPath = "/etc/tipskiosk/tipskiosk.toml"

    /// `--config`, else `$TIPSKIOSK_CONFIG`, else `/etc/tipskiosk/tipskiosk.toml` (docs/CONTRACT.md §1).
    public static func resolvePath(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["TIPSKIOSK_CONFIG"], !env.isEmpty { return env }
        return defaultPath
    }

    /// Reads and checks the file. Throws `ConfigErrors` with every problem found, each `file:line: key: what`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            checkFiles: Bool = true, secrets: SecretPaths = .resolve) throws(ConfigErrors) -> Configuration {
        try parse(text: readText(path: path), path: path, environment: environment, checkFiles: checkFiles, secrets: secrets)
    }

    public static func parse(text: String, path: String, environment: [String: String] = [:],
                             checkFiles: Bool = true, secrets: SecretPaths = .resolve) throws(ConfigErrors) -> Configuration {
        let doc = try document(text: text, path: path)
        var r = Reader(doc: doc, file: path, environment: environment, checkFiles: checkFiles, secrets: secrets)
        let baseDir = folder(of: path)

        let kiosk = Kiosk(
            id: r.string("kiosk", "id", required: true, check: { id in
                id.count <= 64 && !id.isEmpty && id.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
                    ? nil : "must be 1 to 64 of a-z, 0-9 and - (it is also the MQTT client id and a topic level)"
            }) ?? "",
            site: r.string("kiosk", "site", required: true, check: { $0.isEmpty ? "must not be empty" : nil }) ?? "",
            event: r.string("kiosk", "event", check: { $0.count > 200 ? "is longer than 200 characters" : nil }).flatMap { $0.isEmpty ? nil : $0 },
            languages: r.stringArray("kiosk", "languages", check: { langs in
                if langs.isEmpty { return "must name at least one language, the first is the default" }
                if let bad = langs.first(where: { !ReportDraft.isLanguageTag($0) }) { return "\"\(bad)\" is not a language tag such as \"sv\" or \"en\"" }
                return nil
            }) ?? ["sv", "en"],
            idleTimeoutSeconds: r.int("kiosk", "idle_timeout_s", range: 10...3600) ?? 90,
            places: r.stringArray("kiosk", "places", check: { places in
                places.count > 9 ? "at most 9 quick picks (keys 1–9); free text is always allowed" : checkPlaceNames(places)
            }) ?? [],
            ageGroup: r.string("kiosk", "age_group", check: { v in
                AgeGroupSetting(rawValue: v) == nil
                    ? "\"\(v)\" is not one of " + AgeGroupSetting.allRawValues.map { "\"\($0)\"" }.joined(separator: ", ") : nil
            }).flatMap(AgeGroupSetting.init(rawValue:))
        )
        let storagePath = r.path("storage", "path", baseDir: baseDir) ?? "/var/lib/tipskiosk/outbox.sqlite"
        let storage = Storage(path: storagePath, maxPending: r.int("storage", "max_pending", range: 1...10_000_000) ?? 100_000)

        let mqtt = r.mqtt(baseDir: baseDir)
        let prompt = PromptOptions(
            staffPINHash: r.string("prompt", "staff_pin_hash", check: { h in
                h.isEmpty || h.hasPrefix("pbkdf2-sha256$") ? nil : "must be made by `tipskiosk hash-pin` (pbkdf2-sha256$…)"
            }).flatMap { $0.isEmpty ? nil : $0 },
            languageDirectory: r.path("prompt", "language_dir", baseDir: baseDir, mustExist: true),
            display: r.string("prompt", "display", check: { v in
                PromptDisplay(rawValue: v) == nil
                    ? "\"\(v)\" is not one of " + PromptDisplay.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") : nil
            }).flatMap(PromptDisplay.init(rawValue:)) ?? .auto,
            speech: r.bool("prompt", "speech") ?? false
        )
        let hardware = r.hardware(baseDir: baseDir)
        r.warnUnknown(known: Self.knownKeys)
        if !r.errors.isEmpty { throw ConfigErrors(r.errors, warnings: r.warnings) }
        var keyLines: [String: Int] = [:]
        for (table, t) in doc.tables { for (key, e) in t.entries { keyLines[table.isEmpty ? key : "\(table).\(key)"] = e.line } }
        return Configuration(kiosk: kiosk, storage: storage, mqtt: mqtt, prompt: prompt, hardware: hardware, sourcePath: path,
                             warnings: r.warnings, keyLines: keyLines)
    }

    /// Reads the first line of `[mqtt] password_file` (a CR before the line end is not part of it); nil when
    /// no file is set. The error names the file and key.
    public static func readPassword(_ mqtt: MQTT, sourcePath: String) throws(ConfigError) -> String? {
        guard let file = mqtt.passwordFile else { return nil }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: sourcePath, line: 0, key: "mqtt.password_file", message: "\(file) cannot be read")
        }
        // The first line, whatever ends it (LF, CRLF, which Swift sees as one Character, or CR).
        return String(text.prefix { !$0.isNewline })
    }

    /// Every key of the file format, for the kiosk and the central side alike (each warns about keys that
    /// neither knows, not about the other's).
    static let knownKeys: [String: Set<String>] = [
        "kiosk": ["id", "site", "event", "languages", "idle_timeout_s", "places", "age_group"],
        "storage": ["path", "max_pending"],
        "mqtt": ["host", "port", "topic_prefix", "qos", "keepalive_s", "username", "password_file", "ca_file",
                 "cert_file", "key_file", "tls", "window", "protocol", "await_receipts", "receipt_timeout_s"],
        "prompt": ["staff_pin_hash", "language_dir", "display", "speech"],
        "hardware": Hardware.keys,
        "central": ["silent_after_h", "client_id", "share_group", "session_expiry_s", "retention_days", "daily_quota", "places",
                    "feedback_username", "feedback_password_file", "feedback_cert_file", "feedback_key_file", "database"],
    ]

    /// Why a list of quick-pick places (`[kiosk] places`, `[central] places`) is not valid, or nil.
    static func checkPlaceNames(_ places: [String]) -> String? {
        if let bad = places.first(where: { $0.trimmingSpaces().isEmpty || $0.count > 200 }) {
            return "\"\(bad)\" must be 1 to 200 characters"
        }
        return nil
    }

    /// The folder a relative path in the file is taken from: the configuration file's own folder ("" for a bare
    /// file name, "/" for a file in the root folder).
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Reads the file's text (UTF-8), or explains why not.
    static func readText(path: String) throws(ConfigErrors) -> String {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let s = String(data: data, encoding: .utf8) else {
                throw ConfigErrors([ConfigError(file: path, line: 0, key: nil, message: "is not UTF-8 text")])
            }
            return s
        } catch let e as ConfigErrors {
            throw e
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read (check its permissions)" : "does not exist"
            throw ConfigErrors([ConfigError(file: path, line: 0, key: nil, message: "the configuration file \(reason)")])
        }
    }

    static func document(text: String, path: String) throws(ConfigErrors) -> TOMLDocument {
        do {
            return try TOMLParser.parse(text)
        } catch {
            throw ConfigErrors([ConfigError(file: path, line: error.line, key: error.key, message: error.message)])
        }
    }
}

/// One problem in the file, printed as `file:line: key: what is wrong`.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var key: String?
    public var message: String
    public var description: String {
        "\(file):\(line): " + (key.map { "\($0): " } ?? "") + message
    }
}

/// Every problem found in one file (a person fixes them all in one go), plus warnings that do not stop it.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public var warnings: [ConfigError]
    public init(_ errors: [ConfigError], warnings: [ConfigError] = []) {
        self.errors = errors.sorted { $0.line < $1.line }
        self.warnings = warnings.sorted { $0.line < $1.line }
    }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Reads typed values from the document, recording problems instead of stopping at the first.
struct Reader {
    let doc: TOMLDocument
    let file: String
    let environment: [String: String]
    let checkFiles: Bool
    var secrets: SecretPaths = .resolve
    var errors: [ConfigError] = []
    var warnings: [ConfigError] = []

    mutating func fail(_ table: String, _ key: String, _ message: String) {
        let line = doc.tables[table]?.entries[key]?.line ?? doc.tables[table]?.line ?? 0
        errors.append(ConfigError(file: file, line: line, key: "\(table).\(key)", message: message))
    }

    mutating func note(_ table: String, _ key: String, _ message: String) {
        let line = doc.tables[table]?.entries[key]?.line ?? doc.tables[table]?.line ?? 0
        warnings.append(ConfigError(file: file, line: line, key: "\(table).\(key)", message: message))
    }

    mutating func entry(_ table: String, _ key: String, required: Bool) -> TOMLEntry? {
        if let e = doc.tables[table]?.entries[key] { return e }
        if required {
            if doc.tables[table] == nil {
                errors.append(ConfigError(file: file, line: 0, key: "\(table).\(key)", message: "is missing (add a [\(table)] section with \(key) = …)"))
            } else {
                fail(table, key, "is missing")
            }
        }
        return nil
    }

    mutating func string(_ table: String, _ key: String, required: Bool = false, check: (String) -> String? = { _ in nil }) -> String? {
        guard let e = entry(table, key, required: required) else { return nil }
        guard case .string(let s) = e.value else { fail(table, key, "must be a string in quotes, not \(e.value.typeName)"); return nil }
        if let problem = check(s) { fail(table, key, problem); return nil }
        return s
    }

    mutating func stringArray(_ table: String, _ key: String, check: ([String]) -> String?) -> [String]? {
        guard let e = entry(table, key, required: false) else { return nil }
        guard case .array(let items) = e.value else { fail(table, key, "must be an array of strings, e.g. [\"a\", \"b\"]"); return nil }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { fail(table, key, "must hold only strings in quotes"); return nil }
            out.append(s)
        }
        if let problem = check(out) { fail(table, key, problem); return nil }
        return out
    }

    mutating func int(_ table: String, _ key: String, range: ClosedRange<Int>, hint: String? = nil) -> Int? {
        guard let e = entry(table, key, required: false) else { return nil }
        guard case .integer(let v) = e.value else { fail(table, key, "must be a whole number, not \(e.value.typeName)"); return nil }
        guard let i = Int(exactly: v), range.contains(i) else {
            fail(table, key, "must be between \(range.lowerBound) and \(range.upperBound), not \(v)" + (hint.map { " (\($0))" } ?? ""))
            return nil
        }
        return i
    }

    mutating func bool(_ table: String, _ key: String) -> Bool? {
        guard let e = entry(table, key, required: false) else { return nil }
        guard case .boolean(let b) = e.value else { fail(table, key, "must be true or false"); return nil }
        return b
    }

    /// A file path: `$VAR` and `${VAR}` are expanded (e.g. `$CREDENTIALS_DIRECTORY`), relative paths are taken
    /// from the configuration file's folder, and an empty string means "not set".
    mutating func path(_ table: String, _ key: String, baseDir: String, mustExist: Bool = false) -> String? {
        guard let raw = string(table, key), !raw.isEmpty else { return nil }
        switch expand(raw, baseDir: baseDir) {
        case .failure(let variable):
            fail(table, key, "uses $\(variable), which is not set in the environment")
            return nil
        case .success(let full):
            if mustExist && checkFiles && !FileManager.default.isReadableFile(atPath: full) {
                fail(table, key, FileManager.default.fileExists(atPath: full) ? "\(full) cannot be read" : "\(full) does not exist")
                return nil
            }
            return full
        }
    }

    struct UnsetVariable: Error { var name: String }

    /// `$VAR` and `${VAR}` expanded, relative to `baseDir`; or the first variable that is not set.
    func expand(_ raw: String, baseDir: String) -> Result<String, UnsetVariable> {
        var expanded = ""
        var missing: [String] = []
        var i = raw.startIndex
        while i < raw.endIndex {
            if raw[i] == "$" {
                var j = raw.index(after: i)
                let braced = j < raw.endIndex && raw[j] == "{"
                if braced { j = raw.index(after: j) }
                var name = ""
                while j < raw.endIndex, raw[j].isLetter || raw[j].isNumber || raw[j] == "_" { name.append(raw[j]); j = raw.index(after: j) }
                if braced { if j < raw.endIndex && raw[j] == "}" { j = raw.index(after: j) } else { name = "" } }
                if !name.isEmpty {
                    if let v = environment[name], !v.isEmpty { expanded += v } else { missing.append(name) }
                    i = j
                    continue
                }
            }
            expanded.append(raw[i])
            i = raw.index(after: i)
        }
        if let first = missing.first { return .failure(UnsetVariable(name: first)) }
        return .success(expanded.hasPrefix("/") ? expanded : (baseDir.isEmpty ? expanded : baseDir + "/" + expanded))
    }

    /// A path only the daemon opens (`[mqtt]` password, CA, certificate and key files; `[central]`'s feedback
    /// credentials), read as `secrets` says. `privateFile`: a password or key, which must not be readable by every user.
    mutating func secretPath(_ key: String, table: String = "mqtt", baseDir: String, privateFile: Bool) -> String? {
        guard let raw = string(table, key), !raw.isEmpty, secrets != .skip else { return nil }
        switch expand(raw, baseDir: baseDir) {
        case .failure(let variable):
            if secrets == .note {
                note(table, key, "uses $\(variable.name), which is not set in this shell; only the gateway reads this key, " +
                     "and under systemd LoadCredential= sets $CREDENTIALS_DIRECTORY for it (not checked here)")
            } else {
                fail(table, key, "uses $\(variable.name), which is not set in the environment")
            }
            return nil
        case .success(let full):
            guard checkFiles else { return full }
            var st = stat()
            guard stat(full, &st) == 0 else {
                fail(table, key, "\(full) does not exist")
                return nil
            }
            if privateFile && st.st_mode & 0o004 != 0 {
                fail(table, key, "\(full) can be read by every user (mode \(String(st.st_mode & 0o777, radix: 8))): " +
                     "make it readable by the gateway's user only (chmod 0600 or 0640), or use systemd's LoadCredential=")
                return nil
            }
            if access(full, R_OK) != 0 {
                if secrets == .note {
                    note(table, key, "\(full) cannot be read by this user; the gateway's user must be able to read it")
                    return full
                }
                fail(table, key, "\(full) cannot be read")
                return nil
            }
            return full
        }
    }

    /// The `[mqtt]` table, shared by the kiosk and the central side.
    mutating func mqtt(baseDir: String) -> Configuration.MQTT {
        var mqtt = Configuration.MQTT(
            host: string("mqtt", "host", check: { $0.isEmpty || $0.contains(" ") ? "must be a host name or address" : nil }) ?? "localhost",
            port: int("mqtt", "port", range: 1...65535) ?? 1883,
            topicPrefix: string("mqtt", "topic_prefix", check: { p in
                if p.isEmpty { return "must not be empty" }
                if p.contains("+") || p.contains("#") { return "must not contain the MQTT wildcards + or #" }
                if p.hasPrefix("/") || p.hasSuffix("/") || p.contains("//") { return "must not begin or end with / nor have an empty level" }
                return nil
            }) ?? "lagesbild/v1",
            qos: int("mqtt", "qos", range: 1...2, hint: "QoS 0 has no acknowledgement, so delivery could not be confirmed") ?? 1,
            keepaliveSeconds: int("mqtt", "keepalive_s", range: 5...3600) ?? 30,
            username: string("mqtt", "username").flatMap { $0.isEmpty ? nil : $0 },
            passwordFile: secretPath("password_file", baseDir: baseDir, privateFile: true),
            caFile: secretPath("ca_file", baseDir: baseDir, privateFile: false),
            certFile: secretPath("cert_file", baseDir: baseDir, privateFile: false),
            keyFile: secretPath("key_file", baseDir: baseDir, privateFile: true),
            tls: bool("mqtt", "tls") ?? false,
            window: int("mqtt", "window", range: 1...65535) ?? 100,
            protocolVersion: int("mqtt", "protocol", range: 4...5, hint: "5 for MQTT 5 (falls back to 3.1.1), 4 for MQTT 3.1.1 only") ?? 5,
            awaitReceipts: bool("mqtt", "await_receipts") ?? true,
            receiptTimeoutSeconds: int("mqtt", "receipt_timeout_s", range: 5...86_400) ?? 60
        )
        func isSet(_ key: String) -> Bool {
            if case .string(let v)? = doc.tables["mqtt"]?.entries[key]?.value { return !v.isEmpty }
            return false
        }
        let explicitTLS = bool("mqtt", "tls")
        if isSet("ca_file") { mqtt.tls = true }
        if isSet("cert_file") != isSet("key_file") {
            let key = isSet("cert_file") ? "key_file" : "cert_file"
            fail("mqtt", key, "cert_file and key_file go together (a client certificate needs its key)")
        }
        if secrets != .skip && !mqtt.tls {
            // A password, or reports on a network, in the clear: refused unless `tls = false` says so on purpose.
            let why: String?
            if isSet("password_file") { why = "the password would cross the network unencrypted" }
            else if !Self.isLoopback(mqtt.host) { why = "the reports would cross the network to \(mqtt.host) unencrypted" }
            else { why = nil }
            if let why {
                if explicitTLS == false {
                    note("mqtt", "tls", "is false: \(why)")
                } else {
                    fail("mqtt", isSet("password_file") ? "password_file" : "host",
                         "\(why): set ca_file (or tls = true for the system's CA store), or write tls = false to accept that")
                }
            }
        }
        return mqtt
    }

    /// A host on this machine: the loopback addresses and names.
    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "ip6-localhost" || h == "::1" || h == "[::1]" || h.hasPrefix("127.")
            || h.hasSuffix(".localhost")
    }

    mutating func warnUnknown(known: [String: Set<String>]) {
        for table in doc.tableOrder {
            guard let keys = known[table] else {
                warnings.append(ConfigError(file: file, line: doc.tables[table]!.line, key: table, message: "unknown section (ignored)"))
                continue
            }
            for key in doc.tables[table]!.order where !keys.contains(key) {
                warnings.append(ConfigError(file: file, line: doc.tables[table]!.entries[key]!.line, key: "\(table).\(key)",
                                            message: "unknown key (ignored); check the spelling"))
            }
        }
        for key in doc.tables[""]!.order {
            warnings.append(ConfigError(file: file, line: doc.tables[""]!.entries[key]!.line, key: key,
                                        message: "stands before any [section] (ignored)"))
        }
    }
}

/// `[prompt] display`: how the prompt shows its screens on a Linux virtual console (docs/CONTRACT.md §2.5).
public enum PromptDisplay: String, Sendable, Equatable, CaseIterable {
    /// Large type drawn on the framebuffer (`/dev/fb0`) when the prompt runs on a virtual console that has one;
    /// the terminal's own characters everywhere else (a pty, SSH, a serial line).
    case auto
    /// Always the terminal's own characters, in the console font the system set.
    case terminal
}

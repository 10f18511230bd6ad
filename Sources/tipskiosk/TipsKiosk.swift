import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import KioskConfig
import KioskLog
import Outbox
import ReportModel

/// `tipskiosk`: the kiosk's one command (docs/CONTRACT.md §1).
@main
struct TipsKiosk: ParsableCommand {
    static let version = productVersion
    static let configuration = CommandConfiguration(
        commandName: "tipskiosk",
        abstract: "A tip kiosk for the EST lägesbild: a visitor prompt, a durable SQLite outbox and an MQTT gateway.",
        discussion: """
            The configuration file is --config, else $TIPSKIOSK_CONFIG, else /etc/tipskiosk/tipskiosk.toml.
            Exit codes follow sysexits.h: 64 usage, 65 bad input data, 69 unavailable, 74 I/O, 78 configuration.
            """,
        version: version,
        subcommands: [PromptCommand.self, GatewayCommand.self, SubmitCommand.self, StatusCommand.self,
                      CheckConfigCommand.self, DemoCommand.self, HashPINCommand.self, RequeueDeadLettersCommand.self,
                      PurgeCommand.self]
    )
}

/// sysexits.h codes used by every subcommand.
enum Exit {
    static let usage = ExitCode(ExitStatus.usage)
    static let dataError = ExitCode(ExitStatus.dataError)
    static let unavailable = ExitCode(ExitStatus.unavailable)
    static let ioError = ExitCode(ExitStatus.ioError)
    static let config = ExitCode(ExitStatus.config)
}

/// `--config P`, shared by every subcommand that reads the file.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String?

    init() {}
    init(config: String) { self.config = config }

    var resolvedPath: String { Configuration.resolvePath(config) }

    /// Loads the file; on problems prints `file:line: key: what is wrong` for each and exits 78. Only the
    /// gateway resolves the `[mqtt]` secret paths (`secrets: .resolve`); every other command leaves them alone.
    func load(checkFiles: Bool = true, secrets: SecretPaths = .skip) throws -> Configuration {
        do {
            return try Configuration.load(path: resolvedPath, checkFiles: checkFiles, secrets: secrets)
        } catch {
            for e in error.errors { printError(e.description) }
            throw Exit.config
        }
    }
}


extension Configuration {
    var outboxIdentity: Outbox.Identity {
        Outbox.Identity(kiosk: kiosk.id, site: kiosk.site, defaultEvent: kiosk.event, defaultAgeGroup: kiosk.ageGroup)
    }

    /// Opens the outbox this file describes; a damaged file moved aside is logged.
    func outbox(role: Outbox.Role, verify: Bool = true) throws(OutboxError) -> Outbox {
        try Outbox.open(path: storage.path, identity: outboxIdentity, maxPending: storage.maxPending,
                        role: role, verify: verify, log: { Log.warning($0) })
    }

    /// Opens the outbox, or prints why not (`tipskiosk <command>: <path>: <why><consequence>`) and exits 74.
    func openOutbox(role: Outbox.Role, verify: Bool = true, command: String, consequence: String = "") throws -> Outbox {
        do {
            return try outbox(role: role, verify: verify)
        } catch {
            printError("tipskiosk \(command): \(storage.path): \(error)\(consequence)")
            throw Exit.ioError
        }
    }
}

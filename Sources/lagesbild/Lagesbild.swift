import ArgumentParser
import CentralStore
import KioskConfig
import KioskLog
import ReportModel

/// `lagesbild`: the central service (docs/CONTRACT.md §1): collects every kiosk's reports and draws the lägesbild.
@main
struct Lagesbild: ParsableCommand {
    static let version = productVersion
    static let configuration = CommandConfiguration(
        commandName: "lagesbild",
        abstract: "The central side of tipskiosk: collect the kiosks' reports, confirm them, and draw the lägesbild.",
        discussion: """
            The configuration file is --config, else $LAGESBILD_CONFIG, else /etc/lagesbild/lagesbild.toml. It has
            the kiosk's format without [kiosk]: the broker in [mqtt], the database in [storage] path, and [central].
            Exit codes follow sysexits.h: 64 usage, 65 bad input data, 69 unavailable, 74 I/O, 78 configuration.
            """,
        version: version,
        subcommands: [CollectCommand.self, ReportCommand.self, FeedbackCommand.self, PruneCommand.self, CheckConfigCommand.self]
    )

    static func main() {
        Log.program = "lagesbild"
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// `--config P`, shared by the subcommands.
struct CentralConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String?

    var resolvedPath: String { CentralConfiguration.resolvePath(config) }

    /// Loads the file for a command that connects to the broker: the secret paths resolved, and the password
    /// read. On problems prints each and exits 78.
    /// Loads the file and the feedback user's password (`[central] feedback_password_file`), for
    /// `lagesbild feedback`; on a problem prints it and exits 78.
    func loadForFeedback() throws -> (CentralConfiguration, password: String?) {
        let config = try load(secrets: .resolve)
        do {
            return (config, try config.readFeedbackPassword())
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.config)
        }
    }

    func loadForBroker() throws -> (CentralConfiguration, password: String?) {
        let config = try load(secrets: .resolve)
        do {
            return (config, try Configuration.readPassword(config.mqtt, sourcePath: config.sourcePath))
        } catch {
            printError(error.description)
            throw ExitCode(ExitStatus.config)
        }
    }

    /// Loads the file; on problems prints `file:line: key: what is wrong` for each and exits 78.
    func load(checkFiles: Bool = true, secrets: SecretPaths = .skip) throws -> CentralConfiguration {
        do {
            return try CentralConfiguration.load(path: resolvedPath, checkFiles: checkFiles, secrets: secrets)
        } catch {
            for e in error.errors { printError(e.description) }
            throw ExitCode(ExitStatus.config)
        }
    }
}

extension CentralConfiguration {
    /// Opens the database, or prints why not (`lagesbild <command>: <why>`) and exits 74.
    func openStore(readOnly: Bool, command: String) throws -> CentralStore {
        do {
            return try CentralStore.open(path: databasePath, readOnly: readOnly)
        } catch {
            printError("lagesbild \(command): \(error)")
            throw ExitCode(ExitStatus.ioError)
        }
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration file.",
        discussion: "Prints `file:line: key: what is wrong` for every problem and exits 78, or says it is fine and exits 0."
    )
    @OptionGroup var options: CentralConfigOption

    func run() throws {
        let path = options.resolvedPath
        do {
            let c = try CentralConfiguration.load(path: path, secrets: .note)
            for w in c.warnings { printError(w.description) }
            print("\(path): ok (database \(c.databasePath), broker \(c.mqtt.host):\(c.mqtt.port)\(c.mqtt.tls ? " with TLS" : ""), client id \(c.central.clientID))")
        } catch {
            for e in error.errors + error.warnings { printError(e.description) }
            throw ExitCode(ExitStatus.config)
        }
    }
}

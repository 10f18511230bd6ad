import ArgumentParser
import Daemon
import KioskConfig
import KioskLog

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete reports older than a number of days (retention of personal data).",
        discussion: """
            Tips are personal data: their free text can name or describe people, and a contact is a person's
            name, phone or e-mail. Reports submitted more than DAYS days ago (default [central] retention_days,
            180) are deleted, and so are rejected payloads received before then; the deleted bytes are
            overwritten. The seq ranges held stay (they hold no personal data), so pruned reports are not gaps.
            """
    )
    @OptionGroup var options: CentralConfigOption
    @Option(help: ArgumentHelp("Delete reports submitted more than this many days ago.", valueName: "days"))
    var olderThan: Int?

    func run() throws {
        let config = try options.load(checkFiles: false)
        let days = olderThan ?? config.central.retentionDays
        guard days >= 1 else {
            printError("lagesbild prune: --older-than must be at least 1 day")
            throw ExitCode(ExitStatus.usage)
        }
        let store = try config.openDatabase(readOnly: false, command: "prune")
        let cutoff = WallClock.system.now().unixMillis - Int64(days) * 86_400_000
        do {
            let (reports, rejects) = try store.prune(before: cutoff)
            print("deleted \(reports) report(s) submitted more than \(days) days ago, and \(rejects) rejected payload(s)")
        } catch {
            printError("lagesbild prune: \(error)")
            throw ExitCode(ExitStatus.ioError)
        }
    }
}

import ArgumentParser
import KioskConfig
import KioskLog
import Outbox

struct PurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete what the kiosk keeps but will never send: damaged outbox copies and old dead letters.",
        discussion: """
            A damaged outbox is moved aside to <path>.corrupt-<time> and kept for inspection; a report the broker
            refused for good is kept as a dead letter. Both hold visitors' text. This deletes the copies moved aside,
            and the dead letters refused, more than DAYS days ago (default 30), and says what it deleted. Dead
            letters deleted here never reach the centre: put them back with `tipskiosk requeue-dead-letters` instead
            if the broker's refusal was a mistake.
            """
    )
    @OptionGroup var options: ConfigOption
    @Option(help: ArgumentHelp("Delete what is older than this many days.", valueName: "days")) var olderThan: Int = 30

    func validate() throws {
        guard olderThan >= 0 else { throw ValidationError("--older-than must be 0 or more days") }
    }

    func run() throws {
        let config = try options.load()
        let outbox = try config.openOutbox(role: .store, command: "purge")
        let cutoff = outbox.clock.now().unixMillis - Int64(olderThan) * 86_400_000
        let copies = outbox.purgeDamagedCopies(movedBefore: cutoff)
        let dead: Int
        do { dead = try outbox.purgeDeadLetters(refusedBefore: cutoff) } catch {
            printError("tipskiosk purge: \(error); no dead letter was deleted")
            throw Exit.ioError
        }
        for c in copies { print("deleted the damaged copy \(c)") }
        print("deleted \(copies.count) damaged cop\(copies.count == 1 ? "y" : "ies") and \(dead) dead letter(s) older than \(olderThan) days")
    }
}

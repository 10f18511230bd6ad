import ArgumentParser
import KioskConfig
import KioskLog
import Outbox

struct RequeueDeadLettersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue-dead-letters",
        abstract: "Put the reports the broker refused (dead letters) back in the queue, once the cause is fixed.",
        discussion: """
            A report the broker refused for good (PUBACK 0x87 not authorized, 0x99 payload format invalid, …) is kept as
            a dead letter and never sent again by itself. After the broker's ACL or configuration is fixed, this puts
            every dead letter back in the queue; the gateway sends them again, oldest first, with the same id and seq.
            """
    )
    @OptionGroup var options: ConfigOption

    func run() throws {
        let config = try options.load()
        let outbox = try config.openOutbox(role: .store, command: "requeue-dead-letters")
        do {
            let n = try outbox.requeueDeadLetters()
            print(n == 0 ? "no dead letters" : "\(n) dead letter(s) put back in the queue; the gateway sends them again")
        } catch {
            printError("tipskiosk requeue-dead-letters: \(error); nothing was changed")
            throw Exit.ioError
        }
    }
}

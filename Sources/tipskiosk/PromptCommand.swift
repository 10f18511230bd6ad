import ArgumentParser
import CLinux
import Foundation
import Glibc
import KioskConfig
import KioskLog
import Outbox
import Prompt
import ReportModel

struct PromptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prompt",
        abstract: "The visitor prompt on this terminal (a Linux VT, an SSH session, tmux).",
        discussion: """
            Needs no network and holds no credentials: it only writes the outbox. Ctrl-C, Ctrl-Z, Ctrl-\\ and
            Ctrl-D do not end it; a hang-up of the terminal does (systemd starts it again).
            """
    )
    @OptionGroup var options: ConfigOption
    @Flag(help: .hidden) var demo = false

    func run() throws {
        let config = try options.load()
        guard isatty(0) == 1 else {
            printError("tipskiosk prompt: standard input is not a terminal")
            throw Exit.usage
        }
        // The screen comes up even when the outbox cannot be opened now (a full disk, say): the visitor is told
        // plainly when they send, and every later report tries again.
        let store = OutboxPromptStore(config: config)
        var settings = Self.settings(for: config)
        if demo { settings.quitKey = .control("q") }
        let locked = Self.lockConsoleSwitching(fd: 0)
        let status = PromptProgram.run(settings: settings, store: store, input: 0, output: 1)
        if locked { _ = ioctl(0, UInt(VT_UNLOCKSWITCH)) }
        if status != 0 { throw ExitCode(status) }
    }
}

extension PromptCommand {
    /// On a Linux virtual console, refuses every VT switch (Alt+Fn, Ctrl+Alt+Fn, chvt) while the prompt runs, so
    /// a visitor cannot leave it. Needs CAP_SYS_TTY_CONFIG (the tty1 unit grants it); system-wide, so it is
    /// undone on a clean stop. On a pty (ssh, tmux, tests) or without the capability it does nothing.
    static func lockConsoleSwitching(fd: Int32) -> Bool {
        var state = vt_stat()
        guard ioctl(fd, UInt(VT_GETSTATE), &state) == 0 else { return false }   // not a virtual console
        guard ioctl(fd, UInt(VT_LOCKSWITCH)) == 0 else {
            Log.warning("cannot lock console switching (needs CAP_SYS_TTY_CONFIG): \(String(cString: strerror(errno)))")
            return false
        }
        return true
    }

    static func settings(for config: Configuration) -> PromptSettings {
        PromptSettings(kioskID: config.kiosk.id, site: config.kiosk.site, languages: config.kiosk.languages,
                       idleTimeoutSeconds: config.kiosk.idleTimeoutSeconds, places: config.kiosk.places,
                       staffPINHash: config.prompt.staffPINHash, languageDirectory: config.prompt.languageDirectory)
    }
}

/// The outbox as the prompt sees it: typed refusals the visitor can be told about, and the staff numbers.
final class OutboxPromptStore: PromptStore {
    private let config: Configuration
    private var opened: Outbox?

    /// Tries to open the outbox at once, quietly: a log line now could land on the visitor's screen before the
    /// prompt takes the terminal; a failure is logged when a report cannot be stored.
    init(config: Configuration) {
        self.config = config
        _ = try? open(quiet: true)
    }

    /// The outbox, opened on first use and again after a failed open.
    private func open(quiet: Bool = false) throws(OutboxError) -> Outbox {
        if let opened { return opened }
        do {
            let o = try config.outbox(role: .store)
            opened = o
            return o
        } catch {
            if !quiet { Log.error("cannot open the outbox \(config.storage.path): \(error)") }
            throw error
        }
    }

    func store(_ draft: ValidDraft) throws(StoreRefusal) -> (id: String, seq: Int64) {
        do {
            guard let r = try open().store([draft]).first else { throw StoreRefusal.unavailable("nothing stored") }
            Log.info("stored report seq \(r.seq) id \(r.id)")
            return (r.id, r.seq)
        } catch let e as OutboxError {
            Log.warning("the outbox refused a report: \(e)")
            throw Self.refusal(e)
        } catch let e as StoreRefusal {
            throw e
        } catch {
            throw .unavailable("\(error)")
        }
    }

    func snapshot() -> StaffSnapshot {
        guard let outbox = try? open() else { return StaffSnapshot(pending: 0, lastError: "the outbox cannot be opened") }
        let stats = try? outbox.stats()
        let g = outbox.gatewayState()
        let broker = g?.brokerForDisplay
        return StaffSnapshot(pending: stats?.pending ?? 0, oldestPendingAt: stats?.oldestPendingAt.map(outbox.clock.format),
                             deadLetters: stats?.deadLetters ?? 0, broker: broker,
                             lastAckAt: g?.lastAckAt.map(outbox.clock.format), lastError: g?.lastError)
    }

    func eventLabel() -> String? { (try? open())?.eventLabel() ?? config.kiosk.event }

    func setEventLabel(_ label: String?) throws(StoreRefusal) {
        do {
            try open().setEventLabel(label)
            Log.info("event label set by staff")
        } catch {
            throw Self.refusal(error)
        }
    }

    static func refusal(_ e: OutboxError) -> StoreRefusal {
        switch e {
        case .full(let max, _): .full(maxPending: max)
        case .diskFull: .diskFull
        case .busy, .unusable: .unavailable(e.description)
        }
    }
}

struct HashPINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-pin",
        abstract: "Make the staff PIN hash for `[prompt] staff_pin_hash`.",
        discussion: "Reads the PIN from standard input (without echo on a terminal) and prints the line to put in the configuration file."
    )

    func run() throws {
        var pin = ""
        if isatty(0) == 1 {
            FileHandle.standardError.write(Data("Staff PIN (4 to 12 digits): ".utf8))
            var old = termios()
            tcgetattr(0, &old)
            var quiet = old
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSANOW, &quiet)
            pin = readLine() ?? ""
            tcsetattr(0, TCSANOW, &old)
            FileHandle.standardError.write(Data("\n".utf8))
        } else {
            pin = readLine() ?? ""
        }
        guard (4...12).contains(pin.count), pin.allSatisfy(\.isASCII), pin.allSatisfy(\.isNumber) else {
            printError("tipskiosk hash-pin: the PIN must be 4 to 12 digits")
            throw Exit.dataError
        }
        print("staff_pin_hash = \"\(StaffPIN.hash(pin: pin))\"")
    }
}

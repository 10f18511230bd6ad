import ArgumentParser
import CLinux
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
        // First of all: no core dump, and no ptrace or /proc/PID/mem by other processes of the same user (the
        // gateway's), may ever hold a visitor's text.
        Self.makeNonDumpable()
        let config = try options.load()
        guard isatty(0) == 1 else {
            printError("tipskiosk prompt: standard input is not a terminal")
            throw Exit.usage
        }
        // The screen comes up even when the outbox cannot be opened now (a full disk, say): the visitor is told
        // plainly when they send, and every later report tries again.
        let store = OutboxPromptStore(config: config)
        var settings = Self.settings(for: config)
        settings.receiptPrinter = config.hardware.receiptPrinter
        if demo { settings.quitKey = .control("q") }
        let locked = Self.lockConsoleSwitching(fd: 0)
        let status = PromptProgram.run(settings: settings, store: store, input: 0, output: 1)
        if locked { _ = ioctl(0, UInt(VT_UNLOCKSWITCH)) }
        if status != 0 { throw ExitCode(status) }
    }
}

/// `prctl(PR_SET_DUMPABLE, 0)`: the kernel writes no core dump of this process (a visitor's draft is in its
/// memory), and processes of the same user can neither ptrace it nor read its memory through /proc.
/// Returns false when it could not be done.
@discardableResult
func makeProcessNonDumpable() -> Bool { tipskiosk_set_nondumpable() == 0 }

extension PromptCommand {
    /// See `makeProcessNonDumpable`; logged (to the journal under systemd) when it fails.
    static func makeNonDumpable() {
        if !makeProcessNonDumpable() {
            Log.warning("cannot make the prompt non-dumpable (prctl PR_SET_DUMPABLE): \(String(cString: strerror(errno)))")
        }
    }

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
        var settings = PromptSettings(kioskID: config.kiosk.id, site: config.kiosk.site, languages: config.kiosk.languages,
                                      idleTimeoutSeconds: config.kiosk.idleTimeoutSeconds, places: config.kiosk.places,
                                      staffPINHash: config.prompt.staffPINHash,
                                      languageDirectory: config.prompt.languageDirectory)
        settings.display = config.prompt.display
        settings.speech = config.prompt.speech
        return settings
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

    func upkeep() {
        opened?.checkpointIfDue()
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
        guard let outbox = try? open() else { return StaffSnapshot(pending: 0, outboxReadable: false) }
        let stats = try? outbox.stats()
        let g = outbox.gatewayState()
        let broker: StaffSnapshot.Broker? = g.map {
            switch $0.shown {
            case .broker(.connected): .connected
            case .broker(.connecting): .connecting
            case .broker(.disconnected), .broker(.stopped): .disconnected
            case .gatewayStopped: .gatewayStopped
            case .gatewayNotRunning: .gatewayNotRunning
            }
        }
        return StaffSnapshot(pending: stats?.pending ?? 0, oldestPendingAt: stats?.oldestPendingAt.map(outbox.clock.format),
                             deadLetters: stats?.deadLetters ?? 0, broker: broker,
                             lastAckAt: g?.lastAckAt.map(outbox.clock.format), lastError: g?.lastError)
    }

    func eventLabel() -> String? {
        guard let outbox = try? open() else { return config.kiosk.event }
        return outbox.eventLabelInForce()
    }

    func feedback() -> Feedback? {
        (try? open(quiet: true))?.feedbackInForce()
    }

    func ageGroup() -> AgeGroupSetting? {
        guard let outbox = try? open() else { return config.kiosk.ageGroup }
        return outbox.ageGroupInForce()
    }

    func setAgeGroup(_ setting: AgeGroupSetting?) throws(StoreRefusal) {
        do {
            try open().setAgeGroup(setting)
            Log.info("age group set to \(setting?.rawValue ?? "none") by staff")
        } catch {
            throw Self.refusal(error)
        }
    }

    func useConfiguredAgeGroup() throws(StoreRefusal) {
        do {
            try open().useConfiguredAgeGroup()
            Log.info("age group set back to the configuration's by staff")
        } catch {
            throw Self.refusal(error)
        }
    }

    func useConfiguredEventLabel() throws(StoreRefusal) {
        do {
            try open().useConfiguredEventLabel()
            Log.info("event label set back to the configuration's by staff")
        } catch {
            throw Self.refusal(error)
        }
    }

    func requeueDeadLetters() throws(StoreRefusal) -> Int {
        do {
            let n = try open().requeueDeadLetters()
            Log.info("\(n) dead letters put back in the queue by staff")
            return n
        } catch {
            throw Self.refusal(error)
        }
    }

    func staffLockout() -> StoredStaffLockout {
        do {
            let l = try open().staffLockout()
            return StoredStaffLockout(failures: l.failures, lockouts: l.lockouts, lockedUntilUnixMillis: l.lockedUntilMillis)
        } catch {
            Log.warning("cannot read the staff PIN lockout: \(error)")
            return StoredStaffLockout()
        }
    }

    func setStaffLockout(_ lockout: StoredStaffLockout) throws(StoreRefusal) {
        do {
            try open().setStaffLockout(Outbox.StaffLockout(failures: lockout.failures, lockouts: lockout.lockouts,
                                                           lockedUntilMillis: lockout.lockedUntilUnixMillis))
            if lockout.lockedUntilUnixMillis != nil, lockout.failures == 0 {
                Log.warning("staff mode locked after \(PINLockout.maxAttempts) wrong PINs")
            }
        } catch {
            Log.warning("cannot store the staff PIN lockout: \(error)")
            throw Self.refusal(error)
        }
    }

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
        discussion: """
            Reads the PIN (6 to 12 digits) from standard input, without echo on a terminal (Ctrl-C gives the echo
            back), and prints the line to put in the configuration file (PBKDF2-HMAC-SHA256, 600,000 iterations).
            """
    )

    func run() throws {
        makeProcessNonDumpable()
        var pin = ""
        if isatty(0) == 1 {
            writeAll("Staff PIN (\(StaffPIN.pinDigits.lowerBound) to \(StaffPIN.pinDigits.upperBound) digits): ".utf8, fd: 2)
            pin = EchoOff.readLine(fd: 0) ?? ""
            writeAll("\n".utf8, fd: 2)
        } else {
            pin = readLine() ?? ""
        }
        guard StaffPIN.isAcceptablePIN(pin) else {
            printError("tipskiosk hash-pin: the PIN must be \(StaffPIN.pinDigits.lowerBound) to \(StaffPIN.pinDigits.upperBound) digits; a shorter one is too easy to guess.")
            throw Exit.dataError
        }
        print("staff_pin_hash = \"\(StaffPIN.hash(pin: pin))\"")
    }
}

// The terminal mode to put back if a signal ends `hash-pin` while echo is off. Written before the handlers are
// installed and only read by them (plain C values): safe to touch from a signal handler.
nonisolated(unsafe) private var echoOffFD: Int32 = -1
nonisolated(unsafe) private var echoOffSaved = termios()

/// Gives the terminal its echo back, then ends the process by the same signal (default action).
private func onSignalWhileEchoOff(_ sig: Int32) {
    if echoOffFD >= 0 { _ = tcsetattr(echoOffFD, TCSANOW, &echoOffSaved) }
    _ = write(2, "\n", 1)
    _ = signal(sig, SIG_DFL)
    _ = raise(sig)
}

/// Reading a line with echo off, and echo back on every way out: the end of the line, and SIGINT (Ctrl-C),
/// SIGQUIT, SIGTERM and SIGHUP while it is read (the terminal would otherwise stay silent). Ctrl-Z is ignored
/// meanwhile: a stopped `hash-pin` would leave the shell without echo.
enum EchoOff {
    static let signals: [Int32] = [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP]

    static func readLine(fd: Int32) -> String? {
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return Swift.readLine() }
        echoOffSaved = old
        echoOffFD = fd
        let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: signals.count)
        previous.initialize(repeating: sigaction(), count: signals.count)
        defer { previous.deallocate() }
        for (i, sig) in signals.enumerated() {
            var sa = sigaction()
            sigemptyset(&sa.sa_mask)
            sa.sa_flags = 0
            if sig == SIGTSTP {
                sa.__sigaction_handler.sa_handler = SIG_IGN
            } else {
                sa.__sigaction_handler.sa_handler = { onSignalWhileEchoOff($0) }
            }
            _ = sigaction(sig, &sa, previous + i)
        }
        var quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        _ = tcsetattr(fd, TCSANOW, &quiet)
        let line = Swift.readLine()
        _ = tcsetattr(fd, TCSANOW, &old)
        for (i, sig) in signals.enumerated() { _ = sigaction(sig, previous + i, nil) }
        echoOffFD = -1
        return line
    }
}

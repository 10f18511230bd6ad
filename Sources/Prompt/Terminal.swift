#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Signal plumbing (process-wide, one prompt at a time)
//
// These globals are the only state the signal handlers touch. `installSignals` writes them before any handler
// is installed, `uninstallSignals` after every handler is removed; a handler only reads them. They are plain
// C-layout values (no Swift references, no lazy initialisation once first written), so reading them from a
// handler is async-signal-safe. That is why `nonisolated(unsafe)` is safe here.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1
nonisolated(unsafe) private var crashTerminalFD: Int32 = -1
nonisolated(unsafe) private var crashTerminalSaved = termios()
nonisolated(unsafe) private var previousActions: UnsafeMutablePointer<sigaction>? = nil

private let maxSignal = 65

/// Writes the signal number to the self-pipe; the poll loop reads it.
private func onForwardedSignal(_ sig: Int32) {
    let savedErrno = errno
    var b = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipeWriteFD, &b, 1)
    errno = savedErrno
}

private let terminalResetOnCrash: StaticString = "\u{1B}[0m\u{1B}[H\u{1B}[2J\u{1B}[?2004l\u{1B}[?7h\u{1B}[?25h\u{1B}[?1049l"

/// On a crash: give the terminal back (and wipe the screen: the draft must not stay visible), then die of the
/// signal with its default action (a core dump where the system keeps them).
///
/// Deliberately not chained to Swift's runtime backtracer: on a terminal it prints source lines on the visitor's
/// screen and then waits, interactively, offering "D to debug" (a debugger on a public kiosk) for 30 s instead
/// of letting systemd restart the prompt.
private func onCrashSignal(_ sig: Int32) {
    if crashTerminalFD >= 0 {
        _ = tcsetattr(crashTerminalFD, TCSANOW, &crashTerminalSaved)
        _ = write(crashTerminalFD, terminalResetOnCrash.utf8Start, terminalResetOnCrash.utf8CodeUnitCount)
    }
    _ = signal(sig, SIG_DFL)
    _ = raise(sig) // pending until this handler returns, then the default action
}

/// Signals the prompt handles while it runs, and puts back as they were afterwards.
struct SignalSetup {
    static let forwarded: [Int32] = [SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGWINCH]
    static let ignored: [Int32] = [SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE]
    static let crashes: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    let readFD: Int32
    let writeFD: Int32

    /// Creates the self-pipe and installs the handlers. nil when no pipe could be made.
    static func install(terminalFD: Int32, saved: termios?) -> SignalSetup? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let prev = UnsafeMutablePointer<sigaction>.allocate(capacity: maxSignal)
        prev.initialize(repeating: sigaction(), count: maxSignal)
        signalPipeWriteFD = fds[1]
        crashTerminalFD = saved == nil ? -1 : terminalFD
        if let saved { crashTerminalSaved = saved }
        previousActions = prev

        func set(_ sig: Int32, _ handler: (@convention(c) (Int32) -> Void)?, ignore: Bool = false, flags: Int32) {
            var sa = sigaction()
            sigemptyset(&sa.sa_mask)
            sa.sa_flags = flags
            #if canImport(Glibc) || canImport(Musl)
            if ignore { sa.__sigaction_handler.sa_handler = SIG_IGN } else { sa.__sigaction_handler.sa_handler = handler }
            #else
            if ignore { sa.__sigaction_u.__sa_handler = SIG_IGN } else { sa.__sigaction_u.__sa_handler = handler }
            #endif
            _ = sigaction(sig, &sa, prev + Int(sig))
        }
        for s in forwarded { set(s, { onForwardedSignal($0) }, flags: Int32(SA_RESTART)) }
        for s in ignored { set(s, nil, ignore: true, flags: 0) }
        for s in crashes { set(s, { onCrashSignal($0) }, flags: 0) }
        return SignalSetup(readFD: fds[0], writeFD: fds[1])
    }

    /// Puts the previous handlers back and closes the pipe.
    func uninstall() {
        if let prev = previousActions {
            for s in Self.forwarded + Self.ignored + Self.crashes { _ = sigaction(s, prev + Int(s), nil) }
        }
        let prev = previousActions
        previousActions = nil
        crashTerminalFD = -1
        signalPipeWriteFD = -1
        prev?.deallocate()
        close(readFD)
        close(writeFD)
    }

    /// The signals that arrived since the last call.
    func drain() -> [Int32] {
        var out: [Int32] = []
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(readFD, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n].map { Int32($0) }
        }
        return out
    }
}

// MARK: - The terminal

/// The terminal the prompt runs on: raw mode in, the saved mode back out; size; whole writes.
final class TerminalDevice {
    let input: Int32
    let output: Int32
    private(set) var saved: termios?

    /// Sequences sent once at start: alternate screen, bracketed paste on, no auto-wrap, clean screen.
    static let setup = "\u{1B}[?1049h\u{1B}[?2004h\u{1B}[?7l\u{1B}[0m\u{1B}[H\u{1B}[2J"
    /// Sequences sent at the end: a wiped screen (no draft left visible), modes off, cursor on.
    static let teardown = "\u{1B}[0m\u{1B}[H\u{1B}[2J\u{1B}[?2004l\u{1B}[?7h\u{1B}[?25h\u{1B}[?1049l"

    init(input: Int32, output: Int32) {
        self.input = input
        self.output = output
        var t = termios()
        if tcgetattr(input, &t) == 0 { saved = t }
    }

    /// The raw mode of the prompt: no signals from keys (ISIG), no flow control (IXON), no line editing
    /// (ICANON), no echo, no extended processing (IEXTEN), no CR/NL translation, 8-bit, one byte at a time.
    static func rawMode(from t: termios) -> termios {
        var r = t
        r.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF)
        r.c_oflag &= ~tcflag_t(OPOST)
        r.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN)
        r.c_cflag &= ~tcflag_t(CSIZE | PARENB)
        r.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &r.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        return r
    }

    /// Switches to raw mode; false when the input is not a terminal (then nothing is changed).
    @discardableResult
    func enterRawMode() -> Bool {
        guard let saved else { return false }
        var raw = Self.rawMode(from: saved)
        return tcsetattr(input, TCSAFLUSH, &raw) == 0
    }

    /// Puts back the mode found at start.
    func restore() {
        guard var saved else { return }
        while tcsetattr(input, TCSANOW, &saved) != 0 && errno == EINTR {}
    }

    /// Rows and columns (TIOCGWINSZ), 24×80 when unknown.
    func size() -> (rows: Int, columns: Int) {
        var ws = winsize()
        for fd in [output, input] where ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0 {
            return (Int(ws.ws_row), Int(ws.ws_col))
        }
        return (24, 80)
    }

    /// Writes all of `s` in as few calls as the kernel allows. False when the terminal is gone.
    func writeAll(_ s: String) -> Bool {
        var bytes = Array(s.utf8)
        return bytes.withUnsafeMutableBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(output, buf.baseAddress! + offset, buf.count - offset)
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EAGAIN {
                    var p = pollfd(fd: output, events: Int16(POLLOUT), revents: 0)
                    if poll(&p, 1, 1000) <= 0 { return false }
                    continue
                }
                return false
            }
            return true
        }
    }
}

/// Monotonic milliseconds.
func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CLinux

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
// The output's file flags from before O_NONBLOCK, put back on a crash (the file may be a shell's too). Set by
// `makeOutputNonBlocking` and cleared by `restore`: two plain integers, read by the handler as a pair only after
// the prompt's single thread wrote both.
nonisolated(unsafe) private var crashOutputFD: Int32 = -1
nonisolated(unsafe) private var crashOutputFlags: Int32 = 0

private let maxSignal = 65

/// Writes the signal number to the self-pipe; the poll loop reads it.
private func onForwardedSignal(_ sig: Int32) {
    let savedErrno = errno
    var b = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipeWriteFD, &b, 1)
    errno = savedErrno
}

private let terminalResetOnCrash: StaticString = "\u{18}\u{1B}[0m\u{1B}[H\u{1B}[2J\u{1B}[3J\u{1B}[?2004l\u{1B}[?7h\u{1B}[?25h\u{1B}[?1049l"

/// On a crash: give the terminal back (and wipe the screen and its scrollback: the draft must not stay visible;
/// output is restarted first in case the Hold key stopped it), put the output's file flags back, then die of the
/// signal with its default action (no core dump: `tipskiosk prompt` makes itself non-dumpable).
///
/// Deliberately not chained to Swift's runtime backtracer: on a terminal it prints source lines on the visitor's
/// screen and then waits, interactively, offering "D to debug" (a debugger on a public kiosk) for 30 s instead
/// of letting systemd restart the prompt.
private func onCrashSignal(_ sig: Int32) {
    if crashTerminalFD >= 0 {
        _ = tcflow(crashTerminalFD, TCOOFF)
        _ = tcflow(crashTerminalFD, TCOON)
        _ = tcsetattr(crashTerminalFD, TCSANOW, &crashTerminalSaved)
        _ = write(crashTerminalFD, terminalResetOnCrash.utf8Start, terminalResetOnCrash.utf8CodeUnitCount)
        // Where the screen was drawn on the framebuffer, the console draws its (now wiped) text again: the
        // draft on the frozen picture goes. (On a pty this fails, harmlessly.)
        _ = tipskiosk_set_console_mode(crashTerminalFD, Int32(KD_TEXT))
    }
    if crashOutputFD >= 0 { _ = fcntl(crashOutputFD, F_SETFL, crashOutputFlags) }
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

/// The terminal the prompt runs on: raw mode in, the saved mode back out; size; output that never blocks.
///
/// Output goes through a queue: `enqueue` adds a frame, `flush` writes what the terminal takes within a bounded
/// wait and keeps the rest. A terminal whose output is stopped (the Hold / Scroll Lock key on a Linux console
/// stops it whatever termios says; a far end that stopped reading) therefore never stops the prompt's loop: the
/// idle wipe still comes. `restartOutput` undoes a stop where the kernel lets it.
final class TerminalDevice {
    let input: Int32
    let output: Int32
    private(set) var saved: termios?
    private var savedOutputFlags: Int32?
    private var queue: [UInt8] = []
    private var written = 0

    /// Sequences sent once at start: alternate screen, bracketed paste on, no auto-wrap, clean screen.
    static let setup = "\u{1B}[?1049h\u{1B}[?2004h\u{1B}[?7l\u{1B}[0m\u{1B}[H\u{1B}[2J"
    /// Sequences sent at the end: a wiped screen and scrollback (no draft left visible), modes off, cursor on.
    static let teardown = "\u{1B}[0m\u{1B}[H\u{1B}[2J\u{1B}[3J\u{1B}[?2004l\u{1B}[?7h\u{1B}[?25h\u{1B}[?1049l"
    /// Sent before a whole new screen that replaces a frame cut off mid-way: CAN ends any escape sequence the
    /// terminal was in the middle of, then the modes of `setup` again (the cut may have been in them).
    static let resume = "\u{18}" + setup

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

    /// Makes writes to the output non-blocking (O_NONBLOCK), so that `flush` can bound its wait. `restore`
    /// puts the flags back. (The flag belongs to the open file, which the input may share: reads then give
    /// EAGAIN instead of waiting, and the loop only reads after poll said there is input.)
    func makeOutputNonBlocking() {
        let flags = fcntl(output, F_GETFL)
        guard flags >= 0 else { return }
        savedOutputFlags = flags
        crashOutputFlags = flags
        crashOutputFD = output
        _ = fcntl(output, F_SETFL, flags | O_NONBLOCK)
    }

    /// Puts back the mode and the output flags found at start.
    func restore() {
        if let flags = savedOutputFlags {
            crashOutputFD = -1
            _ = fcntl(output, F_SETFL, flags)
            savedOutputFlags = nil
        }
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

    // MARK: Output

    /// What `flush` managed.
    enum FlushResult: Equatable {
        /// Everything queued is written.
        case done
        /// The terminal took nothing more within the wait: the rest stays queued.
        case stalled
        /// The terminal is gone (hung up, closed, an I/O error).
        case gone
    }

    /// Bytes queued and not yet written.
    var hasPendingOutput: Bool { written < queue.count }

    /// Adds `s` to what is to be written.
    func enqueue(_ s: String) {
        if written > 0 {
            queue.removeFirst(written)
            written = 0
        }
        queue += s.utf8
    }

    /// Drops what is still queued and queues `s` instead; returns true when something was dropped. For a whole
    /// new screen after a stall: the old frame's rest (a draft, perhaps) is never written.
    @discardableResult
    func replacePending(with s: String) -> Bool {
        let dropped = hasPendingOutput
        queue = Array(s.utf8)
        written = 0
        return dropped
    }

    /// Writes as much of the queue as the terminal takes, waiting at most `waitMillis` in all for it to take
    /// more (poll for POLLOUT). Never blocks longer, also when the output is stopped.
    func flush(waitMillis: Int) -> FlushResult {
        let deadline = monotonicMillis() + Int64(max(0, waitMillis))
        while hasPendingOutput {
            let n = queue.withUnsafeBytes { buf in
                write(output, buf.baseAddress! + written, buf.count - written)
            }
            if n > 0 {
                written += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            guard n < 0 && errno == EAGAIN else { return .gone }
            let left = deadline - monotonicMillis()
            if left <= 0 { return .stalled }
            var p = pollfd(fd: output, events: Int16(POLLOUT), revents: 0)
            let r = poll(&p, 1, Int32(clamping: left))
            if r < 0 && errno != EINTR { return .gone }
            if r == 0 { return .stalled }
            // POLLOUT, or POLLHUP/POLLERR: the next write tells which.
        }
        queue.removeAll(keepingCapacity: true)
        written = 0
        return .done
    }

    /// Starts output again after a stop. `tcflow(TCOON)` alone undoes only a `tcflow(TCOOFF)`: the kernel keeps
    /// a stop by the Hold key (or by Ctrl-S with IXON) apart and leaves it in force, so stop first (TCOOFF, which
    /// takes the stop over) and then start (TCOON, which ends it). Harmless when output was running; does
    /// nothing on a pipe or file.
    func restartOutput() {
        _ = tcflow(output, TCOOFF)
        _ = tcflow(output, TCOON)
    }

    /// Writes all of `s` (after whatever is queued), waiting at most `waitMillis` for the terminal. False when
    /// the terminal is gone or did not take it in time. For the one-off messages and sequences around the loop.
    func writeAll(_ s: String, waitMillis: Int = 1000) -> Bool {
        enqueue(s)
        return flush(waitMillis: waitMillis) == .done
    }
}

/// Wall-clock milliseconds since 1970 (for what is stored: the end of a PIN lockout).
func unixMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

/// Monotonic milliseconds.
func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

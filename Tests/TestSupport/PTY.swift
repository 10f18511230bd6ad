import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a pseudo-terminal could not be made or a program not started on it.
public struct PseudoTerminalError: Error, CustomStringConvertible {
    public let what: String
    public let code: Int32
    public var description: String { "\(what): \(String(cString: strerror(code)))" }
}

/// How a child program ended.
public enum PseudoTerminalExit: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    public var description: String {
        switch self {
        case .exited(let c): "exit status \(c)"
        case .signaled(let s): "killed by signal \(s)"
        }
    }
}

/// A real pseudo-terminal for tests: a program runs on the slave side (as on a Linux VT or over ssh), the test
/// types on the master side and reads what the program draws.
///
/// - `PseudoTerminal.spawn(...)` starts a child with `posix_spawn` in a new session (`POSIX_SPAWN_SETSID`); the
///   child opens the slave by path as fd 0 (then dup'ed to 1 and 2), which makes it its controlling terminal
///   (it is a session leader without one, and the open has no `O_NOCTTY`). So SIGWINCH and hang-ups reach it as
///   they would on a real tty. (`Foundation.Process` cannot give a controlling tty, and `forkpty` is not safe
///   in a multithreaded test process.)
/// - `PseudoTerminal()` alone gives a pair for running code in-process on `openSlave()`.
/// - A background thread keeps reading the master (so the program never blocks on a full pty buffer) into
///   `output`, and feeds a small screen emulator (`screen`) for "is this on screen now" checks.
/// - The test process keeps one slave fd open itself so that the master does not see a hang-up before the child
///   has opened the slave, and so `attributes()` works after the child has exited.
public final class PseudoTerminal: @unchecked Sendable { // all mutable state is guarded by `condition`
    public let master: Int32
    public let slavePath: String
    private let keptSlave: Int32
    public private(set) var pid: pid_t?

    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var emulator: TerminalScreen
    private var stopReading = false
    private var readerDone = false
    private var exit: PseudoTerminalExit?
    private var masterClosed = false

    /// A new pseudo-terminal of `rows` × `columns`, without a program.
    public init(rows: Int = 24, columns: Int = 80) throws {
        // posix_openpt/grantpt/unlockpt/ptsname are not visible to Swift's Glibc module (they sit behind
        // _XOPEN_SOURCE), so do what they do on Linux: open /dev/ptmx, unlock, ask for the number.
        let m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard m >= 0 else { throw PseudoTerminalError(what: "open /dev/ptmx", code: errno) }
        let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430 // _IOW/_IOR('T', 0x31/0x30, int)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(m, TIOCSPTLCK, &unlock) == 0, ioctl(m, TIOCGPTN, &number) == 0 else {
            let e = errno
            close(m)
            throw PseudoTerminalError(what: "unlock pty", code: e)
        }
        let name = "/dev/pts/\(number)"
        master = m
        slavePath = name
        let s = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard s >= 0 else {
            let e = errno
            close(m)
            throw PseudoTerminalError(what: "open \(slavePath)", code: e)
        }
        keptSlave = s
        emulator = TerminalScreen(rows: rows, columns: columns)
        var ws = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(m, UInt(TIOCSWINSZ), &ws)
        let thread = Thread { [self] in readLoop() }
        thread.name = "PseudoTerminal reader"
        thread.start()
    }

    deinit {
        if let pid, exitStatusIfDone() == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: 5)
        }
        closeMaster()
        close(keptSlave)
    }

    /// Starts `path` with `arguments` on a new pseudo-terminal as its controlling terminal.
    public static func spawn(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                             rows: Int = 24, columns: Int = 80) throws -> PseudoTerminal {
        let pty = try PseudoTerminal(rows: rows, columns: columns)
        var env = environment ?? ProcessInfo.processInfo.environment
        if env["TERM"] == nil || env["TERM"] == "dumb" { env["TERM"] = "xterm-256color" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, pty.slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attr, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGCHLD,
                  SIGUSR1, SIGUSR2, SIGALRM] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        let setsid: Int32 = 0x80 // POSIX_SPAWN_SETSID (glibc ≥ 2.26; behind _GNU_SOURCE in spawn.h)
        posix_spawnattr_setflags(&attr, Int16(setsid | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        guard rc == 0 else { throw PseudoTerminalError(what: "posix_spawn \(path)", code: rc) }
        pty.condition.lock()
        pty.pid = pid
        pty.condition.unlock()
        return pty
    }

    /// A new fd for the slave side (for running a prompt in-process); the caller closes it.
    public func openSlave() throws -> Int32 {
        let s = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard s >= 0 else { throw PseudoTerminalError(what: "open \(slavePath)", code: errno) }
        return s
    }

    // MARK: Typing

    /// Types text (as UTF-8).
    public func write(_ text: String) { write(bytes: Array(text.utf8)) }

    /// Types raw bytes, in pieces the pty accepts (waits while its input buffer is full).
    public func write(bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(master, $0.baseAddress!, $0.count) }
            if n > 0 { offset += n; continue }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { usleep(1000); continue }
            return
        }
    }

    // MARK: Reading

    /// Everything the program wrote so far, raw.
    public var output: [UInt8] {
        condition.lock()
        defer { condition.unlock() }
        return bytes
    }

    /// A position in `output`, to look only at what comes after it.
    public var mark: Int { output.count }

    /// The output since `mark` as text, ANSI escape sequences removed.
    public func text(since mark: Int = 0) -> String {
        let all = output
        return Self.stripANSI(Array(all[min(mark, all.count)...]))
    }

    /// The screen as the program drew it, one string per row (trailing blanks trimmed).
    public var screen: [String] {
        condition.lock()
        defer { condition.unlock() }
        return emulator.lines
    }

    /// The screen as one string, rows joined with `\n`.
    public var screenText: String { screen.joined(separator: "\n") }

    /// Per cell of the screen: drawn in reverse video.
    public var screenReverse: [[Bool]] {
        condition.lock()
        defer { condition.unlock() }
        return emulator.reverse
    }

    /// Waits until `text` appears in the output after `since` (ANSI sequences removed). False on timeout, or
    /// as soon as the program has exited without having written it.
    @discardableResult
    public func waitForText(_ text: String, timeout: Double, since mark: Int = 0) -> Bool {
        waitFor(timeout: timeout) { Self.stripANSI(Array($0.bytes[min(mark, $0.bytes.count)...])).contains(text) }
    }

    /// Waits until `text` is on the screen (on one row). False on timeout or when the program ended without it.
    @discardableResult
    /// Waits until `text` is on the screen: on one row, or wrapped over rows that follow each other (the screens
    /// wrap long lines in a centred column; white space is compared folded).
    public func waitForScreen(_ text: String, timeout: Double) -> Bool {
        let wanted = Self.foldingSpaces(text)
        return waitFor(timeout: timeout) {
            $0.emulator.lines.contains { $0.contains(text) }
                || Self.foldingSpaces($0.emulator.lines.joined(separator: " ")).contains(wanted)
        }
    }

    /// `s` with every run of spaces as one space, and none at either end.
    public static func foldingSpaces(_ s: String) -> String {
        s.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// Waits until `predicate(screen rows)` holds.
    @discardableResult
    public func waitForScreen(timeout: Double, _ predicate: @escaping ([String]) -> Bool) -> Bool {
        waitFor(timeout: timeout) { predicate($0.emulator.lines) }
    }

    private func waitFor(timeout: Double, _ check: (PseudoTerminal) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if check(self) { return true }
            if Date() >= deadline { return false }
            if readerDone { return false }
            if let pid, exit == nil, exitStatusLocked(pid: pid) != nil {
                // Give the reader a moment to collect the last output, then decide.
                _ = condition.wait(until: Date().addingTimeInterval(0.2))
                return check(self)
            }
            if exit != nil {
                _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.2)))
                return check(self)
            }
            _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.05)))
        }
    }

    // MARK: The program

    /// Sends a signal to the child.
    public func signal(_ sig: Int32) {
        if let pid { kill(pid, sig) }
    }

    /// The child's end, once it has ended.
    public func exitStatusIfDone() -> PseudoTerminalExit? {
        condition.lock()
        defer { condition.unlock() }
        guard let pid else { return nil }
        return exitStatusLocked(pid: pid)
    }

    private func exitStatusLocked(pid: pid_t) -> PseudoTerminalExit? {
        if let exit { return exit }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        let low = status & 0x7F
        exit = low == 0 ? .exited((status >> 8) & 0xFF) : .signaled(low)
        return exit
    }

    public var isRunning: Bool { pid != nil && exitStatusIfDone() == nil }

    /// Waits for the child to end; nil on timeout.
    public func waitForExit(timeout: Double) -> PseudoTerminalExit? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let e = exitStatusIfDone() { return e }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    // MARK: The terminal

    /// Sets the window size (TIOCSWINSZ on the master; the kernel sends SIGWINCH to the foreground group).
    public func setWindowSize(rows: Int, columns: Int) {
        var ws = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &ws)
        condition.lock()
        emulator.resize(rows: rows, columns: columns)
        condition.unlock()
    }

    /// The terminal attributes now (tcgetattr on the slave side), e.g. to prove raw mode was undone.
    public func attributes() -> termios? {
        var t = termios()
        return tcgetattr(keptSlave, &t) == 0 ? t : nil
    }

    /// Closes the master: the program's terminal hangs up (read gives EIO / 0, SIGHUP to its session).
    public func closeMaster() {
        condition.lock()
        if masterClosed { condition.unlock(); return }
        masterClosed = true
        stopReading = true
        while !readerDone { _ = condition.wait(until: Date().addingTimeInterval(0.05)) }
        condition.unlock()
        close(master)
    }

    private func readLoop() {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            condition.lock()
            let stop = stopReading
            condition.unlock()
            if stop { break }
            var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, 50)
            if r < 0 && errno != EINTR { break }
            if r <= 0 { continue }
            let n = read(master, &buf, buf.count)
            if n > 0 {
                condition.lock()
                bytes += buf[0..<n]
                emulator.feed(buf[0..<n])
                condition.broadcast()
                condition.unlock()
            } else if n < 0 && (errno == EINTR || errno == EAGAIN) {
                continue
            } else if n < 0 && errno == EIO {
                usleep(20_000) // no slave open right now; ours keeps it from lasting
            } else {
                break
            }
        }
        condition.lock()
        readerDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Removes CSI, OSC/DCS strings and two-byte ESC sequences; keeps text, `\n` and `\r`.
    public static func stripANSI(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x1B, i + 1 < bytes.count {
                let k = bytes[i + 1]
                i += 2
                if k == 0x5B { // CSI
                    while i < bytes.count, !(0x40...0x7E).contains(bytes[i]) { i += 1 }
                    i += 1
                } else if k == 0x5D || k == 0x50 || k == 0x5F || k == 0x5E { // OSC, DCS, APC, PM
                    while i < bytes.count {
                        if bytes[i] == 0x07 { i += 1; break }
                        if bytes[i] == 0x1B, i + 1 < bytes.count, bytes[i + 1] == 0x5C { i += 2; break }
                        i += 1
                    }
                } else if (0x20...0x2F).contains(k) {
                    i += 1
                }
                continue
            }
            if b >= 0x20 || b == 0x0A || b == 0x0D { out.append(b) }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A small terminal emulator, enough to know what a full-screen program shows: printable text (wide characters
/// take two cells, combining marks join the cell before), CR, LF (scrolls), BS, cursor movement (CUP, CUU/CUD/
/// CUF/CUB, CHA), erase in line/display, the alternate screen (cleared on entry), and of SGR only reverse
/// video (7 on; 27, 0 or none off), kept per cell. Everything else (other SGR, modes, OSC) is read and ignored.
public struct TerminalScreen: Sendable {
    public private(set) var rows: Int
    public private(set) var columns: Int
    private var cells: [[String]]
    /// Per cell: drawn in reverse video.
    public private(set) var reverse: [[Bool]]
    private var inverse = false
    private var row = 0
    private var column = 0
    private var state = 0 // 0 ground, 1 ESC, 2 CSI, 3 string (OSC…), 4 string saw ESC
    private var params: [UInt8] = []
    private var utf8: [UInt8] = []

    public init(rows: Int, columns: Int) {
        self.rows = max(1, rows)
        self.columns = max(1, columns)
        cells = Array(repeating: Array(repeating: " ", count: max(1, columns)), count: max(1, rows))
        reverse = Array(repeating: Array(repeating: false, count: max(1, columns)), count: max(1, rows))
    }

    /// The rows as strings, trailing blanks trimmed.
    public var lines: [String] {
        cells.map { r in
            var s = r.joined()
            while s.last == " " { s.removeLast() }
            return s
        }
    }

    public mutating func resize(rows: Int, columns: Int) {
        let r = max(1, rows), c = max(1, columns)
        var new = Array(repeating: Array(repeating: " ", count: c), count: r)
        var newReverse = Array(repeating: Array(repeating: false, count: c), count: r)
        for i in 0..<min(r, self.rows) {
            for j in 0..<min(c, self.columns) { new[i][j] = cells[i][j]; newReverse[i][j] = reverse[i][j] }
        }
        cells = new
        reverse = newReverse
        self.rows = r
        self.columns = c
        row = min(row, r - 1)
        column = min(column, c - 1)
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        for b in bytes { byte(b) }
    }

    private mutating func byte(_ b: UInt8) {
        switch state {
        case 1:
            switch b {
            case 0x5B: state = 2; params.removeAll()
            case 0x5D, 0x50, 0x5F, 0x5E, 0x58: state = 3
            default: state = 0
            }
            return
        case 2:
            if (0x20...0x3F).contains(b) { params.append(b); return }
            state = 0
            if (0x40...0x7E).contains(b) { csi(b) }
            return
        case 3:
            if b == 0x07 { state = 0 } else if b == 0x1B { state = 4 }
            return
        case 4:
            state = b == 0x5C ? 0 : 3
            return
        default:
            break
        }
        if b >= 0x80 {
            if (b & 0xC0) == 0x80 {
                guard !utf8.isEmpty else { return }
                utf8.append(b)
                let need = utf8[0] >= 0xF0 ? 4 : utf8[0] >= 0xE0 ? 3 : 2
                if utf8.count == need {
                    let s = String(decoding: utf8, as: UTF8.self)
                    utf8.removeAll()
                    for ch in s { put(ch) }
                }
            } else {
                utf8 = [b]
            }
            return
        }
        utf8.removeAll()
        switch b {
        case 0x1B: state = 1
        case 0x0D: column = 0
        case 0x0A, 0x0B, 0x0C: lineFeed()
        case 0x08: column = max(0, column - 1)
        case 0x20...0x7E: put(Character(Unicode.Scalar(b)))
        default: break
        }
    }

    private mutating func lineFeed() {
        if row == rows - 1 {
            cells.removeFirst()
            cells.append(Array(repeating: " ", count: columns))
            reverse.removeFirst()
            reverse.append(Array(repeating: false, count: columns))
        } else {
            row += 1
        }
    }

    private static func width(_ ch: Character) -> Int {
        guard let s = ch.unicodeScalars.first else { return 0 }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if s.properties.isEmojiPresentation { return 2 }
        let v = s.value
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFF00...0xFF60).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }

    private mutating func put(_ ch: Character) {
        let w = Self.width(ch)
        if w == 0 {
            let c = max(0, column - 1)
            cells[row][c] += String(ch)
            return
        }
        if column >= columns { column = columns - 1 } // no auto-wrap: the last column is overwritten
        cells[row][column] = String(ch)
        reverse[row][column] = inverse
        if w == 2 && column + 1 < columns { cells[row][column + 1] = ""; reverse[row][column + 1] = inverse }
        column = min(columns, column + w)
    }

    private mutating func csi(_ final: UInt8) {
        let priv = params.first.map { (0x3C...0x3F).contains($0) } ?? false
        let body = String(decoding: params.drop(while: { (0x3C...0x3F).contains($0) }), as: UTF8.self)
        let n = body.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
        func p(_ i: Int, _ d: Int) -> Int { i < n.count && n[i] > 0 ? n[i] : d }
        if priv {
            if (final == 0x68 || final == 0x6C) && n.contains(1049) { eraseDisplay(2) }
            return
        }
        switch final {
        case 0x48, 0x66: // CUP
            row = min(rows - 1, p(0, 1) - 1)
            column = min(columns - 1, p(1, 1) - 1)
        case 0x41: row = max(0, row - p(0, 1))
        case 0x42: row = min(rows - 1, row + p(0, 1))
        case 0x43: column = min(columns - 1, column + p(0, 1))
        case 0x44: column = max(0, column - p(0, 1))
        case 0x47: column = min(columns - 1, p(0, 1) - 1)
        case 0x4B: // EL
            let mode = n.first ?? 0
            let c = min(column, columns)
            let range = mode == 0 ? c..<columns : mode == 1 ? 0..<min(columns, c + 1) : 0..<columns
            for j in range { cells[row][j] = " "; reverse[row][j] = false }
        case 0x4A: eraseDisplay(n.first ?? 0)
        case 0x6D: // SGR: only reverse video is kept
            for code in (body.isEmpty ? [0] : n) {
                if code == 7 { inverse = true } else if code == 0 || code == 27 { inverse = false }
            }
        default: break
        }
    }

    private mutating func eraseDisplay(_ mode: Int) {
        let blank = Array(repeating: " ", count: columns)
        let plain = Array(repeating: false, count: columns)
        switch mode {
        case 0:
            for j in min(column, columns)..<columns { cells[row][j] = " "; reverse[row][j] = false }
            for i in (row + 1)..<rows { cells[i] = blank; reverse[i] = plain }
        case 1:
            for i in 0..<row { cells[i] = blank; reverse[i] = plain }
            for j in 0..<min(columns, column + 1) { cells[row][j] = " "; reverse[row][j] = false }
        default:
            for i in 0..<rows { cells[i] = blank; reverse[i] = plain }
        }
    }
}

extension PseudoTerminal {
    /// Types one whole tip through the screens of docs/CONTRACT.md §6 as a visitor would (from the welcome screen:
    /// any key, category digit, place and Enter, when digit, text and Enter, contact and Enter), then presses
    /// `1` on the review screen. Returns the first step screen that did not come within 5 s, nil when all did.
    /// Types one tip through the visitor's steps, waiting for each step's counter, and sends it with `1`.
    /// `source` is the key for "Did you see it yourself?" (Enter skips it); `age`, the key for the age
    /// question, only at a kiosk that asks it; `send`, the review screen's key (`4` sends personal data as typed). Returns nil, or the screen text it waited for in vain.
    public func typeTip(category: String, place: String, when: String, text: String, contact: String = "",
                        source: String = "\r", age: String? = nil, english: Bool = false,
                        send: String = "1") -> String? {
        var steps: [(keys: String, then: Int)] = [("x", 1), (category, 2), (place + "\r", 3), (when, 4),
                                                  (source, 5), (text + "\r", 6)]
        if let age { steps.append((age, 6)) }
        steps.append((contact + "\r", 7))
        for step in steps {
            write(step.keys)
            let screen = english ? "Step \(step.then) of \(Self.stepCount)" : "Steg \(step.then) av \(Self.stepCount)"
            if !waitForScreen(screen, timeout: 5) { return screen }
        }
        write(send)
        return nil
    }

    /// How many steps the visitor's counter shows ("Steg N av 7").
    public static let stepCount = 7
}

// Helpers for the fault-injection tests: a small tmpfs that can be filled, a `submit` child process that can be
// frozen with SIGSTOP at any instant, the sqlite3 command line, and the `FAULT ` figure lines.

import Foundation
import Glibc
@testable import Outbox
import Testing
import TestSupport

/// True when the longer versions of the fault tests should run (`TIPSKIOSK_LONG_FAULTS=1`).
let fxLong = ProcessInfo.processInfo.environment["TIPSKIOSK_LONG_FAULTS"] == "1"

/// One line of figures for docs/RELIABILITY.md, collected with `grep '^FAULT '`.
func fxFigures(_ test: String, _ figures: KeyValuePairs<String, Any>) {
    print("FAULT \(test): " + figures.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
}

/// Monotonic seconds.
func fxNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let fxIdentity = Outbox.Identity(kiosk: "test-kiosk-1", site: "Testgården, Götene", defaultEvent: nil)

/// The sqlite3 command line (from the `sqlite3` package).
func fxSQLite(_ database: String, _ sql: String) throws -> ProcessResult {
    let exe = TestBrokerTools.findExecutable("sqlite3") ?? "/usr/bin/sqlite3"
    return try runProcess(exe, ["-batch", database, sql])
}

/// `<id> <seq>` lines as `submit` prints them.
func fxReceipts(_ stdout: String) -> [(id: String, seq: Int64)] {
    stdout.split(separator: "\n").compactMap { line in
        let parts = line.split(separator: " ")
        guard parts.count == 2, let seq = Int64(parts[1]) else { return nil }
        return (String(parts[0]), seq)
    }
}

/// Files in `dir` whose name starts with `prefix`.
func fxFiles(in dir: String, startingWith prefix: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
}

struct FXError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

// MARK: - A small disk

/// A tmpfs of `sizeKiB` mounted on a fresh temporary folder, with a filler file to take the free space away and
/// give it back. Unmounted (lazily, so a process still holding a file cannot keep it) when the value goes away,
/// also when a test fails half-way; call `unmount()` explicitly after killing the children that use it.
final class SmallDisk: @unchecked Sendable {
    let dir: TempDir
    var path: String { dir.path }
    let sizeKiB: Int
    private(set) var mounted = false
    let filler: String

    static var canMount: Bool { geteuid() == 0 && TestBrokerTools.findExecutable("mount") != nil }

    init(sizeKiB: Int) throws {
        self.sizeKiB = sizeKiB
        dir = TempDir("disk")
        filler = dir.file("filler.bin")
        let mount = TestBrokerTools.findExecutable("mount") ?? "/bin/mount"
        let r = try runProcess(mount, ["-t", "tmpfs", "-o", "size=\(sizeKiB)k,mode=0755", "tmpfs", dir.path])
        guard r.status == 0 else { throw FXError("mount -t tmpfs on \(dir.path) failed: \(r.stderr)") }
        mounted = true
    }

    deinit { unmount() }

    func unmount() {
        guard mounted else { return }
        mounted = false
        let umount = TestBrokerTools.findExecutable("umount") ?? "/bin/umount"
        if (try? runProcess(umount, [dir.path]))?.status != 0 {
            _ = try? runProcess(umount, ["-l", dir.path])
        }
    }

    func file(_ name: String) -> String { dir.file(name) }

    /// Bytes free for an ordinary file now.
    var freeBytes: Int {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return -1 }
        return Int(s.f_bavail) * Int(s.f_frsize)
    }

    /// Writes the filler until the file system says ENOSPC, then gives back `slack` bytes (whole pages on tmpfs).
    /// Returns the filler's size.
    @discardableResult
    func fill(leaving slack: Int = 0) throws -> Int {
        let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FXError("open \(filler): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x5A, count: 64 * 1024)
        var size = Int(lseek(fd, 0, SEEK_END))
        for piece in [64 * 1024, 4096, 512, 1] {
            while true {
                let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress!, piece) }
                if n > 0 { size += n; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno != ENOSPC { throw FXError("write \(filler): \(String(cString: strerror(errno)))") }
                break
            }
        }
        if slack > 0 {
            size = max(0, size - slack)
            guard ftruncate(fd, off_t(size)) == 0 else { throw FXError("ftruncate: \(String(cString: strerror(errno)))") }
        }
        return size
    }

    /// Space returns: the filler goes.
    func removeFiller() { unlink(filler) }
}

// MARK: - A submit child that can be frozen

/// `tipskiosk submit` as a child process started with posix_spawn, so that the test knows its pid at once and can
/// read its standard output without blocking (to know exactly which receipts it had printed before a SIGSTOP).
final class SubmitChild {
    let pid: pid_t
    private let stdoutFD: Int32
    private let stderrFD: Int32
    private(set) var out: [UInt8] = []
    private(set) var err: [UInt8] = []
    private(set) var status: Int32?
    private var eof = false

    /// Starts `tipskiosk submit --config config` with `input` (written to the file `inputFile` first) on stdin.
    /// Standard input is a file, not a pipe: a pipe's write end could leak into a child that another test spawns
    /// at the same moment, and `submit` would then wait for an end of input that never comes.
    init(config: String, input: Data, inputFile: String) throws {
        guard FileManager.default.createFile(atPath: inputFile, contents: input) else {
            throw FXError("cannot write \(inputFile)")
        }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw FXError("pipe: \(String(cString: strerror(errno)))")
        }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputFile, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let path = tipskioskBinary()
        let args = [path, "submit", "--config", config]
        let argv = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        let env = ProcessInfo.processInfo.environment.filter { $0.key != "JOURNAL_STREAM" }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for e in env { free(e) } }
        var p: pid_t = 0
        let rc = posix_spawn(&p, path, &actions, nil, argv, env)
        close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw FXError("posix_spawn \(path): \(String(cString: strerror(rc)))")
        }
        pid = p
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
        _ = fcntl(stdoutFD, F_SETFL, fcntl(stdoutFD, F_GETFL) | O_NONBLOCK)
        _ = fcntl(stderrFD, F_SETFL, fcntl(stderrFD, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            kill(pid, SIGCONT)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
        }
        close(stdoutFD)
        close(stderrFD)
    }

    /// Reads whatever the child has written so far, without waiting.
    func drain() {
        var buf = [UInt8](repeating: 0, count: 4096)
        for (fd, isOut) in [(stdoutFD, true), (stderrFD, false)] {
            while true {
                let n = read(fd, &buf, buf.count)
                if n > 0 {
                    if isOut { out += buf[0..<n] } else { err += buf[0..<n] }
                    continue
                }
                if n == 0 && isOut { eof = true }
                break
            }
        }
    }

    var stdoutText: String { String(decoding: out, as: UTF8.self) }
    var stderrText: String { String(decoding: err, as: UTF8.self) }

    /// The process state letter from /proc (R, S, D, T, Z, …), nil once it is reaped.
    var procState: Character? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[close...].dropFirst(2).first
    }

    var hasExited: Bool {
        if status != nil { return true }
        var st: Int32 = 0
        if waitpid(pid, &st, WNOHANG) == pid {
            status = (st & 0x7F) == 0 ? (st >> 8) & 0xFF : 128 + (st & 0x7F)
            return true
        }
        return false
    }

    /// SIGSTOP, then waits until the kernel really holds it still ('T'), or it already ended ('Z').
    /// A process inside a system call (a write, an fsync) stops when the call returns: what its finished writes
    /// put in the files is exactly what they hold while it is stopped. Returns the state it was caught in.
    func freeze() -> Character {
        if status != nil { return "Z" }   // already reaped: its pid may belong to someone else now
        kill(pid, SIGSTOP)
        let deadline = fxNow() + 10
        while fxNow() < deadline {
            guard let s = procState else { return "Z" }
            if s == "T" || s == "t" || s == "Z" { return s }
            usleep(50)
        }
        return "?"
    }

    func thaw() { if status == nil { kill(pid, SIGCONT) } }

    /// Waits (bounded) for the child to end, reading its output; returns the exit status (128+signal if killed).
    @discardableResult
    func wait(timeout: Double = 30) -> Int32 {
        let deadline = fxNow() + timeout
        while !hasExited {
            drain()
            if fxNow() > deadline && status == nil {
                kill(pid, SIGKILL)
                kill(pid, SIGCONT)
            }
            usleep(500)
        }
        drain()
        return status ?? -1
    }
}

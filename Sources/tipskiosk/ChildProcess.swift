import Glibc
import KioskLog

/// A child process started with `posix_spawn` (Foundation's `Process` would bring Foundation, and with it ICU,
/// into the kiosk's one binary). For `tipskiosk demo`.
final class ChildProcess {
    let pid: pid_t
    private var status: Int32?

    /// Starts `path` with `args`; standard input, output and error from the given descriptors (-1: the parent's).
    init(_ path: String, _ args: [String], stdin: Int32 = -1, stdout: Int32 = -1, stderr: Int32 = -1) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target) in [(stdin, Int32(0)), (stdout, 1), (stderr, 2)] where fd >= 0 {
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, nil, argv, environ)
        guard rc == 0 else {
            printError("tipskiosk demo: cannot start \(path): \(String(cString: strerror(rc)))")
            throw Exit.unavailable
        }
        pid = child
    }

    /// True until the process has ended (it is reaped then).
    var isRunning: Bool {
        if status != nil { return false }
        var s: Int32 = 0
        if waitpid(pid, &s, WNOHANG) == pid { status = s; return false }
        return true
    }

    /// Waits for the end; the exit status (128 + the signal when a signal ended it).
    @discardableResult
    func wait() -> Int32 {
        if status == nil {
            var s: Int32 = 0
            while waitpid(pid, &s, 0) < 0 && errno == EINTR {}
            status = s
        }
        let s = status!
        return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f)
    }
}

/// All of standard input (or another descriptor), as bytes.
func readAll(fd: Int32 = 0) -> [UInt8] {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n > 0 { data.append(contentsOf: buffer[0..<n]); continue }
        if n < 0 && errno == EINTR { continue }
        return data
    }
}

/// Writes all of `bytes` to `fd` (standard output by default); false when that failed.
@discardableResult
func writeAll(_ bytes: some Collection<UInt8>, fd: Int32 = 1) -> Bool {
    Array(bytes).withUnsafeBytes { buf in
        var sent = 0
        while sent < buf.count {
            let n = write(fd, buf.baseAddress! + sent, buf.count - sent)
            if n > 0 { sent += n; continue }
            if n < 0 && errno == EINTR { continue }
            return false
        }
        return true
    }
}

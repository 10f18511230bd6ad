import CLinux
import Glibc

/// The termination signals as a file descriptor (signalfd), so a daemon's poll() loop sees them as events.
/// The signals are blocked for the calling thread; call before other threads start.
public final class SignalFD {
    /// The descriptor to poll for `POLLIN`.
    public let fd: Int32
    /// Blocks `signals` for this thread and opens the descriptor that receives them; nil (with `errno`) when
    /// the kernel gives none: then the daemon could not be stopped cleanly, and must not run.
    public init?(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        fd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard fd >= 0 else { return nil }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
    deinit { close(fd) }

    /// The signals that arrived since the last call.
    public func drain() -> [Int32] {
        var out: [Int32] = []
        var info = signalfd_siginfo()
        while read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            out.append(Int32(info.ssi_signo))
        }
        return out
    }
}

/// Watches the outbox's folder (inotify) so that a report committed by another process wakes the gateway at
/// once, without polling. Only writes to the database file and its WAL count.
public final class FolderWatch {
    /// The descriptor to poll for `POLLIN`.
    public let fd: Int32
    private let names: Set<String>

    /// Watches `folder` for writes to the files named `names`; nil when inotify is not available.
    public init?(folder: String, names: Set<String>) {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        self.names = names
        let mask = UInt32(IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
        if inotify_add_watch(fd, folder, mask) < 0 {
            close(fd)
            return nil
        }
    }
    deinit { close(fd) }

    /// True when one of the watched files changed since the last call.
    public func drain() -> Bool {
        var changed = false
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var offset = 0
            buffer.withUnsafeBytes { raw in
                while offset + MemoryLayout<inotify_event>.size <= n {
                    let len = Int(raw.load(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    if len > 0 {
                        let bytes = raw[nameStart..<min(nameStart + len, n)].prefix { $0 != 0 }
                        if names.contains(String(decoding: bytes, as: UTF8.self)) { changed = true }
                    }
                    offset = nameStart + len
                }
            }
        }
        return changed
    }
}


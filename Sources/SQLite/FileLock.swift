import Glibc

/// An exclusive advisory lock (flock) on a file beside a database, held while a process opens, migrates or
/// recovers the database, so that two processes starting at once never set it up under each other (switching to
/// WAL and the first migration take locks that do not wait for a busy timeout).
public struct FileLock {
    public let fd: Int32

    /// Creates `path` if needed (mode 0640) and waits for the lock; nil, with `errno`, when the file cannot be made.
    public init?(path: String) {
        fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return nil }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }

    public func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

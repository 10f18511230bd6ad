import Glibc

/// `lagesbild report -o FILE`: the report written atomically with exactly the mode it needs, whatever the umask.
enum ReportFile {
    /// 0600 when the report holds the tips' text (`--include-text`), else 0640 (the group may read it).
    static func mode(includesText: Bool) -> mode_t { includesText ? 0o600 : 0o640 }

    /// Writes `text` to a new file beside `path` created with `mode` (O_CREAT|O_EXCL, then fchmod, since the
    /// umask may have taken bits off), syncs it, and renames it over `path`: a reader sees the old file or the
    /// whole new one, never one with looser rights. Returns why not, or nil.
    static func write(_ text: String, to path: String, mode: mode_t) -> String? {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { return "cannot create \(tmp): \(String(cString: strerror(errno)))" }
        var ok = fchmod(fd, mode) == 0
        var problem = ok ? nil : "cannot set the mode of \(tmp): \(String(cString: strerror(errno)))"
        if ok {
            let bytes = Array(text.utf8)
            var done = 0
            while done < bytes.count {
                let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { ok = false; problem = "cannot write \(tmp): \(String(cString: strerror(errno)))"; break }
                done += n
            }
        }
        if ok && fsync(fd) != 0 { ok = false; problem = "cannot sync \(tmp): \(String(cString: strerror(errno)))" }
        close(fd)
        if ok && rename(tmp, path) != 0 { ok = false; problem = "cannot replace \(path): \(String(cString: strerror(errno)))" }
        guard ok else {
            unlink(tmp)
            return problem
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let dir = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { _ = fsync(dir); close(dir) }
        return nil
    }
}

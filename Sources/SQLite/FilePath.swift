import Glibc

/// The folder of a database file, and making it: one place for what the outbox and the central store both need.
public enum FilePath {
    /// The folder of `path`: `"."` for a bare file name, `"/"` for a file in the root folder.
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Makes the folder of `path` and any missing parents (mode 0750). Returns nil, or a sentence saying which
    /// folder could not be made and why.
    public static func makeFolder(of path: String) -> String? {
        let dir = folder(of: path)
        var st = stat()
        if stat(dir, &st) == 0 { return nil }
        var built = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o750) != 0 && errno != EEXIST {
                return "cannot create the folder \(built): \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }
}

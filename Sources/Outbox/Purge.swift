import Glibc
import SQLite

extension Outbox {
    /// Deletes the dead letters (reports the broker refused for good) refused before `unixMillis`. Their text is
    /// overwritten (`secure_delete`). Returns how many. Only for staff who decided so: these reports never
    /// reached the centre.
    public func purgeDeadLetters(refusedBefore unixMillis: Int64) throws(OutboxError) -> Int {
        try write { () throws(SQLiteError) in
            let s = try db.statement("DELETE FROM reports WHERE state = \(State.deadLetter.sql) AND dead_at < ?")
            s.bind(1, unixMillis)
            try s.run()
            return db.changes
        }
    }

    /// The damaged outbox files moved aside (`<path>.corrupt-<unix ms>`, with their -wal and -shm) before
    /// `unixMillis`, removed. Returns the main files removed.
    public func purgeDamagedCopies(movedBefore unixMillis: Int64) -> [String] {
        let name = String(path.split(separator: "/").last ?? "")
        guard let d = opendir(FilePath.folder(of: path)) else { return [] }
        defer { closedir(d) }
        var removed: [String] = []
        let prefix = name + ".corrupt-"
        while let entry = readdir(d) {
            let file = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            guard file.hasPrefix(prefix) else { continue }
            let stamp = file.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let ms = Int64(stamp), ms < unixMillis else { continue }
            let full = String(path.dropLast(name.count)) + file   // beside the outbox, spelled as its path is
            if unlink(full) == 0, !file.hasSuffix("-wal"), !file.hasSuffix("-shm") { removed.append(full) }
        }
        return removed.sorted()
    }
}

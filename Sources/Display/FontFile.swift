import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Reads a console font file, gzip-compressed (`.psf.gz`, as console-setup ships them) or not.
public enum FontFile {
    /// Where console-setup keeps its fonts on Debian.
    public static let consoleFonts = "/usr/share/consolefonts"

    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public static func load(_ path: String) throws(LoadError) -> PSFFont {
        guard let file = gzopen(path, "rb") else {
            throw LoadError(path: path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = gzread(file, &chunk, UInt32(chunk.count))
            if n < 0 { throw LoadError(path: path, reason: "cannot be decompressed") }
            if n == 0 { break }
            bytes += chunk[0..<Int(n)]
            if bytes.count > 4 << 20 { throw LoadError(path: path, reason: "too large for a console font") }
        }
        do {
            return try PSFFont(bytes: bytes)
        } catch {
            throw LoadError(path: path, reason: error.description)
        }
    }
}

/// A small TOML reader for the configuration file: the subset docs/CONTRACT.md §2 needs, with the line of every key.
///
/// Supported: `# comments`, `[table]` headers (bare or dotted names), `key = value` with bare or quoted keys,
/// basic strings ("…" with the TOML escapes), literal strings ('…'), integers (sign, `_` separators, 0x/0o/0b),
/// floats, booleans, and arrays (also over several lines, at any indentation, with comments, blank lines and a
/// trailing comma; nested at most `TOMLParser.maxArrayDepth` deep). Anything else (inline tables, multi-line
/// strings, dates) is refused with the line where it stands, never silently misread.
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])

    public var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .boolean: "true or false"
        case .array: "an array"
        }
    }
}

public struct TOMLEntry: Equatable, Sendable {
    public var value: TOMLValue
    public var line: Int
}

public struct TOMLTable: Equatable, Sendable {
    /// Line of the `[table]` header (0 for the top level).
    public var line: Int
    public var entries: [String: TOMLEntry] = [:]
    /// Keys in the order they appear in the file.
    public var order: [String] = []
}

public struct TOMLDocument: Equatable, Sendable {
    public var tables: [String: TOMLTable] = ["": TOMLTable(line: 0)]
    public var tableOrder: [String] = []
}

public struct TOMLSyntaxError: Error, Equatable, Sendable {
    public var line: Int
    public var key: String?
    public var message: String
}

/// Reads the configuration file's TOML (see `TOMLValue` for the subset) into tables of keys with their lines.
public enum TOMLParser {
    /// How deeply arrays may be nested (`[[[…]]]`). The reader is recursive, so a bound keeps a hostile or broken
    /// file from exhausting the stack; the configuration needs two levels at most.
    public static let maxArrayDepth = 32

    /// Parses `text`, or throws the first problem with the line of its key (for a value over several lines, the
    /// line where the key stands).
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLDocument {
        var doc = TOMLDocument()
        var current = ""
        // Split on the scalar: as Characters, "\r\n" is one that is not "\n". A "\r" left at a line's end is white space.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        var i = 0
        while i < lines.count {
            let lineNo = i + 1
            var s = Scanner(lines: lines, row: i)
            s.skipSpace()
            if s.atEnd || s.peek == "#" { i += 1; continue }
            if s.peek == "[" {
                s.advance()
                if s.peek == "[" { throw TOMLSyntaxError(line: lineNo, key: nil, message: "arrays of tables ([[…]]) are not used in this file") }
                var parts: [String] = []
                repeat {
                    s.skipSpace()
                    parts.append(try s.key())
                    s.skipSpace()
                } while s.consume(".")
                guard s.consume("]") else { throw TOMLSyntaxError(line: lineNo, key: nil, message: "expected ] to close the table name") }
                try s.expectLineEnd()
                current = parts.joined(separator: ".")
                if doc.tables[current] != nil && current != "" {
                    throw TOMLSyntaxError(line: lineNo, key: current, message: "table [\(current)] is defined twice")
                }
                doc.tables[current] = TOMLTable(line: lineNo)
                doc.tableOrder.append(current)
                i += 1
                continue
            }
            let key = try s.key()
            s.skipSpace()
            guard s.consume("=") else { throw TOMLSyntaxError(line: lineNo, key: key, message: "expected = after the key") }
            s.skipSpace()
            // An array may go on over the next lines: the scanner reads them, and the loop goes on after its last.
            let value = try s.value(key: key, depth: 0)
            try s.expectLineEnd()
            if doc.tables[current]!.entries[key] != nil {
                throw TOMLSyntaxError(line: lineNo, key: key, message: "is set twice (first on line \(doc.tables[current]!.entries[key]!.line))")
            }
            doc.tables[current]!.entries[key] = TOMLEntry(value: value, line: lineNo)
            doc.tables[current]!.order.append(key)
            i = s.row + 1
        }
        return doc
    }

    /// Reads one line at a time; only an array moves it on to the next lines (`nextLine`). Errors carry the line
    /// where the scanner started, which is the line of the key.
    struct Scanner {
        let lines: [[Unicode.Scalar]]
        /// Index in `lines` of the line being read.
        private(set) var row: Int
        var chars: [Unicode.Scalar]
        var pos = 0
        /// The line number errors are reported on (1-based).
        let line: Int

        init(lines: [[Unicode.Scalar]], row: Int) {
            self.lines = lines
            self.row = row
            self.chars = lines[row]
            self.line = row + 1
        }

        var atEnd: Bool { pos >= chars.count }
        var peek: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }
        mutating func advance() { pos += 1 }
        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            if peek == c { pos += 1; return true }
            return false
        }
        mutating func skipSpace() { while let c = peek, c == " " || c == "\t" || c == "\r" { pos += 1 } }

        /// Moves to the start of the next line; false at the end of the file.
        mutating func nextLine() -> Bool {
            guard row + 1 < lines.count else { return false }
            row += 1
            chars = lines[row]
            pos = 0
            return true
        }

        /// Inside an array: skips white space, comments, blank lines and line ends up to the next thing to read.
        /// Throws when the file ends first.
        mutating func skipInsideArray(key: String) throws(TOMLSyntaxError) {
            while true {
                skipSpace()
                if !atEnd && peek != "#" { return }
                guard nextLine() else { throw error(key, "the array is not closed with ]") }
            }
        }

        func error(_ key: String?, _ message: String) -> TOMLSyntaxError { TOMLSyntaxError(line: line, key: key, message: message) }

        /// " (on line N)" when the scanner has moved past the key's line, so a problem deep in a long array is found.
        var whereNote: String { row + 1 == line ? "" : " (on line \(row + 1))" }

        mutating func expectLineEnd() throws(TOMLSyntaxError) {
            skipSpace()
            if atEnd || peek == "#" { return }
            throw error(nil, "unexpected text after the value: \(String(String.UnicodeScalarView(chars[pos...])).prefix(20))\(whereNote)")
        }

        mutating func key() throws(TOMLSyntaxError) -> String {
            if peek == "\"" { return try basicString(key: nil) }
            if peek == "'" { return try literalString(key: nil) }
            var out = String.UnicodeScalarView()
            while let c = peek, c.properties.isAlphabetic && c.isASCII || ("0"..."9").contains(c) || c == "_" || c == "-" {
                out.append(c); pos += 1
            }
            if out.isEmpty { throw error(nil, "expected a key name (letters, digits, _ and -) or a [table]") }
            return String(out)
        }

        /// One value; `depth` is the number of arrays it stands in.
        mutating func value(key: String, depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
            guard let c = peek else { throw error(key, "a value is missing after =") }
            switch c {
            case "\"":
                if chars.count > pos + 2 && chars[pos + 1] == "\"" && chars[pos + 2] == "\"" {
                    throw error(key, "multi-line strings (\"\"\") are not used in this file; write the value on one line")
                }
                return .string(try basicString(key: key))
            case "'": return .string(try literalString(key: key))
            case "[": return try array(key: key, depth: depth + 1)
            case "{": throw error(key, "inline tables are not used in this file; use a [table] section")
            case "t", "f":
                let rest = String(String.UnicodeScalarView(chars[pos...]))
                if rest.hasPrefix("true") { pos += 4; return .boolean(true) }
                if rest.hasPrefix("false") { pos += 5; return .boolean(false) }
                throw error(key, "unknown value; strings need quotes, e.g. \"\(rest.prefix(20))\"")
            default:
                return try number(key: key)
            }
        }

        mutating func number(key: String) throws(TOMLSyntaxError) -> TOMLValue {
            var raw = ""
            while let c = peek, !(c == " " || c == "\t" || c == "#" || c == "," || c == "]" || c == "\r") {
                raw.unicodeScalars.append(c); pos += 1
            }
            let clean = String(raw.filter { $0 != "_" })
            if let v = Int64(clean) { return .integer(v) }
            for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where clean.hasPrefix(prefix) {
                if let v = Int64(clean.dropFirst(2), radix: radix) { return .integer(v) }
            }
            if let d = Double(clean), clean.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .float(d) }
            if raw.isEmpty { throw error(key, "a value is missing\(whereNote)") }
            throw error(key, "\(raw.prefix(30)) is not a value; strings need quotes, e.g. \"\(raw.prefix(30))\"\(whereNote)")
        }

        /// An array whose `[` is at `pos`, the `depth`-th one counted from the key. Its items, commas, comments and
        /// blank lines may be spread over any number of lines, at any indentation, with a comma after the last item.
        mutating func array(key: String, depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
            guard depth <= TOMLParser.maxArrayDepth else {
                throw error(key, "arrays are nested deeper than \(TOMLParser.maxArrayDepth) levels")
            }
            pos += 1
            var items: [TOMLValue] = []
            while true {
                try skipInsideArray(key: key)
                if consume("]") { return .array(items) }
                items.append(try value(key: key, depth: depth))
                try skipInsideArray(key: key)
                if consume(",") { continue }
                if consume("]") { return .array(items) }
                throw error(key, "expected , or ] after an item of the array\(whereNote)")
            }
        }

        mutating func literalString(key: String?) throws(TOMLSyntaxError) -> String {
            pos += 1
            var out = String.UnicodeScalarView()
            while let c = peek {
                pos += 1
                if c == "'" { return String(out) }
                out.append(c)
            }
            throw error(key, "the string is not closed with '\(whereNote)")
        }

        mutating func basicString(key: String?) throws(TOMLSyntaxError) -> String {
            pos += 1
            var out = String.UnicodeScalarView()
            while let c = peek {
                pos += 1
                switch c {
                case "\"": return String(out)
                case "\\":
                    guard let e = peek else { break }
                    pos += 1
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "b": out.append("\u{8}")
                    case "f": out.append("\u{C}")
                    case "e": out.append("\u{1B}")
                    case "\"": out.append("\"")
                    case "\\": out.append("\\")
                    case "u", "U":
                        let n = e == "u" ? 4 : 8
                        guard pos + n <= chars.count,
                              let v = UInt32(String(String.UnicodeScalarView(chars[pos..<pos + n])), radix: 16),
                              let scalar = Unicode.Scalar(v) else { throw error(key, "bad \\\(e) escape in the string") }
                        out.append(scalar); pos += n
                    default: throw error(key, "unknown escape \\\(e) in the string (write \\\\ for a backslash)")
                    }
                default: out.append(c)
                }
            }
            throw error(key, "the string is not closed with \"\(whereNote)")
        }
    }
}

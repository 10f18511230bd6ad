/// A small TOML reader for the configuration file: the subset docs/CONTRACT.md §2 needs, with the line of every key.
///
/// Supported: `# comments`, `[table]` headers (bare or dotted names), `key = value` with bare or quoted keys,
/// basic strings ("…" with the TOML escapes), literal strings ('…'), integers (sign, `_` separators, 0x/0o/0b),
/// floats, booleans, and arrays (also over several lines, with a trailing comma). Anything else (inline tables,
/// multi-line strings, dates) is refused with the line where it stands, never silently misread.
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

public enum TOMLParser {
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLDocument {
        var doc = TOMLDocument()
        var current = ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        var i = 0
        while i < lines.count {
            let lineNo = i + 1
            var s = Scanner(chars: lines[i], line: lineNo)
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
            // A value may continue over the next lines (arrays): feed more lines to the scanner when it asks.
            var value: TOMLValue
            while true {
                do {
                    value = try s.value(key: key)
                    try s.expectLineEnd()
                    break
                } catch let e where e.message == Scanner.needMore {
                    i += 1
                    guard i < lines.count else { throw TOMLSyntaxError(line: lineNo, key: key, message: "the array is not closed with ]") }
                    lines[i - 1].append("\n")
                    var joined = lines[i - 1]
                    joined.append(contentsOf: lines[i])
                    lines[i] = joined
                    s = Scanner(chars: lines[i], line: lineNo)
                    _ = try s.key(); s.skipSpace(); _ = s.consume("="); s.skipSpace()
                }
            }
            if doc.tables[current]!.entries[key] != nil {
                throw TOMLSyntaxError(line: lineNo, key: key, message: "is set twice (first on line \(doc.tables[current]!.entries[key]!.line))")
            }
            doc.tables[current]!.entries[key] = TOMLEntry(value: value, line: lineNo)
            doc.tables[current]!.order.append(key)
            i += 1
        }
        return doc
    }

    struct Scanner {
        static let needMore = "\u{0}need more input"
        var chars: [Unicode.Scalar]
        var pos = 0
        let line: Int
        init(chars: [Unicode.Scalar], line: Int) { self.chars = chars; self.line = line }

        var atEnd: Bool { pos >= chars.count }
        var peek: Unicode.Scalar? { pos < chars.count ? chars[pos] : nil }
        mutating func advance() { pos += 1 }
        mutating func consume(_ c: Unicode.Scalar) -> Bool {
            if peek == c { pos += 1; return true }
            return false
        }
        mutating func skipSpace() { while let c = peek, c == " " || c == "\t" || c == "\r" { pos += 1 } }
        /// Skips white space, newlines and comments (inside arrays).
        mutating func skipSpaceAndComments() {
            while let c = peek {
                if c == " " || c == "\t" || c == "\r" || c == "\n" { pos += 1 }
                else if c == "#" { while let d = peek, d != "\n" { _ = d; pos += 1 } }
                else { break }
            }
        }
        func error(_ key: String?, _ message: String) -> TOMLSyntaxError { TOMLSyntaxError(line: line, key: key, message: message) }

        mutating func expectLineEnd() throws(TOMLSyntaxError) {
            skipSpace()
            if atEnd || peek == "#" { return }
            throw error(nil, "unexpected text after the value: \(String(String.UnicodeScalarView(chars[pos...])).prefix(20))")
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

        mutating func value(key: String) throws(TOMLSyntaxError) -> TOMLValue {
            guard let c = peek else { throw error(key, "a value is missing after =") }
            switch c {
            case "\"":
                if chars.count > pos + 2 && chars[pos + 1] == "\"" && chars[pos + 2] == "\"" {
                    throw error(key, "multi-line strings (\"\"\") are not used in this file; write the value on one line")
                }
                return .string(try basicString(key: key))
            case "'": return .string(try literalString(key: key))
            case "[": return try array(key: key)
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
            while let c = peek, !(c == " " || c == "\t" || c == "#" || c == "," || c == "]" || c == "\n" || c == "\r") {
                raw.unicodeScalars.append(c); pos += 1
            }
            let clean = String(raw.filter { $0 != "_" })
            if let v = Int64(clean) { return .integer(v) }
            for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where clean.hasPrefix(prefix) {
                if let v = Int64(clean.dropFirst(2), radix: radix) { return .integer(v) }
            }
            if let d = Double(clean), clean.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .float(d) }
            if raw.isEmpty { throw error(key, "a value is missing after =") }
            throw error(key, "\(raw.prefix(30)) is not a value; strings need quotes, e.g. \"\(raw.prefix(30))\"")
        }

        mutating func array(key: String) throws(TOMLSyntaxError) -> TOMLValue {
            pos += 1
            var items: [TOMLValue] = []
            while true {
                skipSpaceAndComments()
                if atEnd { throw error(key, Scanner.needMore) }
                if consume("]") { return .array(items) }
                items.append(try value(key: key))
                skipSpaceAndComments()
                if atEnd { throw error(key, Scanner.needMore) }
                if consume(",") { continue }
                if consume("]") { return .array(items) }
                throw error(key, "expected , or ] in the array")
            }
        }

        mutating func literalString(key: String?) throws(TOMLSyntaxError) -> String {
            pos += 1
            var out = String.UnicodeScalarView()
            while let c = peek {
                pos += 1
                if c == "'" { return String(out) }
                if c == "\n" { break }
                out.append(c)
            }
            throw error(key, "the string is not closed with '")
        }

        mutating func basicString(key: String?) throws(TOMLSyntaxError) -> String {
            pos += 1
            var out = String.UnicodeScalarView()
            while let c = peek {
                pos += 1
                switch c {
                case "\"": return String(out)
                case "\n": throw error(key, "the string is not closed with \"")
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
            throw error(key, "the string is not closed with \"")
        }
    }
}

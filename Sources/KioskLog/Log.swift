import Glibc

/// Log lines for people and for journald. Never give it the text of a tip, a contact detail or a secret:
/// log ids, seqs, counts and reasons only.
///
/// Under systemd (`$JOURNAL_STREAM` set) each line starts with the syslog priority (`<3>`…`<7>`), which
/// journald reads as the level; on a terminal the level is written as a word.
public enum Log {
    public enum Level: Int32, Sendable {
        case error = 3, warning = 4, notice = 5, info = 6, debug = 7
        var word: String {
            switch self {
            case .error: "error"
            case .warning: "warning"
            case .notice: "notice"
            case .info: "info"
            case .debug: "debug"
            }
        }
    }

    nonisolated(unsafe) private static var journal: Bool = getenv("JOURNAL_STREAM") != nil  // set once, read-only after
    /// The program name on a terminal's log lines (`tipskiosk`, `lagesbild`); set once at start.
    nonisolated(unsafe) public static var program = "tipskiosk"
    nonisolated(unsafe) private static var debugEnabled: Bool = getenv("TIPSKIOSK_DEBUG") != nil

    public static func error(_ message: String) { write(.error, message) }
    public static func warning(_ message: String) { write(.warning, message) }
    public static func notice(_ message: String) { write(.notice, message) }
    public static func info(_ message: String) { write(.info, message) }
    public static func debug(_ message: @autoclosure () -> String) {
        if debugEnabled { write(.debug, message()) }
    }

    public static func write(_ level: Level, _ message: String) {
        let message = oneLine(message)
        let line = journal ? "<\(level.rawValue)>\(message)\n" : "\(program): \(level.word): \(message)\n"
        line.withCString { p in _ = Glibc.write(2, p, strlen(p)) }
    }
}

extension Log {
    /// `message` as one line that does nothing to a terminal: control characters (C0, DEL, C1: a line break that
    /// would start a forged journal line such as `<0>…`, an escape sequence) and the bidirectional overrides are
    /// written as `\u{…}`. A kiosk chooses its id and what it sends, and a log line may quote either.
    public static func oneLine(_ message: String) -> String {
        guard message.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F }) else { return message }
        var out = String.UnicodeScalarView()
        for scalar in message.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) {
                out.append(contentsOf: "\\u{\(String(v, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}

/// One line to standard error, for a person at a terminal. Never traps: on a full disk (stderr redirected to a
/// file there) the line is lost, the exit status still tells.
public func printError(_ line: String) {
    let text = line + "\n"
    text.withCString { p in _ = Glibc.write(2, p, strlen(p)) }
}

/// The exit statuses of `sysexits.h` that the commands use.
public enum ExitStatus {
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let unavailable: Int32 = 69
    public static let software: Int32 = 70
    public static let ioError: Int32 = 74
    public static let tempFail: Int32 = 75
    public static let config: Int32 = 78
}

extension String {
    /// `value` with one decimal, for a person ("2.5", "10.0"): seconds to wait, a timeout.
    public init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}

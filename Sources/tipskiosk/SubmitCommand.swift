import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import KioskConfig
import KioskLog
import Outbox
import ReportModel

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Store reports read as JSON Lines on standard input, all in one transaction.",
        discussion: """
            One JSON object a line, with the fields a visitor gives (CONTRACT §4): category, place, occurred,
            text, and optionally contact, language, reporter. Prints `<id> <seq>` for each stored report.
            If any line is wrong, nothing is stored: the line number and the problem are printed and the exit
            status is 65. reporter.role defaults to "staff" (this command is for typing in paper tips).
            """
    )
    @OptionGroup var options: ConfigOption

    func run() throws {
        let config = try options.load()
        let input = readAll()
        let drafts: [ValidDraft]
        do {
            drafts = try Self.parse(input, defaultLanguage: config.kiosk.languages.first ?? "sv")
        } catch {
            printError("tipskiosk submit: \(error.description); nothing was stored")
            throw Exit.dataError
        }
        guard !drafts.isEmpty else {
            printError("tipskiosk submit: no reports on standard input; nothing was stored")
            throw Exit.dataError
        }
        let outbox = try config.openOutbox(role: .store, command: "submit", consequence: "; nothing was stored")
        let receipts: [Outbox.Receipt]
        do {
            receipts = try outbox.store(drafts)
        } catch {
            printError("tipskiosk submit: \(error); nothing was stored")
            if case .full = error { throw Exit.unavailable }
            throw Exit.ioError
        }
        var out = ""
        out.reserveCapacity(receipts.count * 48)
        for r in receipts { out += "\(r.id) \(r.seq)\n" }
        writeAll(out.utf8)
    }

    struct LineError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    /// Parses and validates every line before anything is stored.
    static func parse(_ data: [UInt8], defaultLanguage: String) throws(LineError) -> [ValidDraft] {
        var drafts: [ValidDraft] = []
        var lineNo = 0
        for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNo += 1
            if raw.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            let object: Any
            do {
                object = try raw.withUnsafeBytes { try JSONParser.parse($0) }.anyValue
            } catch {
                throw LineError(line: lineNo, message: "not valid JSON")
            }
            guard let dict = object as? [String: Any] else {
                throw LineError(line: lineNo, message: "must be one JSON object {…}")
            }
            do {
                var draft = try DraftDecoding.draft(from: dict, isNull: { $0 is JSONNull }, defaultLanguage: defaultLanguage)
                if (dict["reporter"] as? [String: Any])?["role"] == nil { draft.reporter.role = .staff }
                drafts.append(try draft.validated())
            } catch {
                throw LineError(line: lineNo, message: error.description)
            }
        }
        return drafts
    }
}

/// JSON null, as `DraftDecoding` sees it.
struct JSONNull {}

extension JSONValue {
    /// The value as `DraftDecoding` takes it: `String`, `Bool`, `Int64`/`Double`, `[String: Any]` (the last of
    /// a repeated key wins), `[Any]`, or `JSONNull`.
    var anyValue: Any {
        switch self {
        case .null: JSONNull()
        case .bool(let b): b
        case .int(let i): i
        case .double(let d): d
        case .string(let s): s
        case .array(let a): a.map(\.anyValue)
        case .object(let members):
            Dictionary(members.map { ($0.0, $0.1.anyValue) }, uniquingKeysWith: { _, last in last })
        }
    }
}

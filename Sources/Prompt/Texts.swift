#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ReportModel

/// Every text the visitor and staff see, per language, read from language files.
///
/// ## Language file format (`<tag>.txt`, UTF-8)
///
/// ```
/// # a comment line
/// language.name = Svenska
/// welcome.title = Tipsa anonymt
/// text.hint = Tryck Enter när du är klar.\nEsc = tillbaka
/// ```
///
/// - One `key = value` per line; white space around the key and the value is ignored. The value runs to the end
///   of the line and may contain `=`.
/// - Empty lines and lines starting with `#` are ignored; so are lines without `=` (they are reported in
///   `LanguagePack.problems`).
/// - Escapes in values: `\n` is a line break, `\\` a backslash. Nothing else is special.
/// - `{name}` in a value is filled in by the program (e.g. `Steg {n} av {total}`); see the Swedish file.
/// - `language.name` is the language's own name (shown on the welcome screen as the `L` choice);
///   `language.direction = rtl` marks a right-to-left language.
/// - Values are cleaned with `TextCleaner` (no control characters or escape sequences reach the screen).
///
/// The built-in languages are `Sources/Prompt/Languages/sv.txt` and `en.txt`, compiled into the program at build
/// time (`builtInFiles`, by Plugins/EmbedTextsPlugin): no file is needed at run time, wherever the program is.
/// A file in `[prompt] language_dir` adds a language (e.g. `ar.txt`, `so.txt`, `fa.txt`) or overrides
/// single keys of a built-in one. Any key missing in a language falls back to Swedish.
public struct Texts: Sendable {
    /// The languages offered, in `L` order; the first is the default.
    public let packs: [LanguagePack]
    let swedish: [String: String]

    public init(packs: [LanguagePack], swedish: [String: String]) {
        self.packs = packs.isEmpty ? [LanguagePack(tag: "sv", strings: swedish)] : packs
        self.swedish = swedish
    }

    /// The text for `key` in language number `language`, with `{name}` placeholders filled from `args`.
    public func string(_ key: String, _ language: Int, _ args: [String: String] = [:]) -> String {
        let pack = packs[min(max(0, language), packs.count - 1)]
        let s = pack.strings[key] ?? swedish[key] ?? key
        guard !args.isEmpty, s.utf8.contains(UInt8(ascii: "{")) else { return s }
        return Self.fill(s, args)
    }

    /// `template` with each `{name}` that `args` names replaced by its value, in one pass (a value is never
    /// searched for placeholders again); any other `{…}` is kept as it is.
    static func fill(_ template: String, _ args: [String: String]) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + 16)
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            if let value = args[String(rest[rest.index(after: open)..<close])] {
                out += value
            } else {
                out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    public func tag(_ language: Int) -> String { packs[min(max(0, language), packs.count - 1)].tag }

    /// Parses one language file. Malformed lines are skipped and reported as `line N: …`.
    public static func parse(_ content: String) -> (strings: [String: String], problems: [String]) {
        var strings: [String: String] = [:]
        var problems: [String] = []
        var lineNumber = 0
        for raw in content.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(raw)
            if lineNumber == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                problems.append("line \(lineNumber): expected `key = value`")
                continue
            }
            let key = trimmed[..<eq].trimmingSpaces()
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
            else {
                problems.append("line \(lineNumber): bad key")
                continue
            }
            let value = unescape(trimmed[trimmed.index(after: eq)...].trimmingSpaces())
            strings[key] = value.split(separator: "\n", omittingEmptySubsequences: false)
                .map { TextCleaner.clean(String($0), allowNewlines: false) }.joined(separator: "\n")
        }
        return (strings, problems)
    }

    static func unescape(_ s: String) -> String {
        var out = ""
        var escaped = false
        for ch in s {
            if escaped {
                switch ch {
                case "n": out.append("\n")
                case "\\": out.append("\\")
                default: out.append("\\"); out.append(ch)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    /// The built-in languages, parsed once: `Languages/<tag>.txt` as compiled into the program at build time
    /// (`builtInFiles`, made by Plugins/EmbedTextsPlugin). No file is read for them at run time.
    static let builtIn: [String: [String: String]] = builtInFiles.mapValues { parse($0).strings }

    /// The tags of the built-in languages, Swedish first.
    public static var builtInTags: [String] {
        builtIn.keys.sorted { ($0 == "sv" ? 0 : 1, $0) < ($1 == "sv" ? 0 : 1, $1) }
    }

    /// The built-in texts and those of `directory`, offering `languages` (in that order) and then any further
    /// language found in `directory`. Throws when there are no Swedish texts (only a program built without
    /// `Languages/sv.txt` has none built in).
    public static func load(languages: [String], directory: String?) throws(LanguageLoadError) -> Texts {
        func file(_ tag: String) -> [String: String]? {
            guard let directory, ReportDraft.isLanguageTag(tag),
                  let data = FileManager.default.contents(atPath: directory + "/\(tag).txt"),
                  let content = String(data: data, encoding: .utf8) else { return nil }
            return parse(content).strings
        }
        func pack(_ tag: String) -> [String: String]? {
            let base = builtIn[tag]
            let extra = file(tag)
            if base == nil && extra == nil { return nil }
            return (base ?? [:]).merging(extra ?? [:]) { _, new in new }
        }
        guard let swedish = pack("sv") else {
            throw LanguageLoadError(message: "no Swedish texts: none are built into this program (it was built without "
                                    + "Sources/Prompt/Languages/sv.txt), and "
                                    + (directory.map { "there is no sv.txt in \($0) ([prompt] language_dir)" }
                                       ?? "[prompt] language_dir is not set")
                                    + "; set [prompt] language_dir to a folder with sv.txt")
        }
        var tags: [String] = []
        for t in languages where !tags.contains(t) { tags.append(t) }
        for t in directoryTags(directory) where !tags.contains(t) { tags.append(t) }
        if tags.isEmpty { tags = ["sv"] }
        let packs = tags.compactMap { t in pack(t).map { LanguagePack(tag: t, strings: $0) } }
        return Texts(packs: packs, swedish: swedish)
    }

    /// Which of `languages` have no texts (neither built in nor `<tag>.txt` in `directory`), and which files in
    /// `directory` are of a language not in `languages` (the prompt offers those after the listed ones).
    /// For `check-config`.
    public static func languageFiles(languages: [String], directory: String?) -> (missing: [String], unlisted: [String]) {
        func exists(_ tag: String) -> Bool {
            guard let directory, ReportDraft.isLanguageTag(tag) else { return false }
            return FileManager.default.fileExists(atPath: directory + "/\(tag).txt")
        }
        let missing = languages.filter { builtIn[$0] == nil && !exists($0) }
        let unlisted = directoryTags(directory).filter { !languages.contains($0) }
        return (missing, unlisted)
    }

    /// The tags of the `<tag>.txt` files in `directory`, alphabetically.
    static func directoryTags(_ directory: String?) -> [String] {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.sorted().filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }
    }
}

/// The texts of one language.
public struct LanguagePack: Sendable, Equatable {
    public let tag: String
    public let strings: [String: String]
    public init(tag: String, strings: [String: String]) {
        self.tag = tag
        self.strings = strings
    }
    /// The language's own name (`language.name`), else its tag.
    public var name: String { strings["language.name"] ?? tag }
    public var isRightToLeft: Bool { strings["language.direction"]?.lowercased() == "rtl" }
}

public struct LanguageLoadError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

import Foundation
import Testing
@testable import Prompt

@Suite struct TextsTests {
    @Test func parseFormat() {
        let (s, problems) = Texts.parse("""
            \u{FEFF}# comment
            a.b = Hej = där
               c=  rad 1\\nrad 2\\\\x
            bad line
            = no key
            ctl = ok\u{1B}[31mröd\u{7}
            """)
        #expect(s["a.b"] == "Hej = där")
        #expect(s["c"] == "rad 1\nrad 2\\x")
        #expect(s["ctl"] == "okröd")
        #expect(problems.count == 2)
    }

    @Test func builtInFilesAreCompleteAndEnglishHasEveryKeyOfSwedish() throws {
        let t = try builtInTexts()
        #expect(t.packs.map(\.tag) == ["sv", "en"])
        let sv = t.packs[0].strings, en = t.packs[1].strings
        #expect(sv["emergency"] == "Vid akut fara: ring 112")
        #expect(sv["police"] == "Polisen: 114 14")
        #expect(sv["anonymous"] == "Du behöver inte lämna namn.")
        #expect(sv["notice.full"] == "Kiosken tar inte emot fler tips just nu. Be personalen om hjälp.")
        // (The voice's respellings, `speech.respell.*`, are each language's own.)
        let shared = { (keys: Dictionary<String, String>.Keys) in Set(keys.filter { !$0.hasPrefix("speech.respell.") }) }
        #expect(shared(sv.keys).subtracting(en.keys).isEmpty, "\(shared(sv.keys).subtracting(en.keys))")
        #expect(shared(en.keys).subtracting(sv.keys).isEmpty)
        #expect(t.string("step", 0, ["n": "2", "total": "7"]) == "Steg 2 av 7")
        #expect(t.string("step", 1, ["n": "2", "total": "7"]) == "Step 2 of 7")
        // One pass: a value is never searched for placeholders again, and an unknown one stays as it is.
        #expect(Texts.fill("{a} och {b}", ["a": "{b}", "b": "två"]) == "{b} och två")
        #expect(Texts.fill("{okänd} {a}{a} {", ["a": "å"]) == "{okänd} åå {")
        #expect(Texts.fill("inga", ["a": "x"]) == "inga")
        for c in ReportModel.Category.allCases { #expect(sv["category.\(c.rawValue)"] == c.swedishLabel) }
        // every key the program asks for exists in Swedish
        let source = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/Prompt/Screen.swift").standardized.path, encoding: .utf8)
        let used = source.matches(of: /t\("([a-z_.]+)"/).map { String($0.1) }
        #expect(used.count > 30)
        for k in used { #expect(sv[k] != nil, "missing key \(k)") }
    }

    @Test func directoryAddsLanguagesAndOverridesKeysWithSwedishFallback() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lang-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "language.name = Soomaali\nwelcome.start = Riix fure kasta\n".write(
            to: dir.appendingPathComponent("so.txt"), atomically: true, encoding: .utf8)
        try "welcome.title = Tipsa oss!\n".write(to: dir.appendingPathComponent("sv.txt"), atomically: true, encoding: .utf8)
        let t = try builtInTexts(languages: ["sv", "en", "xx"], directory: dir.path)
        #expect(t.packs.map(\.tag) == ["sv", "en", "so"]) // xx has no file; so.txt is found in the folder
        #expect(t.string("welcome.title", 0) == "Tipsa oss!")
        #expect(t.string("emergency", 0) == "Vid akut fara: ring 112") // the rest of sv is kept
        #expect(t.string("welcome.start", 2) == "Riix fure kasta")
        #expect(t.string("police", 2) == "Polisen: 114 14") // missing: Swedish
        #expect(t.packs[2].name == "Soomaali")
    }

    /// The built-in languages are compiled in (Plugins/EmbedTextsPlugin): exactly the files of
    /// Sources/Prompt/Languages, byte for byte, and parsed they give the same texts as the files, without a problem.
    @Test func compiledInTextsAreTheLanguageFiles() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/Prompt/Languages").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".txt") }
        let tags = Set(names.map { String($0.dropLast(4)) })
        #expect(tags == ["sv", "en"])
        #expect(Set(Texts.builtInFiles.keys) == tags)
        #expect(Texts.builtInTags == ["sv", "en"])
        for tag in tags {
            let content = try String(contentsOf: folder.appendingPathComponent("\(tag).txt"), encoding: .utf8)
            #expect(Texts.builtInFiles[tag] == content, "\(tag): the compiled-in text differs from \(tag).txt")
            #expect(Array(Texts.builtInFiles[tag]?.utf8 ?? "".utf8) == Array(content.utf8))
            let parsed = Texts.parse(content)
            #expect(parsed.problems.isEmpty, "\(tag).txt: \(parsed.problems)")
            #expect(Texts.builtIn[tag] == parsed.strings)
            #expect(parsed.strings.count > 80)
        }
        // What the program loads without any folder is what the files say.
        let t = try Texts.load(languages: ["sv", "en"], directory: nil)
        #expect(t.packs.map(\.tag) == ["sv", "en"])
        #expect(t.packs[0].strings == Texts.builtIn["sv"])
        #expect(t.packs[1].strings == Texts.builtIn["en"])
        #expect(t.string("welcome.language", 0, ["language": t.packs[1].name]) == "Tryck L för English")
    }

    /// For check-config: a configured language neither built in nor in the folder is missing; a file in the folder
    /// of a language that is not configured is unlisted.
    @Test func languageFilesForCheckConfig() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lang-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let none = Texts.languageFiles(languages: ["sv", "en", "ar"], directory: nil)
        #expect(none.missing == ["ar"] && none.unlisted.isEmpty)
        try "language.name = العربية\n".write(to: dir.appendingPathComponent("ar.txt"), atomically: true, encoding: .utf8)
        try "language.name = Suomi\n".write(to: dir.appendingPathComponent("fi.txt"), atomically: true, encoding: .utf8)
        let files = Texts.languageFiles(languages: ["sv", "en", "ar", "so"], directory: dir.path)
        #expect(files.missing == ["so"])
        #expect(files.unlisted == ["fi"])
    }
}

import ReportModel

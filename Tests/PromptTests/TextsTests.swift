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

    /// The installed layout (docs/PACKAGING.md): a program in `<prefix>/bin` finds the language files in
    /// `<prefix>/share/tipskiosk/languages`, with no resource bundle beside it.
    @Test func installedProgramFindsTheLanguageFilesUnderShare() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("prefix-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let languages = root.appendingPathComponent("usr/share/tipskiosk/languages")
        try FileManager.default.createDirectory(at: languages, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("usr/bin"), withIntermediateDirectories: true)
        let executable = root.appendingPathComponent("usr/bin/tipskiosk")
        let candidates = Texts.builtInCandidates(executable: executable)
        #expect(Texts.firstWithSwedish(candidates) != languages.path) // no sv.txt there yet
        try "language.name = Svenska\n".write(to: languages.appendingPathComponent("sv.txt"), atomically: true, encoding: .utf8)
        #expect(Texts.firstWithSwedish(candidates) == languages.path)
        #expect(candidates.firstIndex(of: languages.path)! < candidates.firstIndex(of: "/usr/share/tipskiosk/languages")!)
    }
}

import ReportModel

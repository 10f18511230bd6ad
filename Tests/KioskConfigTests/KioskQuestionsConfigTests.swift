import Foundation
import KioskConfig
import ReportModel
import Testing
import TestSupport

/// `[kiosk] age_group` and `check-config`'s notes about the prompt's language files (issue 14).
@Suite struct KioskQuestionsConfigTests {
    static let base = "[kiosk]\nid = \"k\"\nsite = \"S\"\n"

    @Test(arguments: [("youth", AgeGroupSetting.group(.youth)), ("adult", .group(.adult)), ("senior", .group(.senior)), ("ask", .ask)])
    func ageGroupValues(value: String, expected: AgeGroupSetting) throws {
        let c = try Configuration.parse(text: Self.base + "age_group = \"\(value)\"\n", path: "k.toml")
        #expect(c.kiosk.ageGroup == expected)
    }

    @Test func ageGroupUnsetIsNullAndAWrongValueIsNamed() throws {
        #expect(try Configuration.parse(text: Self.base, path: "k.toml").kiosk.ageGroup == nil)
        do {
            _ = try Configuration.parse(text: Self.base + "age_group = \"old\"\n", path: "k.toml")
            Issue.record("accepted age_group = old")
        } catch {
            #expect(error.errors.map(\.description) == [#"k.toml:4: kiosk.age_group: "old" is not one of "youth", "adult", "senior", "ask""#])
        }
    }

    @Test("check-config names a configured language without a text file, and a file whose language is not configured")
    func languageFileNotes() throws {
        let dir = TempDir("langs")
        let langs = dir.file("languages")
        try FileManager.default.createDirectory(atPath: langs, withIntermediateDirectories: true)
        try "language.name = Soomaali\n".write(toFile: langs + "/so.txt", atomically: true, encoding: .utf8)
        let config = writeTestConfig(in: dir, extra: "[prompt]\nlanguage_dir = \"\(langs)\"\n")
        // languages = ["sv", "en"] in the test file; add "ar", which has no file anywhere.
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: #"languages = ["sv", "en"]"#, with: #"languages = ["sv", "en", "ar"]"#)
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try tipskiosk(["check-config", "--config", config])
        #expect(r.status == 0, "notes, not errors: \(r.stderr)")
        #expect(r.stderr.contains(#"\#(config):4: kiosk.languages: "ar" has no language file (ar.txt) among the built-in ones (sv, en) or in \#(langs); the prompt leaves it out"#), "\(r.stderr)")
        #expect(r.stderr.contains(#"prompt.language_dir: so.txt: "so" is not in [kiosk] languages"#), "\(r.stderr)")
        #expect(!r.stderr.contains(#""sv" has no"#) && !r.stderr.contains(#""en" has no"#))
        _ = dir
    }

    @Test func exampleConfigurationNamesLanguageFilesAsTheCodeReadsThem() throws {
        let here = URL(fileURLWithPath: #filePath)
        let example = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/tipskiosk.toml").path
        let text = try String(contentsOfFile: example, encoding: .utf8)
        #expect(!text.contains(".lang"))
        #expect(text.contains("ar.txt"))
        #expect(text.contains("age_group"))
    }
}

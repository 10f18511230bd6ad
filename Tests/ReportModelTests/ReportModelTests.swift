import Foundation
import Testing
@testable import ReportModel

@Suite struct TextCleanerTests {
    @Test func removesEscapeSequencesAndControls() {
        let dirty = "a\u{1B}[31mred\u{1B}[0m b\u{1B}]0;title\u{07}c\u{1B}P1$r\u{1B}\\d\u{9B}2Je\u{0}\u{7}\u{8}f\u{7F}g\u{1B}(Bh"
        #expect(TextCleaner.clean(dirty, allowNewlines: true) == "ared bcdefgh")
    }

    @Test func keepsNewlinesOnlyWhereAllowed() {
        #expect(TextCleaner.clean("rad ett\r\nrad två\rtre\tfyra", allowNewlines: true) == "rad ett\nrad två\ntre fyra")
        #expect(TextCleaner.clean("Centrum\nTorget", allowNewlines: false) == "Centrum Torget")
    }

    @Test func normalizesToNFCAndTrims() {
        let decomposed = "  Go\u{0308}tene  "   // o + combining diaeresis
        let clean = TextCleaner.clean(decomposed, allowNewlines: false)
        #expect(clean == "Götene")
        #expect(clean.unicodeScalars.count == 6)
    }

    @Test func removesBidiOverridesButKeepsRightToLeftText() {
        let arabic = "مرحبا"
        #expect(TextCleaner.clean("\u{202E}abc\u{202C} \(arabic)\u{2066}", allowNewlines: false) == "abc \(arabic)")
    }

    @Test func prefixNeverSplitsAGraphemeCluster() {
        let s = "ab👍🏽c"   // 👍🏽 is two scalars
        #expect(TextCleaner.prefix(s, scalars: 3) == "ab")
        #expect(TextCleaner.prefix(s, scalars: 4) == "ab👍🏽")
        #expect(TextCleaner.length(TextCleaner.prefix(String(repeating: "å", count: 5000), scalars: 2000)) == 2000)
    }
}

@Suite struct DraftTests {
    func draft(text: String = "Det luktar rök vid busshållplatsen", place: String = "Centrum") -> ReportDraft {
        ReportDraft(category: .drugs, place: place, occurred: .today, text: text, language: "sv",
                    reporter: Reporter(role: .visitor, ageGroup: .senior), contact: nil)
    }

    @Test func validDraftIsCleaned() throws {
        let v = try draft(text: "  hej\u{1B}[2J där  ").validated()
        #expect(v.text == "hej där")
        #expect(v.category == .drugs)
    }

    @Test func boundsAreEnforced() {
        #expect(throws: ReportValidationError(field: "text", problem: .missing)) { try draft(text: " \u{1B}[0m ").validated() }
        #expect(throws: ReportValidationError(field: "text", problem: .tooLong(2001, max: 2000))) {
            try draft(text: String(repeating: "x", count: 2001)).validated()
        }
        #expect(throws: ReportValidationError(field: "place", problem: .tooLong(201, max: 200))) {
            try draft(place: String(repeating: "p", count: 201)).validated()
        }
        #expect((try? draft(text: String(repeating: "x", count: 2000)).validated()) != nil)
    }

    @Test func missingCategoryAndOccurredAreNamed() {
        var d = draft()
        d.category = nil
        #expect(throws: ReportValidationError(field: "category", problem: .missing)) { try d.validated() }
        d = draft()
        d.occurred = nil
        #expect(throws: ReportValidationError(field: "occurred", problem: .missing)) { try d.validated() }
    }

    @Test func emptyContactBecomesNull() throws {
        var d = draft()
        d.contact = Contact(name: " ", phone: "", email: nil)
        #expect(try d.validated().contact == nil)
        d.contact = Contact(name: "Anna\u{1B}[1m", phone: nil, email: nil)
        #expect(try d.validated().contact == Contact(name: "Anna"))
    }

    @Test func languageTags() {
        #expect(ReportDraft.isLanguageTag("sv"))
        #expect(ReportDraft.isLanguageTag("sv-SE"))
        #expect(ReportDraft.isLanguageTag("zh-Hant-TW"))
        #expect(!ReportDraft.isLanguageTag("s"))
        #expect(!ReportDraft.isLanguageTag("sv_SE"))
        #expect(!ReportDraft.isLanguageTag(""))
    }
}

@Suite struct WireFormatTests {
    @Test("Strings are escaped as JSON wants, whether or not there is anything to escape")
    func stringEscapes() {
        func json(_ s: String) -> String { var out = ""; JSONWriter.appendString(s, to: &out); return out }
        #expect(json("") == "\"\"")
        #expect(json("Åsa på Öland, 漢字 😀") == "\"Åsa på Öland, 漢字 😀\"")
        #expect(json("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(json("rad\nett\r\tx\u{1}") == "\"rad\\nett\\r\\tx\\u0001\"")
        #expect(json("tre … och – \u{2028}\u{2029}") == "\"tre … och – \\u2028\\u2029\"")
        #expect(json("\u{7F}") == "\"\u{7F}\"")
    }

    @Test func categoriesMatchTheContract() {
        let expected: [(Character, String)] = [("1", "unsafe_place"), ("2", "drugs"), ("3", "youth_groups"),
            ("4", "threats_violence"), ("5", "theft"), ("6", "fraud"), ("7", "vandalism"), ("8", "traffic"),
            ("9", "online"), ("0", "other")]
        for (digit, key) in expected {
            #expect(Category(digit: digit)?.rawValue == key)
            #expect(Category(rawValue: key)?.digit == digit)
        }
        #expect(Category(digit: "x") == nil)
    }

    @Test func occurredValues() {
        for w in ["now", "today", "this_week", "earlier", "unknown", "2026-02-28", "2024-02-29",
                  "2026-11-20T18:30:00+01:00", "2026-11-20T18:30:00.5Z"] {
            #expect(Occurred(wireValue: w)?.wireValue == w, "\(w)")
        }
        for w in ["yesterday", "2026-02-29", "2026-13-01", "2026-11-20T25:00:00Z", "2026-11-20T18:30:00", "20261120"] {
            #expect(Occurred(wireValue: w) == nil, "\(w)")
        }
    }

    @Test func payloadIsTheContractObject() throws {
        let v = try ReportDraft(category: .theft, place: "Busstationen", occurred: .now, text: "Cykel \"stulen\"\nigår",
                                language: "en", reporter: Reporter(role: .staff, ageGroup: nil),
                                contact: Contact(phone: "070-123")).validated()
        let r = Report(id: "01890a5d-ac96-774b-bcce-b302099a8057", kiosk: "k-1", seq: 42,
                       submittedAt: "2026-11-25T13:00:00.000+01:00", draft: v, site: "Gården", event: nil)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.jsonPayload.utf8)) as? [String: Any])
        #expect(obj["schema"] as? String == "tipskiosk.report.v1")
        #expect(obj["seq"] as? Int == 42)
        #expect(obj["text"] as? String == "Cykel \"stulen\"\nigår")
        #expect(obj["occurred"] as? String == "now")
        #expect((obj["reporter"] as? [String: Any])?["role"] as? String == "staff")
        #expect((obj["reporter"] as? [String: Any])?["age_group"] is NSNull)
        #expect((obj["contact"] as? [String: Any])?["phone"] as? String == "070-123")
        #expect(obj["event"] is NSNull)
        #expect(Set(obj.keys) == ["schema", "id", "kiosk", "seq", "submitted_at", "category", "place", "occurred",
                                  "text", "language", "reporter", "contact", "site", "event"])
        #expect(r.jsonPayload.hasPrefix(#"{"schema":"tipskiosk.report.v1","id":"#))
    }

    @Test func rfc3339Formatting() {
        #expect(RFC3339.format(unixMillis: 0, utcOffsetSeconds: 0) == "1970-01-01T00:00:00.000+00:00")
        #expect(RFC3339.format(unixMillis: 1_795_000_000_123, utcOffsetSeconds: 3600) == "2026-11-18T12:06:40.123+01:00")
        #expect(RFC3339.format(unixMillis: 1_709_164_800_000, utcOffsetSeconds: -5 * 3600) == "2024-02-28T19:00:00.000-05:00")
        #expect(RFC3339.isValidDateOrDateTime(RFC3339.format(unixMillis: 1_795_000_000_123, utcOffsetSeconds: 7200)))
    }

    @Test func uuidV7() {
        var rng = SystemRandomNumberGenerator()
        let a = UUIDv7.make(unixMillis: 1_795_000_000_000, using: &rng)
        let b = UUIDv7.make(unixMillis: 1_795_000_000_001, using: &rng)
        #expect(UUIDv7.isValid(a) && UUIDv7.isValid(b))
        #expect(a < b)
        #expect(a.hasPrefix("01a1e")) // 1_795_000_000_000 ms = 0x01A1E…
        #expect(!UUIDv7.isValid("not-a-uuid"))
    }

    @Test func uuidV7GeneratorIsMonotonicWithinAMillisecondAndAcrossAClockStepBack() {
        var rng = SystemRandomNumberGenerator()
        var g = UUIDv7Generator()
        var ids: [String] = []
        for i in 0..<10_000 { ids.append(g.next(unixMillis: 1_795_000_000_000 + Int64(i / 5000), using: &rng)) }
        ids.append(g.next(unixMillis: 1_700_000_000_000, using: &rng))   // the clock stepped back
        #expect(ids.allSatisfy(UUIDv7.isValid))
        #expect(ids == ids.sorted(), "each id sorts after the one before")
        #expect(Set(ids).count == ids.count)
        #expect(ids[0].hasPrefix("01a1e") && ids[9999].hasPrefix("01a1e"))
    }

    @Test func decodingNamesTheField() {
        func decode(_ d: [String: Any]) throws(ReportValidationError) -> ReportDraft {
            try DraftDecoding.draft(from: d, isNull: { $0 is NSNull }, defaultLanguage: "sv")
        }
        #expect(throws: ReportValidationError(field: "colour", problem: .unknownField)) { try decode(["colour": "red"]) }
        #expect(throws: ReportValidationError(field: "text", problem: .wrongType(expected: "a string"))) { try decode(["text": 5]) }
        #expect(throws: ReportValidationError(field: "reporter.role", problem: .invalid("boss"))) { try decode(["reporter": ["role": "boss"]]) }
        let ok = try? decode(["category": "fraud", "place": "Torget", "occurred": "earlier", "text": "x", "contact": NSNull()])
        #expect(ok?.category == .fraud)
        #expect(ok?.language == "sv")
    }
}

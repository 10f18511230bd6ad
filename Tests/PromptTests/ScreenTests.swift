import Foundation
import Testing
@testable import Prompt
import ReportModel

@Suite struct ScreenTests {
    let texts: Texts
    let renderer: ScreenRenderer
    init() throws {
        texts = try builtInTexts()
        renderer = ScreenRenderer(texts: texts, places: ["Ungdomsgården", "Centrum"], site: "Testgården")
    }

    /// Flows at every screen, in the given language.
    func allScreens(english: Bool) -> [(String, PromptFlow)] {
        var out: [(String, PromptFlow)] = []
        var f = makeFlow(pinHash: testPINHash)
        if english { f.type("L") }
        out.append(("welcome", f))
        f.type("x"); out.append(("category", f))
        f.type("5"); out.append(("place", f))
        f.type("1\r"); out.append(("when", f))
        f.type("2"); out.append(("source", f))
        f.type("\r"); out.append(("text", f))
        f.type("Någon tog min cykel\r"); out.append(("contact", f))
        f.type("\r"); out.append(("review", f))
        _ = f.type("1"); out.append(("storing", f))
        _ = f.handle(.stored(id: "i", seq: 77), now: 0); out.append(("thanks", f))
        f.type("q")
        if english { f.type("L") } // the language went back to Swedish for the next visitor
        f.press(.control("a")); f.type("*"); out.append(("pin", f))
        f.type(testPIN + "\r"); out.append(("menu", f))
        _ = f.handle(.staffSnapshot(StaffSnapshot(pending: 2, deadLetters: 1, broker: nil,
                                                  lastError: "tls:\u{1B}[2J bad"), eventLabel: "Mässan\u{1B}[31m"), now: 0)
        out.append(("menu+snapshot", f))
        f.type("2"); out.append(("event", f))
        f.press(.escape); f.type("7"); out.append(("age group", f))
        // The age question, at a kiosk that asks it, and the danger screen.
        var a = makeFlow(ageGroup: .ask)
        if english { a.type("L") }
        a.type("x4Torget\r1"); out.append(("danger", a))
        a.type(" 2Någon hotade oss\r"); out.append(("age", a))
        return out
    }

    @Test(arguments: [false, true])
    func emergencyNumbersOnEveryScreenAndLinesFit(english: Bool) {
        for (name, f) in allScreens(english: english) {
            for (w, h) in [(80, 24), (132, 43), (40, 20), (30, 12)] {
                let frame = renderer.render(f, width: w, height: h, now: 0)
                let text = frame.text
                let emergency = english ? "In an emergency: call 112" : "Vid akut fara: ring 112"
                let police = english ? "Police: 114 14" : "Polisen: 114 14"
                if w >= 40 {
                    #expect(text.contains(emergency), "\(name) \(w)x\(h)")
                    #expect(text.contains(police), "\(name) \(w)x\(h)")
                } else {
                    #expect(text.replacingOccurrences(of: "\n", with: " ").contains("112"), "\(name) \(w)x\(h)")
                }
                #expect(frame.lines.count <= h, "\(name) \(w)x\(h)")
                for line in frame.lines { #expect(DisplayWidth.of(line.text) <= w, "\(name): \(line.text)") }
                if let c = frame.cursor { #expect(c.row < h && c.column < w) }
            }
        }
    }

    @Test func stepNumbersAndAnonymityLine() {
        let screens = Dictionary(uniqueKeysWithValues: allScreens(english: false))
        let expected = ["category": 1, "place": 2, "when": 3, "source": 4, "text": 5, "age": 6, "contact": 6, "review": 7]
        for (name, n) in expected {
            let text = renderer.render(screens[name]!, width: 80, height: 24, now: 0).text
            #expect(text.contains("Steg \(n) av 7"), "\(name)")
            #expect(text.contains("Du behöver inte lämna namn"), "\(name)")
        }
        #expect(!renderer.render(screens["welcome"]!, width: 80, height: 24, now: 0).text.contains("Steg"))
        let en = Dictionary(uniqueKeysWithValues: allScreens(english: true))
        #expect(renderer.render(en["place"]!, width: 80, height: 24, now: 0).text.contains("Step 2 of 7"))
    }

    @Test func screensShowTheirChoices() {
        let s = Dictionary(uniqueKeysWithValues: allScreens(english: false))
        func text(_ n: String) -> String { renderer.render(s[n]!, width: 100, height: 40, now: 0).text }
        #expect(text("welcome").contains("Tryck L för English"))
        for c in Category.allCases { #expect(text("category").contains("\(c.digit)  \(c.swedishLabel)")) }
        #expect(text("place").contains("1  Ungdomsgården") && text("place").contains("2  Centrum"))
        #expect(text("when").contains("5  Vet inte"))
        #expect(text("review").contains("1  Skicka tipset") && text("review").contains("3  Släng tipset"))
        #expect(text("review").contains("Någon tog min cykel") && text("review").contains("Anonym"))
        #expect(text("storing").contains("Sparar"))
        #expect(!text("storing").contains("Ditt nummer"))
        #expect(text("thanks").contains("Ditt nummer: 0077"))
        #expect(text("pin").contains("PIN"))
        #expect(text("menu+snapshot").contains("Väntar på att skickas: 2"))
        #expect(text("menu+snapshot").contains("okänd"))
        #expect(text("menu+snapshot").contains("Kunde inte levereras: 1"))
        #expect(text("menu+snapshot").contains("Händelse: Mässan"))
        #expect(text("menu+snapshot").contains("Senaste fel: tls: bad"))
        #expect(text("menu").contains("2  Ändra händelse"))
        #expect(text("menu").contains("5  Använd händelsen från inställningsfilen"))
        #expect(!text("menu+snapshot").unicodeScalars.contains("\u{1B}"))
        let en = Dictionary(uniqueKeysWithValues: allScreens(english: true))
        #expect(renderer.render(en["welcome"]!, width: 80, height: 24, now: 0).text.contains("Press L for Svenska"))
        #expect(renderer.render(en["category"]!, width: 80, height: 24, now: 0).text.contains("4  Threats or violence"))
    }

    @Test func counterAndPINMask() {
        var f = makeFlow(pinHash: testPINHash)
        f.type("x1Centrum\r1\r")
        f.press(.paste(String(repeating: "å", count: 412)))
        let frame = renderer.render(f, width: 80, height: 24, now: 0)
        #expect(frame.text.contains("412/2000"))
        var h = makeFlow()
        h.type("x1Centrum")
        #expect(!renderer.render(h, width: 80, height: 24, now: 0).text.contains("7/200"))
        h.press(.paste(String(repeating: "b", count: 163)))
        #expect(renderer.render(h, width: 80, height: 24, now: 0).text.contains("170/200"))
        var g = makeFlow(pinHash: testPINHash)
        g.press(.control("a")); g.type("*9876")
        let pin = renderer.render(g, width: 80, height: 24, now: 0).text
        #expect(pin.contains("> ****") && !pin.contains("9876"))
    }

    @Test func storeRefusalMessagesInPlainWords() {
        var f = makeFlow()
        f.type("x1Centrum\r1\rhej\r\r")
        _ = f.type("1")
        _ = f.handle(.storeFailed(.full(maxPending: 1)), now: 0)
        let t = renderer.render(f, width: 100, height: 30, now: 0).text
        #expect(t.contains("Kiosken tar inte emot fler tips just nu. Be personalen om hjälp."))
        #expect(t.contains("1  Skicka tipset")) // still on review, the draft kept
        _ = f.type("1")
        _ = f.handle(.storeFailed(.unavailable("SQLITE_IOERR")), now: 0)
        let u = renderer.render(f, width: 100, height: 30, now: 0).text
        #expect(u.contains("Be personalen om hjälp") && !u.contains("SQLITE"))
    }

    @Test func lockoutIsShownPlainly() {
        var f = makeFlow(pinHash: testPINHash)
        f.press(.control("a")); f.type("*")
        for _ in 0..<5 { f.type("0\r", at: 0) }
        let t = renderer.render(f, width: 100, height: 30, now: 0).text
        #expect(t.contains("För många fel PIN-koder. Försök igen om 5 minuter."))
        let later = renderer.render(f, width: 100, height: 30, now: 4 * 60_000 + 1).text
        #expect(later.contains("Försök igen om 1 minuter"))
    }

    @Test func longTextScrollsToTheCursorAndWideCharactersFit() {
        var f = makeFlow()
        f.type("x1Centrum\r1\r")
        f.press(.paste(String(repeating: "漢字 ", count: 600)))
        let frame = renderer.render(f, width: 40, height: 15, now: 0)
        #expect(frame.lines.count <= 15)
        for l in frame.lines { #expect(DisplayWidth.of(l.text) <= 40) }
        let c = try! #require(frame.cursor)
        #expect(c.row < 15)
        #expect(frame.text.contains("1799/2000")) // 600 × "漢字 " = 1800 scalars, the last space trimmed
    }

    @Test func rightToLeftTextStaysInsideItsLines() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "language.name = العربية\nlanguage.direction = rtl\nwelcome.title = أبلغ عن شيء يبدو غير آمن\u{202E}\u{1B}[2J\n"
            .write(to: dir.appendingPathComponent("ar.txt"), atomically: true, encoding: .utf8)
        let t = try builtInTexts(languages: ["sv", "en", "ar"], directory: dir.path)
        #expect(t.packs.map(\.tag) == ["sv", "en", "ar"])
        #expect(t.packs[2].isRightToLeft)
        let r = ScreenRenderer(texts: t, places: [], site: "x")
        var f = PromptFlow(config: FlowConfig(languageTags: ["sv", "en", "ar"], places: [], idleTimeoutMillis: 90_000,
                                              thanksMillis: 8000, staffPINHash: nil), now: 0)
        f.type("LL")
        #expect(f.languageTag == "ar")
        let frame = r.render(f, width: 60, height: 20, now: 0)
        #expect(frame.text.contains("أبلغ عن شيء"))
        #expect(!frame.text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E })
        // missing keys fall back to Swedish
        #expect(frame.text.contains("Vid akut fara: ring 112"))
        f.type("x")
        #expect(r.render(f, width: 60, height: 20, now: 0).text.contains("Otrygg plats"))
    }

    @Test func frameWriterWritesOnlyChangedRowsInOneString() {
        var w = FrameWriter()
        let a = Frame(width: 20, height: 5, lines: [.init("rad ett"), .init("rad två", .bold)], cursor: nil)
        let first = w.output(for: a)
        #expect(first.hasPrefix("\u{1B}[?25l"))
        #expect(first.contains("rad ett") && first.contains("rad två"))
        var b = a
        b.lines[1] = .init("rad 2", .bold)
        b.cursor = .init(row: 1, column: 5)
        let second = w.output(for: b)
        #expect(!second.contains("rad ett") && second.contains("rad 2"))
        #expect(second.hasSuffix("\u{1B}[2;6H\u{1B}[?25h"))
        let same = w.output(for: b)
        #expect(!same.contains("rad"))
        var c = b
        c.lines.removeLast()
        #expect(w.output(for: c).contains("\u{1B}[2;1H\u{1B}[K"))
        w.invalidate()
        let redraw = w.output(for: c)
        #expect(redraw.contains("rad ett") && redraw.contains("\u{1B}[2J"))
        #expect(!redraw.contains("\u{1B}[3J")) // a resize keeps the scrollback
    }

    @Test func aWipeClearsTheWholeScreenAndTheScrollback() {
        var w = FrameWriter()
        let draft = Frame(width: 20, height: 5, lines: [.init("Hemlig plats")], cursor: nil)
        _ = w.output(for: draft)
        w.invalidate(clearingScrollback: true)
        let welcome = Frame(width: 20, height: 5, lines: [.init("Välkommen")], cursor: nil)
        let wipe = w.output(for: welcome)
        #expect(wipe.contains("\u{1B}[H\u{1B}[2J\u{1B}[3J"))
        #expect(wipe.contains("Välkommen"))
        // only that once: the next frames change rows as usual
        #expect(!w.output(for: welcome).contains("\u{1B}[3J"))
    }

    @Test func displayWidths() {
        #expect(DisplayWidth.of("a") == 1)
        #expect(DisplayWidth.of("漢") == 2)
        #expect(DisplayWidth.of("😀") == 2)
        #expect(DisplayWidth.of("e\u{301}" as Character) == 1)
        #expect(DisplayWidth.of("\u{301}" as Character) == 0)
        #expect(DisplayWidth.of("ب") == 1)
        #expect(DisplayWidth.wrap("ett två tre fyra", width: 8) == ["ett två", "tre fyra"])
        #expect(DisplayWidth.wrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
        #expect(DisplayWidth.wrap("a\n\nb", width: 4) == ["a", "", "b"])
        #expect(DisplayWidth.truncate("漢字漢字", to: 5) == "漢字")
    }

    /// The character by character measure the quick paths (ASCII, Latin, "fits whole") must agree with.
    static func slowWidth(_ s: String) -> Int { s.reduce(0) { $0 + DisplayWidth.of($1) } }

    @Test("The quick paths of the width, truncation and wrapping give what the character by character way gives")
    func quickPathsAgree() {
        let samples = ["", "a", "Tack för ditt tips!", "Åsa på Öland – 112", "soft\u{AD}hyphen", "tab\tand\u{7F}del",
                       "e\u{301}e\u{301}", "漢字 and å", "☺\u{FE0F} ok", "😀😀", "\u{9F}x", "ﬁ ligature ǅ"]
        for s in samples {
            #expect(DisplayWidth.of(s) == Self.slowWidth(s), "\(s.unicodeScalars.map { String($0.value, radix: 16) })")
            for columns in 0...12 {
                let t = DisplayWidth.truncate(s, to: columns)
                #expect(Self.slowWidth(t) <= columns && s.hasPrefix(t), "\(s) to \(columns)")
                if t.count < s.count { #expect(Self.slowWidth(t) + DisplayWidth.of(s[s.index(s.startIndex, offsetBy: t.count)]) > columns) }
            }
        }
        // A paragraph that fits is kept whole only with single spaces; otherwise the words are laid out again.
        #expect(DisplayWidth.wrap("Sparar tipset …", width: 15) == ["Sparar tipset …"])
        #expect(DisplayWidth.wrap("två  mellanslag", width: 40) == ["två mellanslag"])
        #expect(DisplayWidth.wrap(" inledande och avslutande ", width: 40) == ["inledande och avslutande"])
        #expect(DisplayWidth.wrap("precis sexton ok", width: 16) == ["precis sexton ok"])
        #expect(DisplayWidth.wrap("precis sexton ok", width: 15) == ["precis sexton", "ok"])
        #expect(DisplayWidth.wrap("漢字漢字 x", width: 10) == ["漢字漢字 x"])
        #expect(DisplayWidth.wrap("漢字漢字 x", width: 9) == ["漢字漢字", "x"])
        #expect(DisplayWidth.wrap("", width: 5) == [""])
    }
}

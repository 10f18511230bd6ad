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
        every(english: english).map { ($0.name, $0.flow) }
    }

    /// A screen to check: its flow and renderer, and what must be on it at any size from 40×15 up (text keys, and
    /// the keys of its choices).
    struct Screen {
        var name: String
        var flow: PromptFlow
        var renderer: ScreenRenderer
        /// The question (or title), first under the emergency line.
        var question: String
        var choices: [String] = []
        /// Texts that must be whole on the screen (hints, notices), as text keys or literal text.
        var needed: [String] = []
        var back = false
    }

    static let feedback = try! Feedback.make(text: [
        "sv": "Lampan vid tunneln är lagad. Polisen har varit vid skolan varje fredag sedan i mars, och klottret på "
            + "väggen vid torget är borta. Tack till alla som tipsade! Fortsätt gärna att säga till när något känns "
            + "otryggt, här eller hos fritidsgården.",
        "en": "The lamp by the tunnel is fixed. The police have been at the school every Friday since March, and "
            + "the graffiti by the square is gone. Thanks to all who told us! Please keep telling us when something "
            + "feels unsafe, here or at the youth centre."], publishedAt: "2026-05-01T10:00:00+02:00", until: nil)

    /// Every screen of the flow, staff screens and notices included (docs/CONTRACT.md §6).
    func every(english: Bool) -> [Screen] {
        var out: [Screen] = []
        let r = renderer
        let noPlaces = ScreenRenderer(texts: texts, places: [], site: "Testgården")
        func flow(places: [String] = ["Ungdomsgården", "Centrum"], pin: String? = testPINHash,
                  age: AgeGroupSetting? = nil) -> PromptFlow {
            var f = makeFlow(places: places, pinHash: pin, ageGroup: age)
            if english { f.type("L") }
            return f
        }
        let digit = "choose.digit", keep = "choose.keep", skip = "choose.skip"
        let categories = Category.allCases.map { String($0.digit) }
        let when = ["1", "2", "3", "4", "5"]
        let long = String(repeating: "Någon har sprejat på väggen vid torget igen och det är fjärde gången. ", count: 25)

        var f = flow()
        out.append(Screen(name: "welcome", flow: f, renderer: r, question: "welcome.title",
                          needed: ["welcome.start", "welcome.language"]))
        var fb = f
        _ = fb.handle(.feedback(Self.feedback), now: 0)
        out.append(Screen(name: "welcome+feedback", flow: fb, renderer: r, question: "welcome.title",
                          needed: ["welcome.start", "welcome.language", "feedback.title"]))
        f.type("x")
        out.append(Screen(name: "category", flow: f, renderer: r, question: "category.question", choices: categories,
                          needed: [digit], back: true))
        var n = f; n.type("q")
        out.append(Screen(name: "category+notice", flow: n, renderer: r, question: "category.question",
                          choices: categories, needed: ["notice.press_digit"], back: true))
        f.type("4")
        out.append(Screen(name: "place", flow: f, renderer: r, question: "place.question", choices: ["1", "2"],
                          needed: ["place.hint"], back: true))
        out.append(Screen(name: "place without list", flow: f, renderer: noPlaces, question: "place.question",
                          needed: ["place.hint.free"], back: true))
        n = f; n.type("\r")
        out.append(Screen(name: "place+notice", flow: n, renderer: r, question: "place.question", choices: ["1", "2"],
                          needed: ["notice.place_empty"], back: true))
        n = f; n.press(.paste(String(repeating: "x", count: 200))); n.type("y")
        out.append(Screen(name: "place full+notice", flow: n, renderer: r, question: "place.question",
                          choices: ["1", "2"], needed: ["notice.limit", "200/200"], back: true))
        f.type("Torget\r")
        out.append(Screen(name: "when", flow: f, renderer: r, question: "when.question", choices: when,
                          needed: [digit], back: true))
        f.type("1")
        out.append(Screen(name: "danger", flow: f, renderer: r, question: "danger.question",
                          needed: ["danger.call", "danger.next"]))
        f.type(" ")
        out.append(Screen(name: "source", flow: f, renderer: r, question: "source.question", choices: ["1", "2", "3"],
                          needed: [skip], back: true))
        f.type("1")
        out.append(Screen(name: "text", flow: f, renderer: r, question: "text.question",
                          needed: ["text.hint", "0/2000"], back: true))
        n = f; n.type("\r")
        out.append(Screen(name: "text+notice", flow: n, renderer: r, question: "text.question",
                          needed: ["notice.text_empty"], back: true))
        var longText = f
        longText.press(.paste(long))
        out.append(Screen(name: "text long", flow: longText, renderer: r, question: "text.question",
                          needed: ["text.hint", "/2000"], back: true))
        f.type("Två personer hotade en kompis vid busshållplatsen.\r")
        out.append(Screen(name: "contact", flow: f, renderer: r, question: "contact.question",
                          needed: ["contact.hint"], back: true))
        f.type("\r")
        out.append(Screen(name: "review", flow: f, renderer: r, question: "review.question", choices: ["1", "2", "3"],
                          back: true))
        for (name, refusal, key) in [("full", StoreRefusal.full(maxPending: 100), "notice.full"),
                                     ("disk full", .diskFull, "notice.disk_full"),
                                     ("unavailable", .unavailable("SQLITE_IOERR"), "notice.unavailable")] {
            n = f
            n.type("1")
            _ = n.handle(.storeFailed(refusal), now: 0)
            out.append(Screen(name: "review+\(name)", flow: n, renderer: r, question: "review.question",
                              choices: ["1", "2", "3"], needed: [key], back: true))
        }
        n = f; n.type("2")
        out.append(Screen(name: "category again", flow: n, renderer: r, question: "category.question",
                          choices: categories, needed: [keep], back: true))
        n = f; _ = n.type("1")
        out.append(Screen(name: "storing", flow: n, renderer: r, question: "review.question", needed: ["storing"]))
        _ = n.handle(.stored(id: "i", seq: 4242), now: 0)
        out.append(Screen(name: "thanks", flow: n, renderer: r, question: "thanks.title",
                          needed: ["thanks.next", english ? "Your number: 4242" : "Ditt nummer: 4242"]))
        n = f; n.type("3")
        out.append(Screen(name: "welcome+discarded", flow: n, renderer: r, question: "welcome.title",
                          needed: ["notice.discarded", "welcome.start"]))

        // The review with personal data, every optional answer, a long place, text and contact.
        var a = flow(age: .ask)
        a.type("x2")
        a.press(.paste("Parkeringen bakom " + String(repeating: "den gamla sporthallen och ", count: 6) + "skolan"))
        a.type("\r2" + "1")
        a.press(.paste("Ring 070-123 45 67 eller skriv till kalle@example.com. " + long))
        a.type("\r")
        out.append(Screen(name: "age", flow: a, renderer: r, question: "age.question", choices: ["1", "2", "3", "4"],
                          needed: [skip], back: true))
        a.type("2")
        a.press(.paste("Kalle Karlsson Andersson 0701234567 kalle.karlsson.andersson@example.com"))
        a.type("\r")
        out.append(Screen(name: "review masked long", flow: a, renderer: r, question: "review.question",
                          choices: ["1", "2", "3", "4"], back: true))
        n = a; n.type("1")
        _ = n.handle(.storeFailed(.full(maxPending: 100)), now: 0)
        out.append(Screen(name: "review masked long+full", flow: n, renderer: r, question: "review.question",
                          choices: ["1", "2", "3", "4"], needed: ["notice.full"], back: true))
        var invalid = flow(places: ["\u{1B}"])
        invalid.type("x11\r2\rhej\r\r1")
        out.append(Screen(name: "review+invalid", flow: invalid, renderer: r, question: "review.question",
                          choices: ["1", "2", "3"], needed: ["notice.invalid"], back: true))

        // Paper tips, and staff.
        var s = flow()
        s.press(.control("a")); s.type("*")
        out.append(Screen(name: "pin", flow: s, renderer: r, question: "staff.pin.title", needed: ["staff.pin.prompt"]))
        n = s; n.type("1111\r")
        out.append(Screen(name: "pin+wrong", flow: n, renderer: r, question: "staff.pin.title",
                          needed: ["staff.pin.prompt", english ? "Wrong PIN. 4 tries left." : "Fel PIN-kod. 4 försök kvar."]))
        for _ in 0..<4 { n.type("1111\r") }
        out.append(Screen(name: "pin locked", flow: n, renderer: r, question: "staff.pin.title",
                          needed: ["staff.pin.escape", english ? "Try again in 5 minutes." : "Försök igen om 5 minuter."]))
        var none = flow(pin: nil)
        none.press(.control("a")); none.type("*")
        out.append(Screen(name: "welcome+not set up", flow: none, renderer: r, question: "welcome.title",
                          needed: ["notice.staff_not_set_up"]))
        let menu = ["1", "2", "3", "4", "5", "7"]
        s.type(testPIN + "\r")
        out.append(Screen(name: "menu", flow: s, renderer: r, question: "staff.menu.title", choices: menu))
        _ = s.handle(.staffSnapshot(StaffSnapshot(pending: 12, oldestPendingAt: "2026-05-01T10:00:00+02:00",
                                                  broker: .connected, lastAckAt: "2026-05-01T10:05:00+02:00"),
                                    eventLabel: "Seniormässan 2026"), now: 0)
        out.append(Screen(name: "menu+snapshot", flow: s, renderer: r, question: "staff.menu.title", choices: menu))
        var d = s
        _ = d.handle(.staffSnapshot(StaffSnapshot(pending: 3, oldestPendingAt: "2026-05-01T10:00:00+02:00",
                                                  deadLetters: 2, broker: nil, lastAckAt: nil,
                                                  lastError: "TLS: certificate verify failed: unable to get local issuer certificate\u{1B}[2J"),
                                    eventLabel: "Mässan\u{1B}[31m"), now: 0)
        out.append(Screen(name: "menu+dead letters+error", flow: d, renderer: r, question: "staff.menu.title",
                          choices: ["1", "2", "3", "4", "5", "6", "7"]))
        for (name, event, key) in [
            ("event saved", FlowEvent.eventLabelSaved("Torgdagen"), "staff.event.saved"),
            ("event failed", .eventLabelFailed(.full(maxPending: 5)), "staff.event.failed"),
            ("age saved", .ageGroupSaved(.ask), "staff.age.saved"),
            ("requeued", .deadLettersRequeued(2), english ? "2 refused tips are sent again." : "2 refuserade tips skickas igen."),
            ("requeue failed", .deadLettersFailed(.unavailable("SQLITE_BUSY")), "staff.dead.failed"),
        ] {
            n = d
            _ = n.handle(event, now: 0)
            out.append(Screen(name: "menu+\(name)", flow: n, renderer: r, question: "staff.menu.title",
                              choices: ["1", "2", "3", "4", "5", "6", "7"], needed: [key]))
        }
        n = s; n.type("2")
        out.append(Screen(name: "event", flow: n, renderer: r, question: "staff.event.prompt",
                          needed: ["staff.event.hint"]))
        n = s; n.type("7")
        out.append(Screen(name: "age group", flow: n, renderer: r, question: "staff.age.prompt",
                          choices: ["1", "2", "3", "4", "5", "6"], needed: ["staff.age.hint"]))
        _ = n.handle(.ageGroupFailed(.diskFull), now: 0)
        out.append(Screen(name: "age group+failed", flow: n, renderer: r, question: "staff.age.prompt",
                          choices: ["1", "2", "3", "4", "5", "6"], needed: ["staff.age.failed"]))
        var p = s
        p.type("3")
        out.append(Screen(name: "welcome paper", flow: p, renderer: r, question: "welcome.title",
                          needed: ["welcome.start", "staff.return"]))
        p.type("x")
        out.append(Screen(name: "category paper", flow: p, renderer: r, question: "category.question",
                          choices: categories, needed: [digit], back: true))
        return out
    }

    /// The words of a text, so that one wrapped over rows is still found.
    static func words(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
    }

    @Test(arguments: [false, true])
    func everyScreenFitsAndKeepsWhatTheVisitorNeeds(english: Bool) {
        let lang = english ? 1 : 0
        let emergency = english ? "In an emergency: call 112" : "Vid akut fara: ring 112"
        for screen in every(english: english) {
            for (w, h) in [(40, 15), (42, 16), (60, 16), (80, 24), (132, 43)] {
                let at = "\(screen.name) \(english ? "en" : "sv") \(w)x\(h)"
                let frame = screen.renderer.render(screen.flow, width: w, height: h, now: 0)
                #expect(frame.lines.count == h, "\(at)")
                for line in frame.lines { #expect(line.width <= w, "\(at): \(line.shown)") }
                if let c = frame.cursor { #expect(c.row < h && c.column < w, "\(at)") }
                // the emergency line: the top row, reverse video across the whole width
                let top = frame.lines[0]
                #expect(top.text.contains(emergency) && top.style == .reverse && top.width == w && top.column == 0, "\(at)")
                if w >= 44 { #expect(top.text.contains(english ? "Police: 114 14" : "Polisen: 114 14"), "\(at)") }
                // a centred column with a margin, every other row inside it
                let leftMargin = frame.body.lowerBound, rightMargin = w - frame.body.upperBound
                #expect(abs(leftMargin - rightMargin) <= 1 && leftMargin >= 1 && frame.body.count <= ScreenRenderer.maxColumn, "\(at)")
                for line in frame.lines.dropFirst() where !line.text.isEmpty {
                    #expect(line.column >= frame.body.lowerBound && line.width <= frame.body.upperBound, "\(at): \(line.shown)")
                }
                // the question first under the emergency line, in bold
                let question = texts.string(screen.question, lang)
                let firstBody = frame.lines.dropFirst().first { !$0.text.isEmpty }
                #expect(firstBody?.style == .bold && question.hasPrefix(firstBody?.text ?? "-"), "\(at): \(firstBody?.text ?? "")")
                let all = Self.words(frame.lines.dropFirst().map(\.text).joined(separator: " "))
                #expect(all.contains(Self.words(question)), "\(at)")
                // every choice: its key in reverse video
                for key in screen.choices {
                    #expect(frame.lines.contains { $0.spans.contains { $0.style == .reverse && $0.text == " \(key) " } },
                            "\(at): choice \(key)")
                }
                for need in screen.needed {
                    var text = texts.string(need, lang)
                    if text == need { text = need } // literal text
                    text = String(text.prefix { $0 != "{" }) // up to the first placeholder
                    #expect(all.contains(Self.words(text)), "\(at): \(need)")
                }
                let back = texts.string("back", lang)
                if screen.back { #expect(frame.lines.last?.text.hasPrefix(back) == true, "\(at): back hint") }
                if let n = screen.flow.step.number, screen.flow.step != .storing, w >= 40 {
                    #expect(frame.lines.last?.text.contains(texts.string("step", lang, ["n": String(n), "total": "7"])) == true, "\(at)")
                }
            }
        }
    }

    @Test(arguments: [false, true])
    func tinyScreensStillShowTheEmergencyNumber(english: Bool) {
        for screen in every(english: english) {
            for (w, h) in [(30, 12), (20, 8)] {
                let frame = screen.renderer.render(screen.flow, width: w, height: h, now: 0)
                #expect(frame.lines.count <= h)
                let top = frame.lines.prefix { $0.style == .reverse && $0.column == 0 }.map(\.text).joined(separator: " ")
                #expect(top.contains("112"), "\(screen.name) \(w)x\(h)")
                for line in frame.lines { #expect(line.width <= w, "\(screen.name) \(w)x\(h): \(line.shown)") }
                if let c = frame.cursor { #expect(c.row < h && c.column < w) }
            }
        }
    }

    @Test func longTextsAreCutWithAnEllipsisNotDropped() {
        let screens = Dictionary(uniqueKeysWithValues: every(english: false).map { ($0.name, $0) })
        let review = screens["review masked long"]!
        let small = review.renderer.render(review.flow, width: 40, height: 15, now: 0)
        let big = review.renderer.render(review.flow, width: 80, height: 40, now: 0)
        // the text: fewer lines on the small screen, at most reviewTextLines on a big one, the last ending in "…"
        func textLines(_ f: Frame) -> [String] {
            let rows = f.lines.map(\.text)
            guard let i = rows.firstIndex(where: { $0.hasPrefix("Vad:") }) else { return [] }
            let end = rows[i...].firstIndex { $0.hasPrefix("Kontakt:") } ?? rows.count
            return Array(rows[i..<end])
        }
        #expect(textLines(small).count >= 1 && textLines(small).last?.hasSuffix("…") == true, "\(small.text)")
        #expect(textLines(big).count == ScreenRenderer.reviewTextLines && textLines(big).last?.hasSuffix("…") == true, "\(big.text)")
        #expect(small.text.contains("»070-123 45 67«"))
        // the centre's feedback: its title and at least its first line
        let welcome = screens["welcome+feedback"]!
        let w = welcome.renderer.render(welcome.flow, width: 40, height: 15, now: 0)
        #expect(w.text.contains("Det här har hänt efter era tips") && w.text.contains("Lampan vid tunneln"))
        #expect(w.lines.contains { $0.text.hasSuffix("…") })
        let wide = welcome.renderer.render(welcome.flow, width: 80, height: 30, now: 0)
        #expect(wide.text.contains("fritidsgården.") && !wide.text.contains("…"))
    }

    @Test func staffScreensSpeakTheVisitorsLanguage() {
        for english in [false, true] {
            for screen in every(english: english) where screen.flow.step.isStaff || screen.name.hasPrefix("menu") {
                for (w, h) in [(40, 15), (80, 24), (132, 50)] {
                    let t = screen.renderer.render(screen.flow, width: w, height: h, now: 0).text
                    if !english {
                        for word in ["unknown", "gateway not running", "disk full", "queue", "connected", "none", "never"] {
                            #expect(!t.contains(word), "\(screen.name) \(w)x\(h): \(word)")
                        }
                    }
                }
            }
        }
        let s = Dictionary(uniqueKeysWithValues: every(english: false).map { ($0.name, $0) })
        func text(_ n: String) -> String { Self.words(s[n]!.renderer.render(s[n]!.flow, width: 132, height: 50, now: 0).text) }
        #expect(text("menu+event failed").contains("Det gick inte att spara händelsen: kön är full (5 tips)"))
        #expect(text("menu+requeue failed").contains("utkorgen svarar inte (SQLITE_BUSY)"))
        #expect(text("age group+failed").contains("Det gick inte att spara åldersgruppen: disken är full"))
        #expect(text("menu+snapshot").contains("Äldsta som väntar: 2026-05-01 10:00"))
        #expect(text("menu+snapshot").contains("Förbindelse med servern: ansluten"))
        for (state, word) in [(StaffSnapshot.Broker.gatewayNotRunning, "okänd (gatewayen körs inte)"),
                              (.gatewayStopped, "inte ansluten (gatewayen är stoppad)"), (.connecting, "ansluter")] {
            var f = s["menu"]!.flow
            _ = f.handle(.staffSnapshot(StaffSnapshot(pending: 0, broker: state), eventLabel: nil), now: 0)
            #expect(renderer.render(f, width: 80, height: 24, now: 0).text.contains("Förbindelse med servern: \(word)"))
        }
        var f = s["menu"]!.flow
        _ = f.handle(.staffSnapshot(StaffSnapshot(pending: 0, outboxReadable: false), eventLabel: nil), now: 0)
        #expect(renderer.render(f, width: 80, height: 24, now: 0).text.contains("Utkorgen kan inte öppnas."))
    }

    @Test func choicesStandApartAndTheEarlierAnswerIsMarked() {
        var f = makeFlow()
        f.type("x4Torget\r\u{1B}\u{1B}") // back to the category, 4 chosen before
        let frame = renderer.render(f, width: 40, height: 15, now: 0)
        let four = try! #require(frame.lines.first { $0.spans.contains { $0.text == " 4 " } })
        #expect(four.spans.map(\.style) == [.bold, .reverse, .plain, .bold])
        #expect(four.text == "> 4  Hot eller våld")
        let five = try! #require(frame.lines.first { $0.spans.contains { $0.text == " 5 " } })
        #expect(five.text == "  5  Stöld eller inbrott" && five.spans[3].style == .plain)
        // the output: the key in reverse video, the label after it
        var w = FrameWriter()
        let out = w.output(for: frame)
        #expect(out.contains("\u{1B}[7m 5 \u{1B}[0m Stöld eller inbrott"))
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
        #expect(text("review").contains("Två personer hotade en kompis") && text("review").contains("Anonym"))
        #expect(text("storing").contains("Sparar"))
        #expect(!text("storing").contains("Ditt nummer"))
        #expect(text("thanks").contains("Ditt nummer: 4242"))
        #expect(text("pin").contains("PIN"))
        #expect(text("menu+snapshot").contains("Väntar på att skickas: 12"))
        #expect(text("menu+dead letters+error").contains("Förbindelse med servern: okänd (ingen gateway har rapporterat)"))
        #expect(text("menu+dead letters+error").contains("Kunde inte levereras: 2"))
        #expect(text("menu+dead letters+error").contains("Händelse: Mässan"))
        #expect(text("menu+dead letters+error").contains("Senaste fel: TLS: certificate verify failed"))
        #expect(text("menu+dead letters+error").contains("6  Skicka de refuserade tipsen igen"))
        #expect(text("menu").contains("2  Ändra händelse"))
        #expect(text("menu").contains("5  Händelsen från inställningsfilen"))
        #expect(!text("menu+dead letters+error").unicodeScalars.contains("\u{1B}"))
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

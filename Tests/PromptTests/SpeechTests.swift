import Foundation
import Testing
@testable import Prompt
import ReportModel
@testable import Speech

/// What the prompt says aloud (`SpeechScript`, pure) and how the voice says it (`Respelling`), in process.
@Suite struct SpeechScriptTests {
    let texts: Texts
    let renderer: ScreenRenderer
    let script: SpeechScript
    init() throws {
        texts = try builtInTexts()
        renderer = ScreenRenderer(texts: texts, places: ["Ungdomsgården", "Centrum"], site: "Testgården")
        script = SpeechScript(renderer: renderer)
    }

    /// The visitor's own words in this tip: none of them may ever be spoken.
    static let secretText = "Kalle Zyxwvut tog cykeln vid Qwertzhallen"
    static let secretPlace = "Qwertzhallen bakom Plopparken"
    static let secretContact = "Vilma Xylofonsson 0701234567 vilma@example.org"
    static let secretWords = ["Zyxwvut", "Qwertzhallen", "Plopparken", "Xylofonsson", "0701234567", "vilma@", "Kalle", "cykeln"]

    /// A tip typed through every visitor screen (the age question and the danger screen included), with the
    /// utterance of each screen and what each key's change of screen made the speaker do.
    func walk(english: Bool) -> [(name: String, flow: PromptFlow, actions: [SpeechScript.Action])] {
        var out: [(String, PromptFlow, [SpeechScript.Action])] = []
        var f = makeFlow(ageGroup: .ask)
        var cue = SpeechScript.Cue(f)
        var actions: [SpeechScript.Action] = []
        func step(_ name: String, _ typed: String) {
            for k in keys(typed) {
                _ = f.press(k)
                actions.append(script.action(from: cue, to: f, byKey: true))
                cue = SpeechScript.Cue(f)
            }
            out.append((name, f, actions))
            actions = []
        }
        if english { step("welcome", "L") } else { out.append(("welcome", f, [])) }
        step("category", "x")
        step("place", "4")
        step("when", Self.secretPlace + "\r")
        step("danger", "1")
        step("source", " ")
        step("text", "1")
        step("age", Self.secretText + " ring 0701234567\r")
        step("contact", "2")
        step("review", Self.secretContact + "\r")
        _ = f.type("1")
        _ = f.handle(.stored(id: "i", seq: 42), now: 0)
        out.append(("thanks", f, [script.action(from: cue, to: f, byKey: true)]))
        return out
    }

    func spoken(_ name: String, english: Bool) throws -> String {
        let screen = try #require(walk(english: english).first { $0.name == name })
        let u = try #require(script.utterance(for: screen.flow), "\(name) says nothing")
        #expect(u.language == (english ? "en" : "sv"))
        return u.text
    }

    @Test func swedishScreensReadTheirQuestionAndChoices() throws {
        let welcome = try spoken("welcome", english: false)
        #expect(welcome.hasPrefix("Vid akut fara: ring 112. Tipsa om något som känns otryggt."))
        #expect(welcome.contains("Tryck L för English."))
        #expect(welcome.contains("Tryck F1 för att höra det här igen."))
        let category = try spoken("category", english: false)
        #expect(category.hasPrefix("Vad handlar tipset om? 1, Otrygg plats. 2, Narkotika, alkohol eller langning."))
        #expect(category.contains("4, Hot eller våld."))
        #expect(category.hasSuffix("0, Annat. Tryck på en siffra."))
        #expect(try spoken("place", english: false)
                == "Var hände det? 1, Ungdomsgården. 2, Centrum. Skriv en siffra från listan, eller platsen, och tryck Enter.")
        #expect(try spoken("when", english: false)
                == "När hände det? 1, Just nu. 2, I dag. 3, Den här veckan. 4, Tidigare. 5, Vet inte. Tryck på en siffra.")
        #expect(try spoken("danger", english: false)
                == "Är någon i fara just nu? Ring 112. Tryck på valfri tangent för att fortsätta med tipset.")
        #expect(try spoken("source", english: false)
                == "Såg du det själv? 1, Ja, jag såg det själv. 2, Nej, någon berättade det för mig. 3, Vill inte säga. Enter = hoppa över frågan.")
        #expect(try spoken("text", english: false) == "Vad hände? Berätta med egna ord. Tryck Enter när du är klar.")
        #expect(try spoken("age", english: false).contains("1, Under 20 år. 2, 20–64 år. 3, 65 år eller äldre. 4, Vill inte säga."))
        #expect(try spoken("contact", english: false).hasPrefix("Vill du att polisen ska kunna kontakta dig? Det är frivilligt."))
        let review = try spoken("review", english: false)
        #expect(review.hasPrefix("Stämmer det här? Titta på skärmen. Det du skrev läses inte upp."))
        #expect(review.contains("personuppgifter: telefonnummer."), "the kind of personal data found, not the data")
        #expect(review.contains("1, Skicka utan personuppgifterna. 2, Ändra. 3, Släng tipset. 4, Skicka med personuppgifterna."))
        #expect(try spoken("thanks", english: false) == "Tack för ditt tips! Ditt nummer: 0 0 4 2. Tryck på valfri tangent.")
    }

    @Test func englishScreensReadInEnglish() throws {
        let welcome = try spoken("welcome", english: true)
        #expect(welcome.hasPrefix("In an emergency: call 112. Tell us about something that feels unsafe."))
        #expect(welcome.contains("Press L for Svenska."))
        #expect(try spoken("category", english: true).hasPrefix("What is your tip about? 1, Unsafe place. 2, Drugs"))
        #expect(try spoken("when", english: true).hasPrefix("When did it happen? 1, Right now. 2, Today."))
        #expect(try spoken("danger", english: true).hasPrefix("Is anyone in danger right now? Call 112."))
        #expect(try spoken("source", english: true).hasPrefix("Did you see it yourself? 1, Yes, I saw it myself."))
        #expect(try spoken("age", english: true).contains("1, Under 20. 2, 20–64. 3, 65 or older."))
        #expect(try spoken("review", english: true).hasPrefix("Is this right? Please look at the screen. What you wrote is not read aloud."))
        #expect(try spoken("thanks", english: true).contains("0 0 4 2"))
        for screen in walk(english: true) where screen.name != "welcome" {
            #expect(script.utterance(for: screen.flow)?.language == "en", "\(screen.name)")
        }
    }

    @Test(arguments: [false, true])
    func theVisitorsOwnWordsAreNeverSpoken(english: Bool) throws {
        let screens = walk(english: english)
        #expect(screens.count == 11)
        var said: [String] = []
        for screen in screens {
            if let u = script.utterance(for: screen.flow) { said.append(u.text) }
            if let n = script.noticeUtterance(screen.flow) { said.append(n.text) }
            for case .say(let u) in screen.actions { said.append(u.text) }
        }
        #expect(said.count > 20)
        for text in said {
            for secret in Self.secretWords { #expect(!text.contains(secret), "spoken: \(text)") }
        }
        // The review screen itself does show them (the walk did type them).
        let review = try #require(screens.first { $0.name == "review" })
        #expect(review.flow.reportText?.contains("Zyxwvut") == true)
        #expect(review.flow.contact?.phone == "0701234567")
    }

    @Test func aKeyReadsTheNewScreenATimerOnlyStopsTheSpeech() throws {
        var f = makeFlow()
        let atWelcome = SpeechScript.Cue(f)
        f.type("x")
        guard case .say(let u) = script.action(from: atWelcome, to: f, byKey: true) else {
            Issue.record("a key to the category screen says nothing")
            return
        }
        #expect(u.text.hasPrefix("Vad handlar tipset om?"))
        let atCategory = SpeechScript.Cue(f)
        #expect(script.action(from: atCategory, to: f, byKey: true) == .none, "the same screen is not read again")
        // A wrong key: the notice alone.
        f.type("q")
        #expect(script.action(from: atCategory, to: f, byKey: true)
                == .say(.init(text: "Tryck på en av siffrorna på skärmen.", language: "sv")))
        // The idle wipe (a tick, no key) brings the welcome screen: the box does not start talking by itself.
        let before = SpeechScript.Cue(f)
        _ = f.handle(.tick, now: 91_000)
        #expect(f.step == .welcome)
        #expect(script.action(from: before, to: f, byKey: false) == .stop)
        // `L` on the welcome screen reads it in the other language.
        let sv = SpeechScript.Cue(f)
        f.type("L")
        guard case .say(let en) = script.action(from: sv, to: f, byKey: true) else {
            Issue.record("L says nothing")
            return
        }
        #expect(en.language == "en")
        #expect(en.text.hasPrefix("In an emergency: call 112."))
    }

    @Test func staffScreensAreSilent() throws {
        var f = makeFlow(pinHash: testPINHash)
        let welcome = SpeechScript.Cue(f)
        f.press(.control("a"))
        f.type("*")
        #expect(f.step == .staffPIN)
        #expect(script.utterance(for: f) == nil)
        #expect(script.action(from: welcome, to: f, byKey: true) == .stop)
        let pin = SpeechScript.Cue(f)
        f.type(testPIN + "\r")
        #expect(f.step == .staffMenu)
        #expect(script.action(from: pin, to: f, byKey: true) == .none)
        // Paper tips: staff type a visitor's paper form on the visitor's screens, and nothing is read.
        f.type("3")
        #expect(f.paperMode)
        var cue = SpeechScript.Cue(f)
        for key in ["x", "4"] {
            f.type(key)
            if case .say(let u) = script.action(from: cue, to: f, byKey: true) { Issue.record("paper tips read: \(u.text)") }
            cue = SpeechScript.Cue(f)
        }
        #expect(f.step == .place)
    }

    @Test func theRepeatKeyIsFreeOnEveryVisitorScreen() {
        #expect(SpeechScript.repeatKey == .function(1))
        #expect(keys("\u{1B}OP") == [SpeechScript.repeatKey], "xterm's F1")
        #expect(keys("\u{1B}[[A") == [SpeechScript.repeatKey], "the Linux console's F1")
        // F1 types nothing into a field and answers no question: the flow ignores it everywhere but on the
        // welcome, danger and thanks screens (any key goes on there), where the prompt takes it before the flow.
        for (name, flow) in walk(english: false).map({ ($0.name, $0.flow) })
        where !["welcome", "danger", "thanks"].contains(name) {
            var f = flow
            f.press(SpeechScript.repeatKey)
            #expect(f.step == flow.step, "\(name)")
            #expect(f.reviewDraft == flow.reviewDraft, "\(name)")
        }
    }

    @Test func theHintShowsOnVisitorScreensWhenSpeechIsOn() {
        var speaking = renderer
        speaking.speechHint = true
        let f = makeFlow()
        #expect(speaking.render(f, width: 80, height: 24, now: 0).text.contains("F1 = läs upp igen"))
        #expect(!renderer.render(f, width: 80, height: 24, now: 0).text.contains("F1"))
        var g = makeFlow()
        g.type("L")
        #expect(speaking.render(g, width: 80, height: 24, now: 0).text.contains("F1 = read aloud again"))
        var staff = makeFlow(pinHash: testPINHash)
        staff.press(.control("a"))
        staff.type("*")
        #expect(!speaking.render(staff, width: 80, height: 24, now: 0).text.contains("F1"))
        // Paper tips (staff typing in a visitor's form on the visitor's screens) are not read: no hint there.
        staff.type(testPIN + "\r3")
        #expect(staff.paperMode && staff.step == .welcome)
        #expect(!speaking.render(staff, width: 80, height: 24, now: 0).text.contains("F1"))
    }
}

@Suite struct RespellingTests {
    let swedish: Respelling
    let english: Respelling
    init() throws {
        let texts = try builtInTexts()
        swedish = Respelling(strings: try #require(texts.packs.first { $0.tag == "sv" }).strings)
        english = Respelling(strings: try #require(texts.packs.first { $0.tag == "en" }).strings)
    }

    @Test func emergencyNumbersDigitByDigit() {
        #expect(swedish.apply("Vid akut fara: ring 112.") == "Vid [[ak'u-t]] fara: ring ett ett två.")
        #expect(swedish.apply("Polisen: 114 14.") == "Polisen: ett ett fyra, fjorton.")
        #expect(swedish.apply("Ring 112.") == "Ring ett ett två.")
        #expect(english.apply("In an emergency: call 112.") == "In an emergency: call one one two.")
        #expect(english.apply("Police: 114 14.") == "Police: one one four, one four.")
    }

    @Test func wholeWordsOnlyAnyCase() {
        #expect(swedish.apply("Kiosken tar inte emot") == "[[S;I'OskE-n]] tar inte emot")
        #expect(swedish.apply("1120 och 2112") == "1120 och 2112")
        #expect(swedish.apply("otryggare") == "otryggare", "not part of a longer word")
        #expect(swedish.apply("Otrygg plats") == "[['u:tR,yg]] plats")
        #expect(swedish.apply("Enter = hoppa över frågan.") == "Enter : hoppa över frågan.")
        #expect(swedish.apply("Under 20–64 år") == "Under 20 till 64 år")
    }

    @Test func onlyARuleHandsTheVoicePhonemes() {
        #expect(swedish.apply("[[b'A:n.]] barn") == "b'A:n. barn")
        #expect(Respelling(rules: []).apply("a [[x]]") == "a x")
    }

    @Test func eachLanguageHasItsOwnRules() {
        #expect(english.apply("Otrygg kiosken") == "Otrygg kiosken", "no Swedish rules for English")
        #expect(Respelling(strings: ["speech.respell.x": "no arrow here", "other": "a > b"]).rules.isEmpty)
        let r = Respelling(rules: [("ab", "1"), ("ab cd", "2")])
        #expect(r.apply("ab cd ab") == "2 1", "the longest rule wins")
    }

    /// Every rule fixes a word our texts (or the numbers) use: no dead rules, and each one changes what the
    /// voice gets.
    @Test func everySwedishRuleIsForAWordOfOurTexts() throws {
        let texts = try builtInTexts()
        let sv = try #require(texts.packs.first { $0.tag == "sv" })
        let shown = sv.strings.filter { !$0.key.hasPrefix(Respelling.keyPrefix) }.values.joined(separator: "\n").lowercased()
        #expect(swedish.rules.count >= 20)
        for rule in swedish.rules {
            #expect(shown.contains(String(rule.written)), "\(String(rule.written)) is in no Swedish text")
            #expect(rule.spoken != String(rule.written))
        }
    }
}

/// The real voice: libespeak-ng synthesises a Swedish utterance to memory. Skipped where libespeak-ng1 is not
/// installed (the kiosk then runs without speech).
/// Serialized: libespeak-ng is one library per process (one voice, one callback); two tests at once would
/// change them under each other.
@Suite(.serialized) struct RealSpeechTests {
    static let library = ESpeak.checkLibrary()

    @Test(.enabled(if: RealSpeechTests.library == nil, "libespeak-ng1 is not installed (apt-get install libespeak-ng1)"))
    func aSwedishUtteranceIsNotSilent() throws {
        let texts = try builtInTexts()
        let script = SpeechScript(renderer: ScreenRenderer(texts: texts, places: [], site: "x"))
        var f = makeFlow()
        f.type("x4")
        f.type("Torget\r1")
        #expect(f.step == .danger)
        let u = try #require(script.utterance(for: f))
        let spoken = Respelling(strings: try #require(texts.packs.first { $0.tag == "sv" }).strings).apply(u.text)
        #expect(spoken.contains("ett ett två"))
        let (samples, rate) = try ESpeak.synthesizeToMemory(spoken, voice: Speaker.voice(for: u.language))
        #expect(rate >= 8000)
        let seconds = Double(samples.count) / Double(rate)
        #expect(seconds > 2 && seconds < 30, "\(seconds) s")
        let loud = samples.filter { abs(Int($0)) > 1000 }.count
        #expect(loud > samples.count / 20, "\(loud) of \(samples.count) samples above 1000")
        // The phoneme respellings are taken as phonemes (they would be spelt out letter by letter if not).
        let (plain, _) = try ESpeak.synthesizeToMemory("akut", voice: "sv")
        let (phonemes, _) = try ESpeak.synthesizeToMemory("[[ak'u-t]]", voice: "sv")
        #expect(phonemes.count < plain.count * 2, "[[ak'u-t]] is read as phonemes")
    }

    /// Quick keys never meet synthesis: a request replaced within `settleSeconds` is never made into words,
    /// and the words are made on the speaker's thread.
    @Test(.enabled(if: RealSpeechTests.library == nil, "libespeak-ng1 is not installed (apt-get install libespeak-ng1)"))
    func aNewerRequestReplacesOneNotYetSpoken() throws {
        final class Made: @unchecked Sendable {
            let lock = NSLock()
            var words: [String] = []
            var onCallerThread = false
        }
        let made = Made()
        let speaker = Speaker(respellings: [:], discard: true)
        defer { speaker.shutdown() }
        let caller = pthread_self()
        speaker.say {
            made.lock.withLock { made.words.append("A") }
            return ("Vad handlar tipset om?", "sv")
        }
        speaker.say {
            made.lock.withLock {
                made.words.append("B")
                made.onCallerThread = pthread_equal(pthread_self(), caller) != 0
            }
            return ("Var hände det?", "sv")
        }
        let deadline = Date().addingTimeInterval(10)
        while made.lock.withLock({ made.words.isEmpty }), Date() < deadline { usleep(10_000) }
        #expect(made.lock.withLock { made.words } == ["B"])
        #expect(made.lock.withLock { !made.onCallerThread })
        #expect(speaker.state == .ready)
    }

    @Test func voiceOfALanguageTag() {
        #expect(Speaker.voice(for: "sv") == "sv")
        #expect(Speaker.voice(for: "en") == "en")
        #expect(Speaker.voice(for: "sv-FI") == "sv")
    }
}

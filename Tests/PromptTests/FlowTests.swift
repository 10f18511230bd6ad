import Testing
@testable import Prompt
import ReportModel

@Suite struct FlowTests {
    /// Walks a whole report: returns the flow at review.
    func toReview(_ f: inout PromptFlow) {
        f.type("x")                 // any key starts
        f.type("5")                 // theft
        f.type("2\r")               // quick pick 2: Centrum
        f.type("3")                 // this week
        f.type("\r")                // "did you see it yourself?" skipped
        f.type("Cykeln stals vid stationen\r")
        f.type("\r")                // anonymous
    }

    @Test func completeReportInSwedish() throws {
        var f = makeFlow()
        #expect(f.step == .welcome)
        f.type("x");  #expect(f.step == .category)
        f.type("5");  #expect(f.step == .place && f.category == .theft)
        f.type("2\r"); #expect(f.step == .when && f.place == "Centrum")
        f.type("3");  #expect(f.step == .source && f.occurred == .thisWeek)
        f.type("\r"); #expect(f.step == .text && f.source == nil)
        f.type("Cykeln stals\r"); #expect(f.step == .contact && f.reportText == "Cykeln stals")
        f.type("\r"); #expect(f.step == .review && f.contact == nil)
        let effects = f.type("1")
        #expect(f.step == .storing)
        guard case .store(let d)? = effects.first else { Issue.record("no store effect: \(effects)"); return }
        #expect(d.category == .theft && d.place == "Centrum" && d.occurred == .thisWeek && d.text == "Cykeln stals")
        #expect(d.language == "sv" && d.reporter.role == .visitor && d.contact == nil)
        // No thanks and no reference until the store has answered.
        #expect(f.reference == nil)
        _ = f.handle(.stored(id: "u", seq: 123_457), now: 10)
        #expect(f.step == .thanks && f.reference == "3457")
        #expect(f.category == nil && f.reportText == nil && f.textEditor.isEmpty)
    }

    @Test func englishAfterL() throws {
        var f = makeFlow()
        f.type("L")
        #expect(f.step == .welcome && f.languageTag == "en")
        f.type("l")
        #expect(f.languageTag == "sv")
        f.type("L")
        toReview(&f)
        guard case .store(let d)? = f.type("1").first else { Issue.record("no store"); return }
        #expect(d.language == "en")
    }

    @Test func freeTextPlaceAndNumbersOutsideTheList() {
        var f = makeFlow()
        f.type("x1")
        f.type("Parken bakom skolan\r")
        #expect(f.place == "Parken bakom skolan")
        f.press(.escape) // back to place: the typed text is still there
        #expect(f.step == .place && f.placeEditor.text == "Parken bakom skolan")
        f.press(.home)
        for _ in 0..<30 { f.press(.delete) }
        f.type("7\r") // only 2 quick picks: "7" is taken as typed
        #expect(f.place == "7")
    }

    @Test func emptyFieldsAreRefusedWithANotice() {
        var f = makeFlow()
        f.type("x1")
        f.type("   \r")
        #expect(f.step == .place && f.notice == .placeEmpty)
        f.type("Centrum\r4\r")
        f.type("\r")
        #expect(f.step == .text && f.notice == .textEmpty)
        f.type("a")
        #expect(f.notice == nil)
    }

    @Test func menusActOnDigitsAloneAndExplainOtherKeys() {
        var f = makeFlow()
        f.type("x")
        f.type("q")
        #expect(f.step == .category && f.notice == .pressDigit)
        f.type("0")
        #expect(f.category == .other && f.step == .place)
        f.type("1\r")
        f.type("9") // not a when choice
        #expect(f.step == .when && f.notice == .pressDigit)
        f.type("5")
        #expect(f.occurred == .unknown)
    }

    @Test func escapeGoesBackOneStepEverywhere() {
        var f = makeFlow()
        toReview(&f)
        let expected: [Step] = [.contact, .text, .source, .when, .place, .category, .welcome]
        for s in expected {
            f.press(.escape)
            #expect(f.step == s)
        }
        #expect(f.category == nil) // the welcome screen has no draft
    }

    @Test func backspaceOnEmptyGoesBackButEditsOtherwise() {
        var f = makeFlow()
        toReview(&f)
        f.press(.backspace); #expect(f.step == .contact)
        f.type("ab")
        f.press(.backspace); #expect(f.step == .contact && f.contactEditor.text == "a")
        f.press(.backspace); #expect(f.step == .contact && f.contactEditor.isEmpty)
        f.press(.backspace); #expect(f.step == .text)
        // text keeps what was typed: backspace edits it
        f.press(.backspace); #expect(f.step == .text && f.textEditor.text == "Cykeln stals vid statione")
        var g = makeFlow()
        g.type("x5")
        g.press(.backspace); #expect(g.step == .category)
        g.press(.backspace); #expect(g.step == .welcome)
    }

    @Test func reviewChangeKeepsAnswersAndDiscardWipes() {
        var f = makeFlow()
        toReview(&f)
        f.type("2")
        #expect(f.step == .category && f.category == .theft)
        f.press(.enter) // keep
        #expect(f.step == .place && f.placeEditor.text == "2")
        f.press(.enter)
        f.press(.enter) // keep "this week"
        #expect(f.step == .source && f.occurred == .thisWeek)
        f.press(.enter) // skip "did you see it yourself?" again
        #expect(f.step == .text)
        f.press(.end); f.type("!\r")
        f.type("\r")
        #expect(f.step == .review && f.reportText == "Cykeln stals vid stationen!")
        let e = f.type("3")
        #expect(e == [.clearScreen])
        #expect(f.step == .welcome && f.notice == .discarded)
        #expect(f.category == nil && f.place == nil && f.reportText == nil && f.textEditor.isEmpty && f.placeEditor.isEmpty)
    }

    @Test("Personal data in the text: 1 sends it masked (and says what), 4 sends it as typed; contact details untouched")
    func personalDataIsMaskedUnlessTheVisitorWantsItIn() {
        func review(_ text: String, english: Bool = false, contact: String = "") -> PromptFlow {
            var f = makeFlow()
            if english { f.type("l") }
            f.type("x5Centrum\r2\r" + text + "\r" + contact + "\r")
            return f
        }
        var f = review("ring mig 070-123 45 67 eller kalle@example.se", contact: "Kalle 070-987 65 43")
        #expect(f.step == .review)
        #expect(f.reviewDraft.personalData == [.phone, .email])
        guard case .store(let masked)? = f.type("1").first else { Issue.record("1 did not store"); return }
        #expect(masked.text == "ring mig [telefonnummer] eller [e-post]")
        #expect(masked.masked == [.phone, .email])
        #expect(masked.contact?.phone == "070-987 65 43", "the contact step is the visitor's choice")

        var g = review("ring mig 070-123 45 67")
        guard case .store(let typed)? = g.type("4").first else { Issue.record("4 did not store"); return }
        #expect(typed.text == "ring mig 070-123 45 67" && typed.masked.isEmpty)

        var e = review("call me on 070-123 45 67", english: true)
        guard case .store(let en)? = e.type("1").first else { Issue.record("no store"); return }
        #expect(en.text == "call me on [phone number]")

        var plain = review("Cykeln stals vid stationen kl 18:30, buss 4")
        #expect(plain.reviewDraft.personalData.isEmpty)
        #expect(plain.type("4").isEmpty && plain.step == .review, "4 means nothing without personal data")
        guard case .store(let p)? = plain.type("1").first else { Issue.record("no store"); return }
        #expect(p.masked.isEmpty && p.text == "Cykeln stals vid stationen kl 18:30, buss 4")
    }

    @Test func contactIsParsedIntoFields() {
        var f = makeFlow()
        f.type("x1Centrum\r1\rhej\r")
        f.type("Anna Svensson 070-123 45 67 anna@example.se\r")
        #expect(f.contact == Contact(name: "Anna Svensson", phone: "070-123 45 67", email: "anna@example.se"))
        guard case .store(let d)? = f.type("1").first else { Issue.record("no store"); return }
        #expect(d.contact?.email == "anna@example.se")
        #expect(ContactParser.parse("   ") == nil)
        #expect(ContactParser.parse("Kalle 12") == Contact(name: "Kalle 12"))
        #expect(ContactParser.parse("+46701234567") == Contact(phone: "+46701234567"))
    }

    @Test func storeRefusalKeepsTheDraftOnReview() {
        var f = makeFlow()
        toReview(&f)
        _ = f.type("1")
        _ = f.handle(.storeFailed(.full(maxPending: 1)), now: 5)
        #expect(f.step == .review && f.notice == .storeRefused(.full(maxPending: 1)))
        #expect(f.category == .theft && f.reportText == "Cykeln stals vid stationen")
        #expect(f.reference == nil)
        // trying again sends the same draft
        guard case .store(let d)? = f.type("1", at: 6).first else { Issue.record("no retry"); return }
        #expect(d.text == "Cykeln stals vid stationen")
    }

    @Test func keysWhileStoringAreIgnoredAndStaleAnswersToo() {
        var f = makeFlow()
        _ = f.handle(.stored(id: "x", seq: 1), now: 0)
        #expect(f.step == .welcome && f.reference == nil)
        toReview(&f)
        _ = f.type("1")
        #expect(f.type("3").isEmpty && f.step == .storing)
    }

    @Test func thanksEndsAfterAFewSecondsOrAnyKey() {
        var f = makeFlow()
        toReview(&f)
        _ = f.type("L", at: 0) // not a digit on review: notice only
        _ = f.type("1", at: 0)
        _ = f.handle(.stored(id: "x", seq: 42), now: 1000)
        #expect(f.step == .thanks && f.reference == "0042")
        #expect(f.nextDeadline(now: 1000) == 9000)
        _ = f.handle(.tick, now: 8999)
        #expect(f.step == .thanks)
        #expect(f.handle(.tick, now: 9000) == [.clearScreen])
        #expect(f.step == .welcome && f.reference == nil)
        var g = makeFlow()
        g.type("L")
        toReview(&g)
        _ = g.type("1")
        _ = g.handle(.stored(id: "x", seq: 7), now: 0)
        g.type("z", at: 100)
        #expect(g.step == .welcome && g.languageTag == "sv") // next visitor starts in the default language
    }

    @Test func idleWipesTheDraftAndClearsTheScreen() {
        var f = makeFlow(idleSeconds: 90, now: 0)
        #expect(f.nextDeadline(now: 0) == nil) // nothing to wipe on the welcome screen: sleep forever
        f.type("L", at: 0)
        f.type("x", at: 1000)
        f.type("4", at: 2000)
        f.type("Busstationen\r", at: 3000)
        f.type("2\r", at: 4000)
        f.type("hemligt", at: 5000)
        #expect(f.nextDeadline(now: 5000) == 95_000)
        #expect(f.handle(.tick, now: 94_999).isEmpty)
        #expect(f.step == .text)
        #expect(f.handle(.tick, now: 95_000) == [.clearScreen])
        #expect(f.step == .welcome && f.languageTag == "sv")
        #expect(f.category == nil && f.place == nil && f.occurred == nil && f.textEditor.isEmpty && f.placeEditor.isEmpty)
        #expect(f.nextDeadline(now: 95_000) == nil)
        // A key arriving late (no tick in between) also finds the draft gone first.
        var g = makeFlow(idleSeconds: 10)
        g.type("x1Centrum\r", at: 0)
        g.type("2", at: 20_000)
        #expect(g.step == .category && g.place == nil)
    }

    @Test func controlKeysDoNothingHarmful() {
        var f = makeFlow()
        for k: Key in [.control("c"), .control("d"), .control("z"), .control("\\"), .escape, .backspace, .tab] {
            #expect(f.press(k).isEmpty)
            #expect(f.step == .welcome)
        }
        f.type("x1Cen")
        for k: Key in [.control("c"), .control("d"), .control("z"), .control("\\"), .tab, .function(12), .insert] {
            f.press(k)
        }
        #expect(f.step == .place && f.placeEditor.text == "Cen")
    }

    @Test func textLimitShowsNoticeAndPasteIsBounded() {
        var f = makeFlow()
        f.type("x1Centrum\r1\r")
        f.press(.paste(String(repeating: "x", count: 10_000)))
        #expect(f.textEditor.scalarCount == 2000 && f.notice == .limitReached)
        f.type("y")
        #expect(f.textEditor.scalarCount == 2000 && f.notice == .limitReached)
        f.type("\r\r")
        guard case .store(let d)? = f.type("1").first else { Issue.record("no store"); return }
        #expect(TextCleaner.length(d.text) == 2000)
    }

    @Test func pastedEscapeSequencesNeverReachTheDraft() {
        var f = makeFlow()
        f.type("x1")
        f.press(.paste("Park\u{1B}[2J\u{1B}]0;x\u{7}en\u{9B}31m"))
        f.type("\r1\r")
        f.press(.paste("rad1\u{1B}[31m\r\nrad2\u{0}\u{202E}"))
        f.type("\r\r")
        guard case .store(let d)? = f.type("1").first else { Issue.record("no store"); return }
        #expect(d.place == "Parken")
        #expect(!d.place.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        #expect(d.text == "rad1\nrad2")
    }

    @Test func languageSwitchOnlyWithMoreThanOneLanguage() {
        var f = makeFlow(languages: ["sv"])
        f.type("L")
        #expect(f.languageTag == "sv" && f.step == .welcome)
    }
}

@Suite struct StaffFlowTests {
    static let hash = testPINHash
    static let pin = testPIN

    @Test func staffSequenceNeedsAPINAndIsNotSetUpWithoutAHash() {
        var f = makeFlow(pinHash: nil)
        f.press(.control("a")); f.type("*")
        #expect(f.step == .welcome && f.notice == .staffNotSetUp)
        var bad = makeFlow(pinHash: "pbkdf2-sha256$oops")
        bad.press(.control("a")); bad.type("*")
        #expect(bad.step == .welcome && bad.notice == .staffNotSetUp)
        // a hash below the iteration floor counts as no PIN at all
        var weak = makeFlow(pinHash: StaffPIN.hash(pin: Self.pin, iterations: 1000))
        weak.press(.control("a")); weak.type("*")
        #expect(weak.step == .welcome && weak.notice == .staffNotSetUp)
        var g = makeFlow(pinHash: Self.hash)
        g.type("*") // * alone starts a report, it is not the staff key
        #expect(g.step == .category)
        g.press(.escape)
        g.press(.control("a")); g.type("x") // Ctrl-A then something else: nothing special, x starts
        #expect(g.step == .category)
        g.press(.escape)
        g.press(.control("a"))
        // opening the PIN screen asks for the stored lockout
        #expect(g.type("*") == [.loadStaffLockout])
        #expect(g.step == .staffPIN)
    }

    @Test func rightPINOpensTheMenuWithASnapshot() {
        var f = makeFlow(pinHash: Self.hash)
        f.press(.control("a")); f.type("*")
        f.type(Self.pin)
        #expect(f.pinEditor.text == Self.pin)
        let e = f.type("\r")
        #expect(e == [.refreshStaffSnapshot]) // nothing to store: no wrong PIN before
        #expect(f.step == .staffMenu && f.staffSession && f.pinEditor.isEmpty)
        let snap = StaffSnapshot(pending: 3, oldestPendingAt: "t", deadLetters: 1, broker: .connected)
        _ = f.handle(.staffSnapshot(snap, eventLabel: "Mässan"), now: 0)
        #expect(f.snapshot == snap && f.eventLabel == "Mässan")
        #expect(f.type("1") == [.refreshStaffSnapshot])
    }

    @Test func wrongPINsLockOutAndTheLockEnds() {
        var f = makeFlow(pinHash: Self.hash)
        f.press(.control("a")); f.type("*")
        for i in 1...4 {
            let e = f.type("000000\r", at: Int64(i))
            #expect(f.notice == .wrongPIN(attemptsLeft: 5 - i))
            #expect(e == [.saveStaffLockout(f.lockout)] && f.lockout.failures == i)
        }
        let e = f.type("000000\r", at: 10)
        #expect(f.lockout.isLocked(now: 10))
        #expect(e == [.saveStaffLockout(f.lockout)])
        // while locked even the right PIN is not taken
        f.type(Self.pin + "\r", at: 20)
        #expect(f.step == .staffPIN && !f.staffSession)
        #expect(f.nextDeadline(now: 20) != nil)
        let end = Int64(10 + 5 * 60_000)
        // the idle timeout (90 s) sends the screen back to welcome meanwhile; come back after the lock
        f.type("x", at: end)
        f.press(.escape, at: end)
        f.press(.control("a"), at: end); f.type("*", at: end)
        // the right PIN forgets the lockout, and has that stored
        let ok = f.type(Self.pin + "\r", at: end)
        #expect(f.step == .staffMenu && f.staffSession)
        #expect(ok == [.saveStaffLockout(PINLockout()), .refreshStaffSnapshot])
    }

    @Test func theLockoutSurvivesARestart() {
        // The first prompt: five wrong PINs, each change handed out to be stored.
        var first = makeFlow(pinHash: Self.hash, now: 1_000)
        first.press(.control("a"), at: 1_000); first.type("*", at: 1_000)
        var stored = PINLockout()
        for _ in 1...5 {
            for effect in first.type("111111\r", at: 1_000) {
                if case .saveStaffLockout(let l) = effect { stored = l }
            }
        }
        #expect(stored.isLocked(now: 1_000) && stored.lockouts == 1)
        // Through the store's wall-clock form (the prompt restarts; monotonic time starts elsewhere) ...
        let unixAtLock: Int64 = 1_770_000_000_000
        let onDisk = stored.stored(now: 1_000, unixNow: unixAtLock)
        #expect(onDisk.lockedUntilUnixMillis == unixAtLock + 5 * 60_000)
        // ... into a new prompt two minutes later: the right PIN is not taken, the screen says locked.
        var second = makeFlow(pinHash: Self.hash, now: 50)
        second.press(.control("a"), at: 50)
        #expect(second.type("*", at: 50) == [.loadStaffLockout])
        let loaded = PINLockout(stored: onDisk, now: 50, unixNow: unixAtLock + 2 * 60_000)
        _ = second.handle(.staffLockoutLoaded(loaded), now: 50)
        #expect(second.lockout.remainingMillis(now: 50) == 3 * 60_000)
        second.type(Self.pin + "\r", at: 60)
        #expect(second.step == .staffPIN && !second.staffSession)
        // After it, five more wrong PINs lock for 10 minutes: the count of lockouts came along too.
        let after = Int64(50 + 3 * 60_000)
        second.press(.escape, at: after)
        second.press(.control("a"), at: after); second.type("*", at: after)
        for _ in 1...5 { second.type("111111\r", at: after) }
        #expect(second.lockout.remainingMillis(now: after) == 10 * 60_000)
    }

    @Test func aStoredLockoutNeverShortensTheOneInMemory() {
        var f = makeFlow(pinHash: Self.hash)
        f.press(.control("a")); f.type("*")
        for _ in 1...5 { f.type("111111\r", at: 0) }
        #expect(f.lockout.isLocked(now: 0))
        // an empty store (it could not be written, or another outbox) does not lift it
        _ = f.handle(.staffLockoutLoaded(PINLockout()), now: 1)
        #expect(f.lockout.isLocked(now: 1) && f.lockout.remainingMillis(now: 1) == 5 * 60_000 - 1)
    }

    @Test func thePINIsAskedEveryTimeAlsoWithPaperTipsOn() {
        var f = makeFlow(pinHash: Self.hash)
        f.press(.control("a")); f.type("*" + Self.pin + "\r")
        #expect(f.step == .staffMenu)
        f.type("3")
        #expect(f.paperMode && f.step == .welcome && f.staffSession)
        f.press(.control("a"))
        #expect(f.type("*") == [.loadStaffLockout])
        #expect(f.step == .staffPIN) // not the menu
        f.press(.escape)
        #expect(f.step == .welcome && f.paperMode) // Esc keeps paper tips on
        f.press(.control("a")); f.type("*" + Self.pin + "\r")
        #expect(f.step == .staffMenu && f.paperMode)
    }

    @Test func eventLabelAndPaperMode() {
        var f = makeFlow(pinHash: Self.hash)
        f.press(.control("a")); f.type("*" + Self.pin + "\r")
        f.type("2")
        #expect(f.step == .staffEvent)
        f.type("Seniormässan 2026")
        let e = f.type("\r")
        #expect(e == [.setEventLabel("Seniormässan 2026"), .refreshStaffSnapshot])
        _ = f.handle(.eventLabelSaved("Seniormässan 2026"), now: 0)
        #expect(f.eventLabel == "Seniormässan 2026" && f.notice == .eventSaved)
        f.type("2")
        #expect(f.eventEditor.text == "Seniormässan 2026")
        f.press(.home); for _ in 0..<40 { f.press(.delete) }
        #expect(f.type("\r").first == .setEventLabel(nil))
        // paper mode: the next reports are role = staff
        f.type("3")
        #expect(f.paperMode && f.step == .welcome && f.staffSession)
        f.type("x5Centrum\r2\rLappen\r\r")
        guard case .store(let d)? = f.type("1").first else { Issue.record("no store"); return }
        #expect(d.reporter.role == .staff)
        _ = f.handle(.stored(id: "a", seq: 9), now: 0)
        f.type("q")
        #expect(f.paperMode && f.step == .welcome)
        // back to the menu with the PIN again; toggle off; leave
        f.press(.control("a")); f.type("*")
        #expect(f.step == .staffPIN)
        f.type(Self.pin + "\r")
        #expect(f.step == .staffMenu)
        f.type("3")
        #expect(!f.paperMode && f.step == .staffMenu)
        f.type("3")
        f.press(.control("a")); f.type("*" + Self.pin + "\r")
        f.type("4")
        #expect(!f.paperMode && !f.staffSession && f.step == .welcome)
        f.press(.control("a")); f.type("*")
        #expect(f.step == .staffPIN)
    }

    @Test func staffSendsTheDeadLettersAgain() {
        var f = makeFlow(pinHash: Self.hash)
        f.press(.control("a")); f.type("*" + Self.pin + "\r")
        #expect(f.type("6") == [.requeueDeadLetters, .refreshStaffSnapshot])
        #expect(f.step == .staffMenu)
        _ = f.handle(.deadLettersRequeued(3), now: 0)
        #expect(f.notice == .deadLettersRequeued(3))
        _ = f.handle(.deadLettersFailed(.diskFull), now: 0)
        #expect(f.notice == .deadLettersFailed(.diskFull))
    }

    @Test func backToTheConfiguredEventLabel() {
        var f = makeFlow(pinHash: Self.hash)
        f.press(.control("a")); f.type("*" + Self.pin + "\r")
        f.type("2Egen etikett\r")
        _ = f.handle(.eventLabelSaved("Egen etikett"), now: 0)
        #expect(f.type("5") == [.useConfiguredEventLabel, .refreshStaffSnapshot])
        #expect(f.step == .staffMenu)
        _ = f.handle(.eventLabelSaved("Seniormässan 2026"), now: 0)
        #expect(f.eventLabel == "Seniormässan 2026" && f.notice == .eventSaved)
        _ = f.handle(.eventLabelFailed(.diskFull), now: 0)
        #expect(f.notice == .eventFailed(.diskFull))
    }

    @Test func idleEndsTheStaffSessionAndPaperMode() {
        var f = makeFlow(idleSeconds: 60, pinHash: Self.hash)
        f.press(.control("a"), at: 0); f.type("*" + Self.pin + "\r3", at: 0)
        #expect(f.paperMode)
        _ = f.handle(.tick, now: 60_000)
        #expect(!f.paperMode && !f.staffSession && f.step == .welcome)
        f.type("x9", at: 61_000)
        f.type("a\r1\rb\r\r", at: 61_000)
        guard case .store(let d)? = f.type("1", at: 61_000).first else { Issue.record("no store"); return }
        #expect(d.reporter.role == .visitor)
    }

    @Test func eventLabelFailureIsShown() {
        var f = makeFlow(pinHash: Self.hash)
        f.press(.control("a")); f.type("*" + Self.pin + "\r2x\r")
        _ = f.handle(.eventLabelFailed(.diskFull), now: 0)
        #expect(f.notice == .eventFailed(.diskFull))
    }
}

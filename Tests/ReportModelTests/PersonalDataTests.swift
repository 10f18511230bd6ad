import Testing
import ReportModel

/// Personal data in a tip's text (see `PersonalData`). Every personnummer below was checked by hand against the
/// Luhn rule: the "valid" ones pass it, and the ones with a bad date pass it too, so only the date rejects them.
@Suite struct PersonalDataTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String
        var masked: String
        var testDescription: String { input }
    }

    /// Real-world sentences with personal data, and how they read masked with the Swedish labels.
    static let positives: [Case] = [
        // Mobile numbers
        Case(input: "ring mig på 070-123 45 67 efter skolan", masked: "ring mig på [telefonnummer] efter skolan"),
        Case(input: "mitt nummer är 0701234567", masked: "mitt nummer är [telefonnummer]"),
        Case(input: "070 123 45 67 går bra att ringa", masked: "[telefonnummer] går bra att ringa"),
        Case(input: "min mamma har +46 70 123 45 67", masked: "min mamma har [telefonnummer]"),
        Case(input: "sms:a +46701234567 tack", masked: "sms:a [telefonnummer] tack"),
        Case(input: "ring 0046 70-123 45 67 från utlandet", masked: "ring [telefonnummer] från utlandet"),
        Case(input: "nås på +46 (0)70-123 45 67 kvällstid", masked: "nås på [telefonnummer] kvällstid"),
        Case(input: "nå mig på (0)70-123 45 67", masked: "nå mig på [telefonnummer]"),
        Case(input: "ring 070 - 123 45 67 om det brinner", masked: "ring [telefonnummer] om det brinner"),
        Case(input: "ring 070–123 45 67", masked: "ring [telefonnummer]"),
        Case(input: "ring 0733-12 34 56.", masked: "ring [telefonnummer]."),
        Case(input: "telefon:0701234567", masked: "telefon:[telefonnummer]"),
        Case(input: "Storgatan 12, ring 0701-23 45 67", masked: "Storgatan 12, ring [telefonnummer]"),
        Case(input: "ring 070\u{A0}123\u{A0}45\u{A0}67 snälla", masked: "ring [telefonnummer] snälla"),
        Case(input: "📞0701234567🙂", masked: "📞[telefonnummer]🙂"),
        // Landlines
        Case(input: "kontoret har 08-123 456 78", masked: "kontoret har [telefonnummer]"),
        Case(input: "hemma: 08 12 34 56", masked: "hemma: [telefonnummer]"),
        Case(input: "ring 031-12 34 56 i Göteborg", masked: "ring [telefonnummer] i Göteborg"),
        Case(input: "i Vänersborg 0522-123 45", masked: "i Vänersborg [telefonnummer]"),
        Case(input: "fax 08/123 45 67", masked: "fax [telefonnummer]"),
        Case(input: "vaktmästaren (031) 12 34 56", masked: "vaktmästaren [telefonnummer]"),
        Case(input: "tel. 08-123 456 78, mobil 070-123 45 67", masked: "tel. [telefonnummer], mobil [telefonnummer]"),
        // International
        Case(input: "norskt nummer +47 22 12 34 56", masked: "norskt nummer [telefonnummer]"),
        Case(input: "ring +358 40 1234567", masked: "ring [telefonnummer]"),
        Case(input: "i London +44 (0)20 7946 0958", masked: "i London [telefonnummer]"),
        // E-mail
        Case(input: "mejla kalle@example.se", masked: "mejla [e-post]"),
        Case(input: "anna.b+tips@skola.goteborg.se skrev till mig", masked: "[e-post] skrev till mig"),
        Case(input: "KALLE@EXAMPLE.SE", masked: "[e-post]"),
        Case(input: "skriv till kalle@example.se.", masked: "skriv till [e-post]."),
        Case(input: "(kalle_93@hotmail.com)", masked: "([e-post])"),
        Case(input: "e-post: åsa.öberg@företag.se", masked: "e-post: [e-post]"),
        // Personnummer and samordningsnummer (all pass Luhn)
        Case(input: "personnumret 19811218-9876", masked: "personnumret [personnummer]"),
        Case(input: "pnr 811218-9876", masked: "pnr [personnummer]"),
        Case(input: "farfar 251224+1239 är över hundra", masked: "farfar [personnummer] är över hundra"),
        Case(input: "198112189876", masked: "[personnummer]"),
        Case(input: "hans personnummer är 8112189876", masked: "hans personnummer är [personnummer]"),
        Case(input: "hennes är 460702-4322", masked: "hennes är [personnummer]"),
        Case(input: "samordningsnummer 701063-2391", masked: "samordningsnummer [personnummer]"),
        Case(input: "samordningsnummer 811261-9872", masked: "samordningsnummer [personnummer]"),
        Case(input: "född 20040229-1231", masked: "född [personnummer]"),
        Case(input: "eleven 060224-4568", masked: "eleven [personnummer]"),
        Case(input: "pnr 19811218 9876", masked: "pnr [personnummer]"),
        // Several kinds together
        Case(input: "Ring 070-123 45 67 eller mejla kalle@example.se, pnr 811218-9876",
             masked: "Ring [telefonnummer] eller mejla [e-post], pnr [personnummer]"),
        Case(input: "811218-9876 0701234567", masked: "[personnummer] [telefonnummer]"),
    ]

    /// Real-world sentences with nothing to mask: dates, prices, lines, postcodes, plates, emergency numbers…
    static let negatives: [String] = [
        "Han heter Kalle och bor på Storgatan 12, 461 30 Trollhättan",
        "det kostade 150 kr",
        "buss 4 kl 18:30",
        "det hände 2026-11-20",
        "den 20/11 vid torget",
        "20.11.2026 på kvällen",
        "priset var 1 500:-",
        "det kostade 2 000 kronor",
        "linje 150 går inte",
        "46130 Trollhättan",
        "år 2026",
        "bilen ABC 123 stod fel",
        "bilen ABC123 stod fel",
        "jag ringde 112",
        "ring polisen på 114 14",
        "ordernummer 123456789",
        "ordernummer 0123 4567 8901",
        "order 0123456789012",
        "fakturanr 00123456",
        "numret 8112189875 fanns på lappen",         // ten digits, fails Luhn, not phone-shaped
        "pnr 811218-9875",                            // fails Luhn
        "pnr 19811218-9875",                          // fails Luhn
        "pnr 811318-9875",                            // month 13 (passes Luhn)
        "pnr 811232-9878",                            // day 32 (passes Luhn)
        "pnr 811292-9875",                            // day 92 (passes Luhn)
        "pnr 811200-9876",                            // day 00 (passes Luhn)
        "följ @handle på instagram",
        "skicka till a@b",
        "skicka till kalle@example",
        "den 08-05-2026",
        "kl 08.30",
        "kl 08 30",
        "0,5 liter mjölk",
        "temperaturen var +15 grader",
        "ref0701234567",
        "artikel 12-0701234567",
        "våning 3, lgh 1102",
        "vecka 47",
        "kl 18:30-19:00",
        "ett 1/2 kilo",
        "2026-11-20 kl 18:30",
        "ring 070",
        "ring 070-12",
        "+46 70",
        "10 000 000 kr",
        "matchen slutade 3-1",
        "öppet 08-17",
        "kan du svara innan 08/12/2026",
        "",
    ]

    @Test(arguments: positives)
    func findsAndMasksPersonalData(_ c: Case) {
        let result = PersonalData.mask(c.input, labels: PersonalData.swedishLabels)
        #expect(result.text == c.masked)
        #expect(!result.kinds.isEmpty)
    }

    @Test(arguments: negatives)
    func leavesOrdinaryTextAlone(_ input: String) {
        #expect(PersonalData.find(in: input) == [])
        let result = PersonalData.mask(input, labels: PersonalData.swedishLabels)
        #expect(result.text == input)
        #expect(result.kinds == [])
    }

    @Test func tablesAreLargeEnough() {
        #expect(Self.positives.count >= 40)
        #expect(Self.negatives.count >= 40)
    }

    func found(_ text: String) -> [(PersonalData.Kind, String)] {
        PersonalData.find(in: text).map { ($0.kind, String(text.unicodeScalars[$0.range])) }
    }

    @Test func findGivesKindsAndExactRangesInOrder() {
        let text = "Ring 070-123 45 67 eller mejla kalle@example.se, pnr 811218-9876 (åäö)"
        let f = found(text)
        #expect(f.map(\.0) == [.phone, .email, .personnummer])
        #expect(f.map(\.1) == ["070-123 45 67", "kalle@example.se", "811218-9876"])
        let ranges = PersonalData.find(in: text).map(\.range)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound <= b.lowerBound) }
    }

    @Test func ambiguousTenDigitNumbers() {
        // Passes Luhn with a valid date, but with a leading 0 and no separator it is taken as a phone number.
        #expect(found("0602244568").map(\.0) == [.phone])
        // The same digits written as a personnummer are one.
        #expect(found("060224-4568").map(\.0) == [.personnummer])
        // Fails Luhn and is phone-shaped: a phone number.
        #expect(found("0701234567").map(\.0) == [.phone])
        // Passes Luhn without a leading 0: a personnummer.
        #expect(found("8112189876").map(\.0) == [.personnummer])
        // Fails Luhn without a leading 0: nothing.
        #expect(found("8112189875").isEmpty)
    }

    @Test func englishLabels() {
        let r = PersonalData.mask("Ring 070-123 45 67 or write to kalle@example.se, id 19811218-9876",
                                  labels: PersonalData.englishLabels)
        #expect(r.text == "Ring [phone number] or write to [e-mail], id [personal identity number]")
        #expect(r.kinds == [.phone, .email, .personnummer])
    }

    @Test func swedishLabels() {
        let r = PersonalData.mask("19811218-9876 mejl kalle@example.se tel 08-123 456 78",
                                  labels: PersonalData.swedishLabels)
        #expect(r.text == "[personnummer] mejl [e-post] tel [telefonnummer]")
    }

    @Test func kindsAreReportedOnceEachInKindOrder() {
        // Appearance order: personnummer, e-mail, phone, phone, e-mail, personnummer.
        let text = "811218-9876, kalle@example.se, 070-123 45 67, 08-123 456 78, anna@skola.se, 460702-4322"
        let r = PersonalData.mask(text, labels: PersonalData.swedishLabels)
        #expect(r.kinds == [.phone, .email, .personnummer])
        #expect(r.kinds.map(\.rawValue) == ["phone", "email", "personnummer"])
        #expect(PersonalData.mask("ring 0701234567 eller 0731234567", labels: PersonalData.swedishLabels).kinds == [.phone])
        #expect(PersonalData.mask("kalle@example.se", labels: PersonalData.swedishLabels).kinds == [.email])
    }

    @Test func wireNamesAndLabelsCoverEveryKind() {
        #expect(PersonalData.Kind.allCases.map(\.rawValue) == ["phone", "email", "personnummer"])
        for kind in PersonalData.Kind.allCases {
            #expect(PersonalData.swedishLabels[kind] != nil)
            #expect(PersonalData.englishLabels[kind] != nil)
        }
    }

    @Test func missingLabelFallsBackToTheWireName() {
        #expect(PersonalData.mask("ring 070-123 45 67", labels: [:]).text == "ring [phone]")
    }

    @Test func nonASCIITextAroundMatchesIsKept() {
        let text = "Åsa 😀 ring 070-123 45 67 🇸🇪 på fredag, e\u{301}-post: kalle@example.se 👨‍👩‍👧 åäö"
        let r = PersonalData.mask(text, labels: PersonalData.swedishLabels)
        #expect(r.text == "Åsa 😀 ring [telefonnummer] 🇸🇪 på fredag, e\u{301}-post: [e-post] 👨‍👩‍👧 åäö")
        #expect(r.text.unicodeScalars.elementsEqual(
            "Åsa 😀 ring [telefonnummer] 🇸🇪 på fredag, e\u{301}-post: [e-post] 👨‍👩‍👧 åäö".unicodeScalars))
        #expect(found("Göteborg:0701234567✅").map(\.1) == ["0701234567"])
        #expect(found("pnr:811218-9876ö").isEmpty, "glued to a letter")
        #expect(found("0701234567\u{301}").isEmpty, "a combining mark on the last digit")
        #expect(found("7\u{FE0F}\u{20E3}0701234567").isEmpty, "glued to a keycap")
    }

    @Test func textWithNothingToMaskIsReturnedUnchanged() {
        let decomposed = "Go\u{308}tene: buss 4 kl 18:30, 150 kr, ring 112 😀"
        let r = PersonalData.mask(decomposed, labels: PersonalData.swedishLabels)
        #expect(r.kinds == [])
        #expect(r.text.unicodeScalars.elementsEqual(decomposed.unicodeScalars))
        #expect(PersonalData.mask("", labels: PersonalData.englishLabels).text == "")
    }

    @Test func matchesNeverStartInsideALongerRun() {
        #expect(found("12345070-123 45 67").isEmpty)
        #expect(found("a811218-9876").isEmpty)
        #expect(found("x.kalle@example.se").map(\.1) == ["x.kalle@example.se"])
        #expect(found("5+46701234567").isEmpty)
        #expect(found("3,0701234567").isEmpty)
    }
}

@Suite struct MaskedFieldTests {
    @Test("The report names what was masked in `masked`, and only when something was")
    func maskedField() throws {
        let draft = ReportDraft(category: .drugs, place: "Centrum", occurred: .today, text: "ring 070-123 45 67")
            .maskingPersonalData(labels: PersonalData.swedishLabels)
        let valid = try draft.validated()
        let report = Report(id: "01a21455-ecbd-75b3-97be-22dd959c09e2", kiosk: "k", seq: 1,
                            submittedAt: "2026-11-25T10:00:00.000+01:00", draft: valid, site: "s", event: nil)
        #expect(report.jsonPayload.hasSuffix(#""event":null,"masked":["phone"]}"#), "\(report.jsonPayload)")
        #expect(report.jsonPayload.contains(#""text":"ring [telefonnummer]""#))
        let plain = Report(id: report.id, kiosk: "k", seq: 2, submittedAt: report.submittedAt,
                           draft: try ReportDraft(category: .drugs, place: "Centrum", occurred: .today, text: "hej").validated(),
                           site: "s", event: nil)
        #expect(!plain.jsonPayload.contains("masked"))
    }
}

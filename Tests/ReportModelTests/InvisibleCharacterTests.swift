import Testing
@testable import ReportModel

/// Invisible characters: removed, or kept only where they change what is seen (see `TextCleaner`).
@Suite struct InvisibleCharacterTests {
    func clean(_ s: String, newlines: Bool = false) -> String { TextCleaner.clean(s, allowNewlines: newlines) }
    func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }

    /// Every character that is removed wherever it stands in Latin text.
    static let removed: [UInt32] = [
        0x200B,                                     // zero width space
        0x200C, 0x200D,                             // ZWNJ, ZWJ (they join nothing in a Latin word)
        0x2060, 0x2061, 0x2062, 0x2063, 0x2064,     // word joiner, invisible operators
        0xFEFF,                                     // BOM / zero width no-break space
        0x00AD,                                     // soft hyphen
        0x200E, 0x200F, 0x061C,                     // LRM, RLM, ALM
        0x202A, 0x202B, 0x202C, 0x202D, 0x202E,     // bidi embeddings and overrides
        0x2066, 0x2067, 0x2068, 0x2069,             // bidi isolates
        0xE0000, 0xE0001, 0xE0020, 0xE0041, 0xE0067, 0xE007E, 0xE007F,   // tag characters
    ]

    @Test(arguments: removed)
    func invisibleCharactersAreRemoved(_ value: UInt32) {
        let c = String(Unicode.Scalar(value)!)
        for newlines in [false, true] {
            #expect(clean("Cen\(c)trum", newlines: newlines) == "Centrum", "inside a word")
            #expect(clean("\(c)Centrum\(c)", newlines: newlines) == "Centrum", "at the ends")
            #expect(clean("\(c)\(c)\(c)Cen\(c)\(c)trum \(c)\(c)Torget\(c)\(c)", newlines: newlines) == "Centrum Torget", "repeated")
            #expect(clean(" \(c) Centrum \(c) ", newlines: newlines) == "Centrum", "between spaces at the ends")
            #expect(clean(c, newlines: newlines) == "", "alone (a single typed key)")
            #expect(clean("Cen\(c)\u{1B}[31mtrum\(c)\u{7}", newlines: newlines) == "Centrum", "with controls")
        }
    }

    @Test func placesThatLookTheSameAreTheSame() {
        let lookalikes = ["Cen\u{200B}trum", "Cen\u{200C}trum", "Cen\u{200D}trum", "Cen\u{200D}\u{200C}trum",
                          "\u{FEFF}Centrum", "Cent\u{AD}rum", "Centrum\u{2060}", "\u{200E}Centrum\u{200F}",
                          "C\u{E0041}entrum", "Centrum\u{E0067}\u{E007F}", "\u{2068}Centrum\u{2069}",
                          "Ce\u{200D}\u{200D}ntrum", "Centrum\u{2028}", "\u{2029}Centrum"]
        for s in lookalikes {
            #expect(clean(s) == "Centrum", "\(scalars(s))")
            #expect(scalars(clean(s)) == scalars("Centrum"))
        }
    }

    @Test func lineAndParagraphSeparatorsAreLineBreaks() {
        let s = "rad ett\u{2028}rad två\u{2029}tre"
        #expect(clean(s, newlines: true) == "rad ett\nrad två\ntre")
        #expect(clean(s, newlines: false) == "rad ett rad två tre")
        #expect(clean("\u{2028}\u{2029}mitt\u{2029}\u{2028}", newlines: true) == "mitt")
        #expect(clean("a\r\n\u{2028}b", newlines: true) == "a\n\nb")
    }

    /// Emoji sequences keep their ZWJ; a ZWJ that joins no two emoji goes.
    @Test(arguments: [
        ("👨\u{200D}👩\u{200D}👧", "👨\u{200D}👩\u{200D}👧"),           // family
        ("🏳\u{FE0F}\u{200D}🌈", "🏳\u{FE0F}\u{200D}🌈"),               // rainbow flag: ZWJ after VS16
        ("❤\u{FE0F}\u{200D}🔥", "❤\u{FE0F}\u{200D}🔥"),
        ("👩🏽\u{200D}💻", "👩🏽\u{200D}💻"),                            // after a skin tone
        ("🧑\u{200D}🤝\u{200D}🧑", "🧑\u{200D}🤝\u{200D}🧑"),
        ("🏴\u{200D}☠\u{FE0F}", "🏴\u{200D}☠\u{FE0F}"),                 // pirate flag: ZWJ before a text-style emoji
        ("👨\u{200D}🦰", "👨\u{200D}🦰"),
        ("Vi 👨\u{200D}👩\u{200D}👧 såg", "Vi 👨\u{200D}👩\u{200D}👧 såg"),
        ("👨\u{200D}\u{200D}👩", "👨\u{200D}👩"),                        // repeated: one is enough
        ("👨\u{200B}\u{200D}\u{FEFF}👩", "👨\u{200D}👩"),                // invisibles around it go
        ("👨\u{200C}\u{200D}👩", "👨\u{200D}👩"),                        // a run of joiners counts as its last
        ("👨\u{200D}\u{200C}👩", "👨👩"),
        ("👨\u{200C}👩", "👨👩"),                                        // ZWNJ does nothing between emoji
        ("👨\u{200D}", "👨"), ("\u{200D}👨", "👨"),                      // at the ends
        ("👨\u{200D} 👩", "👨 👩"), ("👨\u{200D}a", "👨a"), ("a\u{200D}👨", "a👨"),
        ("1\u{200D}2", "12"), ("#\u{200D}👨", "#👨"),                     // ASCII keycap bases are not emoji here
        ("👨\u{200D}\u{1B}[1m👩", "👨\u{200D}👩"),                       // an escape sequence between is removed
        ("👍🏽", "👍🏽"),
    ] as [(String, String)])
    func emojiSequences(_ input: String, _ expected: String) {
        #expect(scalars(clean(input)) == scalars(expected))
        #expect(scalars(clean(input, newlines: true)) == scalars(expected))
    }

    static let england = "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}"
    static let scotland = "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"
    static let wales = "🏴\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}"

    /// Regional-indicator flags are plain characters; tag characters live on only in the three tag flags.
    @Test(arguments: [
        ("🇸🇪", "🇸🇪"), ("🇸🇪🇫🇮", "🇸🇪🇫🇮"), ("Sverige 🇸🇪!", "Sverige 🇸🇪!"),
        (england, england), (scotland, scotland), (wales, wales),
        ("Go \(england) go", "Go \(england) go"), (england + wales, england + wales),
        (england + "\u{E0067}\u{E007F}", england),                                    // more tags after it
        ("🏴\u{E0075}\u{E0073}\u{E0063}\u{E0061}\u{E007F}", "🏴"),                    // US-CA: a flag no one shows
        ("🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}", "🏴"),                    // no CANCEL TAG
        ("🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}x\u{E007F}", "🏴x"),         // broken by a letter
        ("🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E0067}\u{E007F}", "🏴"),  // one tag too many
        ("🏴" + String(repeating: "\u{E0041}", count: 5000) + "\u{E007F}", "🏴"),     // hidden text
        ("😀\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", "😀"),           // not after 🏴
        ("🏴\u{200D}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", "🏴"),   // a ZWJ before the tags
        ("🏴\u{200B}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", england),
        ("\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", ""),              // tags alone
        ("a\u{E0068}\u{E0069}b", "ab"),
    ] as [(String, String)])
    func flags(_ input: String, _ expected: String) {
        #expect(scalars(clean(input)) == scalars(expected))
    }

    /// ZWNJ and ZWJ stay between letters of Arabic-script and Indic text, where they choose the letters' shapes.
    @Test(arguments: [
        ("می\u{200C}خواهم", "می\u{200C}خواهم"),                          // Persian: mi-khaham
        ("نامه\u{200C}ها", "نامه\u{200C}ها"),                            // Persian plural
        ("کتاب\u{200C}خانه مرکزی", "کتاب\u{200C}خانه مرکزی"),
        ("بِ\u{200C}ب", "بِ\u{200C}ب"),                                  // after a vowel mark
        ("ب\u{200D}ب", "ب\u{200D}ب"),
        ("क्\u{200D}ष", "क्\u{200D}ष"),                                 // Devanagari: ZWJ after a virama
        ("क्\u{200C}ष", "क्\u{200C}ष"),
        ("می\u{200C}\u{200C}خواهم", "می\u{200C}خواهم"),                 // repeated: one
        ("می\u{200B}\u{200C}\u{FEFF}خواهم", "می\u{200C}خواهم"),
        ("می\u{200C}", "می"), ("\u{200C}می", "می"),                      // at the ends
        ("می\u{200C} خواهم", "می خواهم"),                                // before a space
        ("می\u{200C}x", "میx"), ("x\u{200C}می", "xمی"),                  // next to Latin
        ("١\u{200C}٢", "١٢"), ("می\u{200C}،", "می،"),                    // Arabic digits and punctuation
        ("مرحبا", "مرحبا"),
        ("\u{200F}مرحبا\u{200F}!", "مرحبا!"),                           // RLM goes
        ("\u{061C}١٢٣", "١٢٣"),                                          // ALM goes
        ("\u{202E}abc\u{202C} مرحبا\u{2066}", "abc مرحبا"),
        ("سلام\u{200B}دنیا", "سلامدنیا"),
    ] as [(String, String)])
    func arabicScriptAndIndic(_ input: String, _ expected: String) {
        #expect(scalars(clean(input)) == scalars(expected))
        #expect(scalars(clean(input, newlines: true)) == scalars(expected))
    }

    @Test func cleaningTwiceChangesNothing() {
        let samples = Self.removed.map { "a\(Unicode.Scalar($0)!)b" } + [
            "👨\u{200D}👩\u{200D}👧", Self.england, "می\u{200C}خواهم", "क्\u{200D}ष", "ا\u{0653}\u{200C}ب",
            "Go\u{0308}\u{200D}tene", "x\u{2028}y", "🏴\u{E0041}",
        ]
        for s in samples {
            for newlines in [false, true] {
                let once = clean(s, newlines: newlines)
                #expect(clean(once, newlines: newlines) == once, "\(scalars(s))")
            }
        }
    }

    @Test func longRunsStayLinear() {
        // A paste of 200,000 invisible characters: each is looked at once.
        let junk = String(repeating: "\u{200D}\u{200B}\u{E0041}\u{200C}", count: 50_000)
        #expect(clean("a" + junk + "b" + junk) == "ab")
        #expect(clean("👨" + String(repeating: "\u{200D}", count: 100_000) + "👩") == "👨\u{200D}👩")
    }
}

/// The limits count what is left after cleaning.
@Suite struct CleanedLengthTests {
    func draft(text: String = "Det luktar rök", place: String = "Centrum", contactName: String? = nil) -> ReportDraft {
        ReportDraft(category: .drugs, place: place, occurred: .today, text: text, language: "sv",
                    reporter: Reporter(role: .visitor, ageGroup: nil),
                    contact: contactName.map { Contact(name: $0, phone: nil, email: nil) })
    }

    @Test func invisibleCharactersDoNotCount() throws {
        let place = String(repeating: "p\u{200B}\u{AD}", count: 200)            // 600 scalars typed, 200 kept
        #expect(try draft(place: place).validated().place == String(repeating: "p", count: 200))
        let text = String(repeating: "x\u{FEFF}\u{2060}", count: 2000)
        #expect(TextCleaner.length(try draft(text: text).validated().text) == 2000)
        let name = String(repeating: "n\u{200E}", count: 200)
        #expect(try draft(contactName: name).validated().contact?.name == String(repeating: "n", count: 200))
    }

    @Test func visibleCharactersStillCount() {
        #expect(throws: ReportValidationError(field: "place", problem: .tooLong(201, max: 200))) {
            try draft(place: String(repeating: "p\u{200B}", count: 201)).validated()
        }
        #expect(throws: ReportValidationError(field: "text", problem: .tooLong(2001, max: 2000))) {
            try draft(text: String(repeating: "x\u{E0041}", count: 2001)).validated()
        }
        #expect(throws: ReportValidationError(field: "contact.name", problem: .tooLong(201, max: 200))) {
            try draft(contactName: String(repeating: "n\u{2062}", count: 201)).validated()
        }
    }

    @Test func onlyInvisibleCharactersAreMissing() {
        #expect(throws: ReportValidationError(field: "place", problem: .missing)) {
            try draft(place: "\u{200B}\u{200D}\u{FEFF}\u{AD}\u{2028}").validated()
        }
        #expect(throws: ReportValidationError(field: "text", problem: .missing)) {
            try draft(text: "\u{2029}\u{200C}\u{E0067}\u{E007F}\u{2066}").validated()
        }
    }

    @Test func keptJoinersAndFlagTagsCountAsTheCharactersTheyAre() throws {
        // ZWJ and tag characters that stay are scalars like any other: a family is 5, England's flag 7.
        let v = try draft(text: "👨\u{200D}👩\u{200D}👧 " + InvisibleCharacterTests.england).validated()
        #expect(TextCleaner.length(v.text) == 5 + 1 + 7)
    }
}

import Testing
@testable import KioskConfig

/// Arrays over several lines, and the bound on how deeply arrays nest.
@Suite struct TOMLArrayTests {
    func parseError(_ text: String) -> TOMLSyntaxError? {
        do { _ = try TOMLParser.parse(text); return nil } catch { return error }
    }

    func places(_ text: String) throws -> TOMLEntry? {
        try TOMLParser.parse(text).tables["kiosk"]?.entries["places"]
    }

    static let twoPlaces = TOMLValue.array([.string("Centrum"), .string("Skolan")])

    /// Each layout of the same two-item array, with `places` on line 2.
    static let layouts: [String] = [
        // the issue's example: items indented, a comment, a trailing comma, ] indented on its own line
        "[kiosk]\nplaces = [\n    \"Centrum\",\n    \"Skolan\",   # a comment\n  ]\n",
        // ] at the start of the line, and no trailing comma
        "[kiosk]\nplaces = [\n    \"Centrum\",\n    \"Skolan\"\n]\n",
        // ] indented with a tab, a comment after the [, blank lines and whole-line comments inside
        "[kiosk]\nplaces = [   # quick picks, keys 1–9\n\n  # the town\n  \"Centrum\",\n\n\t\"Skolan\",\n\n  # end\n\t]\n",
        // the commas at the start of the lines
        "[kiosk]\nplaces = [ \"Centrum\"\n         , \"Skolan\"\n         ]\n",
        // two items on one line, ] after the last item, a comment after the ]
        "[kiosk]\nplaces = [\n  \"Centrum\", 'Skolan' ]   # done\n",
        // the key line itself indented, as under a table
        "[kiosk]\n    places = [\n        \"Centrum\",\n        \"Skolan\",\n    ]\n",
        // Windows line ends
        "[kiosk]\r\nplaces = [\r\n    \"Centrum\",\r\n    \"Skolan\",\r\n  ]\r\n",
        // the comma on its own line, and ] at the end of the file without a line end
        "[kiosk]\nplaces = [\n  \"Centrum\"\n  ,\n  \"Skolan\"\n  ,\n  ]",
    ]

    @Test(arguments: layouts)
    func multiLineArraysParse(_ text: String) throws {
        let entry = try #require(try places(text))
        #expect(entry.value == Self.twoPlaces)
        #expect(entry.line == 2)
    }

    @Test func keysAfterAMultiLineArrayKeepTheirLines() throws {
        let doc = try TOMLParser.parse("""
            [kiosk]
            places = [
                "Centrum",   # [not an array] "nor a string",
                "Skolan",
              ]
            id = "k-1"

            [storage]
            max_pending = 10
            """)
        #expect(doc.tables["kiosk"]?.entries["places"]?.value == Self.twoPlaces)
        #expect(doc.tables["kiosk"]?.entries["id"]?.line == 6)
        #expect(doc.tables["kiosk"]?.order == ["places", "id"])
        #expect(doc.tables["storage"]?.line == 8)
        #expect(doc.tables["storage"]?.entries["max_pending"]?.line == 9)
    }

    @Test func windowsLineEndsEverywhere() throws {
        let doc = try TOMLParser.parse("# c\r\n[kiosk]\r\nid = \"k-1\"\r\nn = 5\r\nok = true # x\r\nl = [\r\n  1,\r\n]\r\n")
        #expect(doc.tables["kiosk"]?.entries["id"] == TOMLEntry(value: .string("k-1"), line: 3))
        #expect(doc.tables["kiosk"]?.entries["n"]?.value == .integer(5))
        #expect(doc.tables["kiosk"]?.entries["ok"]?.value == .boolean(true))
        #expect(doc.tables["kiosk"]?.entries["l"] == TOMLEntry(value: .array([.integer(1)]), line: 6))
    }

    @Test func nestedAndEmptyMultiLineArrays() throws {
        let doc = try TOMLParser.parse("seqs = [\n  [1, 2],\n  [\n    3,\n  ],\n  [\n  ],\n]\nempty = [\n\n]\n")
        #expect(doc.tables[""]?.entries["seqs"]?.value == .array([.array([.integer(1), .integer(2)]),
                                                                     .array([.integer(3)]), .array([])]))
        #expect(doc.tables[""]?.entries["empty"]?.value == .array([]))
        #expect(doc.tables[""]?.entries["empty"]?.line == 9)
    }

    /// Malformed multi-line arrays: the error stands on the line of the key, and says where the problem is.
    @Test(arguments: [
        // a missing comma
        ("[kiosk]\nplaces = [\n  \"Centrum\"\n  \"Skolan\",\n]\n", "expected , or ] after an item of the array (on line 4)"),
        // not closed before the end of the file
        ("[kiosk]\nplaces = [\n  \"Centrum\",\n  \"Skolan\",\n", "the array is not closed with ]"),
        ("[kiosk]\nplaces = [\n  \"Centrum\",\n  # ]\n", "the array is not closed with ]"),
        ("[kiosk]\nplaces = [[\n  \"Centrum\"],\n", "the array is not closed with ]"),
        // not closed before the next key: that key is read as an item
        ("[kiosk]\nplaces = [\n  \"Centrum\",\nid = \"k\"\n", "id is not a value; strings need quotes, e.g. \"id\" (on line 4)"),
        // a string not closed on a later line
        ("[kiosk]\nplaces = [\n  \"Centrum,\n]\n", "the string is not closed with \" (on line 3)"),
        // text after the closing ]
        ("[kiosk]\nplaces = [\n  \"Centrum\",\n] \"Skolan\"\n", "unexpected text after the value: \"Skolan\" (on line 4)"),
    ] as [(String, String)])
    func malformedMultiLineArraysAreRefusedOnTheKeysLine(_ text: String, _ message: String) {
        let e = parseError(text)
        #expect(e?.line == 2)
        #expect(e?.message == message)
    }

    @Test func nestingIsBoundedAt32() throws {
        func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        var expected = TOMLValue.array([])
        for _ in 1..<32 { expected = .array([expected]) }
        #expect(try TOMLParser.parse("x = \(nested(32))").tables[""]?.entries["x"]?.value == expected)

        let e = parseError("[kiosk]\nx = \(nested(33))\n")
        #expect(e == TOMLSyntaxError(line: 2, key: "x", message: "arrays are nested deeper than 32 levels"))
    }

    @Test func aHundredThousandOpenBracketsAreRefusedWithTheirLine() throws {
        let deep = String(repeating: "[", count: 100_000)
        let text = "[kiosk]\nid = \"k-1\"\nsite = \"s\"\nplaces = \(deep)\n"
        #expect(parseError(text) == TOMLSyntaxError(line: 4, key: "places", message: "arrays are nested deeper than 32 levels"))
        // closed as well, and spread over many lines
        #expect(parseError("places = \(deep)\(String(repeating: "]", count: 100_000))")?.line == 1)
        #expect(parseError("\n\nplaces = \(String(repeating: "[\n", count: 100_000))")?.line == 3)
        // and as the configuration prints it
        do {
            _ = try Configuration.parse(text: text, path: "/etc/k.toml")
            Issue.record("accepted a file with 100,000 nested arrays")
        } catch {
            #expect(error.errors.map(\.description) == ["/etc/k.toml:4: places: arrays are nested deeper than 32 levels"])
        }
    }

    @Test func aLongMultiLineArrayIsReadInOnePass() throws {
        // 100,000 lines: each line is read once (the reader used to re-read the array from its key on every line).
        let text = "x = [\n" + String(repeating: "  1,\n", count: 100_000) + "]\ny = 2\n"
        let doc = try TOMLParser.parse(text)
        guard case .array(let items)? = doc.tables[""]?.entries["x"]?.value else { Issue.record("x is not an array"); return }
        #expect(items.count == 100_000)
        #expect(doc.tables[""]?.entries["y"]?.line == 100_003)
    }
}

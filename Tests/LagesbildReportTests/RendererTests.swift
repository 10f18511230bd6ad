import Foundation
import Testing
import LagesbildReport
import ReportModel

// MARK: - Helpers

/// Parses the JSON output with Foundation (what a tool reading it would do).
private func parseJSON(_ s: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(s.utf8))
    return try #require(object as? [String: Any])
}

/// A small RFC 4180 reader: rows of fields, quotes undone. Fails the test on a malformed line.
private func parseCSV(_ s: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = ""
    var quoted = false, afterQuote = false
    var scalars = s.unicodeScalars.makeIterator()
    var pending: Unicode.Scalar? = nil
    func next() -> Unicode.Scalar? {
        if let p = pending { pending = nil; return p }
        return scalars.next()
    }
    while let c = next() {
        if quoted {
            if c == "\"" {
                let n = next()
                if n == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; afterQuote = true; pending = n }
            } else { field.unicodeScalars.append(c) }
            continue
        }
        switch c {
        case "\"":
            #expect(field.isEmpty && !afterQuote, "a quote inside an unquoted field")
            quoted = true
        case ",":
            row.append(field); field = ""; afterQuote = false
        case "\r":
            #expect(next() == "\n", "CR not followed by LF")
            row.append(field); rows.append(row); row = []; field = ""; afterQuote = false
        case "\n":
            Issue.record("a bare LF ends a row; rows must end with CRLF")
            row.append(field); rows.append(row); row = []; field = ""; afterQuote = false
        default:
            field.unicodeScalars.append(c)
        }
    }
    #expect(!quoted, "unterminated quoted field")
    #expect(row.isEmpty && field.isEmpty, "the last row does not end with CRLF")
    return rows
}

/// The part of `html` from `start` to the first `end` after it.
private func slice(_ html: String, from start: String, to end: String) throws -> String {
    let a = try #require(html.range(of: start), "\(start) not found")
    let b = try #require(html.range(of: end, range: a.upperBound..<html.endIndex), "\(end) not found after \(start)")
    return String(html[a.lowerBound..<b.upperBound])
}

private func occurrences(of needle: String, in s: String) -> Int {
    s.components(separatedBy: needle).count - 1
}

private func withPlace(_ name: String, _ byCategory: [String: Int], previous: Int = 0) -> Picture {
    var p = Fixture.picture()
    p.places.insert(Picture.Place(name: name, current: byCategory.values.reduce(0, +), previous: previous,
                                  byCategory: byCategory), at: 0)
    return p
}

// MARK: - The fixture itself

@Suite struct FixtureTests {
    @Test func fixtureIsTheRealisticTwoWeekPicture() {
        let p = Fixture.picture()
        #expect(p.total == 143)
        #expect(p.previousTotal == 122)
        #expect(p.byCategory.count == Category.allCases.count)
        #expect(p.byCategory.reduce(0) { $0 + $1.current } == p.total)
        #expect(p.places.reduce(0) { $0 + $1.current } == p.total)
        #expect(p.byKiosk.reduce(0) { $0 + $1.current } == p.total)
        #expect(p.kiosks.filter(\.silent).map(\.id) == ["gotene-ungdomsgarden-1"])
        #expect(p.period.until - p.period.since == 14 * 86_400_000)
    }
}

// MARK: - JSON

@Suite struct JSONRendererTests {
    @Test func parsesAndEveryCountEqualsThePicture() throws {
        let p = Fixture.picture()
        let json = try parseJSON(PictureRenderer.renderJSON(p, language: .sv))

        #expect(json["schema"] as? String == "lagesbild.report.v1")
        #expect(json["total"] as? Int == 143)
        #expect(json["previous_total"] as? Int == 122)
        #expect(json["rejects"] as? Int == 2)
        #expect(json["silent_after_h"] as? Int == 24)
        #expect(json["generated_at"] as? String == "2026-11-25T08:00:00.000+01:00")
        let period = try #require(json["period"] as? [String: Any])
        #expect(period["since"] as? String == "2026-11-11T00:00:00.000+01:00")
        #expect(period["until"] as? String == "2026-11-25T00:00:00.000+01:00")
        #expect(period["days"] as? Int == 14)
        let previous = try #require(json["previous_period"] as? [String: Any])
        #expect(previous["since"] as? String == "2026-10-28T00:00:00.000+01:00")

        let categories = try #require(json["by_category"] as? [[String: Any]])
        #expect(categories.count == p.byCategory.count)
        for (row, c) in zip(categories, p.byCategory) {
            #expect(row["key"] as? String == c.key)
            #expect(row["count"] as? Int == c.current)
            #expect(row["previous"] as? Int == c.previous)
        }
        let drugs = try #require(categories.first { $0["key"] as? String == "drugs" })
        #expect(drugs["label"] as? String == "Narkotika, alkohol eller langning")
        #expect(drugs["count"] as? Int == 28)

        let places = try #require(json["by_place"] as? [[String: Any]])
        #expect(places.count == p.places.count)
        for (row, pl) in zip(places, p.places) {
            #expect(row["place"] as? String == pl.name)
            #expect(row["count"] as? Int == pl.current)
            #expect(row["previous"] as? Int == pl.previous)
            #expect(row["by_category"] as? [String: Int] == pl.byCategory)
        }
        #expect(places.first?["place"] as? String == "Centrum")
        #expect((places.first?["by_category"] as? [String: Int])?["drugs"] == 12)

        for (key, counts) in [("by_kiosk", p.byKiosk), ("by_event", p.byEvent), ("by_occurred", p.byOccurred),
                              ("by_age_group", p.byAgeGroup)] {
            let rows = try #require(json[key] as? [[String: Any]], "\(key)")
            #expect(rows.map { $0["count"] as? Int } == counts.map(\.current), "\(key)")
            #expect(rows.map { $0["previous"] as? Int } == counts.map(\.previous), "\(key)")
            #expect(rows.map { $0["key"] as? String } == counts.map(\.key), "\(key)")
        }
        let ages = try #require(json["by_age_group"] as? [[String: Any]])
        let notGiven = try #require(ages.first { $0["key"] is NSNull })
        #expect(notGiven["label"] as? String == "Ej angivet")

        let kiosks = try #require(json["kiosks"] as? [[String: Any]])
        #expect(kiosks.map { $0["id"] as? String } == p.kiosks.map(\.id))
        let silent = try #require(kiosks.first)
        #expect(silent["silent"] as? Bool == true)
        #expect(silent["site"] as? String == "Ungdomsgården, Götene")
        #expect(silent["last_status_at"] as? String == "2026-11-23T04:00:00.000+01:00")
        #expect(silent["pending"] as? Int == 16)
        #expect(kiosks[1]["dead_letters"] as? Int == 3)
        #expect(kiosks[1]["silent"] as? Bool == false)

        let gaps = try #require(json["gaps"] as? [[String: Any]])
        #expect(gaps.count == 1)
        #expect(gaps.first?["kiosk"] as? String == "gotene-ungdomsgarden-1")
        #expect(gaps.first?["from"] as? Int == 120)
        #expect(gaps.first?["to"] as? Int == 135)
        #expect(gaps.first?["count"] as? Int == 16)
    }

    @Test func keysComeInTheStableOrder() throws {
        let s = PictureRenderer.renderJSON(Fixture.picture(tips: true))
        let keys = ["schema", "period", "previous_period", "generated_at", "total", "previous_total", "by_category",
                    "by_place", "by_kiosk", "by_event", "by_occurred", "by_age_group", "kiosks", "gaps", "rejects",
                    "silent_after_h", "tips"]
        let positions = try keys.map { key in
            try #require(s.range(of: "\"\(key)\":"), "\(key) missing").lowerBound
        }
        #expect(positions == positions.sorted())
        #expect(s.hasPrefix("{\"schema\":\"lagesbild.report.v1\",\"period\":{\"since\":"))
        // The same picture gives the same bytes.
        #expect(s == PictureRenderer.renderJSON(Fixture.picture(tips: true)))
    }

    @Test func escapesVisitorTextAndStaysValid() throws {
        // Quotes and backslashes are escaped; controls and line breaks were cleaned (TextCleaner) before output.
        let p = withPlace("Torget \"norra\"\\ \u{1}\n<b>", ["other": 4])
        let json = try parseJSON(PictureRenderer.renderJSON(p))
        let places = try #require(json["by_place"] as? [[String: Any]])
        #expect(places.first?["place"] as? String == "Torget \"norra\"\\  <b>")
    }
}

// MARK: - CSV

@Suite struct CSVRendererTests {
    @Test func headerFirstAndEveryRowHasEveryColumn() {
        let csv = PictureRenderer.renderCSV(Fixture.picture())
        #expect(csv.hasPrefix("section,key,label,value,category,place,current,previous,from,to,"))
        let rows = parseCSV(csv)
        #expect(rows.first == PictureRenderer.csvColumns)
        for row in rows { #expect(row.count == PictureRenderer.csvColumns.count, "\(row)") }
    }

    @Test func countsAreExact() throws {
        let p = Fixture.picture()
        let all = parseCSV(PictureRenderer.renderCSV(p))
        let col = Dictionary(uniqueKeysWithValues: PictureRenderer.csvColumns.enumerated().map { ($1, $0) })
        func rows(_ section: String) -> [[String]] { all.filter { $0[0] == section } }

        let total = try #require(rows("total").first)
        #expect(total[col["current"]!] == "143" && total[col["previous"]!] == "122")
        #expect(rows("rejects").first?[col["current"]!] == "2")
        #expect(rows("category").map { $0[col["key"]!] } == p.byCategory.map { $0.key ?? "" })
        #expect(rows("category").map { Int($0[col["current"]!]) } == p.byCategory.map(\.current))
        #expect(rows("category").first?[col["label"]!] == "Narkotika, alkohol eller langning")
        #expect(rows("place").map { $0[col["key"]!] } == p.places.map(\.name))
        #expect(rows("place").map { Int($0[col["current"]!]) } == p.places.map(\.current))
        // The small cells stay exact here: CSV is not the shareable version.
        let tunnel = try #require(rows("place_category").first { $0[col["key"]!] == "Gång- och cykeltunneln" })
        #expect(tunnel[col["category"]!] == "unsafe_place" && tunnel[col["current"]!] == "2")
        #expect(rows("place_category").count == p.places.reduce(0) { $0 + $1.byCategory.count })
        let gap = try #require(rows("gap").first)
        #expect([gap[col["key"]!], gap[col["from"]!], gap[col["to"]!], gap[col["value"]!]]
                == ["gotene-ungdomsgarden-1", "120", "135", "16"])
        let kiosk = try #require(rows("kiosk").first)
        #expect(kiosk[col["key"]!] == "gotene-ungdomsgarden-1" && kiosk[col["silent"]!] == "true")
        #expect(kiosk[col["current"]!] == "59" && kiosk[col["pending"]!] == "16")
        #expect(rows("kiosk").map { $0[col["dead_letters"]!] } == ["0", "3", "0"])
        #expect(rows("period").first?[col["from"]!] == "2026-11-11T00:00:00.000+01:00")
    }

    @Test func neutralisesFormulasAndQuotes() throws {
        let p = withPlace("=HYPERLINK(\"https://evil.example\",\"klicka\")", ["other": 3])
        let csv = PictureRenderer.renderCSV(p)
        #expect(csv.contains("\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"klicka\"\")\""))
        let rows = parseCSV(csv)
        let place = try #require(rows.first { $0[0] == "place" })
        #expect(place[1] == "'=HYPERLINK(\"https://evil.example\",\"klicka\")")
        for row in rows {
            for field in row {
                #expect(!["=", "+", "-", "@"].contains(field.first.map(String.init) ?? ""), "\(field) is a formula")
            }
        }
        for name in ["+46 70", "-1+1", "@SUM(A1)"] {
            let rows = parseCSV(PictureRenderer.renderCSV(withPlace(name, ["other": 3])))
            #expect(rows.first { $0[0] == "place" }?[1] == "'" + name)
        }
    }
}

// MARK: - HTML

@Suite struct HTMLRendererTests {
    let html = PictureRenderer.renderHTML(Fixture.picture())

    @Test func selfContainedWithNoScriptsOrLinks() {
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"sv\">"))
        #expect(html.contains("<style>"))
        #expect(html.contains("@page { size: A4 landscape; margin: 12mm; }"))
        let lower = html.lowercased()
        #expect(!lower.contains("<script"))
        #expect(!lower.contains("http://") && !lower.contains("https://"))
        #expect(!lower.contains("<link") && !lower.contains("<img") && !lower.contains("url(") && !lower.contains("@import"))
        #expect(!lower.contains("javascript:") && !lower.contains("onload=") && !lower.contains("onerror="))
        #expect(html.hasSuffix("</html>\n"))
    }

    @Test func headingNamesThePeriodAndTheComparison() {
        #expect(html.contains("<h1>Lägesbild 2026-11-11 – 2026-11-24</h1>"))
        #expect(html.contains("jämfört med föregående period 2026-10-28 – 2026-11-10"))
        #expect(html.contains("<span class=\"big\">143</span>"))
    }

    @Test func bothChartsDrawBarsLargestFirst() throws {
        let categories = try slice(html, from: "<svg class=\"chart\" id=\"chart-categories\"", to: "</svg>")
        let places = try slice(html, from: "<svg class=\"chart\" id=\"chart-places\"", to: "</svg>")
        // Per bar one rect for this period and one for the previous; two more for the legend.
        #expect(occurrences(of: "<rect", in: categories) == 2 * 10 + 2)
        // The ten largest named places, then "Annan plats" (Gång- och cykeltunneln's 2 reports) last.
        #expect(occurrences(of: "<rect", in: places) == 2 * 11 + 2)
        #expect(places.contains(">Annan plats</text>"))
        // Bars are sorted by size: the widths of this period's bars never grow.
        for chart in [categories, places] {
            var widths = chart.components(separatedBy: "height=\"28\" fill=\"#1f4e8c\"").dropLast().compactMap { part in
                part.components(separatedBy: "width=\"").last.flatMap { Int($0.prefix { $0.isNumber }) }
            }
            if chart == places { widths.removeLast() }
            #expect(widths.count == 10)
            #expect(widths == widths.sorted(by: >))
            #expect(widths.first ?? 0 > widths.last ?? 0)
        }
        #expect(categories.contains(">Narkotika, alkohol eller</tspan>"))
        #expect(places.contains(">Centrum</text>"))
        // Centrum's 38 holds a hidden 2 (threats) and a 6 (unsafe place) hidden to protect the "< 3" of
        // "Annan plats" in that column: drawn at its least, 38 − 2 + 1 − 6 + 3.
        #expect(places.contains(">minst 34<"))
    }

    @Test func escapesVisitorTypedText() {
        let evil = "<script>alert(1)</script>"
        for p in [withPlace(evil, ["drugs": 9]), { var p = Fixture.picture(tips: true); p.tips?[0].text = evil; return p }()] {
            let html = PictureRenderer.renderHTML(p)
            #expect(!html.lowercased().contains("<script"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        }
        let quoted = PictureRenderer.renderHTML(withPlace("\"><img src=x>&", ["drugs": 9]))
        #expect(!quoted.contains("<img"))
        #expect(quoted.contains("&quot;&gt;&lt;img src=x&gt;&amp;"))
    }

    @Test func smallCountsAreMaskedAndNoTotalGivesThemAway() throws {
        let table = try slice(html, from: "<section class=\"places\">", to: "</section>")
        // Gång- och cykeltunneln has 2 reports typed as free text: it is not named, it counts as "Annan plats",
        // whose cell says "< 3" and whose total only "minst 1".
        #expect(!table.contains("Gång- och cykeltunneln"))
        let other = try slice(table, from: "<td class=\"name\">Annan plats</td>", to: "</tr>")
        #expect(other.contains("<td class=\"num total atleast\">minst 1</td>"))
        #expect(other.contains("&lt; 3"))
        let ungdom = try slice(table, from: "<td class=\"name\">Ungdomsgården</td>", to: "</tr>")
        #expect(ungdom.contains("<td class=\"cat\">6</td>"))   // 3 and more are shown
        #expect(ungdom.contains("&lt; 3"))                      // the 1 of threats_violence is not
        #expect(!ungdom.contains("<td class=\"num total\">"))  // nor the total 15 that would give the 1 away
        #expect(ungdom.contains("minst 15"))                    // 6 + 5 + 3 + at least 1
        #expect(!table.contains("<td class=\"cat\">1</td>") && !table.contains("<td class=\"cat\">2</td>"))
        #expect(table.contains("&lt; 3 betyder 1 eller 2 rapporter"))
        // A configured quick pick is named even with one report, its total hidden.
        var p = Fixture.picture()
        p.places.append(Picture.Place(name: "Järnvägsstationen", current: 1, previous: 0, byCategory: ["theft": 1]))
        let picked = PictureRenderer.renderHTML(p, quickPickPlaces: ["järnvägsstationen"])
        let row = try slice(picked, from: "<td class=\"name\">Järnvägsstationen</td>", to: "</tr>")
        #expect(row.contains("minst 1") && !row.contains("<td class=\"num total\">1</td>"))

        // JSON keeps the exact numbers.
        let json = try parseJSON(PictureRenderer.renderJSON(Fixture.picture()))
        let places = try #require(json["by_place"] as? [[String: Any]])
        let jsonTunnel = try #require(places.first { $0["place"] as? String == "Gång- och cykeltunneln" })
        #expect(jsonTunnel["by_category"] as? [String: Int] == ["unsafe_place": 2])
        let jsonUngdom = try #require(places.first { $0["place"] as? String == "Ungdomsgården" })
        #expect((jsonUngdom["by_category"] as? [String: Int])?["threats_violence"] == 1)
    }

    @Test func noFootnoteWhenNothingIsMasked() {
        var p = Fixture.picture()
        p.places = p.places.map { pl in
            var pl = pl
            pl.byCategory = pl.byCategory.filter { $0.value >= 3 }
            return pl
        }
        let html = PictureRenderer.renderHTML(p)
        #expect(!html.contains("&lt; 3"))
    }

    @Test func honestyBoxSaysWhatIsMissing() throws {
        let box = try slice(html, from: "<section class=\"honesty\">", to: "</section>")
        #expect(box.contains("måste säga det"))
        #expect(box.contains("TYST: gotene-ungdomsgarden-1 (Ungdomsgården, Götene)"))
        #expect(box.contains("ingen status på 52 h (gräns 24 h)"))
        #expect(box.contains("kiosk gotene-ungdomsgarden-1: seq 120–135 saknas (16)"))
        #expect(box.contains("kiosk gotene-medborgarkontoret-1: 3 döda brev"))
        #expect(box.contains("2 meddelanden under perioden var inte giltiga rapporter"))
        #expect(html.contains("1 kiosk tyst · 1 lucka (16 saknas) · 3 döda brev · 2 avvisade"))

        var clean = Fixture.picture()
        clean.kiosks = clean.kiosks.map { var k = $0; k.silent = false; k.deadLetters = 0; return k }
        clean.gaps = []
        clean.rejects = 0
        let cleanHTML = PictureRenderer.renderHTML(clean)
        #expect(cleanHTML.contains("<section class=\"honesty complete\">"))
        #expect(cleanHTML.contains("Alla kiosker har hörts av"))
        #expect(!cleanHTML.contains("TYST"))
    }

    @Test func hasAnEmptyBoxForTheAssessment() throws {
        let box = try slice(html, from: "<section class=\"assessment\">", to: "</section>")
        #expect(box.contains("<h2>Bedömning och åtgärder</h2>"))
        #expect(box.contains("<div class=\"write\">"))
    }
}

// MARK: - Text

@Suite struct TextRendererTests {
    let text = PictureRenderer.renderText(Fixture.picture(), language: .sv)

    @Test func fitsEightyColumns() {
        for p in [Fixture.picture(), Fixture.picture(tips: true), withPlace(String(repeating: "Långgatan ", count: 20), ["drugs": 50])] {
            for language in ReportLanguage.allCases {
                for line in PictureRenderer.renderText(p, language: language).split(separator: "\n") {
                    #expect(line.count <= 80, "\(line.count): \(line)")
                }
            }
        }
    }

    @Test func saysPeriodTotalsAndCategoriesLargestFirst() throws {
        #expect(text.hasPrefix("LÄGESBILD 2026-11-11 – 2026-11-24 (14 dagar)\njämfört med föregående period (2026-10-28 – 2026-11-10)\n"))
        #expect(text.contains("RAPPORTER 143   föregående period 122   ↑ +21 (+17 %)"))
        let drugs = try #require(text.range(of: "  Narkotika, alkohol eller langning          28      25  ↑ +3\n"))
        let theft = try #require(text.range(of: "  Stöld eller inbrott                        12      15  ↓ -3\n"))
        let other = try #require(text.range(of: "  Annat                                       1       1  ±0\n"))
        #expect(drugs.lowerBound < theft.lowerBound && theft.lowerBound < other.lowerBound)
        #expect(text.contains("  Centrum                     38     30  ↑ +8       Narkotika 12, Grupper 9\n"))
        #expect(text.contains("Träffpunkt Solgården         4      0  ↑ +4 ny"))
        #expect(text.contains("… och 1 plats till (2 rapporter)"))
    }

    @Test func namesWhatIsMissing() {
        #expect(text.contains("  TYST: gotene-ungdomsgarden-1 (Ungdomsgården, Götene): ingen status på 52 h\n"))
        #expect(text.contains("    kiosk gotene-ungdomsgarden-1: seq 120–135 saknas (16)\n"))
        #expect(text.contains("    kiosk gotene-medborgarkontoret-1: 3 döda brev\n"))
        #expect(text.contains("  Avvisade meddelanden: 2 meddelanden"))
        #expect(text.contains("! 1 kiosk tyst · 1 lucka (16 saknas) · 3 döda brev · 2 avvisade"))
    }

    @Test func controlCharactersFromVisitorsCannotReachTheTerminal() {
        let text = PictureRenderer.renderText(withPlace("Torget\u{1B}[2J\u{9B}31m", ["drugs": 60]))
        #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{9B}" })
        #expect(text.contains("Torget "))
        #expect(!text.contains("[2J") && !text.contains("31m"), "escape sequences are removed whole (TextCleaner)")
    }
}

// MARK: - Tips and languages, across formats

@Suite struct TipsAndLanguageTests {
    static let tipText = "Cykel stulen vid stället, låset avklippt"

    @Test func tipsAppearOnlyWhenPresent() throws {
        let without = Fixture.picture(), with = Fixture.picture(tips: true)
        for language in ReportLanguage.allCases {
            #expect(!PictureRenderer.renderText(without, language: language).contains(Self.tipText))
            #expect(!PictureRenderer.renderCSV(without, language: language).contains(Self.tipText))
            #expect(!PictureRenderer.renderJSON(without, language: language).contains(Self.tipText))
            #expect(!PictureRenderer.renderHTML(without, language: language).contains(Self.tipText))
            #expect(PictureRenderer.renderText(with, language: language).contains(Self.tipText))
            #expect(PictureRenderer.renderCSV(with, language: language).contains(Self.tipText))
            #expect(PictureRenderer.renderJSON(with, language: language).contains(Self.tipText))
            #expect(PictureRenderer.renderHTML(with, language: language).contains(Self.tipText))
        }

        #expect(try parseJSON(PictureRenderer.renderJSON(without))["tips"] == nil)
        let tips = try #require(try parseJSON(PictureRenderer.renderJSON(with))["tips"] as? [[String: Any]])
        #expect(tips.count == 3)
        #expect(tips[1]["text"] as? String == "Någon ringde och sa att de var från banken.\nBad om koden till bank-id.")
        #expect(tips[1]["seq"] as? Int == 98)
        #expect(tips[1]["submitted_at"] as? String == "2026-11-16T10:00:00.000+01:00")

        #expect(!parseCSV(PictureRenderer.renderCSV(without)).contains { $0[0] == "tip" })
        let csvTips = parseCSV(PictureRenderer.renderCSV(with)).filter { $0[0] == "tip" }
        #expect(csvTips.count == 3)
        #expect(csvTips[0].last == "Langning bakom pressbyrån på kvällarna, \"alltid runt 21\".")

        let html = PictureRenderer.renderHTML(with)
        #expect(html.contains("<h2>Tips med fritext – får inte delas</h2>"))
        #expect(html.contains("Den här sidan innehåller fritext"))
        #expect(html.contains("<p class=\"banner\">Innehåller fritext – får inte delas</p>"))
        #expect(html.contains("&quot;alltid runt 21&quot;"))
        let plain = PictureRenderer.renderHTML(without)
        #expect(!plain.contains("fritext") && !plain.contains("class=\"tips\""))
        #expect(!PictureRenderer.renderText(without).contains("TIPS MED FRITEXT"))
    }

    @Test func englishLabelsWithEn() throws {
        let p = Fixture.picture(tips: true)
        let text = PictureRenderer.renderText(p, language: .en)
        #expect(text.hasPrefix("SITUATION PICTURE 2026-11-11 – 2026-11-24 (14 days)\ncompared with the previous period (2026-10-28 – 2026-11-10)\n"))
        #expect(text.contains("  Drugs, alcohol or dealing"))
        #expect(text.contains("SILENT: gotene-ungdomsgarden-1"))
        #expect(text.contains("kiosk gotene-ungdomsgarden-1: seq 120–135 missing (16)"))
        #expect(!text.contains("Narkotika") && !text.contains("jämfört"))

        let html = PictureRenderer.renderHTML(p, language: .en)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"))
        #expect(html.contains("compared with the previous period 2026-10-28 – 2026-11-10"))
        #expect(html.contains(">Unsafe place</text>"))
        #expect(html.contains("<h2>Assessment and measures</h2>"))
        #expect(html.contains("&lt; 3 means 1 or 2 reports"))
        #expect(!html.contains("Otrygg") && !html.contains("jämfört") && !html.contains("Bedömning"))

        let json = try parseJSON(PictureRenderer.renderJSON(p, language: .en))
        let categories = try #require(json["by_category"] as? [[String: Any]])
        #expect(categories.first?["key"] as? String == "drugs")   // keys do not change with the language
        #expect(categories.first?["label"] as? String == "Drugs, alcohol or dealing")
        #expect(PictureRenderer.renderCSV(p, language: .en).contains("category,fraud,Fraud,"))
    }

    @Test func labelsInBothLanguages() {
        let sv = ReportLanguage.sv, en = ReportLanguage.en
        #expect(Category.allCases.map { sv.categoryLabel($0.rawValue) } == Category.allCases.map(\.swedishLabel))
        #expect(Category.allCases.map { en.categoryLabel($0.rawValue) } == [
            "Unsafe place", "Drugs, alcohol or dealing", "Groups that make people feel unsafe", "Threats or violence",
            "Theft or burglary", "Fraud", "Vandalism or graffiti", "Traffic", "Online and social media", "Other",
        ])
        #expect(["now", "today", "this_week", "earlier", "unknown", "date", "2026-11-20", nil].map { sv.occurredLabel($0) }
                == ["Just nu", "I dag", "Den här veckan", "Tidigare", "Vet inte", "Datum", "Datum", "Ej angivet"])
        #expect(["now", "today", "this_week", "earlier", "unknown", "2026-11-20"].map { en.occurredLabel($0) }
                == ["Right now", "Today", "This week", "Earlier", "Don't know", "A date"])
        #expect(["youth", "adult", "senior", nil].map { sv.ageGroupLabel($0) } == ["Unga", "Vuxna", "Seniorer", "Ej angivet"])
        #expect(["youth", "adult", "senior", nil].map { en.ageGroupLabel($0) } == ["Young people", "Adults", "Seniors", "Not given"])
        // A category a newer kiosk may send shows as its key.
        #expect(sv.categoryLabel("noise") == "noise" && en.categoryLabel("noise") == "noise")
    }

    @Test func unknownCategoryKeyIsShownAsTheKeyEverywhere() throws {
        var p = withPlace("Hamnen", ["noise": 7])
        p.byCategory.insert(Picture.Count(key: "noise", current: 7, previous: 0), at: 0)
        #expect(PictureRenderer.renderText(p).contains("  noise   "))
        #expect(PictureRenderer.renderHTML(p).contains(">noise</text>"))
        #expect(PictureRenderer.renderCSV(p).contains("category,noise,noise,,,,7,0,"))
        let json = try parseJSON(PictureRenderer.renderJSON(p))
        let first = try #require((json["by_category"] as? [[String: Any]])?.first)
        #expect(first["key"] as? String == "noise" && first["label"] as? String == "noise")
    }

    @Test func datesAndTimesUseThePeriodsOffset() throws {
        var p = Fixture.picture()
        p.period.utcOffsetSeconds = 2 * 3600   // summer time: the same instants, an hour later on the clock
        let text = PictureRenderer.renderText(p)
        #expect(text.hasPrefix("LÄGESBILD 2026-11-11 01:00 – 2026-11-25 01:00 (14 dagar)\n"))
        #expect(text.contains("Skapad 2026-11-25 09:00"))
        let json = try parseJSON(PictureRenderer.renderJSON(p))
        #expect(json["generated_at"] as? String == "2026-11-25T09:00:00.000+02:00")
    }
}

// MARK: - An empty period

@Suite struct EmptyPictureTests {
    @Test func aPeriodWithoutReportsRendersInEveryFormat() throws {
        let p = Picture(period: Picture.Period(since: Fixture.since, until: Fixture.until, utcOffsetSeconds: Fixture.offset),
                        generatedAt: Fixture.generatedAt, total: 0, previousTotal: 0,
                        byCategory: Category.allCases.map { Picture.Count(key: $0.rawValue, current: 0, previous: 0) },
                        byKiosk: [], byEvent: [], byOccurred: [], byAgeGroup: [], places: [], kiosks: [], gaps: [],
                        rejects: 0, silentAfterHours: 24, tips: [])
        let json = try parseJSON(PictureRenderer.renderJSON(p))
        #expect(json["total"] as? Int == 0)
        #expect((json["by_place"] as? [Any])?.isEmpty == true)
        #expect((json["tips"] as? [Any])?.isEmpty == true)   // asked for, none there: an empty list, not absent
        let html = PictureRenderer.renderHTML(p)
        #expect(html.contains("id=\"chart-categories\"") && html.contains("id=\"chart-places\""))
        #expect(html.contains("Inga tips under perioden."))
        #expect(PictureRenderer.renderText(p).contains("RAPPORTER 0   föregående period 0   ±0\n"))
        #expect(parseCSV(PictureRenderer.renderCSV(p)).count == 1 + 3 + 2 + 2 + Category.allCases.count)
    }
}

import ReportModel

extension PictureRenderer {
    /// The picture as ONE self-contained HTML file for the EST meeting: shown on a projector (1600×1000 and
    /// up: big type, few large numbers, bars sorted by size, high contrast) and printed on A4 landscape.
    ///
    /// Nothing is fetched: no scripts, no external fonts, images or style sheets; the style is inline and the
    /// charts are inline SVG (`<svg class="chart" id="chart-categories">` and `id="chart-places"`, bars drawn
    /// as `<rect>`, the previous period as a thin grey bar under each bar).
    ///
    /// In order: the period and "jämfört med föregående period", the total with its change and a one-line
    /// warning when data may be missing; the two charts; the places table (top places, counts per category,
    /// change ↑/↓); when it happened, age groups, events; "what may be missing" (silent kiosks, open gaps,
    /// dead letters, rejects, the kiosks); an empty "Bedömning och åtgärder" box to write in; and, only when
    /// `p.tips` is not nil, the tips with their text on a page of their own under a heading that says it must
    /// not be shared (the top of the first page says so too).
    ///
    /// This is the shareable version (`shareablePlaces`): only the kiosks' quick-pick places (`quickPickPlaces`,
    /// from `[central] places`) and places with at least 3 reports are named, every other place counts as
    /// "Annan plats"; per place and category, counts of 1 and 2 are shown as "< 3" (with a footnote), since a
    /// small count at a small place can point at a person, and no total or change beside a hidden cell gives
    /// it away. All text is escaped, so a visitor-typed place such as `<script>…</script>` comes out as text.
    public static func renderHTML(_ p: Picture, language l: ReportLanguage = .sv, quickPickPlaces: [String] = []) -> String {
        let p = p.cleaned()   // every kiosk-supplied string through TextCleaner, before any output
        let off = p.period.utcOffsetSeconds
        var h = ""
        h += "<!DOCTYPE html>\n<html lang=\"\(l.rawValue)\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<meta name=\"color-scheme\" content=\"light\">\n"
        h += "<title>\(esc("\(l.title) \(range(p.period))"))</title>\n<style>\n\(css)</style>\n</head>\n<body>\n"

        // Heading and the few big numbers
        if p.tips != nil { h += "<p class=\"banner\">\(esc(l.containsFreeText))</p>\n" }
        h += "<header>\n<h1>\(esc(l.title)) \(esc(range(p.period)))</h1>\n"
        h += "<p class=\"sub\">\(esc(l.comparedWith)) \(esc(range(p.period.previous))) · \(esc(l.days(days(p.period))))"
        h += " · \(esc(l.generated.lowercased())) \(esc(dateTime(p.generatedAt, off)))</p>\n</header>\n"
        h += "<section class=\"summary\">\n<div class=\"kpi\"><span class=\"big\">\(p.total)</span>"
        h += " <span class=\"unit\">\(esc(l.reports))</span>"
        h += " <span class=\"delta\">\(esc(change(p.total, p.previousTotal, minus: "−")))"
        if let pct = percent(p.total, p.previousTotal, minus: "−") { h += " (\(esc(pct))\(l.pick("&nbsp;%", "%")))" }
        h += "</span> <span class=\"prev\">\(esc(l.previousPeriodWord)): \(p.previousTotal)</span></div>\n"
        if isComplete(p) {
            h += "<div class=\"ok\">\(esc(l.allHeard))</div>\n"
        } else {
            h += "<div class=\"warn\"><b>!</b> \(esc(honestySummary(p, l))) <span class=\"see\">→ \(esc(l.dataQuality))</span></div>\n"
        }
        h += "</section>\n"

        // Charts
        let categories = bySize(p.byCategory)
        let (rows, more) = shareablePlaces(p.places, quickPicks: quickPickPlaces, limit: 15, l)
        h += "<section class=\"charts\">\n<figure>\n<h2>\(esc(l.categories))</h2>\n"
        h += barChart(id: "chart-categories", title: l.categories,
                      bars: categories.map { Bar(label: l.categoryLabel($0.key ?? ""), current: $0.current, previous: $0.previous) }, l)
        h += "</figure>\n<figure>\n<h2>\(esc(l.topPlaces))</h2>\n"
        let named = rows.filter { !$0.isOther }
        h += barChart(id: "chart-places", title: l.topPlaces,
                      bars: (named.prefix(10) + rows.filter(\.isOther)).map { Bar($0, l) }, l)
        let beyond = named.dropFirst(10).map { Picture.Place(name: $0.name, current: $0.current, previous: $0.previous, byCategory: [:]) } + more
        if !beyond.isEmpty {
            h += "<p class=\"more\">\(esc(l.morePlaces(beyond.count, reports: beyond.map(\.current).saturatedSum())))</p>\n"
        }
        h += "</figure>\n</section>\n"

        h += placesTable(rows, more: more, l)

        // The smaller breakdowns
        h += "<section class=\"breakdowns\">\n"
        h += countTable(l.occurred, occurredForDisplay(p.byOccurred).map { (l.occurredLabel($0.key), $0) }, l)
        h += countTable(l.ageGroups, bySize(p.byAgeGroup).map { (l.ageGroupLabel($0.key), $0) }, l)
        h += countTable(l.sources, bySize(p.bySource).map { (l.sourceLabel($0.key), $0) }, l)
        if !p.byMasked.isEmpty { h += countTable(l.maskedHeading, bySize(p.byMasked).map { (l.maskedLabel($0.key), $0) }, l) }
        if !p.byEvent.isEmpty { h += countTable(l.events, bySize(p.byEvent).map { (l.eventLabel($0.key), $0) }, l) }
        h += "</section>\n"

        // What may be missing, next to the group's assessment (on print: one page together)
        h += honesty(p, l)

        // Room for the group's own words
        h += "<section class=\"assessment\">\n<h2>\(esc(l.assessment))</h2>\n<p class=\"hint\">\(esc(l.assessmentHint))</p>\n"
        h += "<div class=\"write\">" + String(repeating: "<div class=\"line\"></div>", count: 5) + "</div>\n</section>\n"

        if let tips = p.tips { h += tipsSection(tips, off, l) }
        h += "</body>\n</html>\n"
        return h
    }

    // MARK: Parts

    /// One bar: its label, the counts it is drawn with, and the text at its end (the count and its change).
    struct Bar {
        var label: String
        var current: Int
        var previous: Int
        var value: String
        var change: String
        init(label: String, current: Int, previous: Int) {
            self.label = label
            self.current = current
            self.previous = previous
            value = "\(current)"
            change = PictureRenderer.change(current, previous, minus: "−")
        }
        /// A shareable place: a hidden total is drawn at its least and says so; a hidden previous count as 1.
        init(_ row: ShareableRow, _ l: ReportLanguage) {
            label = row.name
            current = row.shownTotal
            previous = row.previousShown ? row.previous : 1
            value = row.totalHidden ? l.atLeast(row.shownTotal) : "\(row.current)"
            change = row.totalHidden || !row.previousShown ? "" : PictureRenderer.change(row.current, row.previous, minus: "−")
        }
    }

    /// A horizontal bar chart, largest first as given: label, bar for this period, thin grey bar for the
    /// previous one, the count and its change at the end of the bar.
    static func barChart(id: String, title: String, bars: [Bar], _ l: ReportLanguage) -> String {
        let width = 740, labelWidth = 310, barX = 322, valueWidth = 112, rowHeight = 52, top = 40
        let barMax = width - barX - valueWidth
        let maxValue = max(1, bars.map { max($0.current, $0.previous) }.max() ?? 1)
        let height = top + max(1, bars.count) * rowHeight + 4
        func length(_ v: Int) -> Int { v == 0 ? 0 : max(3, v * barMax / maxValue) }

        var s = "<svg class=\"chart\" id=\"\(id)\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\""
        s += " role=\"img\" aria-labelledby=\"\(id)-title\" preserveAspectRatio=\"xMinYMin meet\">\n"
        s += "<title id=\"\(id)-title\">\(esc(title))</title>\n"
        // Legend
        s += "<rect x=\"\(barX)\" y=\"6\" width=\"22\" height=\"16\" fill=\"#1f4e8c\"/>"
        s += "<text x=\"\(barX + 30)\" y=\"20\" font-size=\"17\" fill=\"#222\">\(esc(l.legendCurrent))</text>"
        s += "<rect x=\"\(barX + 180)\" y=\"12\" width=\"22\" height=\"6\" fill=\"#8a8a8a\"/>"
        s += "<text x=\"\(barX + 210)\" y=\"20\" font-size=\"17\" fill=\"#222\">\(esc(l.legendPrevious))</text>\n"
        s += "<line x1=\"\(barX)\" y1=\"\(top - 4)\" x2=\"\(barX)\" y2=\"\(height - 2)\" stroke=\"#555\" stroke-width=\"2\"/>\n"
        if bars.isEmpty {
            s += "<text x=\"\(barX + 12)\" y=\"\(top + 32)\" font-size=\"22\" fill=\"#222\">0</text>\n"
        }
        for (i, bar) in bars.enumerated() {
            let y = top + i * rowHeight
            let lines = twoLines(bar.label, perLine: 24)
            s += "<g class=\"bar\">"
            if lines.count == 1 {
                s += "<text x=\"\(labelWidth)\" y=\"\(y + 28)\" font-size=\"21\" text-anchor=\"end\" fill=\"#111\">\(esc(lines[0]))</text>"
            } else {
                s += "<text x=\"\(labelWidth)\" y=\"\(y + 18)\" font-size=\"19\" text-anchor=\"end\" fill=\"#111\">"
                s += "<tspan x=\"\(labelWidth)\">\(esc(lines[0]))</tspan>"
                s += "<tspan x=\"\(labelWidth)\" dy=\"21\">\(esc(lines[1]))</tspan></text>"
            }
            let cur = length(bar.current), prev = length(bar.previous)
            s += "<rect x=\"\(barX)\" y=\"\(y + 7)\" width=\"\(cur)\" height=\"28\" fill=\"#1f4e8c\"/>"
            s += "<rect x=\"\(barX)\" y=\"\(y + 38)\" width=\"\(prev)\" height=\"7\" fill=\"#8a8a8a\"/>"
            let valueX = barX + cur + 10
            s += "<text x=\"\(valueX)\" y=\"\(y + 30)\" font-size=\"27\" font-weight=\"700\" fill=\"#111\">\(esc(bar.value))"
            s += "<tspan font-size=\"18\" font-weight=\"400\" fill=\"#333\" dx=\"8\">\(esc(bar.change))</tspan></text>"
            s += "</g>\n"
        }
        s += "</svg>\n"
        return s
    }

    /// The places table (`shareablePlaces`): the named places, then "Annan plats"; counts per category with
    /// 1 and 2 as "< 3" and a protecting cell as "≥ 3"; the total (or "at least N" where a cell is hidden) and
    /// the change.
    static func placesTable(_ rows: [ShareableRow], more: [Picture.Place], _ l: ReportLanguage) -> String {
        var used: [String: Int] = [:]
        for row in rows { for (k, v) in row.byCategory where v > 0 { used[k, default: 0] += v } }
        let columns = categoryKeys(used).enumerated().sorted { a, b in
            let x = used[a.element] ?? 0, y = used[b.element] ?? 0
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)

        var s = "<section class=\"places\">\n<h2>\(esc(l.places))</h2>\n"
        guard !rows.isEmpty else { return s + "<p>–</p>\n</section>\n" }
        var masked = false
        s += "<table>\n<thead><tr><th class=\"name\">\(esc(l.place))</th><th class=\"num\">\(esc(l.reportsHeading))</th>"
        s += "<th class=\"num\">\(esc(cap(l.change)))</th>"
        for k in columns { s += "<th class=\"cat\">\(esc(l.shortCategoryLabel(k)))</th>" }
        s += "</tr></thead>\n<tbody>\n"
        for row in rows {
            let total = row.totalHidden ? "<td class=\"num total atleast\">\(esc(l.atLeast(row.shownTotal)))</td>"
                                        : "<td class=\"num total\">\(row.current)</td>"
            let previous = row.previousShown ? "\(row.previous)" : "&lt; 3"
            var chg = ""
            if !row.totalHidden && row.previousShown {
                chg = esc(row.previous == 0 && row.current > 0
                    ? "\(change(row.current, 0, minus: "−")) \(l.new)" : change(row.current, row.previous, minus: "−"))
            }
            s += "<tr\(row.isOther ? " class=\"other\"" : "")><td class=\"name\">\(esc(row.name))</td>\(total)"
            s += "<td class=\"num chg\">\(chg)<span class=\"was\"> (\(previous))</span></td>"
            for k in columns {
                switch row.cell(k) {
                case .zero: s += "<td class=\"cat zero\">–</td>"
                case .small: s += "<td class=\"cat small\">&lt; 3</td>"; masked = true
                case .hidden: s += "<td class=\"cat small\">≥ 3</td>"; masked = true
                case .exact(let v): s += "<td class=\"cat\">\(v)</td>"
                }
            }
            s += "</tr>\n"
        }
        s += "</tbody>\n</table>\n"
        if !more.isEmpty {
            s += "<p class=\"more\">\(esc(l.morePlaces(more.count, reports: more.map(\.current).saturatedSum())))</p>\n"
        }
        if masked { s += "<p class=\"note\">\(esc(l.smallCountsNote))</p>\n" }
        if rows.contains(where: \.isOther) { s += "<p class=\"note\">\(esc(l.otherPlaceNote))</p>\n" }
        return s + "</section>\n"
    }

    /// What may be missing from the picture, said plainly, and the kiosks.
    static func honesty(_ p: Picture, _ l: ReportLanguage) -> String {
        let off = p.period.utcOffsetSeconds
        let complete = isComplete(p)
        var s = "<section class=\"honesty\(complete ? " complete" : "")\">\n<h2>\(esc(l.dataQuality))</h2>\n"
        s += "<p class=\"lead\">\(esc(l.dataQualityLead))</p>\n<ul>\n"
        if complete { s += "<li>\(esc(l.allHeard))</li>\n" }
        for k in p.kiosks where k.silent {
            s += "<li><b>\(esc(l.silent)): \(esc(kioskName(k)))</b> – \(esc(silence(k, p, l))); \(esc(l.silentConsequence)).</li>\n"
        }
        if !p.gaps.isEmpty {
            s += "<li><b>\(esc(l.gaps))</b> (\(esc(l.gapsExplain))):<ul>"
            for g in p.gaps { s += "<li>\(esc(l.gapLine(kiosk: g.kiosk, from: g.from, to: g.to, count: g.count)))</li>" }
            s += "</ul></li>\n"
        }
        let dead = deadLetterKiosks(p)
        if !dead.isEmpty {
            s += "<li><b>\(esc(l.deadLetters))</b> (\(esc(l.deadLettersExplain))):<ul>"
            for d in dead { s += "<li>\(esc(l.deadLetterLine(kiosk: d.id, count: d.count)))</li>" }
            s += "</ul></li>\n"
        }
        if p.rejects > 0 { s += "<li><b>\(esc(l.rejects)):</b> \(esc(l.rejectsLine(p.rejects))).</li>\n" }
        let overQuota = p.kiosks.filter { $0.overQuota > 0 }
        if !overQuota.isEmpty {
            s += "<li><b>\(esc(l.overQuota))</b> (\(esc(l.overQuotaExplain))):<ul>"
            for k in overQuota { s += "<li>\(esc(l.overQuotaLine(kiosk: k.id, count: k.overQuota)))</li>" }
            s += "</ul></li>\n"
        }
        s += "</ul>\n"

        if !p.kiosks.isEmpty {
            let reports = Dictionary(p.byKiosk.compactMap { c in c.key.map { ($0, c.current) } }, uniquingKeysWith: { a, _ in a })
            s += "<table class=\"kiosks\">\n<thead><tr><th class=\"name\">\(esc(l.kiosk))</th><th>\(esc(l.state))</th>"
            s += "<th>\(esc(cap(l.lastStatus)))</th><th>\(esc(cap(l.lastReport)))</th><th class=\"num\">\(esc(l.reportsHeading))</th>"
            s += "<th class=\"num\">\(esc(cap(l.pending)))</th><th class=\"num\">\(esc(l.deadLetters))</th></tr></thead>\n<tbody>\n"
            for k in p.kiosks {
                s += "<tr\(k.silent ? " class=\"silent\"" : "")><td class=\"name\">\(esc(kioskName(k)))</td>"
                s += "<td>\(esc(k.silent ? l.silent : l.stateLabel(k.state)))</td>"
                s += "<td class=\"time\">\(esc(k.lastStatusAt.map { dateTime($0, off) } ?? l.never))</td>"
                s += "<td class=\"time\">\(esc(k.lastReportAt.map { dateTime($0, off) } ?? l.never))</td>"
                s += "<td class=\"num\">\(reports[k.id].map { "\($0)" } ?? "–")</td>"
                s += "<td class=\"num\">\(k.pending.map { "\($0)" } ?? "–")</td>"
                s += "<td class=\"num\">\(k.deadLetters.map { "\($0)" } ?? "–")</td></tr>\n"
            }
            s += "</tbody>\n</table>\n"
        }
        return s + "</section>\n"
    }

    /// A small table of one breakdown with this period, the previous one and the change.
    static func countTable(_ title: String, _ rows: [(String, Picture.Count)], _ l: ReportLanguage) -> String {
        var s = "<div class=\"breakdown\">\n<h2>\(esc(title))</h2>\n<table>\n"
        s += "<thead><tr><th class=\"name\"></th><th class=\"num\">\(esc(cap(l.now)))</th><th class=\"num\">\(esc(cap(l.previousShort)))</th>"
        s += "<th class=\"num\">\(esc(cap(l.change)))</th></tr></thead>\n<tbody>\n"
        for (label, c) in rows {
            s += "<tr><td class=\"name\">\(esc(label))</td><td class=\"num total\">\(c.current)</td><td class=\"num\">\(c.previous)</td>"
            s += "<td class=\"num chg\">\(esc(change(c.current, c.previous, minus: "−")))</td></tr>\n"
        }
        return s + "</tbody>\n</table>\n</div>\n"
    }

    /// The tips with their text, on a page of their own that says it must not be shared.
    static func tipsSection(_ tips: [Picture.Tip], _ off: Int, _ l: ReportLanguage) -> String {
        var s = "<section class=\"tips\">\n<h2>\(esc(l.tips))</h2>\n"
        s += "<p class=\"tipswarn\">\(esc(l.tipsWarning))</p>\n"
        guard !tips.isEmpty else { return s + "<p>\(esc(l.noTips))</p>\n</section>\n" }
        s += "<table>\n<thead><tr><th>\(esc(l.time))</th><th>\(esc(l.kiosk))</th><th>\(esc(l.category))</th>"
        s += "<th>\(esc(l.place))</th><th>\(esc(l.occurred))</th><th class=\"text\">\(esc(l.text))</th></tr></thead>\n<tbody>\n"
        for t in tips {
            s += "<tr><td class=\"nowrap\">\(esc(dateTime(t.submittedAt, off)))</td><td>\(esc(t.kiosk)) #\(t.seq)</td>"
            s += "<td>\(esc(l.shortCategoryLabel(t.category)))</td><td>\(esc(t.place))</td>"
            s += "<td>\(esc(l.occurredLabel(t.occurred)))</td><td class=\"text\">\(esc(t.text))</td></tr>\n"
        }
        return s + "</tbody>\n</table>\n</section>\n"
    }

    // MARK: HTML helpers

    /// Text made safe for HTML content and attribute values.
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Controls other than tab and newline have no place in a page.
                if c.value < 0x20 && c != "\n" && c != "\t" || (0x7F...0x9F).contains(c.value) { out += " " }
                else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// `s` with its first letter in upper case, for a column heading.
    static func cap(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }

    /// A label on at most two lines of about `perLine` characters, broken between words; cut with "…".
    static func twoLines(_ s: String, perLine: Int) -> [String] {
        guard s.count > perLine else { return [s] }
        let words = s.split(separator: " ").map(String.init)
        var first = ""
        var i = 0
        while i < words.count, first.isEmpty || first.count + 1 + words[i].count <= perLine {
            first += (first.isEmpty ? "" : " ") + words[i]
            i += 1
        }
        if first.count > perLine {   // one long word
            let chars = Array(s)
            return [String(chars[0..<perLine]), clip(String(chars[perLine...]), perLine)]
        }
        return [first, clip(words[i...].joined(separator: " "), perLine)]
    }

    static let css = """
    @page { size: A4 landscape; margin: 12mm; }
    * { box-sizing: border-box; }
    html { background: #fff; color: #111; font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; }
    body { margin: 0; padding: 24px 40px 40px; font-size: 22px; line-height: 1.3; }
    h1 { font-size: 46px; margin: 0; line-height: 1.1; }
    h2 { font-size: 28px; margin: 0 0 10px; break-after: avoid; page-break-after: avoid; }
    .sub { font-size: 24px; margin: 6px 0 0; color: #222; }
    .banner { margin: 0 0 12px; padding: 8px 14px; border: 4px solid #a00; color: #a00; font-weight: 700; font-size: 24px; }
    .summary { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 40px; margin: 14px 0 18px; }
    .kpi { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
    .big { font-size: 96px; font-weight: 700; line-height: 1; }
    .unit { font-size: 32px; font-weight: 700; }
    .delta { font-size: 32px; }
    .prev { font-size: 24px; color: #333; }
    .warn { font-size: 24px; font-weight: 700; border: 4px solid #b35900; padding: 10px 16px; color: #111; }
    .warn b { color: #b35900; font-size: 30px; margin-right: 6px; }
    .warn .see { font-weight: 400; color: #333; }
    .ok { font-size: 22px; border: 3px solid #2b6e2b; padding: 10px 16px; }
    .charts { display: grid; grid-template-columns: 1fr 1fr; gap: 40px; break-inside: avoid; page-break-inside: avoid; }
    figure { margin: 0; min-width: 0; }
    svg.chart { display: block; width: 100%; height: auto; }
    .more, .note { font-size: 18px; color: #333; margin: 6px 0 0; }
    section { margin-top: 34px; }
    section.summary, section.charts { margin-top: 0; }
    table { border-collapse: collapse; width: 100%; font-size: 22px; }
    thead { display: table-header-group; }
    tr { break-inside: avoid; page-break-inside: avoid; }
    th, td { padding: 7px 10px; border-bottom: 1px solid #888; text-align: left; vertical-align: baseline; }
    th { vertical-align: bottom; }
    th { border-bottom: 3px solid #111; font-size: 18px; }
    .num, .cat { text-align: right; white-space: nowrap; }
    th.cat { white-space: normal; }
    td.total { font-weight: 700; font-size: 26px; }
    td.name { font-weight: 700; overflow-wrap: break-word; }
    .places .name { min-width: 11em; }
    .time { white-space: nowrap; }
    .zero { color: #777; }
    .small { color: #333; }
    .was { color: #555; font-size: 17px; }
    .honesty { border: 4px solid #b35900; padding: 18px 24px; }
    .honesty.complete { border-color: #2b6e2b; }
    .honesty .lead { margin: 0 0 8px; font-style: italic; }
    .honesty ul { margin: 0 0 12px; padding-left: 28px; }
    .honesty li { margin: 4px 0; }
    .kiosks { font-size: 19px; }
    tr.silent td { font-weight: 700; }
    .breakdowns { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 32px; }
    .breakdown { break-inside: avoid; page-break-inside: avoid; }
    .assessment { border: 3px solid #111; padding: 18px 24px; break-inside: avoid; page-break-inside: avoid; }
    .assessment .hint { margin: 0; color: #333; font-size: 20px; }
    .write { min-height: 220px; }
    .write .line { height: 44px; border-bottom: 1px solid #999; }
    .tips { break-before: page; page-break-before: always; }
    .tipswarn { border: 4px solid #a00; padding: 10px 16px; color: #a00; font-weight: 700; }
    .tips td.text { white-space: pre-wrap; overflow-wrap: anywhere; width: 50%; }
    .nowrap { white-space: nowrap; }
    @media print {
      body { padding: 0; font-size: 11pt; }
      h1 { font-size: 22pt; }
      h2 { font-size: 14pt; margin-bottom: 4pt; }
      .sub, .prev, .warn, .ok, .banner { font-size: 12pt; }
      .big { font-size: 40pt; }
      .unit, .delta { font-size: 16pt; }
      .summary { margin: 6pt 0 10pt; }
      section { margin-top: 14pt; }
      table, .kiosks { font-size: 10pt; }
      th { font-size: 9pt; }
      td.total { font-size: 11pt; }
      .was, .more, .note, .assessment .hint { font-size: 9pt; }
      th, td { padding: 3pt 5pt; }
      .charts { gap: 16pt; }
      .places { break-before: page; page-break-before: always; }
      .breakdowns { display: flex; gap: 14pt; margin-top: 10pt; }
      .breakdown { flex: 1 1 0; }
      .breakdowns table { font-size: 9pt; }
      .breakdowns td, .breakdowns th { padding: 1.5pt 4pt; }
      .breakdowns td.total { font-size: 10pt; }
      .places td { padding: 2.5pt 5pt; }
      .honesty { break-before: page; page-break-before: always; }
      .honesty ul { margin-bottom: 6pt; }
      .honesty li { margin: 2pt 0; }
      .write { min-height: 45mm; }
      .write .line { height: 10mm; }
      .honesty, .assessment { padding: 8pt 12pt; }
      .honesty { break-inside: avoid; page-break-inside: avoid; }
    }

    """
}

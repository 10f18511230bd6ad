import ReportModel

extension PictureRenderer {
    /// The picture as plain text for a terminal, at most 80 columns wide (visitor-typed text is wrapped or cut).
    ///
    /// In order: the period "jämfört med föregående period (…)", the total with its change, the categories
    /// largest first with ↑/↓, the top places, when it happened, age groups, events, what may be missing
    /// (silent kiosks named plainly, open seq gaps, dead letters, rejects), the kiosks, and the tips with their
    /// text only when `p.tips` is not nil. Counts are exact. Control characters in visitor-typed text are
    /// replaced by spaces, so a place name cannot move the cursor or change colours.
    ///
    ///     print(PictureRenderer.renderText(picture, language: .sv), terminator: "")
    public static func renderText(_ p: Picture, language l: ReportLanguage = .sv) -> String {
        let p = p.cleaned()   // every kiosk-supplied string through TextCleaner, before any output
        let off = p.period.utcOffsetSeconds
        var out: [String] = []
        func heading(_ s: String) { out.append(""); out.append(s.uppercased()) }
        func table(_ title: String, _ rows: [(String, Int, Int)]) {
            out.append("")
            out.append(pad(title.uppercased(), 40) + rpad(l.now, 7) + rpad(l.previousShort, 8) + "  " + l.change)
            for (label, cur, prev) in rows {
                out.append("  " + pad(safe(label), 38) + rpad("\(cur)", 7) + rpad("\(prev)", 8) + "  " + change(cur, prev))
            }
        }

        // Heading
        out.append("\(l.title.uppercased()) \(range(p.period)) (\(l.days(days(p.period))))")
        out.append("\(l.comparedWith) (\(range(p.period.previous)))")
        out.append("\(l.generated) \(dateTime(p.generatedAt, off))")
        out.append(String(repeating: "─", count: 80))
        out.append("")
        var total = "\(l.reportsHeading.uppercased()) \(p.total)   \(l.previousPeriodWord) \(p.previousTotal)   "
            + change(p.total, p.previousTotal)
        if let pct = percent(p.total, p.previousTotal) { total += " (\(pct)\(l.pick(" %", "%")))" }
        out.append(total)
        if !isComplete(p) {
            out.append(contentsOf: wrap("! " + honestySummary(p, l) + " – " + l.seeBelow, indent: 0, hanging: 2))
        }

        table(l.categories, bySize(p.byCategory).map { (l.categoryLabel($0.key ?? ""), $0.current, $0.previous) })

        // Places
        let places = bySize(p.places)
        let shown = places.prefix(10)
        heading(l.topPlaces)
        if places.isEmpty { out.append("  –") } else {
            out.append("  " + pad(l.place, 24) + rpad(l.now, 6) + rpad(l.previousShort, 7) + "  "
                       + pad(l.change, 11) + l.mostReported)
        }
        for pl in shown {
            let cats = categoryKeys(pl.byCategory).filter { (pl.byCategory[$0] ?? 0) > 0 }
                .enumerated().sorted { a, b in
                    let x = pl.byCategory[a.element] ?? 0, y = pl.byCategory[b.element] ?? 0
                    return x != y ? x > y : a.offset < b.offset
                }
                .prefix(2).map { "\(l.shortCategoryLabel($0.element)) \(pl.byCategory[$0.element] ?? 0)" }
                .joined(separator: ", ")
            let chg = pl.previous == 0 && pl.current > 0 ? change(pl.current, 0) + " " + l.new : change(pl.current, pl.previous)
            out.append("  " + pad(safe(pl.name), 24) + rpad("\(pl.current)", 6) + rpad("\(pl.previous)", 7) + "  "
                       + pad(chg, 11) + clip(cats, 28))
        }
        if places.count > shown.count {
            let rest = places.dropFirst(shown.count)
            out.append("  " + l.morePlaces(rest.count, reports: rest.reduce(0) { $0 + $1.current }))
        }

        table(l.occurred, occurredForDisplay(p.byOccurred).map { (l.occurredLabel($0.key), $0.current, $0.previous) })
        table(l.ageGroups, bySize(p.byAgeGroup).map { (l.ageGroupLabel($0.key), $0.current, $0.previous) })
        table(l.sources, bySize(p.bySource).map { (l.sourceLabel($0.key), $0.current, $0.previous) })
        if !p.byMasked.isEmpty {
            table(l.maskedHeading, bySize(p.byMasked).map { (safe(l.maskedLabel($0.key)), $0.current, $0.previous) })
        }
        if !p.byEvent.isEmpty {
            table(l.events, bySize(p.byEvent).map { (safe(l.eventLabel($0.key)), $0.current, $0.previous) })
        }

        // What may be missing
        heading(l.dataQuality)
        if isComplete(p) { out.append(contentsOf: wrap(l.allHeard, indent: 2)) }
        for k in p.kiosks where k.silent {
            out.append(contentsOf: wrap("\(l.silent): \(safe(kioskName(k))): \(silence(k, p, l)); \(l.silentConsequence)",
                                        indent: 2, hanging: 4))
        }
        if !p.gaps.isEmpty {
            out.append(contentsOf: wrap("\(l.gaps) (\(l.gapsExplain)):", indent: 2, hanging: 4))
            for g in p.gaps { out.append("    " + l.gapLine(kiosk: safe(g.kiosk), from: g.from, to: g.to, count: g.count)) }
        }
        let dead = deadLetterKiosks(p)
        if !dead.isEmpty {
            out.append(contentsOf: wrap("\(l.deadLetters) (\(l.deadLettersExplain)):", indent: 2, hanging: 4))
            for d in dead { out.append("    " + l.deadLetterLine(kiosk: safe(d.id), count: d.count)) }
        }
        if p.rejects > 0 { out.append(contentsOf: wrap("\(l.rejects): \(l.rejectsLine(p.rejects))", indent: 2, hanging: 4)) }
        let overQuota = p.kiosks.filter { $0.overQuota > 0 }
        if !overQuota.isEmpty {
            out.append(contentsOf: wrap("\(l.overQuota) (\(l.overQuotaExplain)):", indent: 2, hanging: 4))
            for k in overQuota { out.append("    " + l.overQuotaLine(kiosk: safe(k.id), count: k.overQuota)) }
        }

        // Kiosks
        heading(l.kiosks)
        if p.kiosks.isEmpty { out.append("  –") }
        let reportsByKiosk = Dictionary(p.byKiosk.compactMap { c in c.key.map { ($0, c) } }, uniquingKeysWith: { a, _ in a })
        for k in p.kiosks {
            let state = k.silent ? l.silent : l.stateLabel(k.state)
            out.append("  " + clip(safe(kioskName(k)), 60) + ": " + state)
            var facts: [String] = []
            if let c = reportsByKiosk[k.id] { facts.append("\(c.current) \(l.reports) (\(l.previousShort) \(c.previous))") }
            facts.append("\(l.lastStatus) " + (k.lastStatusAt.map { dateTime($0, off) } ?? l.never))
            facts.append("\(l.lastReport) " + (k.lastReportAt.map { dateTime($0, off) } ?? l.never))
            if let n = k.pending { facts.append("\(n) \(l.pending)") }
            if let n = k.awaitingReceipt, n > 0 { facts.append("\(n) \(l.awaitingReceipt)") }
            if let n = k.deadLetters { facts.append(l.deadLettersSummary(n)) }
            out.append(contentsOf: wrap(facts.joined(separator: ", "), indent: 6))
        }

        // Tips, only when asked for
        if let tips = p.tips {
            heading(l.tips)
            out.append(contentsOf: wrap(l.tipsWarningText, indent: 2))
            if tips.isEmpty { out.append("  " + l.noTips) }
            for t in tips {
                out.append("")
                out.append(contentsOf: wrap("\(dateTime(t.submittedAt, off))  \(safe(t.kiosk)) #\(t.seq)", indent: 2))
                let what = "\(l.categoryLabel(safe(t.category))) · \(safe(t.place)) · \(l.occurredLabel(safe(t.occurred)))"
                out.append(contentsOf: wrap(what, indent: 2, hanging: 4))
                for line in safe(t.text, keepNewlines: true).split(separator: "\n", omittingEmptySubsequences: false) {
                    out.append(contentsOf: wrap(String(line), indent: 6))
                }
            }
        }
        return out.map(trimmingTrailingSpaces).joined(separator: "\n") + "\n"
    }

    static func trimmingTrailingSpaces(_ s: String) -> String {
        var s = Substring(s)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    /// The one-line summary of what may be missing, e.g. "1 kiosk tyst · 1 lucka (16 saknas) · 2 avvisade".
    static func honestySummary(_ p: Picture, _ l: ReportLanguage) -> String {
        var parts: [String] = []
        let silentCount = p.kiosks.filter(\.silent).count
        if silentCount > 0 { parts.append(l.silentSummary(silentCount)) }
        // Saturated sums: the numbers come from kiosks, and no kiosk's nonsense may stop the report.
        if !p.gaps.isEmpty { parts.append(l.gapsSummary(p.gaps.count, missing: p.gaps.map(\.count).saturatedSum())) }
        let dead = deadLetterKiosks(p).map(\.count).saturatedSum()
        if dead > 0 { parts.append(l.deadLettersSummary(dead)) }
        if p.rejects > 0 { parts.append(l.rejectsSummary(p.rejects)) }
        let overQuota = p.kiosks.map(\.overQuota).saturatedSum()
        if overQuota > 0 { parts.append(l.overQuotaSummary(overQuota)) }
        return parts.joined(separator: " · ")
    }

    // MARK: Text helpers

    /// Left-aligned in `width` columns, cut with "…" when longer (one column per character).
    static func pad(_ s: String, _ width: Int) -> String {
        let c = clip(s, width)
        return c + String(repeating: " ", count: max(0, width - c.count))
    }

    /// Right-aligned in `width` columns.
    static func rpad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }

    /// Kiosk-supplied text made harmless for a terminal, by ReportModel's one cleaning (`TextCleaner`): escape
    /// sequences removed whole, controls, bidi overrides and invisible characters gone (newlines kept only when
    /// asked). The picture is cleaned already (`Picture.cleaned`); this guards labels made from its keys.
    static func safe(_ s: String, keepNewlines: Bool = false) -> String {
        keepNewlines ? TextCleaner.clean(s, allowNewlines: true) : TextCleaner.line(s)
    }

    /// Words wrapped to 80 columns: the first line indented by `indent`, the rest by `hanging` (default the
    /// same). A word longer than a line is cut into pieces.
    static func wrap(_ s: String, width: Int = 80, indent: Int, hanging: Int? = nil) -> [String] {
        let rest = hanging ?? indent
        var lines: [String] = []
        var line = String(repeating: " ", count: indent)
        var lineHasWord = false
        for word in s.split(separator: " ", omittingEmptySubsequences: true) {
            var w = Substring(word)
            while !w.isEmpty {
                let room = width - line.count - (lineHasWord ? 1 : 0)
                if w.count <= room {
                    line += (lineHasWord ? " " : "") + w
                    lineHasWord = true
                    w = ""
                } else if lineHasWord {
                    lines.append(line)
                    line = String(repeating: " ", count: rest)
                    lineHasWord = false
                } else {
                    line += w.prefix(room)
                    w = w.dropFirst(room)
                    lines.append(line)
                    line = String(repeating: " ", count: rest)
                }
            }
        }
        if lineHasWord || lines.isEmpty { lines.append(line) }
        return lines
    }
}

import ReportModel

/// Renders a ``Picture`` as text for a terminal, CSV, JSON or one self-contained HTML file.
///
/// Every renderer is a pure function of the picture and the language: no I/O, no clock (the time shown as
/// "generated" is ``Picture/generatedAt``). Times and dates are shown in the period's UTC offset, dates in
/// Swedish style (`2026-11-25`) in both languages. Every output ends with a newline.
///
///     let picture: Picture = …   // from the central store
///     print(PictureRenderer.renderText(picture, language: .sv), terminator: "")
///     try PictureRenderer.renderHTML(picture).write(to: url, atomically: true, encoding: .utf8)
///
/// Only the HTML is meant to be shared: it hides counts of 1 and 2 per place and category (`< 3`). Text, CSV
/// and JSON are for the group and for tools and keep every count exact. Tips with their text appear in any
/// format only when ``Picture/tips`` is not nil.
public enum PictureRenderer {}

// MARK: - Helpers shared by the renderers

extension PictureRenderer {
    static let msPerDay: Int64 = 86_400_000
    static let msPerHour: Int64 = 3_600_000

    /// `2026-11-25` in the given offset.
    static func date(_ ms: Int64, _ offset: Int) -> String {
        String(RFC3339.format(unixMillis: ms, utcOffsetSeconds: offset).prefix(10))
    }

    /// `2026-11-25 14:03` in the given offset.
    static func dateTime(_ ms: Int64, _ offset: Int) -> String {
        let s = Array(RFC3339.format(unixMillis: ms, utcOffsetSeconds: offset))
        return String(s[0..<10]) + " " + String(s[11..<16])
    }

    /// The period as people say it: whole local days as `2026-11-11 – 2026-11-24` (the last day included),
    /// anything else as `2026-11-11 14:00 – 2026-11-25 14:00`.
    static func range(_ p: Picture.Period) -> String {
        let o = Int64(p.utcOffsetSeconds) * 1000
        let wholeDays = (p.since + o) % msPerDay == 0 && (p.until + o) % msPerDay == 0 && p.until > p.since
        if wholeDays {
            let first = date(p.since, p.utcOffsetSeconds), last = date(p.until - 1, p.utcOffsetSeconds)
            return first == last ? first : "\(first) – \(last)"
        }
        return "\(dateTime(p.since, p.utcOffsetSeconds)) – \(dateTime(p.until, p.utcOffsetSeconds))"
    }

    /// The length of the period in days, rounded to the nearest whole day.
    static func days(_ p: Picture.Period) -> Int {
        Int((p.until - p.since + msPerDay / 2) / msPerDay)
    }

    /// `↑ +5`, `↓ -3` (or with a real minus sign), `±0`.
    static func change(_ current: Int, _ previous: Int, minus: String = "-") -> String {
        let d = current - previous
        if d > 0 { return "↑ +\(d)" }
        if d < 0 { return "↓ \(minus)\(-d)" }
        return "±0"
    }

    /// The change in per cent of the previous count, or nil when there was nothing to compare with.
    static func percent(_ current: Int, _ previous: Int, minus: String = "-") -> String? {
        guard previous > 0 else { return nil }
        let d = current - previous
        let pct = (abs(d) * 100 + previous / 2) / previous
        return d >= 0 ? "+\(pct)" : "\(minus)\(pct)"
    }

    /// Largest first; ties keep the order they came in (the store's order: by key).
    static func bySize(_ counts: [Picture.Count]) -> [Picture.Count] {
        counts.enumerated().sorted { a, b in
            if a.element.current != b.element.current { return a.element.current > b.element.current }
            if a.element.previous != b.element.previous { return a.element.previous > b.element.previous }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// Places largest first; ties keep the store's order.
    static func bySize(_ places: [Picture.Place]) -> [Picture.Place] {
        places.enumerated().sorted { a, b in
            if a.element.current != b.element.current { return a.element.current > b.element.current }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// The keys of a place's counts: the categories of §5 in their order, then unknown keys alphabetically.
    static func categoryKeys(_ byCategory: [String: Int]) -> [String] {
        let known = Category.allCases.map(\.rawValue).filter { byCategory[$0] != nil }
        let unknown = byCategory.keys.filter { Category(rawValue: $0) == nil }.sorted()
        return known + unknown
    }

    /// `occurred` for people: every date counted as one row "Datum" (key `date`), largest first.
    static func occurredForDisplay(_ counts: [Picture.Count]) -> [Picture.Count] {
        var out: [Picture.Count] = []
        var dates = Picture.Count(key: "date", current: 0, previous: 0)
        var sawDate = false
        for c in counts {
            if let k = c.key, k != "date", !RFC3339.isValidDateOrDateTime(k) {
                out.append(c)
            } else if c.key == nil {
                out.append(c)
            } else {
                dates.current += c.current
                dates.previous += c.previous
                sawDate = true
            }
        }
        if sawDate { out.append(dates) }
        return bySize(out)
    }

    /// Kiosks with dead letters, in the picture's order.
    static func deadLetterKiosks(_ p: Picture) -> [(id: String, count: Int)] {
        p.kiosks.compactMap { k in (k.deadLetters ?? 0) > 0 ? (k.id, k.deadLetters ?? 0) : nil }
    }

    /// What a kiosk's silence means, e.g. "ingen status på 52 h (gräns 24 h)".
    static func silence(_ k: Picture.Kiosk, _ p: Picture, _ l: ReportLanguage) -> String {
        guard let at = k.lastStatusAt else { return l.neverStatus(limit: p.silentAfterHours) }
        return l.silentFor(hours: max(0, p.generatedAt - at) / msPerHour, limit: p.silentAfterHours)
    }

    /// A kiosk with its site, e.g. "kiosk-3 (Ungdomsgården)".
    static func kioskName(_ k: Picture.Kiosk) -> String {
        if let site = k.site, !site.isEmpty, site != k.id { return "\(k.id) (\(site))" }
        return k.id
    }

    /// True when nothing in the picture is known to be missing.
    static func isComplete(_ p: Picture) -> Bool {
        !p.kiosks.contains(where: \.silent) && p.gaps.isEmpty && deadLetterKiosks(p).isEmpty && p.rejects == 0
            && !p.kiosks.contains { $0.overQuota > 0 }
    }

    /// `s` cut to at most `n` characters, with "…" when cut.
    static func clip(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(max(0, n - 1))) + "…"
    }
}

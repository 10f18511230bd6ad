import ReportModel

extension PictureRenderer {
    /// The columns of ``renderCSV(_:language:)``, in order.
    public static let csvColumns = [
        "section", "key", "label", "value", "category", "place", "current", "previous", "from", "to",
        "site", "state", "last_status_at", "last_report_at", "pending", "dead_letters", "awaiting_receipt", "silent",
        "over_quota", "seq", "submitted_at", "occurred", "text",
    ]

    /// The picture as one CSV table (RFC 4180, UTF-8, CRLF line ends), the header row first, then one row per
    /// fact with a `section` column saying what the row is. Columns a section does not use are empty.
    ///
    /// | section | key | what is filled |
    /// | --- | --- | --- |
    /// | `meta` | `schema`, `generated_at`, `silent_after_h` | `value` |
    /// | `period` | `current`, `previous` | `from`, `to` (RFC 3339), `value` (days) |
    /// | `total` | `reports` | `current`, `previous` |
    /// | `rejects` | `rejects` | `current` |
    /// | `category` | category key | `label`, `current`, `previous` |
    /// | `kiosk` | kiosk id | `current`, `previous` (reports), `site`, `state`, `last_status_at`, `last_report_at`, `pending`, `dead_letters`, `awaiting_receipt`, `silent`, `over_quota` |
    /// | `event`, `occurred`, `age_group`, `source`, `masked` | the value, empty for "not given" | `label`, `current`, `previous` |
    /// | `place` | place | `current`, `previous` |
    /// | `place_category` | place | `category`, `label`, `current` (this period; only counts above 0) |
    /// | `gap` | kiosk id | `from`, `to` (seqs), `value` (how many are missing) |
    /// | `tip` | kiosk id | `seq`, `submitted_at`, `category`, `label`, `place`, `occurred`, `text`; only when `p.tips` is not nil |
    ///
    /// Counts are exact. A field that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
    /// with `'`, so that a spreadsheet does not run a visitor-typed place such as `=HYPERLINK(…)` as a formula.
    /// Fields with a comma, a quote or a line break are quoted.
    public static func renderCSV(_ p: Picture, language l: ReportLanguage = .sv) -> String {
        let p = p.cleaned()   // every kiosk-supplied string through TextCleaner, before any output
        let off = p.period.utcOffsetSeconds
        var out = ""
        func row(_ section: String, _ fields: [String: String]) {
            let values = [section] + csvColumns.dropFirst().map { fields[$0] ?? "" }
            out += values.map(csvField).joined(separator: ",") + "\r\n"
        }
        func time(_ ms: Int64?) -> String { ms.map { RFC3339.format(unixMillis: $0, utcOffsetSeconds: off) } ?? "" }
        func count(_ section: String, _ c: Picture.Count, _ label: String) {
            row(section, ["key": c.key ?? "", "label": label, "current": "\(c.current)", "previous": "\(c.previous)"])
        }

        out += csvColumns.joined(separator: ",") + "\r\n"
        row("meta", ["key": "schema", "value": jsonSchema])
        row("meta", ["key": "generated_at", "value": time(p.generatedAt)])
        row("meta", ["key": "silent_after_h", "value": "\(p.silentAfterHours)"])
        for (key, period) in [("current", p.period), ("previous", p.period.previous)] {
            row("period", ["key": key, "from": time(period.since), "to": time(period.until), "value": "\(days(period))"])
        }
        row("total", ["key": "reports", "current": "\(p.total)", "previous": "\(p.previousTotal)"])
        row("rejects", ["key": "rejects", "current": "\(p.rejects)"])
        for c in p.byCategory { count("category", c, l.categoryLabel(c.key ?? "")) }

        // One row per kiosk: its report counts and its health together.
        let reports = Dictionary(p.byKiosk.compactMap { c in c.key.map { ($0, c) } }, uniquingKeysWith: { a, _ in a })
        for k in p.kiosks {
            let c = reports[k.id]
            row("kiosk", [
                "key": k.id, "current": "\(c?.current ?? 0)", "previous": "\(c?.previous ?? 0)",
                "site": k.site ?? "", "state": k.state ?? "",
                "last_status_at": time(k.lastStatusAt), "last_report_at": time(k.lastReportAt),
                "pending": k.pending.map { "\($0)" } ?? "", "dead_letters": k.deadLetters.map { "\($0)" } ?? "",
                "awaiting_receipt": k.awaitingReceipt.map { "\($0)" } ?? "", "silent": k.silent ? "true" : "false",
                "over_quota": "\(k.overQuota)",
            ])
        }
        let known = Set(p.kiosks.map(\.id))
        for c in p.byKiosk where !known.contains(c.key ?? "") { count("kiosk", c, "") }

        for c in p.byEvent { count("event", c, l.eventLabel(c.key)) }
        for c in p.byOccurred { count("occurred", c, l.occurredLabel(c.key)) }
        for c in p.byAgeGroup { count("age_group", c, l.ageGroupLabel(c.key)) }
        for c in p.bySource { count("source", c, l.sourceLabel(c.key)) }
        for c in p.byMasked { count("masked", c, l.maskedLabel(c.key)) }
        for pl in p.places {
            row("place", ["key": pl.name, "current": "\(pl.current)", "previous": "\(pl.previous)"])
        }
        for pl in p.places {
            for key in categoryKeys(pl.byCategory) where (pl.byCategory[key] ?? 0) > 0 {
                row("place_category", ["key": pl.name, "category": key, "label": l.categoryLabel(key),
                                       "current": "\(pl.byCategory[key] ?? 0)"])
            }
        }
        for g in p.gaps {
            row("gap", ["key": g.kiosk, "from": "\(g.from)", "to": "\(g.to)", "value": "\(g.count)"])
        }
        for t in p.tips ?? [] {
            row("tip", ["key": t.kiosk, "seq": "\(t.seq)", "submitted_at": time(t.submittedAt), "category": t.category,
                        "label": l.categoryLabel(t.category), "place": t.place, "occurred": t.occurred, "text": t.text])
        }
        return out
    }

    /// One CSV field: neutralised against formula injection, then quoted when it must be (RFC 4180).
    static func csvField(_ s: String) -> String {
        var v = s
        if let first = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + v }
        guard v.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return v }
        var quoted = "\""
        for c in v.unicodeScalars {
            if c == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(c) }
        }
        return quoted + "\""
    }
}

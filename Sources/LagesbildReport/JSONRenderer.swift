import ReportModel

extension PictureRenderer {
    /// The `schema` of ``renderJSON(_:language:)``.
    public static let jsonSchema = "lagesbild.report.v1"

    /// The picture as one JSON object (UTF-8, one line), keys always in this order:
    ///
    ///     {"schema":"lagesbild.report.v1",
    ///      "period":{"since":"2026-11-11T00:00:00.000+01:00","until":"…","days":14},
    ///      "previous_period":{…}, "generated_at":"…", "total":142, "previous_total":124,
    ///      "by_category":[{"key":"drugs","label":"Narkotika, alkohol eller langning","count":31,"previous":22},…],
    ///      "by_place":[{"place":"Centrum","count":38,"previous":30,"by_category":{"drugs":12,…}},…],
    ///      "by_kiosk":[…], "by_event":[…], "by_occurred":[…], "by_age_group":[…], "by_source":[…], "by_masked":[…],
    ///      "kiosks":[{"id","site","state","last_status_at","last_report_at","pending","dead_letters",
    ///                 "awaiting_receipt","silent","over_quota"},…],
    ///      "gaps":[{"kiosk":"kiosk-2","from":120,"to":135,"count":16}],
    ///      "rejects":2, "silent_after_h":24, "tips":[…]}
    ///
    /// `by_kiosk`, `by_event`, `by_occurred`, `by_age_group`, `by_source` and `by_masked` hold `{key, label, count, previous}` like
    /// `by_category`, with `key` null for "not given". Lists are in the picture's order (largest first).
    /// Times are RFC 3339 in the period's offset; absent values are null. Every count is exact (no `< 3`
    /// here). `tips` (`[{submitted_at, kiosk, seq, category, label, place, occurred, text}]`) is present only
    /// when `p.tips` is not nil. Labels are in `language`; keys are the same in every language.
    public static func renderJSON(_ p: Picture, language l: ReportLanguage = .sv) -> String {
        let p = p.cleaned()   // every kiosk-supplied string through TextCleaner, before any output
        let off = p.period.utcOffsetSeconds
        func time(_ ms: Int64?) -> String? { ms.map { RFC3339.format(unixMillis: $0, utcOffsetSeconds: off) } }
        func period(_ pe: Picture.Period) -> String {
            object {
                $0.field("since", time(pe.since))
                $0.field("until", time(pe.until))
                $0.field("days", days(pe))
            }
        }
        func counts(_ cs: [Picture.Count], _ label: (String?) -> String) -> String {
            array(cs.map { c in
                object {
                    $0.field("key", c.key)
                    $0.field("label", label(c.key))
                    $0.field("count", c.current)
                    $0.field("previous", c.previous)
                }
            })
        }

        var members: [(String, String)] = [
            ("schema", string(jsonSchema)),
            ("period", period(p.period)),
            ("previous_period", period(p.period.previous)),
            ("generated_at", string(time(p.generatedAt))),
            ("total", "\(p.total)"),
            ("previous_total", "\(p.previousTotal)"),
            ("by_category", counts(p.byCategory) { l.categoryLabel($0 ?? "") }),
            ("by_place", array(p.places.map { pl in
                object {
                    $0.field("place", pl.name)
                    $0.field("count", pl.current)
                    $0.field("previous", pl.previous)
                    $0.objectField("by_category") { o in
                        for key in categoryKeys(pl.byCategory) { o.field(key, pl.byCategory[key] ?? 0) }
                    }
                }
            })),
            ("by_kiosk", counts(p.byKiosk, l.kioskLabel)),
            ("by_event", counts(p.byEvent, l.eventLabel)),
            ("by_occurred", counts(p.byOccurred, l.occurredLabel)),
            ("by_age_group", counts(p.byAgeGroup, l.ageGroupLabel)),
            ("by_source", counts(p.bySource, l.sourceLabel)),
            ("by_masked", counts(p.byMasked, l.maskedLabel)),
            ("kiosks", array(p.kiosks.map { k in
                object {
                    $0.field("id", k.id)
                    $0.field("site", k.site)
                    $0.field("state", k.state)
                    $0.field("last_status_at", time(k.lastStatusAt))
                    $0.field("last_report_at", time(k.lastReportAt))
                    $0.field("pending", k.pending.map(Int64.init))
                    $0.field("dead_letters", k.deadLetters.map(Int64.init))
                    $0.field("awaiting_receipt", k.awaitingReceipt.map(Int64.init))
                    $0.field("over_quota", Int64(k.overQuota))
                    $0.field("silent", k.silent)
                }
            })),
            ("gaps", array(p.gaps.map { g in
                object {
                    $0.field("kiosk", g.kiosk)
                    $0.field("from", g.from)
                    $0.field("to", g.to)
                    $0.field("count", g.count)
                }
            })),
            ("rejects", "\(p.rejects)"),
            ("silent_after_h", "\(p.silentAfterHours)"),
        ]
        if let tips = p.tips {
            members.append(("tips", array(tips.map { t in
                object {
                    $0.field("submitted_at", time(t.submittedAt))
                    $0.field("kiosk", t.kiosk)
                    $0.field("seq", t.seq)
                    $0.field("category", t.category)
                    $0.field("label", l.categoryLabel(t.category))
                    $0.field("place", t.place)
                    $0.field("occurred", t.occurred)
                    $0.field("text", t.text)
                }
            })))
        }
        return "{" + members.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}\n"
    }

    // JSONWriter writes objects; these put its objects into arrays and members.
    private static func object(_ body: (inout JSONWriter) -> Void) -> String {
        var w = JSONWriter()
        w.object(body)
        return w.output
    }
    private static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
    private static func string(_ s: String?) -> String {
        guard let s else { return "null" }
        var out = ""
        JSONWriter.appendString(s, to: &out)
        return out
    }
}

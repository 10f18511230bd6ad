import LagesbildReport
import ReportModel

/// The picture's counts, from the rows of its one grouped query (the same query on every backend: a period's
/// reports grouped by current/previous, category, place, kiosk, event, occurred, age group, source and masked,
/// with their count). Pure: each backend feeds it its rows and the kiosks, gaps and rejects it read.
struct PictureTally {
    struct Tally { var current = 0; var previous = 0 }
    var total = Tally()
    var byCategory: [String: Tally] = [:], byKiosk: [String: Tally] = [:], byEvent: [String?: Tally] = [:]
    var byOccurred: [String: Tally] = [:], byAge: [String?: Tally] = [:]
    var bySource: [String?: Tally] = [:], byMasked: [String: Tally] = [:]
    var places: [String: (tally: Tally, spellings: [String: Int], categories: [String: Int])] = [:]

    /// One row of the grouped query.
    mutating func add(current: Bool, category: String, place: String, kiosk: String, event: String?, occurred: String,
                      ageGroup: String?, source: String?, masked: String?, count n: Int) {
        func add<K: Hashable>(_ d: inout [K: Tally], _ k: K) {
            if current { d[k, default: Tally()].current += n } else { d[k, default: Tally()].previous += n }
        }
        if current { total.current += n } else { total.previous += n }
        add(&byCategory, category)
        add(&byKiosk, kiosk)
        add(&byEvent, event)
        add(&byOccurred, Self.occurredKey(occurred))
        add(&byAge, ageGroup)
        add(&bySource, source)
        // A report counts once under each kind it had masked.
        for kind in (masked ?? "").split(separator: ",") { add(&byMasked, String(kind)) }
        let key = ReceivedReport.placeKey(place)
        var entry = places[key] ?? (Tally(), [:], [:])
        entry.spellings[place, default: 0] += n
        if current {
            entry.tally.current += n
            entry.categories[category, default: 0] += n
        } else {
            entry.tally.previous += n
        }
        places[key] = entry
    }

    /// The picture, with what the backend read besides the counts.
    func picture(period: Picture.Period, now: Int64, silentAfterHours: Int, kiosks: [Picture.Kiosk], gaps: [Picture.Gap],
                 rejects: Int, tips: [Picture.Tip]?) -> Picture {
        // Ties keep the contract's order of the categories (§5), and otherwise go by key.
        let order = Dictionary(uniqueKeysWithValues: Category.allCases.enumerated().map { ($1.rawValue, $0) })
        func counts<K>(_ d: [K: Tally], _ key: (K) -> String?) -> [Picture.Count] {
            d.map { Picture.Count(key: key($0.key), current: $0.value.current, previous: $0.value.previous) }
                .sorted {
                    if ($0.current, $0.previous) != ($1.current, $1.previous) { return ($0.current, $0.previous) > ($1.current, $1.previous) }
                    let a = order[$0.key ?? ""] ?? Int.max, b = order[$1.key ?? ""] ?? Int.max
                    return a != b ? a < b : ($0.key ?? "") < ($1.key ?? "")
                }
        }
        var byCategory = self.byCategory
        for c in Category.allCases where byCategory[c.rawValue] == nil { byCategory[c.rawValue] = Tally() }
        let placeList = places.map { (_, e) -> Picture.Place in
            let name = e.spellings.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? ""
            return Picture.Place(name: name, current: e.tally.current, previous: e.tally.previous, byCategory: e.categories)
        }
        .sorted { ($0.current, $0.previous) != ($1.current, $1.previous)
            ? ($0.current, $0.previous) > ($1.current, $1.previous) : $0.name < $1.name }
        var kiosks = kiosks
        kiosks.sort { $0.silent != $1.silent ? $0.silent : $0.id < $1.id }
        return Picture(period: period, generatedAt: now, total: total.current, previousTotal: total.previous,
                       byCategory: counts(byCategory) { $0 }, byKiosk: counts(byKiosk) { $0 },
                       byEvent: counts(byEvent) { $0 }, byOccurred: counts(byOccurred) { $0 },
                       byAgeGroup: counts(byAge) { $0 }, bySource: counts(bySource) { $0 },
                       byMasked: counts(byMasked) { $0 }, places: placeList, kiosks: kiosks, gaps: gaps,
                       rejects: rejects, silentAfterHours: silentAfterHours, tips: tips)
    }

    /// A kiosk's health from its last status: silent when that is older than `silentAfterHours`, or missing.
    static func kiosk(id: String, site: String?, state: String?, statusAt: Int64?, lastReportAt: Int64?, pending: Int64?,
                      deadLetters: Int64?, awaitingReceipt: Int64?, now: Int64, silentAfterHours: Int) -> Picture.Kiosk {
        let silentAfter = Int64(silentAfterHours) * 3_600_000
        return Picture.Kiosk(id: id, site: site, state: state, lastStatusAt: statusAt, lastReportAt: lastReportAt,
                             pending: pending.map { Int($0) }, deadLetters: deadLetters.map { Int($0) },
                             awaitingReceipt: awaitingReceipt.map { Int($0) },
                             silent: statusAt.map { now - $0 > silentAfter } ?? true)
    }

    /// The UTC days (as the daily quota counts them) a period's refusals over quota are read from.
    static func quotaDays(of period: Picture.Period) -> ClosedRange<Int64> {
        let first = IntakePolicy.day(of: period.since)
        return first...max(first, IntakePolicy.day(of: period.until - 1))
    }

    /// The kiosks with their refusals over quota (per kiosk, in the period's days); a kiosk that never got a
    /// report or status stored, only refusals, is added (silent).
    static func kiosks(_ kiosks: [Picture.Kiosk], overQuota: [String: Int]) -> [Picture.Kiosk] {
        var kiosks = kiosks, overQuota = overQuota
        for i in kiosks.indices { kiosks[i].overQuota = overQuota.removeValue(forKey: kiosks[i].id) ?? 0 }
        for (kiosk, n) in overQuota where n > 0 {
            kiosks.append(Picture.Kiosk(id: kiosk, site: nil, state: nil, lastStatusAt: nil, lastReportAt: nil, pending: nil,
                                        deadLetters: nil, awaitingReceipt: nil, silent: true, overQuota: n))
        }
        return kiosks
    }

    /// `occurred` as the picture groups it: the five words of §4.1 as they are, any date as "date".
    static func occurredKey(_ value: String) -> String {
        ["now", "today", "this_week", "earlier", "unknown"].contains(value) ? value : "date"
    }
}

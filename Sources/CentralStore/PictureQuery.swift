import LagesbildReport
import ReportModel
import SQLite

extension CentralStore {
    /// The lägesbild of `period` compared with the period of the same length before it: every count in one
    /// scan of the time index, the kiosks' health from their last status, the open gaps, and (only when
    /// `includeText`) the tips with their free text.
    public func picture(period: Picture.Period, now: Int64, silentAfterHours: Int,
                        includeText: Bool) throws(CentralStoreError) -> Picture {
        do {
            return try db.readTransaction { () throws(SQLiteError) -> Picture in
                try makePicture(period: period, now: now, silentAfterHours: silentAfterHours, includeText: includeText)
            }
        } catch {
            throw CentralStoreError(error, path: path)
        }
    }

    private func makePicture(period: Picture.Period, now: Int64, silentAfterHours: Int,
                             includeText: Bool) throws(SQLiteError) -> Picture {
        let previous = period.previous
        struct Tally { var current = 0; var previous = 0 }
        var total = Tally()
        var byCategory: [String: Tally] = [:], byKiosk: [String: Tally] = [:], byEvent: [String?: Tally] = [:]
        var byOccurred: [String: Tally] = [:], byAge: [String?: Tally] = [:]
        var bySource: [String?: Tally] = [:], byMasked: [String: Tally] = [:]
        var places: [String: (tally: Tally, spellings: [String: Int], categories: [String: Int])] = [:]

        let s = try db.statement("""
            SELECT submitted_at >= ?1, category, place, kiosk, event, occurred, age_group, count(*), source, masked
            FROM reports INDEXED BY reports_by_time
            WHERE submitted_at >= ?2 AND submitted_at < ?3
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 9, 10
            """)
        defer { s.reset() }
        s.bind(1, period.since)
        s.bind(2, previous.since)
        s.bind(3, period.until)
        func add<K: Hashable>(_ d: inout [K: Tally], _ k: K, _ current: Bool, _ n: Int) {
            if current { d[k, default: Tally()].current += n } else { d[k, default: Tally()].previous += n }
        }
        while try s.step() {
            let current = s.int64(0) != 0
            let category = s.string(1) ?? ""
            let place = s.string(2) ?? ""
            let n = Int(s.int64(7))
            if current { total.current += n } else { total.previous += n }
            add(&byCategory, category, current, n)
            add(&byKiosk, s.string(3) ?? "", current, n)
            add(&byEvent, s.string(4), current, n)
            add(&byOccurred, Self.occurredKey(s.string(5) ?? ""), current, n)
            add(&byAge, s.string(6), current, n)
            add(&bySource, s.string(8), current, n)
            // A report counts once under each kind it had masked.
            for kind in (s.string(9) ?? "").split(separator: ",") { add(&byMasked, String(kind), current, n) }
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
        for c in Category.allCases where byCategory[c.rawValue] == nil { byCategory[c.rawValue] = Tally() }
        let placeList = places.map { (_, e) -> Picture.Place in
            let name = e.spellings.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? ""
            return Picture.Place(name: name, current: e.tally.current, previous: e.tally.previous, byCategory: e.categories)
        }
        .sorted { ($0.current, $0.previous) != ($1.current, $1.previous)
            ? ($0.current, $0.previous) > ($1.current, $1.previous) : $0.name < $1.name }

        let silentAfter = Int64(silentAfterHours) * 3_600_000
        var kiosks: [Picture.Kiosk] = []
        let k = try db.statement("""
            SELECT kiosk, site, state, status_at, last_report_at, pending, dead_letters, awaiting_receipt FROM kiosks
            """)
        defer { k.reset() }
        while try k.step() {
            let statusAt: Int64? = k.isNull(3) ? nil : k.int64(3)
            kiosks.append(Picture.Kiosk(
                id: k.string(0) ?? "", site: k.string(1), state: k.string(2), lastStatusAt: statusAt,
                lastReportAt: k.isNull(4) ? nil : k.int64(4), pending: k.isNull(5) ? nil : Int(k.int64(5)),
                deadLetters: k.isNull(6) ? nil : Int(k.int64(6)), awaitingReceipt: k.isNull(7) ? nil : Int(k.int64(7)),
                silent: statusAt.map { now - $0 > silentAfter } ?? true))
        }
        // Over quota in the period's days (UTC days, as the quota counts them). A database not yet migrated to
        // 3 (read only, before the collector ran the new version) has no such table.
        if try db.scalar("PRAGMA user_version") ?? 0 >= 3 {
            let q = try db.statement("SELECT kiosk, sum(over_quota) FROM intake_days WHERE day >= ? AND day <= ? GROUP BY kiosk")
            defer { q.reset() }
            q.bind(1, IntakePolicy.day(of: period.since))
            q.bind(2, IntakePolicy.day(of: period.until - 1))
            var overQuota: [String: Int] = [:]
            while try q.step() { overQuota[q.string(0) ?? ""] = Int(q.int64(1)) }
            for i in kiosks.indices { kiosks[i].overQuota = overQuota.removeValue(forKey: kiosks[i].id) ?? 0 }
            for (kiosk, n) in overQuota where n > 0 {   // a kiosk that never got a report or status stored
                kiosks.append(Picture.Kiosk(id: kiosk, site: nil, state: nil, lastStatusAt: nil, lastReportAt: nil, pending: nil,
                                            deadLetters: nil, awaitingReceipt: nil, silent: true, overQuota: n))
            }
        }
        kiosks.sort { $0.silent != $1.silent ? $0.silent : $0.id < $1.id }

        let r = try db.statement("SELECT count(*) FROM rejects WHERE received_at >= ? AND received_at < ?")
        defer { r.reset() }
        r.bind(1, period.since)
        r.bind(2, period.until)
        _ = try r.step()
        let rejects = Int(r.int64(0))

        let gaps = try readGaps()

        var tips: [Picture.Tip]? = nil
        if includeText {
            let t = try db.statement("""
                SELECT submitted_at, kiosk, seq, category, place, occurred, json_extract(payload, '$.text') FROM reports
                WHERE submitted_at >= ? AND submitted_at < ? ORDER BY submitted_at, kiosk, seq
                """)
            defer { t.reset() }
            t.bind(1, period.since)
            t.bind(2, period.until)
            var list: [Picture.Tip] = []
            while try t.step() {
                list.append(Picture.Tip(submittedAt: t.int64(0), kiosk: t.string(1) ?? "", seq: t.int64(2),
                                        category: t.string(3) ?? "", place: t.string(4) ?? "", occurred: t.string(5) ?? "",
                                        text: t.string(6) ?? ""))
            }
            tips = list
        }

        return Picture(period: period, generatedAt: now, total: total.current, previousTotal: total.previous,
                       byCategory: counts(byCategory) { $0 }, byKiosk: counts(byKiosk) { $0 },
                       byEvent: counts(byEvent) { $0 }, byOccurred: counts(byOccurred) { $0 },
                       byAgeGroup: counts(byAge) { $0 }, bySource: counts(bySource) { $0 },
                       byMasked: counts(byMasked) { $0 }, places: placeList, kiosks: kiosks, gaps: gaps,
                       rejects: rejects, silentAfterHours: silentAfterHours, tips: tips)
    }

    /// `occurred` as the picture groups it: the five words of §4.1 as they are, any date as "date".
    static func occurredKey(_ value: String) -> String {
        ["now", "today", "this_week", "earlier", "unknown"].contains(value) ? value : "date"
    }
}

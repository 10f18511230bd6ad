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
        var tally = PictureTally()

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
        while try s.step() {
            tally.add(current: s.int64(0) != 0, category: s.string(1) ?? "", place: s.string(2) ?? "", kiosk: s.string(3) ?? "",
                      event: s.string(4), occurred: s.string(5) ?? "", ageGroup: s.string(6), source: s.string(8),
                      masked: s.string(9), count: Int(s.int64(7)))
        }

        var kiosks: [Picture.Kiosk] = []
        let k = try db.statement("""
            SELECT kiosk, site, state, status_at, last_report_at, pending, dead_letters, awaiting_receipt FROM kiosks
            """)
        defer { k.reset() }
        func int(_ i: Int32) -> Int64? { k.isNull(i) ? nil : k.int64(i) }
        while try k.step() {
            kiosks.append(PictureTally.kiosk(id: k.string(0) ?? "", site: k.string(1), state: k.string(2), statusAt: int(3),
                                             lastReportAt: int(4), pending: int(5), deadLetters: int(6),
                                             awaitingReceipt: int(7), now: now, silentAfterHours: silentAfterHours))
        }
        // Over quota in the period's days. A database not yet migrated to 3 (read only, before the collector ran
        // the new version) has no such table.
        if try db.scalar("PRAGMA user_version") ?? 0 >= 3 {
            let q = try db.statement("SELECT kiosk, sum(over_quota) FROM intake_days WHERE day >= ? AND day <= ? GROUP BY kiosk")
            defer { q.reset() }
            let days = PictureTally.quotaDays(of: period)
            q.bind(1, days.lowerBound)
            q.bind(2, days.upperBound)
            var overQuota: [String: Int] = [:]
            while try q.step() { overQuota[q.string(0) ?? ""] = Int(q.int64(1)) }
            kiosks = PictureTally.kiosks(kiosks, overQuota: overQuota)
        }

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

        return tally.picture(period: period, now: now, silentAfterHours: silentAfterHours, kiosks: kiosks, gaps: gaps,
                             rejects: rejects, tips: tips)
    }
}

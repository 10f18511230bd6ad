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

        return tally.picture(period: period, now: now, silentAfterHours: silentAfterHours, kiosks: kiosks, gaps: gaps,
                             rejects: rejects, tips: tips)
    }
}

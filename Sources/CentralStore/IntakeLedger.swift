import ReportModel

/// One commit's decisions on the daily quota and the bounds (`IntakePolicy`), the same on every engine: which of
/// a batch's reports and rejects are stored, which seqs are held (confirmed) or refused, and what each kiosk's
/// count in `intake_days` grows by. Pure: the engine answers two questions, how much of its quota a kiosk used
/// today before this commit, and whether a report's id is held already (a resend of a stored report is confirmed
/// even over quota; and a duplicate uses no quota).
struct IntakeLedger {
    /// What the engine stores, and what the commit tells the collector.
    struct Admitted {
        /// The reports to insert (by id; a duplicate is confirmed, not stored twice), the statuses and the rejects
        /// to store: the reports refused by the bounds first, in the order they came, then the batch's.
        var batch = CentralStore.Batch()
        /// Per kiosk, every seq confirmed: the reports to insert, and those held already.
        var held: [String: [Int64]] = [:]
        var refused: [String: [Int64]] = [:]
        /// Per kiosk, what its count of today grows by.
        var counts: [String: Count] = [:]
        /// Payloads refused over quota in this commit.
        var overQuota: Int { counts.values.reduce(0) { $0 + $1.overQuota } }
    }

    /// A kiosk's intake of one day (a row of `intake_days`).
    struct Count: Equatable {
        var stored = 0, rejected = 0, overQuota = 0
    }

    /// Decides a batch at `now`. `usedToday(kiosk)`: the kiosk's stored and rejected payloads today before this
    /// commit; `holds(id)`: whether a report with this id is stored already.
    static func admit<E: Error>(_ batch: CentralStore.Batch, policy: IntakePolicy, now: Int64,
                                usedToday: (String) throws(E) -> Int,
                                holds: (String) throws(E) -> Bool) throws(E) -> Admitted {
        var out = Admitted()
        out.batch.statuses = batch.statuses
        var usedBefore: [String: Int] = [:]
        var seen: Set<String> = []   // ids of this batch already admitted
        func used(_ kiosk: String) throws(E) -> Int {
            if usedBefore[kiosk] == nil { usedBefore[kiosk] = try usedToday(kiosk) }
            let c = out.counts[kiosk]
            return (usedBefore[kiosk] ?? 0) + (c?.stored ?? 0) + (c?.rejected ?? 0)
        }
        for r in batch.reports {
            if let why = policy.refusal(of: r, now: now) {
                out.refused[r.kiosk, default: []].append(r.seq)
                if policy.allows(used: try used(r.kiosk)) {
                    out.counts[r.kiosk, default: Count()].rejected += 1
                    out.batch.rejects.append(CentralStore.Reject(report: r, reason: why))
                } else {
                    out.counts[r.kiosk, default: Count()].overQuota += 1
                }
                continue
            }
            var duplicate = seen.contains(r.id)
            if !duplicate { duplicate = try holds(r.id) }
            if !duplicate, !policy.allows(used: try used(r.kiosk)) {
                // Over quota: nothing new is stored, and it is not confirmed (the kiosk keeps it).
                out.refused[r.kiosk, default: []].append(r.seq)
                out.counts[r.kiosk, default: Count()].overQuota += 1
                continue
            }
            // New (it uses the quota), or held already: confirmed either way.
            out.batch.reports.append(r)
            out.held[r.kiosk, default: []].append(r.seq)
            if !duplicate {
                seen.insert(r.id)
                out.counts[r.kiosk, default: Count()].stored += 1
            }
        }
        for r in batch.rejects {
            guard policy.allows(used: try used(r.kiosk)) else {
                out.counts[r.kiosk, default: Count()].overQuota += 1
                continue
            }
            out.counts[r.kiosk, default: Count()].rejected += 1
            out.batch.rejects.append(r)
        }
        return out
    }

    /// The kiosks whose quota a batch touches (its reports' and rejects' kiosks), in order.
    static func kiosks(of batch: CentralStore.Batch) -> [String] {
        Set(batch.reports.map(\.kiosk)).union(batch.rejects.map(\.kiosk)).sorted()
    }
}

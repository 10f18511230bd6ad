import SQLite

/// One commit's bookkeeping of the daily quota (`IntakePolicy.dailyQuota`): how much of it each kiosk of the
/// batch has used today (read once per kiosk from `intake_days`), what this commit adds, and what it refused.
struct IntakeLedger {
    let db: SQLiteConnection
    let day: Int64
    private var usedBefore: [String: Int] = [:]
    private var added: [String: (stored: Int, rejected: Int, overQuota: Int)] = [:]

    init(db: SQLiteConnection, day: Int64) {
        self.db = db
        self.day = day
    }

    /// Payloads of `kiosk` stored today, this commit's included.
    mutating func used(_ kiosk: String) throws(SQLiteError) -> Int {
        if usedBefore[kiosk] == nil {
            let s = try db.statement("SELECT stored + rejected FROM intake_days WHERE kiosk = ? AND day = ?")
            defer { s.reset() }
            s.bind(1, kiosk)
            s.bind(2, day)
            usedBefore[kiosk] = try s.step() ? Int(s.int64(0)) : 0
        }
        let a = added[kiosk]
        return (usedBefore[kiosk] ?? 0) + (a?.stored ?? 0) + (a?.rejected ?? 0)
    }

    /// Whether a report with this id is held already (a resend of a stored report is confirmed even over quota).
    func holds(id: String) throws(SQLiteError) -> Bool {
        let s = try db.statement("SELECT 1 FROM reports WHERE id = ?")
        defer { s.reset() }
        s.bind(1, id)
        return try s.step()
    }

    mutating func stored(_ kiosk: String) { added[kiosk, default: (0, 0, 0)].stored += 1 }
    mutating func rejected(_ kiosk: String) { added[kiosk, default: (0, 0, 0)].rejected += 1 }
    mutating func refuse(_ kiosk: String) { added[kiosk, default: (0, 0, 0)].overQuota += 1 }

    /// Payloads refused over quota in this commit.
    var overQuota: Int { added.values.reduce(0) { $0 + $1.overQuota } }

    /// Adds this commit's counts to `intake_days`, inside the commit's transaction.
    func save() throws(SQLiteError) {
        let s = try db.statement("""
            INSERT INTO intake_days (kiosk, day, stored, rejected, over_quota) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(kiosk, day) DO UPDATE SET stored = stored + excluded.stored,
              rejected = rejected + excluded.rejected, over_quota = over_quota + excluded.over_quota
            """)
        for (kiosk, a) in added {
            s.bind(1, kiosk)
            s.bind(2, day)
            s.bind(3, Int64(a.stored))
            s.bind(4, Int64(a.rejected))
            s.bind(5, Int64(a.overQuota))
            try s.run()
        }
    }
}

import Delivery
import Glibc
import ReportModel
import SQLite

/// What the gateway reads and writes: the delivery side of the outbox.
extension Outbox {
    /// A stored report on its way out: the payload is sent exactly as it was committed.
    public struct Pending: Sendable, Equatable, Deliverable {
        public var seq: Int64
        public var id: String
        /// The wire JSON, as committed (UTF-8).
        public var payloadBytes: [UInt8]
        public var payload: String { String(decoding: payloadBytes, as: UTF8.self) }
    }

    /// Puts every row left "in flight" (by a gateway that died) back to pending, so it is sent again with the
    /// same `id` and `seq`. Call once at gateway start and after a lost connection. Returns how many.
    @discardableResult
    public func requeueInFlight() throws(OutboxError) -> Int {
        try write { () throws(SQLiteError) in
            try db.statement("UPDATE reports SET state = 0 WHERE state = 1").run()
            return db.changes
        }
    }

    /// Puts every row "sent, awaiting receipt" back to pending (the gateway starts with receipts off, so no
    /// receipt will ever delete them; a successful PUBACK will). Returns how many.
    @discardableResult
    public func requeueAwaitingReceipt() throws(OutboxError) -> Int {
        try write { () throws(SQLiteError) in
            try db.statement("UPDATE reports SET state = 0 WHERE state = 3").run()
            return db.changes
        }
    }

    /// The seqs of the rows "sent, awaiting receipt", oldest first (for the gateway's start).
    public func awaitingReceipt() throws(OutboxError) -> [Int64] {
        do {
            let s = try db.statement("SELECT seq FROM reports WHERE state = 3 ORDER BY seq")
            defer { s.reset() }
            var seqs: [Int64] = []
            while try s.step() { seqs.append(s.int64(0)) }
            return seqs
        } catch {
            throw Self.mapError(error)
        }
    }

    /// The gateway's one transaction per loop turn (see `OutboxWork`): deletes what was delivered (a successful
    /// PUBACK, or a collector's receipt), marks what awaits a receipt, puts back what waited too long, then takes
    /// up to `takeLimit` pending reports after `takeAfter`, oldest first, and marks them in flight.
    public func exchange(_ work: OutboxWork, at unixMillis: Int64) throws(OutboxError) -> [Pending] {
        guard !work.isEmpty else { return [] }
        return try write { () throws(SQLiteError) in
            if !work.delete.isEmpty || !work.deleteRanges.isEmpty {
                let d = try db.statement("DELETE FROM reports WHERE seq = ?")
                for seq in work.delete {
                    d.bind(1, seq)
                    try d.run()
                }
                let r = try db.statement("DELETE FROM reports WHERE seq BETWEEN ? AND ?")
                for range in work.deleteRanges {
                    r.bind(1, range.lowerBound)
                    r.bind(2, range.upperBound)
                    try r.run()
                }
                let g = try db.statement("UPDATE gateway SET last_ack_at = ?, updated_at = ? WHERE one = 1")
                g.bind(1, unixMillis)
                g.bind(2, unixMillis)
                try g.run()
            }
            // State moves: 1 in flight → 3 awaiting a receipt; 1 → 0 refused for now; 3 → 0 no receipt in time.
            try move(work.awaitReceipt, from: 1, to: 3, sentAt: unixMillis)
            try move(work.retry, from: 1, to: 0)
            try move(work.requeue, from: 3, to: 0)
            guard work.takeLimit > 0 else { return [] }
            let s = try db.statement("SELECT seq, id, payload FROM reports WHERE state = 0 AND seq > ? ORDER BY seq LIMIT ?")
            defer { s.reset() }
            s.bind(1, work.takeAfter)
            s.bind(2, Int64(work.takeLimit))
            var rows: [Pending] = []
            rows.reserveCapacity(work.takeLimit)
            while try s.step() {
                rows.append(Pending(seq: s.int64(0), id: s.string(1) ?? "", payloadBytes: s.bytes(2)))
            }
            guard let first = rows.first, let last = rows.last else { return rows }
            let u = try db.statement("UPDATE reports SET state = 1, attempts = attempts + 1 WHERE state = 0 AND seq BETWEEN ? AND ?")
            u.bind(1, first.seq)
            u.bind(2, last.seq)
            try u.run()
            return rows
        }
    }

    /// Moves rows that are in state `from` to state `to` (a row in another state by now is left alone).
    private func move(_ seqs: [Int64], from: Int64, to: Int64, sentAt: Int64? = nil) throws(SQLiteError) {
        guard !seqs.isEmpty else { return }
        let q = try db.statement("UPDATE reports SET state = ?, sent_at = coalesce(?, sent_at) WHERE seq = ? AND state = ?")
        for seq in seqs {
            q.bind(1, to)
            q.bind(2, sentAt)
            q.bind(3, seq)
            q.bind(4, from)
            try q.run()
        }
    }

    /// Up to `limit` pending reports after `afterSeq`, oldest first, marked in flight in the same transaction.
    public func takePending(after afterSeq: Int64, limit: Int) throws(OutboxError) -> [Pending] {
        try exchange(OutboxWork(takeAfter: afterSeq, takeLimit: limit), at: 0)
    }

    /// Removes delivered reports (their PUBACK said success) in one transaction.
    public func markDelivered(_ seqs: [Int64], at unixMillis: Int64) throws(OutboxError) {
        _ = try exchange(OutboxWork(delete: seqs), at: unixMillis)
    }

    /// Moves a report the broker refused (PUBACK reason code >= 0x80) to the dead letters. It is kept, never
    /// retried automatically, and counted in status until staff deal with it (`requeueDeadLetters`).
    public func markDead(seq: Int64, reasonCode: Int, reason: String, at unixMillis: Int64) throws(OutboxError) {
        try write { () throws(SQLiteError) in
            let s = try db.statement("UPDATE reports SET state = 2, dead_code = ?, dead_reason = ?, dead_at = ? WHERE seq = ?")
            s.bind(1, Int64(reasonCode))
            s.bind(2, reason)
            s.bind(3, unixMillis)
            s.bind(4, seq)
            try s.run()
        }
    }

    /// Puts dead letters back in the queue (after the broker's ACL or quota was fixed). Returns how many.
    @discardableResult
    public func requeueDeadLetters() throws(OutboxError) -> Int {
        try write { () throws(SQLiteError) in
            try db.statement("UPDATE reports SET state = 0, dead_code = NULL, dead_reason = NULL, dead_at = NULL WHERE state = 2").run()
            return db.changes
        }
    }

    /// A number that changes whenever another connection commits to the file (SQLite's `data_version`):
    /// the gateway's cheap test for "something new was stored".
    public func dataVersion() -> Int64 { (try? db.scalar("PRAGMA data_version")) ?? 0 }

    func write<T>(_ body: () throws(SQLiteError) -> T) throws(OutboxError) -> T {
        do {
            return try db.writeTransaction(body)
        } catch {
            throw Self.mapError(error)
        }
    }
}

/// The numbers `tipskiosk status`, the staff screen and the retained status message show.
public struct OutboxStats: Sendable, Equatable {
    /// Every report not yet delivered: waiting, in flight, and sent but awaiting the collector's receipt.
    public var pending: Int
    /// Published, no PUBACK yet.
    public var inFlight: Int
    /// PUBACKed, waiting for the collector's receipt (only with `[mqtt] await_receipts = true`).
    public var awaitingReceipt: Int
    public var oldestPendingAt: Int64?
    public var deadLetters: Int
    public var nextSeq: Int64
    public var deadLetterCodes: [Int: Int]
}

/// What the gateway last said about the broker, kept in the outbox so that other processes can show it.
public struct GatewayState: Sendable, Equatable {
    /// The broker state to show: the gateway's word while it runs; once it stopped cleanly, "disconnected
    /// (gateway stopped)"; when its process is gone without a word (killed), "unknown (gateway not running)".
    public var brokerForDisplay: String {
        if broker == "stopped" { return "disconnected (gateway stopped)" }
        return isGatewayRunning ? broker : "unknown (gateway not running)"
    }

    /// Whether the process that wrote this still runs (a signal-0 probe of its pid).
    public var isGatewayRunning: Bool {
        guard let pid, broker != "stopped" else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    public var broker: String
    public var since: Int64
    public var lastAckAt: Int64?
    public var lastError: String?
    public var protocolName: String?
    public var pid: Int32?
    public var updatedAt: Int64
    public init(broker: String, since: Int64, lastAckAt: Int64?, lastError: String?, protocolName: String?, pid: Int32?, updatedAt: Int64) {
        self.broker = broker
        self.since = since
        self.lastAckAt = lastAckAt
        self.lastError = lastError
        self.protocolName = protocolName
        self.pid = pid
        self.updatedAt = updatedAt
    }
}

extension Outbox {
    public func stats() throws(OutboxError) -> OutboxStats {
        do {
            return try db.readTransaction { () throws(SQLiteError) in
                let s = try db.statement("""
                    SELECT
                      (SELECT count(*) FROM reports WHERE state <> 2),
                      (SELECT count(*) FROM reports WHERE state = 1),
                      (SELECT stored_at FROM reports WHERE state <> 2 ORDER BY seq LIMIT 1),
                      (SELECT count(*) FROM reports WHERE state = 2),
                      (SELECT count(*) FROM reports WHERE state = 3)
                    """)
                defer { s.reset() }
                _ = try s.step()
                var codes: [Int: Int] = [:]
                let c = try db.statement("SELECT dead_code, count(*) FROM reports WHERE state = 2 GROUP BY dead_code")
                defer { c.reset() }
                while try c.step() { codes[Int(c.int64(0))] = Int(c.int64(1)) }
                return OutboxStats(pending: Int(s.int64(0)), inFlight: Int(s.int64(1)),
                                   awaitingReceipt: Int(s.int64(4)),
                                   oldestPendingAt: s.isNull(2) ? nil : s.int64(2), deadLetters: Int(s.int64(3)),
                                   nextSeq: Int64(try meta("next_seq") ?? "") ?? 1, deadLetterCodes: codes)
            }
        } catch {
            throw Self.mapError(error)
        }
    }

    public func gatewayState() -> GatewayState? {
        guard let s = try? db.statement("SELECT broker, since, last_ack_at, last_error, protocol, pid, updated_at FROM gateway WHERE one = 1"),
              (try? s.step()) == true else { return nil }
        defer { s.reset() }
        return GatewayState(broker: s.string(0) ?? "unknown", since: s.int64(1), lastAckAt: s.isNull(2) ? nil : s.int64(2),
                            lastError: s.string(3), protocolName: s.string(4), pid: s.isNull(5) ? nil : Int32(s.int64(5)),
                            updatedAt: s.int64(6))
    }

    /// Records the gateway's view of the broker. `lastAckAt` is kept when nil is given.
    public func setGatewayState(_ g: GatewayState) throws(OutboxError) {
        try write { () throws(SQLiteError) in
            let s = try db.statement("""
                INSERT INTO gateway (one, broker, since, last_ack_at, last_error, protocol, pid, updated_at)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(one) DO UPDATE SET broker = excluded.broker, since = excluded.since,
                  last_ack_at = coalesce(excluded.last_ack_at, gateway.last_ack_at), last_error = excluded.last_error,
                  protocol = excluded.protocol, pid = excluded.pid, updated_at = excluded.updated_at
                """)
            s.bind(1, g.broker)
            s.bind(2, g.since)
            if let a = g.lastAckAt { s.bind(3, a) } else { s.bind(3, nil as String?) }
            s.bind(4, g.lastError)
            s.bind(5, g.protocolName)
            if let p = g.pid { s.bind(6, Int64(p)) } else { s.bind(6, nil as String?) }
            s.bind(7, g.updatedAt)
            try s.run()
        }
    }
}

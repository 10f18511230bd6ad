import Delivery
import Glibc
import ReportModel
import SQLite

/// What the gateway reads and writes: the delivery side of the outbox.
extension Outbox {
    /// A row's `state` column.
    typealias State = OutboxRowState

    /// A stored report on its way out: the payload is sent exactly as it was committed.
    public struct Pending: Sendable, Equatable, Deliverable {
        public var seq: Int64
        public var id: String
        /// The wire JSON, as committed (UTF-8).
        public var payloadBytes: [UInt8]
        public var payload: String { String(decoding: payloadBytes, as: UTF8.self) }
    }

    /// Puts every row an earlier version of the gateway left marked in flight back to pending. The
    /// gateway no longer marks rows in flight (it keeps that in memory: every row not yet delivered is pending
    /// again when it starts), so this only matters for an outbox written by an earlier version. Returns how many.
    @discardableResult
    public func requeueInFlight() throws(OutboxError) -> Int {
        try write { () throws(SQLiteError) in
            try db.statement("UPDATE reports SET state = \(State.pending.sql) WHERE state = \(State.inFlight.sql)").run()
            return db.changes
        }
    }

    /// Puts every row "sent, awaiting receipt" back to pending (the gateway starts with receipts off, so no
    /// receipt will ever delete them; a successful PUBACK will). Returns how many.
    @discardableResult
    public func requeueAwaitingReceipt() throws(OutboxError) -> Int {
        try write { () throws(SQLiteError) in
            try db.statement("UPDATE reports SET state = \(State.pending.sql) WHERE state = \(State.awaitingReceipt.sql)").run()
            return db.changes
        }
    }

    /// The seqs of the rows "sent, awaiting receipt", oldest first (for the gateway's start).
    public func awaitingReceipt() throws(OutboxError) -> [Int64] {
        do {
            let s = try db.statement("SELECT seq FROM reports WHERE state = \(State.awaitingReceipt.sql) ORDER BY seq")
            defer { s.reset() }
            var seqs: [Int64] = []
            while try s.step() { seqs.append(s.int64(0)) }
            return seqs
        } catch {
            throw Self.mapError(error)
        }
    }

    /// The gateway's exchange of a loop turn (see `OutboxWork`): marks what awaits a receipt, deletes what was
    /// delivered (a collector's receipt deletes only rows awaiting one; a successful PUBACK only pending rows:
    /// never a dead letter, and a receipt never a row that was not sent), puts back what waited too long, then
    /// takes up to `takeLimit` pending reports after `takeAfter`, oldest first. All in one write transaction when there is
    /// something to write, which also records the highest seq taken so far (`gateway.sent_through`, what
    /// `stats().inFlight` counts from); a take alone writes nothing and needs no write lock.
    public func exchange(_ work: OutboxWork, at unixMillis: Int64) throws(OutboxError) -> [Pending] {
        guard work.hasWrites else {
            guard work.takeLimit > 0 else { return [] }
            do {
                return try take(after: work.takeAfter, limit: work.takeLimit)
            } catch {
                throw Self.mapError(error)
            }
        }
        return try write { () throws(SQLiteError) in
            // Pending → awaiting a receipt first (a row taken stays pending in the table until then), so that a
            // receipt that came before this PUBACK was written finds its row.
            try move(work.awaitReceipt, from: .pending, to: .awaitingReceipt, sentAt: unixMillis)
            // Acknowledged seqs come mostly in runs (PUBACKs arrive in order): one statement a run. Each delete
            // names the state it may take, whatever the range says.
            let puback = DeliveryReceipt.ranges(of: work.delete)
            try delete(puback, in: .pending)
            try delete(work.deleteRanges, in: .awaitingReceipt)
            // Awaiting a receipt → pending: none came in time.
            try move(work.requeue, from: .awaitingReceipt, to: .pending)
            let rows = work.takeLimit > 0 ? try take(after: work.takeAfter, limit: work.takeLimit) : []
            let g = try db.statement("""
                UPDATE gateway SET last_ack_at = coalesce(?, last_ack_at), sent_through = ?, updated_at = ? WHERE one = 1
                """)
            g.bind(1, puback.isEmpty && work.deleteRanges.isEmpty ? nil : unixMillis)
            g.bind(2, max(work.takeAfter, rows.last?.seq ?? 0))
            g.bind(3, unixMillis)
            try g.run()
            return rows
        }
    }

    /// Up to `limit` pending reports after `afterSeq`, oldest first (a read; inside the caller's transaction,
    /// if any).
    private func take(after afterSeq: Int64, limit: Int) throws(SQLiteError) -> [Pending] {
        let s = try db.statement("SELECT seq, id, payload FROM reports WHERE state = \(State.pending.sql) AND seq > ? ORDER BY seq LIMIT ?")
        defer { s.reset() }
        s.bind(1, afterSeq)
        s.bind(2, Int64(limit))
        var rows: [Pending] = []
        rows.reserveCapacity(limit)
        while try s.step() {
            rows.append(Pending(seq: s.int64(0), id: s.string(1) ?? "", payloadBytes: s.bytes(2)))
        }
        return rows
    }

    /// Deletes the rows of these seq ranges that are in `state` (the others are left alone).
    private func delete(_ ranges: [ClosedRange<Int64>], in state: State) throws(SQLiteError) {
        guard !ranges.isEmpty else { return }
        let r = try db.statement("DELETE FROM reports WHERE seq BETWEEN ? AND ? AND state = \(state.sql)")
        for range in ranges {
            r.bind(1, range.lowerBound)
            r.bind(2, range.upperBound)
            try r.run()
        }
    }

    /// Moves rows that are in state `from` to state `to` (a row in another state by now is left alone).
    private func move(_ seqs: [Int64], from: State, to: State, sentAt: Int64? = nil) throws(SQLiteError) {
        guard !seqs.isEmpty else { return }
        let q = try db.statement("UPDATE reports SET state = ?, sent_at = coalesce(?, sent_at) WHERE seq = ? AND state = ?")
        for seq in seqs {
            q.bind(1, to.rawValue)
            q.bind(2, sentAt)
            q.bind(3, seq)
            q.bind(4, from.rawValue)
            try q.run()
        }
    }

    /// Up to `limit` pending reports after `afterSeq`, oldest first (nothing is written).
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
            let s = try db.statement("UPDATE reports SET state = \(State.deadLetter.sql), dead_code = ?, dead_reason = ?, dead_at = ? WHERE seq = ?")
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
            try db.statement("UPDATE reports SET state = \(State.pending.sql), dead_code = NULL, dead_reason = NULL, dead_at = NULL WHERE state = \(State.deadLetter.sql)").run()
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
    /// Published by the running, connected gateway and not yet recorded as delivered (or as sent, awaiting a
    /// receipt), as of its last write to the outbox: it writes acknowledged rows in batches (at most about
    /// 50 ms or 512 reports apart), so this can lag by that much. 0 when no gateway is connected.
    public var inFlight: Int
    /// PUBACKed, waiting for the collector's receipt (only with `[mqtt] await_receipts = true`).
    public var awaitingReceipt: Int
    public var oldestPendingAt: Int64?
    public var deadLetters: Int
    public var nextSeq: Int64
    public var deadLetterCodes: [Int: Int]

    public init(pending: Int, inFlight: Int, awaitingReceipt: Int, oldestPendingAt: Int64?, deadLetters: Int,
                nextSeq: Int64, deadLetterCodes: [Int: Int]) {
        self.pending = pending
        self.inFlight = inFlight
        self.awaitingReceipt = awaitingReceipt
        self.oldestPendingAt = oldestPendingAt
        self.deadLetters = deadLetters
        self.nextSeq = nextSeq
        self.deadLetterCodes = deadLetterCodes
    }
}

/// What the gateway last said about the broker, kept in the outbox so that other processes can show it.
public struct GatewayState: Sendable, Equatable {
    /// What can be said of the broker: the gateway's word while it runs, or that the gateway stopped cleanly, or
    /// that its process is gone without a word (killed).
    public enum Shown: Sendable, Equatable {
        case broker(BrokerState)
        case gatewayStopped
        case gatewayNotRunning
    }

    public var shown: Shown {
        if broker == .stopped { return .gatewayStopped }
        return isGatewayRunning ? .broker(broker) : .gatewayNotRunning
    }

    /// The broker state in the words of `tipskiosk status`: the gateway's word while it runs; once it stopped
    /// cleanly, "disconnected (gateway stopped)"; when its process is gone, "unknown (gateway not running)".
    public var brokerForDisplay: String {
        switch shown {
        case .broker(let state): state.rawValue
        case .gatewayStopped: "disconnected (gateway stopped)"
        case .gatewayNotRunning: "unknown (gateway not running)"
        }
    }

    /// Whether the process that wrote this still runs (a signal-0 probe of its pid).
    public var isGatewayRunning: Bool {
        guard let pid, broker != .stopped else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    public var broker: BrokerState
    public var since: Int64
    public var lastAckAt: Int64?
    public var lastError: String?
    public var protocolName: String?
    public var pid: Int32?
    public var updatedAt: Int64
    /// The highest seq the gateway has taken on its current connection (nil when not connected); written by the
    /// gateway's exchanges, never by `setGatewayState` except to clear it when the broker is not "connected".
    public var sentThrough: Int64?
    public init(broker: BrokerState, since: Int64, lastAckAt: Int64?, lastError: String?, protocolName: String?, pid: Int32?,
                updatedAt: Int64, sentThrough: Int64? = nil) {
        self.sentThrough = sentThrough
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
                      (SELECT count(*) FROM reports WHERE state <> \(State.deadLetter.sql)),
                      (SELECT count(*) FROM reports WHERE state = \(State.inFlight.sql)),
                      (SELECT stored_at FROM reports WHERE state <> \(State.deadLetter.sql) ORDER BY seq LIMIT 1),
                      (SELECT count(*) FROM reports WHERE state = \(State.deadLetter.sql)),
                      (SELECT count(*) FROM reports WHERE state = \(State.awaitingReceipt.sql))
                    """)
                defer { s.reset() }
                _ = try s.step()
                var codes: [Int: Int] = [:]
                let c = try db.statement("SELECT dead_code, count(*) FROM reports WHERE state = \(State.deadLetter.sql) GROUP BY dead_code")
                defer { c.reset() }
                while try c.step() { codes[Int(c.int64(0))] = Int(c.int64(1)) }
                // In flight: what the connected gateway has taken and not yet written as delivered; plus rows an
                // earlier version marked in flight.
                var inFlight = Int(s.int64(1))
                if let g = gatewayState(), g.broker == .connected, g.isGatewayRunning, let through = g.sentThrough {
                    let f = try db.statement("SELECT count(*) FROM reports WHERE state = \(State.pending.sql) AND seq <= ?")
                    defer { f.reset() }
                    f.bind(1, through)
                    if try f.step() { inFlight += Int(f.int64(0)) }
                }
                return OutboxStats(pending: Int(s.int64(0)), inFlight: inFlight,
                                   awaitingReceipt: Int(s.int64(4)),
                                   oldestPendingAt: s.isNull(2) ? nil : s.int64(2), deadLetters: Int(s.int64(3)),
                                   nextSeq: Int64(try meta("next_seq") ?? "") ?? 1, deadLetterCodes: codes)
            }
        } catch {
            throw Self.mapError(error)
        }
    }

    public func gatewayState() -> GatewayState? {
        guard let s = try? db.statement("SELECT broker, since, last_ack_at, last_error, protocol, pid, updated_at, sent_through FROM gateway WHERE one = 1"),
              (try? s.step()) == true else { return nil }
        defer { s.reset() }
        // A word this version does not write (a newer one wrote it) reads as disconnected.
        return GatewayState(broker: s.string(0).flatMap(BrokerState.init(rawValue:)) ?? .disconnected, since: s.int64(1), lastAckAt: s.isNull(2) ? nil : s.int64(2),
                            lastError: s.string(3), protocolName: s.string(4), pid: s.isNull(5) ? nil : Int32(s.int64(5)),
                            updatedAt: s.int64(6), sentThrough: s.isNull(7) ? nil : s.int64(7))
    }

    /// Records the gateway's view of the broker. `lastAckAt` is kept when nil is given; `sentThrough` is kept
    /// while the broker stays "connected" and cleared otherwise (nothing is in flight without a connection).
    public func setGatewayState(_ g: GatewayState) throws(OutboxError) {
        try write { () throws(SQLiteError) in
            let s = try db.statement("""
                INSERT INTO gateway (one, broker, since, last_ack_at, last_error, protocol, pid, updated_at)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(one) DO UPDATE SET broker = excluded.broker, since = excluded.since,
                  last_ack_at = coalesce(excluded.last_ack_at, gateway.last_ack_at), last_error = excluded.last_error,
                  protocol = excluded.protocol, pid = excluded.pid, updated_at = excluded.updated_at,
                  sent_through = CASE WHEN excluded.broker = '\(BrokerState.connected.rawValue)' THEN gateway.sent_through END
                """)
            s.bind(1, g.broker.rawValue)
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

/// A row the delivery machine can send: all it needs to know of a stored report is its `seq`.
public protocol Deliverable {
    /// The report's per-kiosk sequence number (docs/CONTRACT.md §4.1): oldest first is lowest first.
    var seq: Int64 { get }
}

/// What the machine asks of the outbox in one exchange (the gateway runs at most one per loop turn).
///
/// The order inside it is: `awaitReceipt`, `deleteRanges` (only rows awaiting a receipt), `delete` (only pending
/// rows), `requeue`, then take up to `takeLimit`
/// pending rows after `takeAfter`, oldest first. Taking writes nothing: which rows are in flight is the machine's
/// memory (`takeAfter`), and every row not yet delivered is pending again when the gateway starts. So an exchange
/// that only takes needs no write transaction, and the machine writes acknowledged rows in batches
/// (`DeliveryMachine.Settings.flushDelay`, `flushLimit`).
public struct OutboxWork: Sendable, Equatable {
    /// Rows whose PUBACK said success (receipts off): delivered, delete them.
    public var delete: [Int64] = []
    /// Seqs a collector's receipt names that await a receipt (receipts on): the centre has committed them,
    /// delete them. The outbox deletes only rows awaiting a receipt, whatever a range says.
    public var deleteRanges: [ClosedRange<Int64>] = []
    /// Rows whose PUBACK said success (receipts on): the broker has them, the centre may not; keep them as
    /// "sent, awaiting receipt".
    public var awaitReceipt: [Int64] = []
    /// Rows that waited too long for a receipt: back to pending, to be sent again with the same `id` and `seq`.
    public var requeue: [Int64] = []
    /// Take pending rows with a seq above this one…
    public var takeAfter: Int64 = 0
    /// …at most this many (0: take nothing).
    public var takeLimit: Int = 0

    public init(delete: [Int64] = [], deleteRanges: [ClosedRange<Int64>] = [], awaitReceipt: [Int64] = [],
                requeue: [Int64] = [], takeAfter: Int64 = 0, takeLimit: Int = 0) {
        self.delete = delete
        self.deleteRanges = deleteRanges
        self.awaitReceipt = awaitReceipt
        self.requeue = requeue
        self.takeAfter = takeAfter
        self.takeLimit = takeLimit
    }

    /// True when there is something to write (the exchange needs a write transaction).
    public var hasWrites: Bool {
        !delete.isEmpty || !deleteRanges.isEmpty || !awaitReceipt.isEmpty || !requeue.isEmpty
    }

    /// True when there is nothing to write and nothing to take.
    public var isEmpty: Bool { !hasWrites && takeLimit == 0 }
}

/// What happens to the delivery: the link, the broker's and the collector's answers, the outbox's, and time.
public enum DeliveryEvent<Row: Deliverable> {
    /// Connected; `window` is how many reports may be in flight at once (the configured window, at most the
    /// broker's Receive Maximum).
    case linkUp(window: Int)
    /// The connection is gone. What was in flight has no PUBACK and will be sent again (the next connection
    /// takes from the oldest pending row again).
    case linkDown
    /// Sending `seq` failed at once (the client is not connected any more): take nothing until the next
    /// `linkUp`; the row stays in the outbox and is sent again after the reconnect.
    case publishFailed(seq: Int64)
    /// Another process stored reports (the outbox's `data_version` changed).
    case newReports
    /// A loop turn begins at monotonic time `now` (seconds): receipt deadlines are checked and the turn's
    /// outbox work is planned (answer the `.exchange` effect with `.exchanged` or `.exchangeFailed`).
    /// Acknowledged rows are written in batches: when a batch is full, when the oldest is `flushDelay` old,
    /// when nothing is in flight any more, and whenever the take could otherwise find them again.
    case turn(now: Double)
    /// Write every acknowledged row now and take nothing (before a reconnect, at the stop, before an exit).
    case flush(now: Double)
    /// The outbox ran the work of the last `.exchange` effect and took these rows (oldest first).
    case exchanged(taken: [Row])
    /// The outbox could not run it (disk full, busy, unusable): the work is kept and asked again next turn.
    case exchangeFailed
    /// The broker answered the publish of `seq`: PUBACK with this reason code (< 0x80 success).
    case puback(seq: Int64, reasonCode: Int32)
    /// A collector's receipt (receipts on): it has committed these seqs. Only the ones awaiting a receipt (this
    /// connection's or found at start) are deleted; any other seq in it is ignored, so a forged or buggy
    /// receipt cannot delete a report that was never sent or a dead letter.
    case receipt(seqs: [ClosedRange<Int64>], now: Double)
    /// A payload on the receipts topic that is not a receipt this kiosk takes (not valid, beyond the bounds of
    /// `DeliveryReceipt`, or for another kiosk): refused, nothing deleted; counted in `refusedReceipts`.
    case receiptRefused
    /// Rows found "sent, awaiting receipt" when the gateway started: wait for their receipts from now on.
    case awaitingAtStart(seqs: [Int64], now: Double)
    /// The gateway is stopping: take nothing more; what is in flight may still be acknowledged.
    case stop
}

/// What the machine wants done; the gateway does it (the machine itself does no I/O).
public enum DeliveryEffect<Row: Deliverable> {
    /// Run this work in one outbox transaction; answer with `.exchanged` or `.exchangeFailed`.
    case exchange(OutboxWork)
    /// Publish this report (QoS 1) and report its PUBACK as `.puback(seq:reasonCode:)`.
    case publish(Row)
    /// The broker refused this report for good (PUBACK 0x87 not authorized, 0x99 payload format invalid, …): move
    /// it to the dead letters with the code.
    case deadLetter(seq: Int64, reasonCode: Int32)
    /// The broker refused this report for now (0x80 unspecified error, 0x97 quota exceeded): it goes back to the
    /// queue and nothing is sent for `retryIn` seconds (doubling up to a minute while it lasts).
    case refusedForNow(seq: Int64, reasonCode: Int32, retryIn: Double)
    /// The counts others see (pending, awaiting a receipt, dead letters) changed: refresh the status.
    case statusChanged
}

/// The gateway's delivery logic as a state machine: events in, effects out, no I/O. At least once, oldest
/// first, a window of reports in flight; a row leaves the outbox only on a successful PUBACK, or, with
/// receipts on, only on the collector's receipt, and is sent again (same `id` and `seq`) when no receipt came in
/// time.
///
/// ```swift
/// var machine = DeliveryMachine<Outbox.Pending>(settings: .init(receipts: nil))
/// for effect in machine.handle(.linkUp(window: 20)) { … }
/// for effect in machine.handle(.turn(now: t)) { … }   // → .exchange(work)
/// ```
public struct DeliveryMachine<Row: Deliverable> {
    /// How the machine behaves.
    public struct Settings: Sendable, Equatable {
        /// End-to-end receipts: nil when off (a successful PUBACK deletes the row).
        public struct Receipts: Sendable, Equatable {
            /// Seconds to wait for a receipt after the PUBACK before sending the report again.
            public var timeout: Double
            /// At most this many reports in flight and awaiting a receipt together: while the centre is away,
            /// the kiosk does not push its whole backlog into the broker again and again.
            public var limit: Int
            public init(timeout: Double, limit: Int = 1000) {
                self.timeout = timeout
                self.limit = max(1, limit)
            }
        }
        public var receipts: Receipts?
        /// Seconds an acknowledged row may wait before it is written (deleted, or marked awaiting a receipt), so
        /// that one write transaction carries the acks of several loop turns.
        public var flushDelay: Double
        /// At most this many acknowledged rows wait to be written. A crash (`kill -9`, power cut) sends again
        /// what was in flight and what was acknowledged but not yet written: at most `window + flushLimit`
        /// reports, each with its own `id` and `seq`, which the centre keeps once. Only a backlog drain comes
        /// near that; a report on its own is written as soon as its PUBACK came (nothing else is in flight).
        public var flushLimit: Int
        /// The gateway's `flushLimit`: a write of 512 deletes costs about as much as one of 20 (the WAL frames
        /// of a few pages each), so a backlog drains at a fraction of the writes (docs/BENCHMARKS.md).
        public static var defaultFlushLimit: Int { 512 }

        public init(receipts: Receipts?, flushDelay: Double = 0.05, flushLimit: Int = Settings.defaultFlushLimit) {
            self.receipts = receipts
            self.flushDelay = max(0, flushDelay)
            self.flushLimit = max(1, flushLimit)
        }
    }

    public let settings: Settings

    private var connected = false
    private var stopping = false
    private var broken = false
    private var window = 1
    /// Published, no PUBACK yet.
    private var inFlight: Set<Int64> = []
    /// PUBACKed, waiting for the collector's receipt until the deadline (monotonic seconds).
    private var awaiting: [Int64: Double] = [:]
    /// In flight and already named by a receipt (a resend whose first copy reached the centre): deleted once its
    /// PUBACK makes it a row awaiting a receipt.
    private var receiptedInFlight: Set<Int64> = []
    /// The highest seq taken on this connection: the next take starts above it.
    private var lastTaken: Int64 = 0
    /// False after a take came back short: nothing more until someone stores (or a row is requeued).
    private var mayHaveMore = true
    /// Acknowledged rows not yet written (and receipt timeouts not yet requeued), kept until an exchange that
    /// carries them succeeded.
    private var unwritten = OutboxWork()
    /// When the oldest of `unwritten` came (monotonic seconds); nil when there is none.
    private var unwrittenSince: Double?
    /// The highest seq in `unwritten`: a take starting below it must write `unwritten` first.
    private var unwrittenHighest: Int64 = 0
    /// The exchange asked for and not answered yet: how many of each list of `unwritten` it carries, and how
    /// many rows it takes.
    private var outstanding: (delete: Int, ranges: Int, await: Int, requeue: Int, take: Int)?
    /// After a refusal for now: take nothing before this time; the pause doubles while refusals go on.
    private var pausedUntil: Double?
    private var pause = 0.0

    public init(settings: Settings) { self.settings = settings }

    /// Reports published and not yet acknowledged by the broker.
    public var inFlightCount: Int { inFlight.count }
    /// Reports acknowledged by the broker and waiting for the collector's receipt.
    public var awaitingCount: Int { awaiting.count }
    /// Receipts refused since the gateway started (`.receiptRefused`): a forged or broken sender on the receipts
    /// topic, for the log and the status to name.
    public private(set) var refusedReceipts = 0
    /// The earliest receipt deadline, end of a pause after a refusal for now, or time to write the acknowledged
    /// rows (monotonic seconds), for the loop's poll timeout; nil when none.
    public var nextDeadline: Double? {
        var first = awaiting.isEmpty ? nil : awaiting.values.min()
        if let t = pausedUntil { first = min(first ?? t, t) }
        if let since = unwrittenSince { first = min(first ?? since + settings.flushDelay, since + settings.flushDelay) }
        return first
    }

    /// PUBACK reason codes that say "not now" rather than "never": sent again after a pause.
    public static func isTemporary(reasonCode: Int32) -> Bool { reasonCode == 0x80 || reasonCode == 0x97 }
    /// True when acknowledged rows still wait to be deleted or marked (`.flush` writes them).
    public var hasUnwrittenAcks: Bool { unwritten.hasWrites }
    /// How many acknowledged rows wait to be written.
    public var unwrittenCount: Int {
        unwritten.delete.count + unwritten.awaitReceipt.count + unwritten.requeue.count
            + unwritten.deleteRanges.reduce(0) { $0 + $1.count }
    }

    /// Feeds one event; returns what to do, in order.
    public mutating func handle(_ event: DeliveryEvent<Row>) -> [DeliveryEffect<Row>] {
        switch event {
        case .linkUp(let w):
            connected = true
            broken = false
            window = max(1, w)
            inFlight.removeAll()
            receiptedInFlight.removeAll()
            lastTaken = 0
            mayHaveMore = true
            return []
        case .linkDown:
            connected = false
            inFlight.removeAll()
            receiptedInFlight.removeAll()
            return []
        case .publishFailed:
            broken = true
            return []
        case .newReports:
            mayHaveMore = true
            return [.statusChanged]
        case .turn(let now):
            return turn(now: now, flushAll: false)
        case .flush(let now):
            return turn(now: now, flushAll: true)
        case .exchanged(let rows):
            guard let done = outstanding else { return [] }
            outstanding = nil
            // What this exchange wrote is written; acks that came meanwhile stay for the next one.
            unwritten.delete.removeFirst(done.delete)
            unwritten.deleteRanges.removeFirst(done.ranges)
            unwritten.awaitReceipt.removeFirst(done.await)
            unwritten.requeue.removeFirst(done.requeue)
            if !unwritten.hasWrites { unwrittenSince = nil; unwrittenHighest = 0 }
            if rows.count < done.take { mayHaveMore = false }
            // Any change of a row's state changes the counts others see (pending, awaiting a receipt).
            var effects: [DeliveryEffect<Row>] = done.delete + done.ranges + done.await + done.requeue > 0 ? [.statusChanged] : []
            guard connected && !broken && !stopping else { return effects }
            effects.reserveCapacity(effects.count + rows.count)
            for row in rows {
                lastTaken = max(lastTaken, row.seq)
                // A take that started lower (after a refusal for now, or a requeue) finds rows still in flight:
                // they are pending in the table until their PUBACK is written. Sent once is enough.
                guard inFlight.insert(row.seq).inserted else { continue }
                effects.append(.publish(row))
            }
            return effects
        case .exchangeFailed:
            outstanding = nil
            return []
        case .puback(let seq, let code):
            guard inFlight.remove(seq) != nil else { return [] }
            let receipted = receiptedInFlight.remove(seq) != nil
            if code >= 0x80 && Self.isTemporary(reasonCode: code) {
                // The row is still pending in the outbox: the next take (from below it) sends it again.
                pause = min(60, max(1, pause * 2))
                pausedUntil = lastNow + pause
                lastTaken = min(lastTaken, seq - 1)
                mayHaveMore = true
                return [.refusedForNow(seq: seq, reasonCode: code, retryIn: pause)]
            }
            if code >= 0x80 { return [.deadLetter(seq: seq, reasonCode: code), .statusChanged] }
            pause = 0
            if let receipts = settings.receipts {
                unwritten.awaitReceipt.append(seq)
                if receipted {
                    unwritten.deleteRanges.append(seq...seq)   // after the mark, in the same exchange
                } else {
                    awaiting[seq] = lastNow + receipts.timeout
                }
            } else {
                unwritten.delete.append(seq)
            }
            noteUnwritten(highest: seq)
            return []
        case .receipt(let ranges, let now):
            lastNow = now
            // What the receipt names and awaits one: the work is bounded by what awaits and what is in flight,
            // whatever the ranges. A seq still in flight (a resend) is deleted once its PUBACK came.
            receiptedInFlight.formUnion(Self.seqs(of: inFlight, where: inFlight.contains, in: ranges))
            let hits = Self.seqs(of: awaiting.keys, where: { awaiting[$0] != nil }, in: ranges)
            guard !hits.isEmpty else { return [] }
            for s in hits { awaiting[s] = nil }
            // In runs (one delete statement each); an exchange asked for may carry the ranges already there.
            var runs: [ClosedRange<Int64>] = []
            for s in hits {
                if let last = runs.last, s == last.upperBound + 1 { runs[runs.count - 1] = last.lowerBound...s } else { runs.append(s...s) }
            }
            unwritten.deleteRanges.append(contentsOf: runs)
            noteUnwritten(highest: hits.last!)
            // A receipted seq may also sit in the queue to be marked "awaiting": that mark comes first in the
            // transaction, so the delete finds it. Nothing more to do.
            return []
        case .receiptRefused:
            refusedReceipts += 1
            return []
        case .awaitingAtStart(let seqs, let now):
            lastNow = now
            guard let receipts = settings.receipts else { return [] }
            for s in seqs { awaiting[s] = now + receipts.timeout }
            return []
        case .stop:
            stopping = true
            return []
        }
    }

    /// The seqs of `keys` (`isKey` tells one) that lie in one of `ranges` (any order, overlapping or not),
    /// ascending. The cost is that of the smaller: the seqs the ranges name, or the keys.
    static func seqs(of keys: some Collection<Int64>, where isKey: (Int64) -> Bool,
                     in ranges: [ClosedRange<Int64>]) -> [Int64] {
        guard !keys.isEmpty, !ranges.isEmpty else { return [] }
        var named = 0
        for r in ranges where named <= keys.count {
            let width = UInt64(bitPattern: r.upperBound &- r.lowerBound)   // exact: lowerBound ≤ upperBound
            named = width >= UInt64(keys.count) ? Int.max : named + Int(width) + 1
        }
        if named <= keys.count {
            return Array(Set(ranges.lazy.flatMap { $0 }.filter(isKey))).sorted()
        }
        let ordered = ranges.sorted { $0.lowerBound < $1.lowerBound }
        var hits: [Int64] = []
        var r = 0
        var reach = Int64.min   // the highest upper bound of the ranges that begin at or below the seq
        for s in keys.sorted() {
            while r < ordered.count && ordered[r].lowerBound <= s { reach = max(reach, ordered[r].upperBound); r += 1 }
            if s <= reach { hits.append(s) }
        }
        return hits
    }

    /// The last `now` seen: PUBACKs carry no time, their receipt deadline counts from the turn they arrive in.
    private var lastNow = 0.0

    private mutating func noteUnwritten(highest: Int64) {
        if unwrittenSince == nil { unwrittenSince = lastNow }
        unwrittenHighest = max(unwrittenHighest, highest)
    }

    private mutating func turn(now: Double, flushAll: Bool) -> [DeliveryEffect<Row>] {
        lastNow = now
        if let until = pausedUntil, now >= until { pausedUntil = nil }
        var effects: [DeliveryEffect<Row>] = []
        if settings.receipts != nil, let first = awaiting.values.min(), first <= now {
            let late = awaiting.filter { $0.value <= now }.map(\.key).sorted()
            for s in late { awaiting[s] = nil }
            unwritten.requeue.append(contentsOf: late)
            noteUnwritten(highest: late.last!)
            // Requeued rows are older than what this connection took: start the next take below them.
            if let lowest = late.first { lastTaken = min(lastTaken, lowest - 1) }
            mayHaveMore = true
            effects.append(.statusChanged)
        }
        guard outstanding == nil else { return effects }
        var work = OutboxWork(takeAfter: lastTaken, takeLimit: flushAll ? 0 : room)
        if unwritten.hasWrites && (flushAll || shouldWrite(now: now, take: work)) {
            work.delete = unwritten.delete
            work.deleteRanges = unwritten.deleteRanges
            work.awaitReceipt = unwritten.awaitReceipt
            work.requeue = unwritten.requeue
        }
        guard !work.isEmpty else { return effects }
        outstanding = (work.delete.count, work.deleteRanges.count, work.awaitReceipt.count, work.requeue.count, work.takeLimit)
        effects.append(.exchange(work))
        return effects
    }

    /// Whether this turn's exchange writes the acknowledged rows, or leaves them for a later one.
    private func shouldWrite(now: Double, take: OutboxWork) -> Bool {
        // Nothing to gain by waiting: no connection, or stopping.
        if !connected || broken || stopping { return true }
        // Nothing in flight: the backlog is drained (or one report went out), its rows leave at once.
        if inFlight.isEmpty { return true }
        // A full batch, or the oldest waited long enough.
        if unwrittenCount >= settings.flushLimit { return true }
        if let since = unwrittenSince, now - since >= settings.flushDelay { return true }
        // Requeued rows must be pending again before a take can find them; and a take starting below an
        // acknowledged row would find it again (after a refusal for now, or a requeue).
        if !unwritten.requeue.isEmpty { return true }
        return take.takeLimit > 0 && take.takeAfter < unwrittenHighest
    }

    /// How many rows the next take may bring.
    private var room: Int {
        guard connected && !broken && !stopping && mayHaveMore && pausedUntil == nil else { return 0 }
        var r = window - inFlight.count
        if let receipts = settings.receipts { r = min(r, receipts.limit - inFlight.count - awaiting.count) }
        return max(0, r)
    }
}

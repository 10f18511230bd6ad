import Delivery
import Testing

struct Row: Deliverable, Equatable {
    var seq: Int64
}

/// Drives a machine as the gateway would, recording what it asks for.
struct Driver {
    var machine: DeliveryMachine<Row>
    /// What the outbox holds: seq → state. A row taken stays
    /// pending: which rows are in flight is the machine's memory.
    var outbox: [Int64: OutboxRowState] = [:]
    var published: [Int64] = []
    /// Published on this connection and not yet acknowledged (by `ackAll`).
    var unacked: [Int64] = []
    /// The exchanges asked for, and how many of them wrote something.
    var exchanges = 0
    var writes = 0
    var deleted: [Int64] = []
    /// The receipt ranges the outbox was asked to delete.
    var receiptRanges: [ClosedRange<Int64>] = []
    var dead: [Int64] = []
    var statusChanges = 0
    var failNextExchange = false

    init(receipts: DeliveryMachine<Row>.Settings.Receipts? = nil, stored: ClosedRange<Int64>? = nil,
         flushDelay: Double = 0.05, flushLimit: Int = 512) {
        machine = DeliveryMachine(settings: .init(receipts: receipts, flushDelay: flushDelay, flushLimit: flushLimit))
        if let stored { for s in stored { outbox[s] = .pending } }
    }

    mutating func send(_ event: DeliveryEvent<Row>) {
        if case .linkDown = event { unacked.removeAll() }
        if case .puback(let seq, _) = event { unacked.removeAll { $0 == seq } }
        for effect in machine.handle(event) { perform(effect) }
    }

    mutating func perform(_ effect: DeliveryEffect<Row>) {
        switch effect {
        case .exchange(let work):
            if failNextExchange {
                failNextExchange = false
                send(.exchangeFailed)
                return
            }
            exchanges += 1
            if work.hasWrites { writes += 1 }
            // In the outbox's order, with its state filters: a receipt deletes only rows awaiting one, a
            // PUBACK only pending rows.
            for s in work.awaitReceipt where outbox[s] == .pending { outbox[s] = .awaitingReceipt }
            receiptRanges += work.deleteRanges
            for r in work.deleteRanges {
                for (s, state) in outbox where r.contains(s) && state == .awaitingReceipt { outbox[s] = nil; deleted.append(s) }
            }
            for s in work.delete where outbox[s] == .pending { outbox[s] = nil; deleted.append(s) }
            for s in work.requeue where outbox[s] == .awaitingReceipt { outbox[s] = .pending }
            let taken = outbox.filter { $0.value == .pending && $0.key > work.takeAfter }.map(\.key).sorted().prefix(work.takeLimit)
            send(.exchanged(taken: taken.map(Row.init)))
        case .publish(let row): published.append(row.seq); unacked.append(row.seq)
        case .deadLetter(let seq, _): dead.append(seq); outbox[seq] = .deadLetter
        case .refusedForNow: break
        case .statusChanged: statusChanges += 1
        }
    }

    /// Acknowledges everything published so far that is still in flight.
    mutating func ackAll(code: Int32 = 0) {
        for s in unacked { send(.puback(seq: s, reasonCode: code)) }
    }

    func state(_ s: OutboxRowState) -> [Int64] { outbox.filter { $0.value == s }.map(\.key).sorted() }
}

@Suite("DeliveryMachine: events in, effects out, no broker")
struct DeliveryMachineTests {
    @Test("Nothing is taken while the link is down; acks are written even then")
    func nothingWhileDown() {
        var d = Driver(stored: 1...5)
        d.send(.turn(now: 0))
        #expect(d.published.isEmpty)
        #expect(d.state(.pending) == [1, 2, 3, 4, 5])
    }

    @Test("A window of reports goes out oldest first; a PUBACK deletes; the next take starts above the last")
    func windowAndOrder() {
        var d = Driver(stored: 1...10)
        d.send(.linkUp(window: 4))
        d.send(.turn(now: 0))
        #expect(d.published == [1, 2, 3, 4])
        d.send(.turn(now: 0))
        #expect(d.published == [1, 2, 3, 4], "the window is full")
        d.send(.puback(seq: 1, reasonCode: 0))
        d.send(.puback(seq: 2, reasonCode: 0x10))  // no matching subscribers is still success
        d.send(.turn(now: 0))
        #expect(d.published == [1, 2, 3, 4, 5, 6])
        #expect(d.machine.inFlightCount == 4)
        #expect(d.deleted.isEmpty, "the deletes wait for a batch")
        d.send(.turn(now: 0.05))
        #expect(d.deleted == [1, 2])
    }

    @Test("A refusal (PUBACK >= 0x80) makes a dead letter, never a retry")
    func refusal() {
        var d = Driver(stored: 1...2)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.send(.puback(seq: 1, reasonCode: 0x87))
        d.send(.puback(seq: 2, reasonCode: 0))
        d.send(.turn(now: 0))
        #expect(d.dead == [1])
        #expect(d.deleted == [2])
        #expect(d.published == [1, 2])
    }

    @Test("A lost link forgets what was in flight; a late PUBACK from the old connection deletes nothing")
    func linkLoss() {
        var d = Driver(stored: 1...3)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.send(.linkDown)
        d.send(.puback(seq: 1, reasonCode: 0))
        d.send(.turn(now: 0))
        #expect(d.deleted.isEmpty)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 1))
        #expect(d.published == [1, 2, 3, 1, 2, 3], "sent again, same seqs, in order")
    }

    @Test("A failed outbox transaction keeps the acks for the next turn")
    func exchangeFailure() {
        var d = Driver(stored: 1...2)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.ackAll()
        d.failNextExchange = true
        d.send(.turn(now: 0))
        #expect(d.deleted.isEmpty)
        #expect(d.machine.hasUnwrittenAcks)
        d.send(.turn(now: 0))
        #expect(d.deleted == [1, 2])
        #expect(!d.machine.hasUnwrittenAcks)
    }

    @Test("After a short take nothing is asked until new reports are stored")
    func noBusyTakes() {
        var d = Driver(stored: 1...2)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.ackAll()
        d.send(.turn(now: 0))
        var asked = 0
        for effect in d.machine.handle(.turn(now: 0)) { if case .exchange = effect { asked += 1 } }
        #expect(asked == 0)
        d.outbox[3] = .pending
        d.send(.newReports)
        d.send(.turn(now: 0))
        #expect(d.published == [1, 2, 3])
    }

    @Test("publishFailed stops taking until the next connection")
    func publishFailure() {
        var d = Driver(stored: 1...5)
        d.send(.linkUp(window: 2))
        d.send(.turn(now: 0))
        d.send(.publishFailed(seq: 2))
        d.send(.puback(seq: 1, reasonCode: 0))
        d.send(.turn(now: 0))
        #expect(d.published == [1, 2])
        #expect(d.deleted == [1])
    }

    @Test("The stop takes nothing more but still writes the acks")
    func stop() {
        var d = Driver(stored: 1...5)
        d.send(.linkUp(window: 2))
        d.send(.turn(now: 0))
        d.send(.stop)
        d.ackAll()
        d.send(.turn(now: 0))
        #expect(d.deleted == [1, 2])
        #expect(d.published == [1, 2])
    }

    // MARK: Receipts

    @Test("With receipts, a PUBACK keeps the row awaiting; the receipt deletes it")
    func receiptDeletes() {
        var d = Driver(receipts: .init(timeout: 60), stored: 1...4)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.ackAll()
        d.send(.turn(now: 1))
        #expect(d.deleted.isEmpty)
        #expect(d.state(.awaitingReceipt) == [1, 2, 3, 4])
        #expect(d.machine.awaitingCount == 4)
        d.send(.receipt(seqs: [1...2, 4...4], now: 2))
        d.send(.turn(now: 2))
        #expect(d.deleted.sorted() == [1, 2, 4])
        #expect(d.state(.awaitingReceipt) == [3])
        #expect(d.machine.awaitingCount == 1)
    }

    @Test("No receipt in time: the row is sent again with the same seq, before newer ones")
    func receiptTimeout() {
        var d = Driver(receipts: .init(timeout: 60), stored: 1...3)
        d.send(.linkUp(window: 2))
        d.send(.turn(now: 0))
        d.ackAll()                       // 1, 2 awaiting from t=0
        d.send(.turn(now: 0))            // 3 goes out
        d.ackAll()
        d.send(.turn(now: 30))
        #expect(d.published == [1, 2, 3])
        #expect(d.machine.nextDeadline == 60)
        d.send(.turn(now: 61))
        #expect(d.published == [1, 2, 3, 1, 2], "all three timed out; the oldest go out again first, a window of 2")
        d.send(.puback(seq: 1, reasonCode: 0))
        d.send(.turn(now: 61))
        #expect(d.published == [1, 2, 3, 1, 2, 3])
        d.send(.receipt(seqs: [1...3], now: 62))
        d.send(.turn(now: 63))
        #expect(d.state(.pending) == [2, 3], "resends in flight: deleted once their PUBACK came, not before")
        #expect(d.machine.inFlightCount == 2 && d.machine.awaitingCount == 0)
        d.ackAll()
        d.send(.turn(now: 64))
        #expect(d.outbox.isEmpty)
        #expect(d.machine.inFlightCount == 0 && d.machine.awaitingCount == 0)
        #expect(d.machine.nextDeadline == nil, "nothing waits for a second receipt")
    }

    @Test("A receipt for a seq that does not await one deletes nothing: a row never sent stays")
    func receiptForUnknown() {
        var d = Driver(receipts: .init(timeout: 60), stored: 1...3)
        d.send(.receipt(seqs: [2...2], now: 0))
        d.send(.turn(now: 0))
        #expect(d.state(.pending) == [1, 2, 3])
        #expect(d.receiptRanges.isEmpty)
    }

    @Test("A forged receipt naming every seq deletes only what awaits a receipt; what is in flight stays in flight (issue 22, attack 4)")
    func forgedReceipt() {
        var d = Driver(receipts: .init(timeout: 60), stored: 1...6)
        d.send(.linkUp(window: 2))
        d.send(.turn(now: 0))            // 1, 2 go out
        d.ackAll()
        d.send(.turn(now: 0))            // 1, 2 awaiting; 3, 4 go out
        #expect(d.published == [1, 2, 3, 4])
        d.outbox[6] = .deadLetter
        d.send(.receipt(seqs: [1...Int64.max], now: 1))
        d.send(.turn(now: 2))
        #expect(d.receiptRanges == [1...2], "the outbox is asked to delete only the seqs that await a receipt")
        #expect(d.deleted.sorted() == [1, 2])
        #expect(d.machine.inFlightCount == 2, "3 and 4 still wait for their PUBACK")
        #expect(d.state(.pending) == [3, 4, 5])
        #expect(d.state(.deadLetter) == [6])
    }

    @Test("A refused receipt is counted and deletes nothing")
    func refusedReceiptIsCounted() {
        var d = Driver(receipts: .init(timeout: 60), stored: 1...2)
        d.send(.linkUp(window: 2))
        d.send(.turn(now: 0))
        d.ackAll()
        d.send(.receiptRefused)
        d.send(.receiptRefused)
        d.send(.turn(now: 1))
        #expect(d.machine.refusedReceipts == 2)
        #expect(d.state(.awaitingReceipt) == [1, 2])
    }

    @Test("Receipts with huge or overlapping ranges cost no more than what awaits, and crash nothing")
    func hugeReceiptRanges() {
        var d = Driver(receipts: .init(timeout: 60), stored: 1...3)
        d.send(.linkUp(window: 1))
        d.send(.turn(now: 0))
        d.ackAll()
        d.send(.receipt(seqs: [1...Int64.max, 1...Int64.max, Int64.max...Int64.max], now: 0))
        #expect(d.machine.unwrittenCount <= 2)
        d.send(.turn(now: 1))
        #expect(d.state(.pending) == [2, 3])
        d.send(.receipt(seqs: [Int64.min...Int64.max, 2...2], now: 1))
        #expect(d.machine.unwrittenCount == 0)
        d.send(.turn(now: 2))
        #expect(d.receiptRanges == [1...1])
        #expect(d.state(.pending) == [2, 3])
    }

    @Test("Rows awaiting at start get a full timeout, then go out again")
    func awaitingAtStart() {
        var d = Driver(receipts: .init(timeout: 10), stored: 1...2)
        d.outbox[1] = .awaitingReceipt
        d.outbox[2] = .awaitingReceipt
        d.send(.awaitingAtStart(seqs: [1, 2], now: 100))
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 105))
        #expect(d.published.isEmpty)
        d.send(.turn(now: 111))
        #expect(d.published == [1, 2])
    }

    @Test("The receipt limit holds back the backlog while the centre is away")
    func receiptLimit() {
        var d = Driver(receipts: .init(timeout: 60, limit: 5), stored: 1...20)
        d.send(.linkUp(window: 3))
        d.send(.turn(now: 0))
        d.ackAll()
        d.send(.turn(now: 0))
        d.ackAll()
        d.send(.turn(now: 0))
        #expect(d.published == [1, 2, 3, 4, 5])
        #expect(d.machine.awaitingCount == 5)
        d.send(.receipt(seqs: [1...5], now: 1))
        d.send(.turn(now: 1))
        #expect(d.published == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test("Invalid receipt ranges (seq below 1) are ignored")
    func invalidReceipt() {
        var d = Driver(receipts: .init(timeout: 60), stored: 1...2)
        d.send(.receipt(seqs: [-5...0], now: 0))
        d.send(.turn(now: 0))
        #expect(d.state(.pending) == [1, 2])
    }
}

@Suite("DeliveryMachine: refusals for now are retried with a pause, refusals for good are dead letters")
struct RefusalTests {
    @Test func quotaExceededIsRetriedAfterAPauseThatDoubles() {
        var d = Driver(stored: 1...3)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        #expect(d.published == [1, 2, 3])
        d.send(.puback(seq: 1, reasonCode: 0x97))
        d.send(.puback(seq: 2, reasonCode: 0))
        d.send(.puback(seq: 3, reasonCode: 0x97))
        d.send(.turn(now: 0.1))
        #expect(d.dead.isEmpty, "0x97 is not a dead letter")
        #expect(d.deleted == [2])
        #expect(d.state(.pending) == [1, 3], "back in the queue")
        #expect(d.machine.nextDeadline != nil)
        d.send(.turn(now: 0.5))
        #expect(d.published == [1, 2, 3], "paused")
        d.send(.turn(now: 3))
        #expect(d.published == [1, 2, 3, 1, 3], "sent again, oldest first, same seqs")
        d.ackAll()
        d.send(.turn(now: 3.1))
        #expect(d.outbox.isEmpty)
    }

    @Test func unspecifiedErrorIsTemporaryNotAuthorizedIsPermanent() {
        #expect(DeliveryMachine<Row>.isTemporary(reasonCode: 0x80))
        #expect(DeliveryMachine<Row>.isTemporary(reasonCode: 0x97))
        for code: Int32 in [0x87, 0x99, 0x90, 0x83] { #expect(!DeliveryMachine<Row>.isTemporary(reasonCode: code)) }
        var d = Driver(stored: 1...2)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.send(.puback(seq: 1, reasonCode: 0x99))
        d.send(.puback(seq: 2, reasonCode: 0x80))
        d.send(.turn(now: 0))
        #expect(d.dead == [1])
        #expect(d.state(.pending) == [2])
    }
}

@Suite("DeliveryMachine: acknowledged rows are written in batches, taking writes nothing")
struct BatchingTests {
    @Test("Taking alone is an exchange without writes; acks wait for a full batch (flushLimit), not a window")
    func aBatchOfAcks() {
        var d = Driver(stored: 1...20, flushDelay: 10, flushLimit: 6)
        d.send(.linkUp(window: 4))
        d.send(.turn(now: 0))
        #expect(d.published == [1, 2, 3, 4])
        #expect(d.writes == 0, "taking marks nothing")
        for s: Int64 in 1...3 { d.send(.puback(seq: s, reasonCode: 0)) }
        d.send(.turn(now: 0.01))
        #expect(d.deleted.isEmpty)
        #expect(d.published == Array(1...7), "the window is refilled on every turn all the same")
        for s: Int64 in 4...5 { d.send(.puback(seq: s, reasonCode: 0)) }
        d.send(.turn(now: 0.02))
        #expect(d.deleted.isEmpty, "more than a window's worth waits: the batch is not full")
        #expect(d.machine.unwrittenCount == 5)
        d.send(.puback(seq: 6, reasonCode: 0))
        d.send(.turn(now: 0.03))
        #expect(d.deleted == Array(1...6), "a full batch: one write")
        #expect(d.writes == 1)
        #expect(!d.machine.hasUnwrittenAcks)
    }

    @Test("The oldest ack waits at most flushDelay, and the loop is woken for it")
    func flushDelay() {
        var d = Driver(stored: 1...20)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 1))
        d.send(.puback(seq: 1, reasonCode: 0))
        #expect(d.machine.nextDeadline == 1.05)
        d.send(.turn(now: 1.04))
        #expect(d.deleted.isEmpty)
        d.send(.turn(now: 1.05))
        #expect(d.deleted == [1])
        #expect(d.machine.nextDeadline == nil)
    }

    @Test("With nothing in flight (the end of a drain, or a single report) the rows are written at once")
    func nothingInFlight() {
        var d = Driver(stored: 1...1, flushDelay: 10)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.send(.puback(seq: 1, reasonCode: 0))
        d.send(.turn(now: 0))
        #expect(d.deleted == [1])
    }

    @Test("flushLimit caps a batch below the window")
    func flushLimit() {
        var d = Driver(stored: 1...20, flushDelay: 10, flushLimit: 2)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.send(.puback(seq: 1, reasonCode: 0))
        d.send(.turn(now: 0))
        #expect(d.deleted.isEmpty)
        d.send(.puback(seq: 2, reasonCode: 0))
        d.send(.turn(now: 0))
        #expect(d.deleted == [1, 2])
    }

    @Test("A take that starts below an acknowledged row writes that row first (after a refusal for now)")
    func takeBelowAnAck() {
        var d = Driver(stored: 1...3, flushDelay: 10)
        d.send(.linkUp(window: 10))
        d.send(.turn(now: 0))
        d.send(.puback(seq: 1, reasonCode: 0x97))   // paused 1 s; the next take starts below 1
        d.send(.puback(seq: 2, reasonCode: 0))
        d.send(.turn(now: 0.5))
        #expect(d.deleted.isEmpty, "3 is still in flight, the batch is not full and not old")
        d.send(.turn(now: 1.5))
        #expect(d.deleted == [2], "written in the same exchange, before the take")
        #expect(d.published == [1, 2, 3, 1], "2 is not sent again, nor 3, still in flight")
    }

    @Test("A reconnect takes from the start: what was acknowledged is written first and never sent again")
    func reconnect() {
        var d = Driver(stored: 1...5, flushDelay: 10)
        d.send(.linkUp(window: 5))
        d.send(.turn(now: 0))
        d.send(.puback(seq: 1, reasonCode: 0))
        d.send(.puback(seq: 2, reasonCode: 0))
        d.send(.turn(now: 0))
        #expect(d.deleted.isEmpty)
        d.send(.linkDown)
        d.send(.linkUp(window: 5))
        d.send(.turn(now: 1))
        #expect(d.deleted == [1, 2])
        #expect(d.published == [1, 2, 3, 4, 5, 3, 4, 5])
    }

    @Test("flush writes every acknowledged row and takes nothing")
    func flushEvent() {
        var d = Driver(stored: 1...10, flushDelay: 10)
        d.send(.linkUp(window: 4))
        d.send(.turn(now: 0))
        d.send(.puback(seq: 1, reasonCode: 0))
        d.send(.flush(now: 0))
        #expect(d.deleted == [1])
        #expect(d.published == [1, 2, 3, 4])
        #expect(!d.machine.hasUnwrittenAcks)
    }

    @Test("Acks that arrive while an exchange is out are kept for the next one")
    func acksDuringAnExchange() {
        var m = DeliveryMachine<Row>(settings: .init(receipts: nil, flushDelay: 0))
        _ = m.handle(.linkUp(window: 3))
        _ = m.handle(.turn(now: 0))
        _ = m.handle(.exchanged(taken: [Row(seq: 1), Row(seq: 2), Row(seq: 3)]))
        _ = m.handle(.puback(seq: 1, reasonCode: 0))
        guard case .exchange(let work)? = m.handle(.turn(now: 1)).last else { Issue.record("no exchange"); return }
        #expect(work.delete == [1])
        _ = m.handle(.puback(seq: 2, reasonCode: 0))   // before the answer
        _ = m.handle(.exchanged(taken: []))
        #expect(m.hasUnwrittenAcks && m.unwrittenCount == 1)
        guard case .exchange(let next)? = m.handle(.turn(now: 2)).last else { Issue.record("no exchange"); return }
        #expect(next.delete == [2])
    }

    @Test("At any moment, what a crash would send again (in flight + acknowledged, not written) is under window + flushLimit")
    func crashBound() {
        var rng = SplitMix(seed: 7)
        for (window, limit) in [(1, 1), (3, 16), (10, 4), (10, 512)] {
            var d = Driver(stored: 1...300, flushDelay: 0.05, flushLimit: limit)
            d.send(.linkUp(window: window))
            var now = 0.0, most = 0
            for _ in 0..<2000 {
                now += Double(rng.next() % 20) / 1000
                d.send(.turn(now: now))
                // Some of what is in flight is acknowledged, in order, before the next turn.
                let n = Int(rng.next() % UInt64(d.unacked.count + 1))
                for s in d.unacked.prefix(n) { d.send(.puback(seq: s, reasonCode: 0)) }
                let exposed = d.machine.inFlightCount + d.machine.unwrittenCount
                #expect(exposed < window + limit, "window \(window), flushLimit \(limit)")
                most = max(most, exposed)
                if d.outbox.isEmpty { break }
            }
            #expect(most >= window, "window \(window), flushLimit \(limit): the bound was approached (\(most))")
            d.send(.turn(now: now + 1))
            d.ackAll()
            d.send(.turn(now: now + 2))
            #expect(d.outbox.isEmpty, "window \(window): everything delivered")
            #expect(d.published == Array(1...300), "window \(window): each once, in order")
        }
    }
}

/// A small deterministic generator for the tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

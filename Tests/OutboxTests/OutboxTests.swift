import Foundation
import Glibc
import Testing
import TestSupport
import Delivery
@testable import Outbox
import ReportModel

let identity = Outbox.Identity(kiosk: "test-kiosk-1", site: "Testgården", defaultEvent: nil)

func draft(_ n: Int) -> ValidDraft {
    try! ReportDraft(category: .unsafePlace, place: "Centrum", occurred: .now, text: "rapport \(n)", language: "sv").validated()
}

func open(_ dir: TempDir, maxPending: Int = 1_000_000, role: Outbox.Role = .store,
          log: @escaping (String) -> Void = { _ in }) throws -> Outbox {
    try Outbox.open(path: dir.file("outbox.sqlite"), identity: identity, maxPending: maxPending, role: role, log: log)
}

@Suite struct OutboxTests {
    @Test func seqSurvivesRestartAndDeletion() throws {
        let dir = TempDir()
        do {
            let o = try open(dir)
            let r = try o.store((0..<3).map(draft))
            #expect(r.map(\.seq) == [1, 2, 3])
            let taken = try o.takePending(after: 0, limit: 10)
            try o.markDelivered(taken.map(\.seq), at: 1)
            #expect(try o.stats().pending == 0)
        }
        let o = try open(dir)   // a new process would do the same
        #expect(try o.store([draft(9)]).map(\.seq) == [4])
    }

    @Test func seqIsNotReusedWhenTheFileIsReplaced() throws {
        let dir = TempDir()
        do {
            let o = try open(dir)
            try o.store((0..<5).map(draft))
        }
        for s in ["", "-wal", "-shm"] { unlink(dir.file("outbox.sqlite") + s) }
        let o = try open(dir)
        let seq = try #require(try o.store([draft(0)]).first?.seq)
        #expect(seq > 5, "a fresh file must start above every seq handed out before")
    }

    @Test func idsAreUniqueOver100kStores() throws {
        let dir = TempDir()
        let o = try open(dir)
        var ids = Set<String>()
        for batch in 0..<100 {
            for r in try o.store((0..<1000).map { draft(batch * 1000 + $0) }) {
                #expect(UUIDv7.isValid(r.id))
                ids.insert(r.id)
            }
        }
        #expect(ids.count == 100_000)
        #expect(try o.db.scalar("SELECT count(DISTINCT id) FROM reports") == 100_000)
        #expect(try o.db.scalar("SELECT max(seq) - min(seq) + 1 FROM reports") == 100_000)
    }

    @Test func payloadIsTheContractObjectWithSeqAndEvent() throws {
        let dir = TempDir()
        let o = try open(dir)
        try o.setEventLabel("Seniormässan 2026")
        let r = try #require(try o.store([draft(1)]).first)
        let row = try #require(try o.takePending(after: 0, limit: 1).first)
        let obj = try #require(jsonObject(row.payload))
        #expect(obj["id"] as? String == r.id)
        #expect(obj["seq"] as? Int == Int(r.seq))
        #expect(obj["kiosk"] as? String == "test-kiosk-1")
        #expect(obj["event"] as? String == "Seniormässan 2026")
        #expect(RFC3339.isValidDateOrDateTime(obj["submitted_at"] as? String ?? ""))
    }

    @Test func maxPendingRefusesAndKeepsEveryEarlierRow() throws {
        let dir = TempDir()
        let o = try open(dir, maxPending: 5)
        try o.store((0..<4).map(draft))
        #expect(throws: OutboxError.full(maxPending: 5, pending: 4)) { try o.store([draft(4), draft(5)]) }
        try o.store([draft(4)])
        #expect(throws: OutboxError.full(maxPending: 5, pending: 5)) { try o.store([draft(6)]) }
        let rows = try o.takePending(after: 0, limit: 100)
        #expect(rows.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(rows.map { jsonObject($0.payload)?["text"] as? String } == (0..<5).map { "rapport \($0)" })
        // Delivering one makes room for exactly one.
        try o.markDelivered([1], at: 1)
        #expect(try o.store([draft(7)]).map(\.seq) == [6])
        // Rows far apart (seq 2 … 6 span more than the limit only with the new one): counted, not refused.
        try o.markDelivered([3, 4, 5], at: 2)
        #expect(try o.store([draft(8), draft(9), draft(10)]).map(\.seq) == [7, 8, 9])
        #expect(throws: OutboxError.full(maxPending: 5, pending: 5)) { try o.store([draft(11)]) }
    }

    @Test("Delivered seqs are deleted as runs: exactly the seqs named, never a row between them")
    func deletesOnlyTheSeqsNamed() throws {
        #expect(DeliveryReceipt.ranges(of: []) == [])
        #expect(DeliveryReceipt.ranges(of: [7, 1, 2, 3, 8, 2]) == [1...3, 7...8])
        #expect(DeliveryReceipt.ranges(of: [5]) == [5...5])
        let dir = TempDir()
        let o = try open(dir)
        try o.store((0..<10).map(draft))
        // 4 still in flight, 6 a dead letter, 9 and 10 not yet sent.
        try o.markDead(seq: 6, reasonCode: 0x87, reason: "not authorized", at: 1)
        try o.markDelivered([3, 1, 2, 5, 7, 8], at: 2)
        #expect(try o.takePending(after: 0, limit: 10).map(\.seq) == [4, 9, 10])
        #expect(try o.stats().deadLetters == 1)
    }

    @Test("A receipt deletes only rows awaiting a receipt: never a pending row, never a dead letter (issue 22, attack 4)")
    func aForgedReceiptDeletesNothingUnsent() throws {
        let dir = TempDir()
        let o = try open(dir, role: .gateway)
        try o.store((0..<8).map(draft))
        // 1–3 sent and PUBACKed (awaiting the collector's receipt), 4 a dead letter, 5–8 never sent.
        _ = try o.exchange(OutboxWork(awaitReceipt: [1, 2, 3]), at: 1)
        try o.markDead(seq: 4, reasonCode: 0x87, reason: "not authorized", at: 1)
        #expect(try o.stats().awaitingReceipt == 3)
        // `{"seqs":[[1,9223372036854775807]]}` on the kiosk's receipt topic.
        _ = try o.exchange(OutboxWork(deleteRanges: [1...Int64.max]), at: 2)
        let s = try o.stats()
        #expect(s.awaitingReceipt == 0, "what awaited a receipt is gone: the centre may well have it")
        #expect(s.deadLetters == 1, "a dead letter is not the centre's to delete")
        #expect(try o.takePending(after: 0, limit: 10).map(\.seq) == [5, 6, 7, 8], "rows never sent stay")
        // A PUBACK (receipts off) deletes only a pending row, never a dead letter.
        _ = try o.exchange(OutboxWork(delete: [4, 5]), at: 3)
        #expect(try o.stats().deadLetters == 1)
        #expect(try o.takePending(after: 0, limit: 10).map(\.seq) == [6, 7, 8])
    }

    @Test("A receipt for a row whose PUBACK is written in the same exchange deletes it")
    func receiptInTheSameExchangeAsItsPuback() throws {
        let dir = TempDir()
        let o = try open(dir, role: .gateway)
        try o.store((0..<3).map(draft))
        _ = try o.exchange(OutboxWork(deleteRanges: [1...2], awaitReceipt: [1, 2]), at: 1)
        let s = try o.stats()
        #expect(s.awaitingReceipt == 0)
        #expect(s.pending == 1)
    }

    @Test("checkpointIfDue copies the WAL once every storesPerCheckpoint stores, and never in between")
    func checkpointEveryHundredStores() throws {
        let dir = TempDir()
        let o = try open(dir)
        var ran: [Int] = []
        for n in 1...(2 * Outbox.storesPerCheckpoint + 10) {
            try o.store([draft(n)])
            if o.checkpointIfDue() { ran.append(n) }
        }
        #expect(ran == [Outbox.storesPerCheckpoint, 2 * Outbox.storesPerCheckpoint])
        #expect(try o.stats().pending == 2 * Outbox.storesPerCheckpoint + 10)
    }

    @Test func deadLettersAreKeptAndCounted() throws {
        let dir = TempDir()
        let o = try open(dir)
        try o.store((0..<3).map(draft))
        let rows = try o.takePending(after: 0, limit: 3)
        try o.markDead(seq: rows[1].seq, reasonCode: 0x87, reason: "not authorized", at: 1)
        try o.markDelivered([rows[0].seq, rows[2].seq], at: 2)
        let s = try o.stats()
        #expect(s.pending == 0)
        #expect(s.deadLetters == 1)
        #expect(s.deadLetterCodes == [0x87: 1])
        #expect(try o.takePending(after: 0, limit: 10).isEmpty)
        #expect(try o.requeueDeadLetters() == 1)
        #expect(try o.takePending(after: 0, limit: 10).map(\.seq) == [2])
    }

    @Test func rowsAnEarlierVersionMarkedInFlightAreResent() throws {
        let dir = TempDir()
        do {
            let o = try open(dir)
            try o.store((0..<4).map(draft))
            #expect(try o.takePending(after: 0, limit: 2).map(\.seq) == [1, 2])
            #expect(try o.stats().inFlight == 0, "taking writes nothing")
            try o.db.execute("UPDATE reports SET state = \(OutboxRowState.inFlight.sql) WHERE seq <= 2")   // as a gateway before migration 3 did
            #expect(try o.stats().inFlight == 2)
        }
        let g = try open(dir, role: .gateway)
        #expect(try g.requeueInFlight() == 2)
        #expect(try g.takePending(after: 0, limit: 10).map(\.seq) == [1, 2, 3, 4])
    }

    @Test func inFlightIsWhatTheConnectedGatewayTookAndHasNotWrittenAsDelivered() throws {
        let dir = TempDir()
        let o = try open(dir, role: .gateway)
        try o.store((0..<6).map(draft))
        func state(_ broker: BrokerState, pid: Int32? = getpid()) throws {
            try o.setGatewayState(GatewayState(broker: broker, since: 1, lastAckAt: nil, lastError: nil, protocolName: nil,
                                               pid: pid, updatedAt: 1))
        }
        try state(.connected)
        #expect(try o.exchange(OutboxWork(takeAfter: 0, takeLimit: 3), at: 1).map(\.seq) == [1, 2, 3])
        #expect(try o.stats().inFlight == 0, "a take alone writes nothing")
        // The next write records how far the gateway has taken: 2 and 3 are in flight, 1 is delivered.
        #expect(try o.exchange(OutboxWork(delete: [1], takeAfter: 3, takeLimit: 1), at: 2).map(\.seq) == [4])
        var s = try o.stats()
        #expect(s.inFlight == 3 && s.pending == 5)
        #expect(o.gatewayState()?.sentThrough == 4)
        try state(.connected)   // another word while connected keeps it
        #expect(try o.stats().inFlight == 3)
        try state(.disconnected)
        s = try o.stats()
        #expect(s.inFlight == 0 && s.pending == 5, "nothing is in flight without a connection")
        #expect(o.gatewayState()?.sentThrough == nil)
        try state(.connected, pid: nil)
        _ = try o.exchange(OutboxWork(delete: [2], takeAfter: 4, takeLimit: 0), at: 3)
        #expect(try o.stats().inFlight == 0, "no running gateway, nothing in flight")
    }

    @Test(arguments: ["garbage", "truncated", "zeroed-header"])
    func damagedFileIsMovedAsideNeverDeleted(kind: String) throws {
        let dir = TempDir()
        let path = dir.file("outbox.sqlite")
        do {
            let o = try open(dir)
            try o.store((0..<2000).map(draft))   // several pages
            try o.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let damaged: Data
        switch kind {
        case "garbage": damaged = Data("this is not a database, it is a shopping list\n".utf8)
        case "truncated": damaged = original.prefix(original.count / 3)
        default: damaged = Data(repeating: 0, count: 100) + original.dropFirst(100)
        }
        try damaged.write(to: URL(fileURLWithPath: path))
        for s in ["-wal", "-shm"] { unlink(path + s) }
        var logged: [String] = []
        let o = try open(dir, log: { logged.append($0) })
        #expect(logged.count == 1)
        #expect(logged.first?.contains("moved it aside to") == true)
        let aside = try #require(o.recoveredFrom)
        #expect(FileManager.default.contents(atPath: aside) == damaged, "the damaged file is kept as it was")
        #expect(try o.stats().pending == 0)
        let seq = try #require(try o.store([draft(1)]).first?.seq)
        #expect(seq > 2000, "seq continues above what the damaged file held")
        // A later open of the fresh file still says what happened.
        let again = try open(dir)
        #expect(again.recoveredFrom == aside)
    }
}

@Suite struct PurgeTests {
    @Test("purge deletes damaged copies and dead letters older than the limit, and says so; newer ones stay")
    func purgeOldOnly() throws {
        let dir = TempDir("purge")
        let config = writeTestConfig(in: dir)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(3)).status == 0)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let old = dir.file("outbox.sqlite.corrupt-\(now - 40 * 86_400_000)")
        let recent = dir.file("outbox.sqlite.corrupt-\(now - 86_400_000)")
        for f in [old, old + "-wal", recent] { _ = FileManager.default.createFile(atPath: f, contents: Data("x".utf8)) }
        // Two dead letters: one refused 40 days ago, one yesterday.
        let db = dir.file("outbox.sqlite")
        let dead = OutboxRowState.deadLetter.sql
        _ = try runProcess("/usr/bin/sqlite3", [db, "UPDATE reports SET state = \(dead), dead_code = 135, dead_at = \(now - 40 * 86_400_000) WHERE seq = 1; UPDATE reports SET state = \(dead), dead_code = 135, dead_at = \(now - 86_400_000) WHERE seq = 2;"])
        let r = try tipskiosk(["purge", "--config", config])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("deleted 1 damaged copy and 1 dead letter(s) older than 30 days"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: old) && !FileManager.default.fileExists(atPath: old + "-wal"))
        #expect(FileManager.default.fileExists(atPath: recent))
        let s = try status(config)
        #expect(s["dead_letters"] as? Int == 1)
        #expect(s["pending"] as? Int == 1, "the undelivered report is never touched")
    }
}

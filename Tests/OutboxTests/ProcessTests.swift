import Foundation
import Glibc
import Testing
import TestSupport
@testable import Outbox
import ReportModel

/// Tests that use the real `tipskiosk` program as a second process.
@Suite(.serialized) struct OutboxProcessTests {
    @Test func submitStoresAndPrintsIdAndSeq() throws {
        let dir = TempDir()
        let config = writeTestConfig(in: dir)
        let r = try tipskiosk(["submit", "--config", config], input: submitLines(3))
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ") }
        #expect(lines.count == 3)
        #expect(lines.map { $0[1] } == ["1", "2", "3"])
        #expect(lines.allSatisfy { UUIDv7.isValid(String($0[0])) })
        let status = try tipskiosk(["status", "--json", "--config", config])
        let obj = try #require(jsonObject(status.stdout))
        #expect(obj["pending"] as? Int == 3)
        #expect(obj["dead_letters"] as? Int == 0)
        #expect(obj["broker"] is NSNull)
        #expect(obj["last_ack_at"] is NSNull)
        #expect(obj["oldest_pending_at"] is String)
    }

    @Test("status where no outbox exists yet says so, and creates neither the file nor its folder")
    func statusWithoutAnOutboxCreatesNothing() throws {
        let dir = TempDir()
        let config = writeTestConfig(in: dir)
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "path = \"outbox.sqlite\"", with: "path = \"spool/outbox.sqlite\"")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let human = try tipskiosk(["status", "--config", config])
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.contains("outbox:        none yet at \(dir.file("spool/outbox.sqlite"))"), "\(human.stdout)")
        #expect(human.stdout.contains("pending:       0"))
        let json = try tipskiosk(["status", "--json", "--config", config])
        let obj = try #require(jsonObject(json.stdout))
        #expect(obj["pending"] as? Int == 0 && obj["next_seq"] as? Int == 1 && obj["gateway_running"] as? Bool == false)
        #expect(access(dir.file("spool"), F_OK) != 0, "no folder made")
        // Once something is stored, status reads the outbox as before.
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(2)).status == 0)
        let after = try #require(jsonObject(try tipskiosk(["status", "--json", "--config", config]).stdout))
        #expect(after["pending"] as? Int == 2 && after["next_seq"] as? Int == 3)
    }

    @Test func aBadLineRejectsTheWholeBatch() throws {
        let dir = TempDir()
        let config = writeTestConfig(in: dir)
        var input = submitLines(5)
        input.append(Data(#"{"category":"drugs","place":"x","occurred":"soon","text":"t"}"#.utf8))
        let r = try tipskiosk(["submit", "--config", config], input: input)
        #expect(r.status == 65)
        #expect(r.stderr.contains("line 6: occurred: \"soon\" is not allowed here; nothing was stored"))
        #expect(r.stdout.isEmpty)
        let notJSON = try tipskiosk(["submit", "--config", config], input: Data("{\"category\":\n".utf8))
        #expect(notJSON.status == 65)
        #expect(notJSON.stderr.contains("line 1: not valid JSON"))
        let o = try Outbox.open(path: dir.file("outbox.sqlite"), identity: identity, maxPending: 10, role: .reader)
        #expect(try o.stats().pending == 0)
        #expect(try o.stats().nextSeq == 1, "a refused batch uses no seq")
    }

    @Test func submitRefusesWhenFull() throws {
        let dir = TempDir()
        let config = writeTestConfig(in: dir, maxPending: 3)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(2)).status == 0)
        let r = try tipskiosk(["submit", "--config", config], input: submitLines(2))
        #expect(r.status == 69)
        #expect(r.stderr.contains("the outbox is full: 2 reports wait for delivery (max_pending = 3); nothing was stored"))
    }

    @Test func storingWhileAnotherProcessDeletesLosesNothing() throws {
        let dir = TempDir()
        let config = writeTestConfig(in: dir)
        let o = try Outbox.open(path: dir.file("outbox.sqlite"), identity: identity, maxPending: 1_000_000, role: .gateway)
        // Writers: 4 processes at once, 20 batches of 50 each, while this process takes and deletes.
        let writers = 4, batches = 20, perBatch = 50
        let group = DispatchGroup()
        let failures = LockedCounter()
        for w in 0..<writers {
            group.enter()
            DispatchQueue.global().async {
                for b in 0..<batches {
                    let r = try? tipskiosk(["submit", "--config", config], input: submitLines(perBatch, from: (w * batches + b) * perBatch))
                    if r?.status != 0 { failures.add(1) }
                }
                group.leave()
            }
        }
        var delivered: [Int64] = []
        var texts = Set<String>()
        var lastSeq: Int64 = 0
        while try group.wait(timeout: .now()) == .timedOut || o.stats().pending > 0 {
            let rows = try o.takePending(after: lastSeq, limit: 37)
            if rows.isEmpty { usleep(2000); continue }
            try o.markDelivered(rows.map(\.seq), at: 1)
            delivered += rows.map(\.seq)
            for row in rows { texts.insert(jsonObject(row.payload)?["text"] as? String ?? "") }
            lastSeq = rows.last!.seq
        }
        let total = writers * batches * perBatch
        #expect(failures.value == 0)
        #expect(delivered.count == total)
        #expect(delivered == (1...Int64(total)).map { $0 }, "every seq once, in order")
        #expect(texts.count == total)
    }

    @Test func killDuringSubmitStoresAllOrNothing() throws {
        let dir = TempDir()
        let config = writeTestConfig(in: dir)
        let batch = 20_000
        let input = submitLines(batch)
        var outcomes: [Int] = []
        var killedCount = 0
        for round in 0..<12 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tipskioskBinary())
            p.arguments = ["submit", "--config", config]
            let inPipe = Pipe()
            p.standardInput = inPipe
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            try inPipe.fileHandleForWriting.write(contentsOf: input)
            try inPipe.fileHandleForWriting.close()
            // Spread the kills over parsing, the insert transaction and the commit (about 1 s in all here).
            usleep(UInt32(100_000 + round * 120_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { killedCount += 1 }
            let o = try Outbox.open(path: dir.file("outbox.sqlite"), identity: identity, maxPending: 1_000_000, role: .reader)
            let pending = try o.stats().pending
            outcomes.append(pending)
            #expect(pending % batch == 0, "round \(round): \(pending) rows is part of a batch")
        }
        #expect(killedCount >= 4, "most rounds must really kill the process mid-run")
        #expect(outcomes.last! > 0 || killedCount == 12, "later rounds commit whole batches")
        print("kill -9 during submit: pending after each round \(outcomes)")
    }

    @Test func hundredThousandInOneSubmit() throws {
        let dir = TempDir()
        let config = writeTestConfig(in: dir)
        let start = Date()
        let r = try tipskiosk(["submit", "--config", config], input: submitLines(100_000))
        let seconds = Date().timeIntervalSince(start)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").count == 100_000)
        #expect(r.stdout.hasSuffix(" 100000\n"))
        print("submit of 100,000 reports: \(String(format: "%.1f", seconds)) s")
        #expect(seconds < 60)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) { lock.lock(); n += k; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

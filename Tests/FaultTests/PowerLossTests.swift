// Power-loss style crashes: snapshots of the outbox taken at random instants while real `tipskiosk submit`
// processes store reports one at a time (one report, one transaction, as the prompt does).
//
// How a snapshot is taken, and why it is faithful:
//
// - The writer is frozen with SIGSTOP and the test waits until /proc says it is stopped ('T'). A process inside a
//   system call stops only when the call returns, so every write() it finished is in the files and none is half
//   done; nothing else writes the outbox meanwhile (the test itself never opens the live file). The files on disk
//   now are exactly what a crash at this instant would leave behind, as far as the process's writes go.
// - Then `outbox.sqlite`, `outbox.sqlite-wal` (when it exists) and the `.seq` sidecar are copied into a snapshot
//   folder; `-shm` is not copied: it is only an index that SQLite rebuilds from the WAL, as after a reboot.
// - Copying two files one after the other is not atomic. With a live writer, a checkpoint (which copies pages
//   from the WAL into the main file and then resets or deletes the WAL) could run between the two copies: the
//   snapshot would pair an old main file with a new, reset WAL and lose committed pages — a false failure that
//   no real crash can produce. Freezing the writer first removes that window: between SIGSTOP and SIGCONT nothing
//   changes either file, so the two copies are one consistent instant. (The checkpoint a `submit` runs when it
//   closes, as the last connection, is itself one of the instants we aim at: see `Trigger.afterReceipt`.)
// - What a true power cut adds is losing writes that were never fsynced. SQLite's WAL commit with
//   synchronous=FULL fsyncs the WAL before `submit` prints the receipt, so every report whose receipt was printed
//   is on stable storage; a page-cache snapshot is the stricter test of "opens cleanly" (it also holds the
//   unsynced tail) and the same test of "holds every thanked report".
// - "Printed before the snapshot began": with the writer stopped, the test reads its stdout pipe without
//   blocking. Whatever is in the pipe was written before the stop, so its receipt must be in the snapshot too.
//
// Each snapshot must open with `Outbox.open(verify: true)` without being moved aside, pass `PRAGMA
// integrity_check` in the sqlite3 CLI, and hold every receipt printed before it, with the same id and seq, a
// payload that parses, and nothing else than contiguous seqs 1...k whose ids are ones `submit` handed out.

import Foundation
import Glibc
@testable import Outbox
import Testing
import TestSupport

@Suite(.serialized) struct PowerLossTests {
    /// Where in a `submit`'s life the snapshot is taken.
    enum Trigger: CaseIterable {
        /// A random moment between the start of the process and a little after its usual end.
        case anyTime
        /// A few hundred microseconds (random) after the `-wal` file appears: the store transaction.
        case walAppears
        /// A random moment up to 3 ms after the receipt is on stdout: closing, the checkpoint, the WAL's deletion.
        case afterReceipt
    }

    struct Snapshot {
        var dir: String
        var required: [Int64: String]   // seq -> id, printed before the snapshot began
        var trigger: Trigger
        var phase: String
    }

    @Test(.timeLimit(.minutes(fxLong ? 120 : 3)))
    func snapshotsAtRandomInstantsHoldEveryThankedReport() throws {
        let dir = TempDir("powerloss")
        let config = writeTestConfig(in: dir)
        let live = dir.file("outbox.sqlite")
        let targetRounds = fxLong ? 5000 : 400
        let timeBudget = fxLong ? 3 * 3600.0 : 40.0
        var rng = SystemRandomNumberGenerator()

        var issued: [Int64: String] = [:]     // every receipt any submit printed, seq -> id
        var textOf: [Int64: String] = [:]     // seq -> the text that was submitted
        var durations: [Double] = []
        var phases: [String: Int] = [:]
        var triggers: [String: Int] = [:]
        var snapshots = 0, checkedRequired = 0, lost = 0, movedAside = 0, integrityFailures = 0, otherFailures = 0
        var openTimes: [Double] = []
        var walPresent = 0, walAndReceipt = 0

        // The first report makes the file; it is not a snapshot round.
        let first = try tipskiosk(["submit", "--config", config], input: line(0))
        try #require(first.status == 0, "\(first.stderr)")
        for r in fxReceipts(first.stdout) { issued[r.seq] = r.id; textOf[r.seq] = "power loss round 0" }

        let started = fxNow()
        var round = 0
        // Extra rounds (up to twice as many) while no snapshot has caught a submit between its receipt and the end
        // of its checkpoint: that window is a millisecond or two, and the test must hit it to mean anything.
        while (round < targetRounds || (walAndReceipt == 0 && round < 2 * targetRounds))
                && (fxNow() - started < timeBudget || round < 30) {
            round += 1
            let trigger: Trigger = round <= 5 ? .anyTime : Trigger.allCases.randomElement(using: &rng)!
            triggers["\(trigger)", default: 0] += 1
            let t0 = fxNow()
            let child = try SubmitChild(config: config, input: line(round), inputFile: dir.file("input.jsonl"))
            // Wait for the chosen instant, reading stdout as it comes.
            switch trigger {
            case .anyTime:
                let typical = durations.isEmpty ? 0.05 : durations.sorted()[durations.count / 2]
                let until = t0 + Double.random(in: 0...(typical * 1.2), using: &rng)
                while fxNow() < until && !child.hasExited { child.drain(); usleep(100) }
            case .walAppears:
                while access(live + "-wal", F_OK) != 0 && !child.hasExited && fxNow() - t0 < 5 { usleep(50) }
                usleep(UInt32.random(in: 0...800, using: &rng))
            case .afterReceipt:
                while child.out.isEmpty && !child.hasExited && fxNow() - t0 < 5 { child.drain(); usleep(50) }
                usleep(UInt32.random(in: 0...1200, using: &rng))
            }
            let state = child.freeze()
            defer { child.thaw() }
            #expect(state != "?", "round \(round): the submit process did not stop")
            child.drain()   // everything in the pipe now was printed before the stop
            var required = issued
            let printed = fxReceipts(child.stdoutText)
            for r in printed { required[r.seq] = r.id }
            let hasWAL = access(live + "-wal", F_OK) == 0
            let phase = state == "Z" || child.hasExited ? "exited"
                : !printed.isEmpty ? (hasWAL ? "closing-with-wal" : "closing-wal-gone")
                : (hasWAL ? "storing-with-wal" : "starting")
            phases[phase, default: 0] += 1
            if hasWAL { walPresent += 1 }
            if hasWAL && !printed.isEmpty { walAndReceipt += 1 }

            let snap = dir.file("snap-\(round)")
            try copySnapshot(from: live, to: snap)
            snapshots += 1
            child.thaw()

            let status = child.wait()
            durations.append(fxNow() - t0)
            #expect(status == 0, "round \(round): submit ended with \(status): \(child.stderrText)")
            for r in fxReceipts(child.stdoutText) {
                #expect(issued[r.seq] == nil, "seq \(r.seq) was handed out twice")
                issued[r.seq] = r.id
                textOf[r.seq] = "power loss round \(round)"
            }

            // Check the snapshot now that the writer is done (nothing runs against the live file meanwhile).
            let result = check(Snapshot(dir: snap, required: required, trigger: trigger, phase: phase),
                               issued: issued, textOf: textOf)
            checkedRequired += required.count
            lost += result.lost
            if result.movedAside { movedAside += 1 }
            if !result.integrityOK { integrityFailures += 1 }
            otherFailures += result.otherProblems
            if let t = result.openSeconds { openTimes.append(t) }
            if result.clean && ProcessInfo.processInfo.environment["TIPSKIOSK_KEEP_TEST_DATA"] == nil {
                try? FileManager.default.removeItem(atPath: snap)
            }
        }
        let elapsed = fxNow() - started
        openTimes.sort()
        fxFigures("power-loss", [
            "rounds": round, "snapshots": snapshots, "reports": issued.count,
            "receipts_checked": checkedRequired, "lost": lost, "moved_aside": movedAside,
            "integrity_failures": integrityFailures, "other_failures": otherFailures,
            "snapshots_with_wal": walPresent, "snapshots_after_receipt_with_wal": walAndReceipt,
            "open_ms_median": openTimes.isEmpty ? 0 : Int(openTimes[openTimes.count / 2] * 1000),
            "open_ms_max": Int((openTimes.last ?? 0) * 1000),
            "seconds": Int(elapsed),
        ])
        fxFigures("power-loss phases", ["phases": phases.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","),
                                    "triggers": triggers.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")])
        #expect(lost == 0)
        #expect(movedAside == 0)
        #expect(integrityFailures == 0)
        #expect(otherFailures == 0)
        #expect(round >= 30)
        // The test itself: it must have caught the interesting instants, or it proves little.
        #expect(walPresent > 0, "no snapshot caught a -wal file: the store transaction was never hit")
        #expect(walAndReceipt > 0, "no snapshot caught a submit between its receipt and the end of its checkpoint")
    }

    /// One visitor report, its text naming the round.
    func line(_ round: Int) -> Data {
        Data((#"{"category":"traffic","place":"Centrum","occurred":"now","text":"power loss round \#(round)","reporter":{"role":"visitor","age_group":"adult"}}"# + "\n").utf8)
    }

    /// Copies the main file, then the WAL (when there is one), then the `.seq` sidecar. Called only while the
    /// writer is stopped (see the top of the file for why that makes the two copies one instant).
    func copySnapshot(from live: String, to snapDir: String) throws {
        try FileManager.default.createDirectory(atPath: snapDir, withIntermediateDirectories: true)
        for copy in ["a", "b"] {
            let d = snapDir + "/" + copy
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            for suffix in ["", "-wal", ".seq"] where access(live + suffix, F_OK) == 0 {
                try FileManager.default.copyItem(atPath: live + suffix, toPath: d + "/outbox.sqlite" + suffix)
            }
        }
    }

    struct CheckResult {
        var lost = 0
        var movedAside = false
        var integrityOK = true
        var otherProblems = 0
        var openSeconds: Double?
        var clean: Bool { lost == 0 && !movedAside && integrityOK && otherProblems == 0 }
    }

    /// Copy `a` is opened by the outbox as the program would after a reboot; copy `b` is checked by the sqlite3
    /// CLI (each open may checkpoint and change its copy, so they get one each).
    func check(_ s: Snapshot, issued: [Int64: String], textOf: [Int64: String]) -> CheckResult {
        var result = CheckResult()
        let where_ = "snapshot \(s.dir) (\(s.trigger), \(s.phase))"
        // 1. The CLI's full integrity check on an untouched copy.
        do {
            let r = try fxSQLite(s.dir + "/b/outbox.sqlite", "PRAGMA integrity_check;")
            if r.status != 0 || r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != "ok" {
                result.integrityOK = false
                Issue.record("\(where_): integrity_check: \(r.stdout) \(r.stderr)")
            }
        } catch {
            result.integrityOK = false
            Issue.record("\(where_): sqlite3: \(error)")
        }
        // 2. The outbox opens it (with quick_check) without moving it aside.
        let path = s.dir + "/a/outbox.sqlite"
        let t0 = fxNow()
        let outbox: Outbox
        do {
            outbox = try Outbox.open(path: path, identity: fxIdentity, maxPending: 1_000_000, role: .reader, verify: true)
        } catch {
            result.otherProblems += 1
            result.lost += s.required.count
            Issue.record("\(where_): Outbox.open failed: \(error)")
            return result
        }
        result.openSeconds = fxNow() - t0
        if outbox.recoveredFrom != nil || !fxFiles(in: s.dir + "/a", startingWith: "outbox.sqlite.corrupt-").isEmpty {
            result.movedAside = true
            result.lost += s.required.count
            Issue.record("\(where_): the snapshot was moved aside to \(outbox.recoveredFrom ?? "?")")
            return result
        }
        // 3. Its rows: every required receipt, contiguous seqs, known ids, payloads that parse.
        let rows: [Outbox.Pending]
        do {
            rows = try outbox.takePending(after: 0, limit: 10_000_000)
        } catch {
            result.otherProblems += 1
            Issue.record("\(where_): reading the rows failed: \(error)")
            return result
        }
        var bySeq: [Int64: Outbox.Pending] = [:]
        for row in rows { bySeq[row.seq] = row }
        for (seq, id) in s.required where bySeq[seq]?.id != id {
            result.lost += 1
            Issue.record("\(where_): seq \(seq) id \(id) was printed before the snapshot but is \(bySeq[seq].map { "there with id \($0.id)" } ?? "missing")")
        }
        let seqs = rows.map(\.seq)
        if seqs.isEmpty || seqs != Array(1...Int64(seqs.count)) {
            result.otherProblems += 1
            Issue.record("\(where_): seqs are not 1...\(seqs.count): \(seqs.prefix(10))…")
        }
        for row in rows {
            guard issued[row.seq] == row.id else {
                result.otherProblems += 1
                Issue.record("\(where_): row seq \(row.seq) id \(row.id) was never handed out (issued: \(issued[row.seq] ?? "none"))")
                continue
            }
            guard let o = jsonObject(row.payload), o["id"] as? String == row.id, (o["seq"] as? NSNumber)?.int64Value == row.seq,
                  o["text"] as? String == textOf[row.seq] else {
                result.otherProblems += 1
                Issue.record("\(where_): payload of seq \(row.seq) is wrong: \(row.payload.prefix(300))")
                continue
            }
        }
        do {
            let next = try outbox.stats().nextSeq
            if next != (seqs.last ?? 0) + 1 {
                result.otherProblems += 1
                Issue.record("\(where_): meta.next_seq \(next) does not follow the last row \(seqs.last ?? 0)")
            }
        } catch {
            result.otherProblems += 1
            Issue.record("\(where_): stats: \(error)")
        }
        return result
    }
}

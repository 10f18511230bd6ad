// Disk full: the outbox on a small tmpfs (mounted by the test, so it needs root: CI runs as root), filled by the
// outbox itself or by a filler file, then given space again. Nothing a visitor or `submit` was thanked for may be
// lost, the refusal must be plain, the gateway and the prompt must stay up, and everything must go on once space
// returns.
//
// Four of these tests found weaknesses that are now fixed (a full disk reported as an I/O error when SQLite
// grows `-shm`; a trap when stderr cannot be written; the gateway and the prompt unable to start on a full
// disk); their comments say what they guard against.

import Foundation
import Glibc
@testable import Outbox
import Testing
import TestSupport

/// The exact line `submit` prints when the disk is full (OutboxError.diskFull's description).
let diskFullLine = "tipskiosk submit: the disk is full; nothing was stored"
/// What the visitor reads on a full disk (Sources/Prompt/Languages/sv.txt, `notice.disk_full`).
let diskFullNotice = "Kiosken kan inte spara tips just nu, minnet är fullt. Be personalen om hjälp."

/// `tipskiosk status --json`, or nil when it fails (e.g. it cannot open the outbox on a full disk).
func fxStatus(_ config: String) -> [String: Any]? {
    guard let r = try? tipskiosk(["status", "--json", "--config", config]), r.status == 0 else { return nil }
    return jsonObject(r.stdout)
}

/// `PRAGMA quick_check` and the (seq, id) rows, read with the sqlite3 CLI.
func fxRows(_ outbox: String) throws -> (check: String, rows: [(seq: Int64, id: String)]) {
    let q = try fxSQLite(outbox, "PRAGMA quick_check;")
    let r = try fxSQLite(outbox, "SELECT seq || ' ' || id FROM reports ORDER BY seq;")
    let rows = r.stdout.split(separator: "\n").compactMap { line -> (Int64, String)? in
        let p = line.split(separator: " ")
        guard p.count == 2, let s = Int64(p[0]) else { return nil }
        return (s, String(p[1]))
    }
    return ((q.stdout + q.stderr).trimmingCharacters(in: .whitespacesAndNewlines), rows)
}

@Suite(.serialized, .enabled(if: SmallDisk.canMount, "mounting a tmpfs needs root (CI runs as root)"))
struct DiskFullTests {
    // MARK: (a) submit

    /// `submit` in batches until the outbox itself has filled the disk: each refusal is exit 74 with the plain
    /// line, stores nothing, and every earlier report is intact; when space returns, the next seq follows.
    @Test(.timeLimit(.minutes(fxLong ? 30 : 3)))
    func submitUntilTheDiskIsFullRefusesPlainlyAndKeepsEveryReport() throws {
        let disk = try SmallDisk(sizeKiB: fxLong ? 8192 : 2048)
        defer { disk.unmount() }
        let config = writeTestConfig(in: disk.dir)
        let outbox = disk.file("outbox.sqlite")
        // Space that can be given back later: a ballast file of our own.
        let ballast = disk.file("ballast.bin")
        #expect(FileManager.default.createFile(atPath: ballast, contents: Data(repeating: 0x42, count: 384 * 1024)))

        let started = fxNow()
        var issued: [(id: String, seq: Int64)] = []
        var refusals = 0, submits = 0
        var refusalTexts = Set<String>()
        var batch = 100
        while batch > 0 && submits < 2000 {
            submits += 1
            let r = try tipskiosk(["submit", "--config", config], input: submitLines(batch, from: issued.count))
            if r.status == 0 {
                let got = fxReceipts(r.stdout)
                #expect(got.count == batch)
                if let last = issued.last { #expect(got.first?.seq == last.seq + 1, "seqs must follow on") }
                issued += got
                continue
            }
            refusals += 1
            refusalTexts.insert(r.stderr)
            #expect(r.status == 74, "exit \(r.status): \(r.stderr)")
            #expect(r.stderr == diskFullLine + "\n", "the refusal must say plainly that the disk is full; it said: \(r.stderr)")
            #expect(r.stdout.isEmpty, "a refused batch printed receipts: \(r.stdout)")
            batch = batch == 1 ? 0 : max(1, batch / 10)   // smaller batches until a single report does not fit
        }
        #expect(batch == 0, "the disk never filled up after \(submits) submits")
        let fullAt = fxNow()
        let freeAtRefusal = disk.freeBytes
        let walBytes = (try? FileManager.default.attributesOfItem(atPath: outbox + "-wal")[.size] as? Int) ?? -1
        // What staff see on the full disk.
        let statusWhileFull = fxStatus(config)
        #expect(fxFiles(in: disk.path, startingWith: "outbox.sqlite.corrupt-").isEmpty, "the outbox was moved aside")

        // Space returns.
        unlink(ballast)
        let (check, rows) = try fxRows(outbox)
        #expect(check == "ok")
        #expect(rows.count == issued.count, "stored \(issued.count), the file holds \(rows.count)")
        #expect(rows.map(\.seq) == issued.map(\.seq), "seqs are not the ones handed out, in order")
        #expect(rows.map(\.id) == issued.map(\.id))
        if let first = rows.first, let last = rows.last { #expect(last.seq - first.seq + 1 == Int64(rows.count), "seqs not contiguous") }
        let next = try tipskiosk(["submit", "--config", config], input: submitLines(1, from: 999_999))
        #expect(next.status == 0, "after space returned: \(next.stderr)")
        #expect(fxReceipts(next.stdout).first?.seq == (issued.last?.seq ?? 0) + 1, "the next seq must follow: \(next.stdout)")
        let recovered = fxNow()
        #expect(fxStatus(config)?["pending"] as? Int == issued.count + 1)

        fxFigures("disk-full submit", [
            "disk_kib": disk.sizeKiB, "submits": submits, "reports": issued.count, "refusals": refusals, "lost": issued.count - rows.count,
            "free_bytes_at_refusal": freeAtRefusal, "wal_bytes_at_refusal": walBytes,
            "status_works_on_full_disk": statusWhileFull != nil,
            "seconds_to_fill": String(format: "%.1f", fullAt - started), "ms_to_recover": Int((recovered - fullAt) * 1000),
        ])
        fxFigures("disk-full submit stderr", ["texts": refusalTexts.map { $0.debugDescription }.sorted().joined(separator: " | ")])
    }

    /// The disk is filled by something else (a log, a core dump) while the outbox is idle and closed, so that
    /// `submit` must create `-wal` and `-shm` on a full disk. `slackKiB` is what the filler leaves.
    ///
    /// Guards against: SQLite failing while opening — extending the `-shm` file gives SQLITE_IOERR_SHMSIZE
    /// (extended code 4874, errno ENOSPC), not SQLITE_FULL — being reported as "disk I/O error" instead of
    /// "the disk is full; nothing was stored" (`SQLiteError.isDiskFull` looks at the system errno).
    @Test(.timeLimit(.minutes(2)), arguments: [0, 16, 64])
    func submitOnADiskFilledByAnotherFileSaysTheDiskIsFull(slackKiB: Int) throws {
        let disk = try SmallDisk(sizeKiB: 2048)
        defer { disk.unmount() }
        let config = writeTestConfig(in: disk.dir)
        let outbox = disk.file("outbox.sqlite")
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(200))
        try #require(stored.status == 0, "\(stored.stderr)")
        var issued = fxReceipts(stored.stdout)
        #expect(access(outbox + "-wal", F_OK) != 0, "a clean close removes the WAL (the case this test is about)")

        try disk.fill(leaving: slackKiB * 1024)
        let free = disk.freeBytes
        let r = try tipskiosk(["submit", "--config", config], input: submitLines(1, from: 200))
        let outcome: String
        if r.status == 0 {
            outcome = "stored"   // it fitted in the slack: fine, as long as it is really there (checked below)
            issued += fxReceipts(r.stdout)
        } else {
            outcome = "refused"
            #expect(r.status == 74)
            #expect(r.stderr.contains("the disk is full; nothing was stored"),
                    "on a disk filled by another file the refusal does not say the disk is full: \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(fxFiles(in: disk.path, startingWith: "outbox.sqlite.corrupt-").isEmpty, "the outbox was moved aside")
        let statusWhileFull = fxStatus(config)

        disk.removeFiller()
        let (check, rows) = try fxRows(outbox)
        #expect(check == "ok")
        #expect(rows.map(\.seq) == issued.map(\.seq))
        #expect(rows.map(\.id) == issued.map(\.id))
        let next = try tipskiosk(["submit", "--config", config], input: submitLines(1, from: 300))
        #expect(next.status == 0, "\(next.stderr)")
        #expect(fxReceipts(next.stdout).first?.seq == (issued.last?.seq ?? 0) + 1)
        fxFigures("disk-full filler", ["slack_kib": slackKiB, "free_bytes": free, "outcome": outcome, "exit": r.status,
                                       "status_works_on_full_disk": statusWhileFull != nil,
                                       "stderr": r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).debugDescription])
    }

    /// `submit` refused on a full disk whose standard error is a file on that same disk (`2>>/var/log/…` on the
    /// one partition of a small box): the refusal cannot be written, but the exit status must still be 74.
    ///
    /// Guards against: `FileHandle.standardError.write(_: Data)` trapping when write(2) fails (ENOSPC), which
    /// killed `submit` with SIGILL (exit 132) instead of exit 74; `printError` ignores a failed write now.
    @Test(.timeLimit(.minutes(1)))
    func submitWhoseStderrIsOnTheFullDiskStillExits74() throws {
        let disk = try SmallDisk(sizeKiB: 1024)
        defer { disk.unmount() }
        let config = writeTestConfig(in: disk.dir)
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(10)).status == 0)
        let errFile = disk.file("submit.err")
        _ = FileManager.default.createFile(atPath: errFile, contents: nil)
        try disk.fill(leaving: 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tipskioskBinary())
        p.arguments = ["submit", "--config", config]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        try p.run()
        try input.fileHandleForWriting.write(contentsOf: submitLines(1, from: 10))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        let how = p.terminationReason == .exit ? "exit \(p.terminationStatus)" : "signal \(p.terminationStatus)"
        #expect(p.terminationReason == .exit && p.terminationStatus == 74,
                "submit ended with \(how) when its stderr could not be written")
        disk.removeFiller()
        fxFigures("disk-full stderr on full disk", ["ended": how.debugDescription])
    }

    // MARK: (b) gateway

    /// Runs `gw` the way systemd would (Restart=always, RestartSec=2s) until `until` holds or `timeout` passes;
    /// returns how many times it had to be started again.
    func supervise(_ gw: GatewayProcess, timeout: Double, until: () -> Bool) throws -> Int {
        var restarts = 0
        let deadline = fxNow() + timeout
        while fxNow() < deadline {
            if until() { break }
            if !gw.isRunning {
                restarts += 1
                usleep(2_000_000)
                try gw.start()
            }
            usleep(50_000)
        }
        return restarts
    }

    /// Distinct seqs among subscriber lines `topic payload`.
    func seqs(_ lines: [String]) -> [Int64] {
        lines.compactMap { line -> Int64? in
            guard let space = line.firstIndex(of: " "), let o = jsonObject(String(line[line.index(after: space)...])) else { return nil }
            return (o["seq"] as? NSNumber)?.int64Value
        }
    }

    /// The gateway is running when the disk fills up (a log grows, say) with reports still to send. It must stay
    /// up, deliver what it can (a delete may fail with SQLITE_FULL: the row stays and is sent again), and once
    /// space returns drain to pending 0 with every seq received at least once.
    @Test(.timeLimit(.minutes(3)), arguments: [0, 24])
    func gatewayRunningWhenTheDiskFillsLosesNothing(slackKiB: Int) throws {
        let total = fxLong ? 3000 : 300
        let disk = try SmallDisk(sizeKiB: 4096)
        defer { disk.unmount() }
        let logs = TempDir("gwlog")   // logs off the small disk: a full disk must not hide what happened
        let broker = try TestBroker(logTypes: ["error"])
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let config = writeTestConfig(in: disk.dir, port: broker.port)
        let outbox = disk.file("outbox.sqlite")
        let gw = GatewayProcess(config: config, log: logs.file("gateway.log"))
        try gw.start()
        defer { gw.terminate(); sub.stop(); broker.kill() }
        #expect(waitUntil(timeout: 10) { fxStatus(config)?["broker"] as? String == "connected" }, "\(gw.log)")

        // Reports are stored while the gateway is held still, then the disk fills, then it goes on.
        gw.signal(SIGSTOP)
        var issued: [(id: String, seq: Int64)] = []
        for part in 0..<3 {
            let r = try tipskiosk(["submit", "--config", config], input: submitLines(total / 3, from: part * total / 3))
            #expect(r.status == 0, "\(r.stderr)")
            issued += fxReceipts(r.stdout)
        }
        try disk.fill(leaving: slackKiB * 1024)
        let fullAt = fxNow()
        gw.signal(SIGCONT)
        let fullSeconds = fxLong ? 75.0 : 8.0
        let restartsWhileFull = try supervise(gw, timeout: fullSeconds) { false }
        let deliveredWhileFull = Set(seqs(sub.lines)).count
        let pendingWhileFull = fxStatus(config)?["pending"] as? Int
        // Default: 8 s of full disk. TIPSKIOSK_LONG_FAULTS=1 holds it 75 s, past the gateway's 60 s limit for an
        // unusable outbox: a full disk must be waited out, never end the process (Gateway.noteDatabaseError).
        #expect(restartsWhileFull == 0, "the gateway exited on the full disk; log:\n\(gw.log.suffix(3000))")
        #expect(fxFiles(in: disk.path, startingWith: "outbox.sqlite.corrupt-").isEmpty, "the outbox was moved aside")

        disk.removeFiller()
        let spaceAt = fxNow()
        let want = Set(issued.map(\.seq))
        let restartsAfter = try supervise(gw, timeout: 60) {
            want.isSubset(of: Set(seqs(sub.lines))) && fxStatus(config)?["pending"] as? Int == 0
        }
        let recoverSeconds = fxNow() - spaceAt
        let received = seqs(sub.lines)
        let missing = want.subtracting(received)
        #expect(missing.isEmpty, "never received: \(missing.sorted().prefix(20)); log:\n\(gw.log.suffix(3000))")
        #expect(fxStatus(config)?["pending"] as? Int == 0)
        #expect(restartsAfter == 0)
        #expect(gw.isRunning)
        let (check, rows) = try fxRows(outbox)
        #expect(check == "ok")
        #expect(rows.isEmpty)
        let dbErrors = gw.log.split(separator: "\n").filter { $0.contains("outbox") && ($0.contains("full") || $0.contains("error")) }
        fxFigures("disk-full gateway running", [
            "slack_kib": slackKiB, "reports": issued.count, "full_seconds": Int(spaceAt - fullAt),
            "delivered_while_full": deliveredWhileFull, "lost": missing.count,
            "duplicates": received.count - Set(received).count, "restarts": restartsWhileFull + restartsAfter,
            "seconds_to_drain_after_space": String(format: "%.1f", recoverSeconds), "log_db_error_lines": dbErrors.count,
            "pending_while_full": pendingWhileFull.map(String.init) ?? "status-failed",
        ])
        fxFigures("disk-full gateway running log", ["slack_kib": slackKiB, "first": String(dbErrors.first ?? "none").debugDescription])
    }

    /// The order of the brief: reports stored, the rest of the disk filled, and only then the gateway (re)started
    /// (as after a reboot, or systemd restarting it). It must stay up and drain once space returns.
    ///
    /// Guards against: the gateway exiting 74 when the outbox cannot be opened on a full disk, a crash loop under
    /// systemd for as long as the disk is full. It now waits for space (READY=1 with a STATUS= saying why).
    @Test(.timeLimit(.minutes(3)))
    func gatewayStartedOnAFullDiskStaysUpAndDrainsWhenSpaceReturns() throws {
        let total = 300
        let disk = try SmallDisk(sizeKiB: 4096)
        defer { disk.unmount() }
        let logs = TempDir("gwlog")
        let broker = try TestBroker(logTypes: ["error"])
        let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"], format: "%t %p")
        let config = writeTestConfig(in: disk.dir, port: broker.port)
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(total))
        try #require(stored.status == 0, "\(stored.stderr)")
        let issued = fxReceipts(stored.stdout)
        try disk.fill(leaving: 0)
        let gw = GatewayProcess(config: config, log: logs.file("gateway.log"))
        try gw.start()
        defer { gw.terminate(); sub.stop(); broker.kill() }
        let restartsWhileFull = try supervise(gw, timeout: 8) { false }
        let deliveredWhileFull = Set(seqs(sub.lines)).count
        #expect(restartsWhileFull == 0, "the gateway cannot start on a full disk and crash-loops; log:\n\(gw.log.suffix(1500))")
        #expect(fxFiles(in: disk.path, startingWith: "outbox.sqlite.corrupt-").isEmpty, "the outbox was moved aside")

        disk.removeFiller()
        let spaceAt = fxNow()
        let want = Set(issued.map(\.seq))
        let restartsAfter = try supervise(gw, timeout: 60) {
            want.isSubset(of: Set(seqs(sub.lines))) && fxStatus(config)?["pending"] as? Int == 0
        }
        let recoverSeconds = fxNow() - spaceAt
        let received = seqs(sub.lines)
        let missing = want.subtracting(received)
        #expect(missing.isEmpty, "never received: \(missing.sorted().prefix(20)); log:\n\(gw.log.suffix(3000))")
        #expect(fxStatus(config)?["pending"] as? Int == 0)
        let (check, _) = try fxRows(disk.file("outbox.sqlite"))
        #expect(check == "ok")
        let firstError = gw.log.split(separator: "\n").first { $0.contains("cannot be used") || $0.contains("outbox") }
        fxFigures("disk-full gateway start", [
            "reports": issued.count, "delivered_while_full": deliveredWhileFull, "lost": missing.count,
            "restarts_while_full": restartsWhileFull, "restarts_after": restartsAfter,
            "seconds_to_drain_after_space": String(format: "%.1f", recoverSeconds),
            "first_log_line": String(firstError ?? "none").debugDescription,
        ])
    }

    // MARK: (c) prompt

    /// Types one whole tip (Swedish screens) and presses `1` on the review screen.
    static func tip(_ pty: PseudoTerminal, category: String, place: String, when: String, text: String) {
        let missing = pty.typeTip(category: category, place: place, when: when, text: text)
        #expect(missing == nil, "the screen \(missing ?? "") did not come")
    }

    func startPrompt(config: String) throws -> PseudoTerminal {
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "JOURNAL_STREAM")
        return try PseudoTerminal.spawn(tipskioskBinary(), ["prompt", "--config", config], environment: env,
                                        rows: 30, columns: 132)
    }

    /// The prompt is up when the disk fills; a visitor types a whole tip: the plain message, the draft stays,
    /// the program stays up; when space returns, `1` on the review screen stores it and shows "Tack".
    @Test(.timeLimit(.minutes(2)), arguments: [0, 8])
    func promptOnAFullDiskTellsTheVisitorAndStoresOnceSpaceReturns(slackKiB: Int) throws {
        let disk = try SmallDisk(sizeKiB: 2048)
        defer { disk.unmount() }
        let config = writeTestConfig(in: disk.dir)
        let outbox = disk.file("outbox.sqlite")
        let pty = try startPrompt(config: config)
        defer {
            if pty.isRunning { pty.signal(SIGTERM); _ = pty.waitForExit(timeout: 10) }
        }
        try #require(pty.waitForScreen("Vid akut fara: ring 112", timeout: 20), "the prompt did not start: \(pty.text())")
        Self.tip(pty, category: "5", place: "2", when: "2", text: "Cykel stulen före disken blev full")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 10))
        pty.write("q")
        #expect(pty.waitForScreen("Tryck på valfri tangent", timeout: 5))

        try disk.fill(leaving: slackKiB * 1024)
        let free = disk.freeBytes
        Self.tip(pty, category: "7", place: "1", when: "2", text: "Klotter medan disken är full")
        let refused = pty.waitForScreen(diskFullNotice, timeout: 10)
        let thankedWhileFull = pty.screenText.contains("Tack för ditt tips!")
        if thankedWhileFull {
            // It fitted in the slack: allowed only if it really is in the file (checked below).
            pty.write("q")
        } else {
            #expect(refused, "the visitor did not get the disk-full message; screen:\n\(pty.screenText)")
            #expect(pty.screenText.contains("Klotter medan disken är full"), "the draft is not on the review screen")
            #expect(pty.screenText.contains("Steg 7 av 7"))
        }
        usleep(500_000)
        #expect(pty.isRunning, "the prompt ended: \(pty.exitStatusIfDone()?.description ?? "")")
        #expect(fxFiles(in: disk.path, startingWith: "outbox.sqlite.corrupt-").isEmpty, "the outbox was moved aside")

        disk.removeFiller()
        let spaceAt = fxNow()
        if !thankedWhileFull {
            pty.write("1")
            #expect(pty.waitForScreen("Tack för ditt tips!", timeout: 10), "screen:\n\(pty.screenText)")
            #expect(pty.waitForScreen("Ditt nummer: 0002", timeout: 5))
        }
        let recoverMs = Int((fxNow() - spaceAt) * 1000)
        let r = try fxSQLite(outbox, "SELECT json_extract(payload, '$.text') FROM reports ORDER BY seq;")
        #expect(r.stdout.split(separator: "\n") == ["Cykel stulen före disken blev full", "Klotter medan disken är full"],
                "\(r.stdout) \(r.stderr)")
        #expect(try fxRows(outbox).check == "ok")
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
        fxFigures("disk-full prompt", ["slack_kib": slackKiB, "free_bytes": free,
                                       "outcome": thankedWhileFull ? "stored-in-slack" : (refused ? "refused-plainly" : "other"),
                                       "ms_from_space_to_tack": recoverMs])
    }

    /// The disk is already full when the prompt starts (a reboot, or systemd restarting it).
    ///
    /// Guards against: the prompt exiting 74 when it cannot open the outbox at start (the kiosk screen flashing
    /// an error line every second under systemd). The README promises: "when the outbox refuses (full, disk
    /// full, file unusable) the visitor is told plainly … and the prompt stays up"; it opens the outbox lazily.
    @Test(.timeLimit(.minutes(2)))
    func promptStartedOnAFullDiskStaysUp() throws {
        let disk = try SmallDisk(sizeKiB: 2048)
        defer { disk.unmount() }
        let config = writeTestConfig(in: disk.dir)
        let stored = try tipskiosk(["submit", "--config", config], input: submitLines(10))
        try #require(stored.status == 0)
        try disk.fill(leaving: 0)
        let pty = try startPrompt(config: config)
        defer {
            if pty.isRunning { pty.signal(SIGTERM); _ = pty.waitForExit(timeout: 10) }
        }
        let up = pty.waitForScreen("Vid akut fara: ring 112", timeout: 20)
        let ended = pty.exitStatusIfDone()
        #expect(up, "the prompt does not start on a full disk (\(ended?.description ?? "running")): \(pty.text().trimmingCharacters(in: .whitespacesAndNewlines))")
        if up {
            Self.tip(pty, category: "2", place: "1", when: "2", text: "Tips på full disk")
            #expect(pty.waitForScreen(diskFullNotice, timeout: 10), "screen:\n\(pty.screenText)")
            #expect(pty.isRunning)
        }
        disk.removeFiller()
        fxFigures("disk-full prompt start", ["starts": up, "exit": ended?.description ?? "running",
                                             "output": pty.text().trimmingCharacters(in: .whitespacesAndNewlines).debugDescription])
    }
}

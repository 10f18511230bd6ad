import Foundation
import Testing
@testable import Prompt
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// End to end: the real `tipskiosk prompt --config FILE` (built beside the test bundle) on a real pseudo-terminal
/// as its controlling terminal, with a real SQLite outbox, read back with the `sqlite3` CLI (table `reports`,
/// column `payload`: the §4.1 JSON) or `tipskiosk status --json`.
@Suite struct PromptPTYTests {
    /// A kiosk folder with a configuration file and an outbox path.
    final class Kiosk: @unchecked Sendable { // immutable after init
        let dir: TempDir
        let config: String
        let outbox: String

        init(idle: Int = 90, maxPending: Int = 100_000, pinHash: String? = nil, languageDir: String? = nil,
             event: String = "") {
            dir = TempDir("prompt")
            outbox = dir.file("outbox.sqlite")
            var prompt = "[prompt]\n"
            if let pinHash { prompt += "staff_pin_hash = \"\(pinHash)\"\n" }
            if let languageDir { prompt += "language_dir = \"\(languageDir)\"\n" }
            let text = """
                [kiosk]
                id = "pty-kiosk-1"
                site = "Testgården, Götene"
                event = "\(event)"
                languages = ["sv", "en"]
                idle_timeout_s = \(idle)
                places = ["Ungdomsgården", "Centrum"]

                [storage]
                path = "\(outbox)"
                max_pending = \(maxPending)

                [mqtt]
                host = "127.0.0.1"
                port = 1883
                topic_prefix = "lagesbild/v1"
                qos = 1
                keepalive_s = 30

                \(prompt)
                """
            config = dir.file("tipskiosk.toml")
            _ = FileManager.default.createFile(atPath: config, contents: Data(text.utf8))
        }

        /// Starts the prompt on a new pseudo-terminal and waits for the welcome screen. With `shell`, through
        /// `/bin/sh -c "<shell> && exec tipskiosk prompt …"` (to set a limit or a folder first).
        func start(rows: Int = 24, columns: Int = 80, shell: String? = nil) throws -> PseudoTerminal {
            var env = ProcessInfo.processInfo.environment
            env["TERM"] = "xterm-256color"
            env.removeValue(forKey: "JOURNAL_STREAM")
            let pty = if let shell {
                try PseudoTerminal.spawn("/bin/sh", ["-c", "\(shell) && exec '\(tipskioskBinary())' prompt --config '\(config)'"],
                                         environment: env, rows: rows, columns: columns)
            } else {
                try PseudoTerminal.spawn(tipskioskBinary(), ["prompt", "--config", config], environment: env,
                                         rows: rows, columns: columns)
            }
            let up = pty.waitForScreen("Vid akut fara: ring 112", timeout: 20)
            #expect(up, "the prompt did not start: \(pty.exitStatusIfDone()?.description ?? "running"): \(pty.text())")
            return pty
        }

        /// The §4.1 payloads in the outbox, in seq order.
        func payloads() throws -> [[String: Any]] {
            let r = try runProcess("/usr/bin/sqlite3", [outbox, "SELECT payload FROM reports ORDER BY seq;"])
            #expect(r.status == 0, "sqlite3: \(r.stderr)")
            return r.stdout.split(separator: "\n").compactMap { jsonObject(String($0)) }
        }
    }

    /// The terminal modes that matter, as the kernel set them up for a new pty (cooked, echo, signals).
    static func isCooked(_ t: termios) -> Bool {
        t.c_lflag & tcflag_t(ICANON) != 0 && t.c_lflag & tcflag_t(ECHO) != 0 && t.c_lflag & tcflag_t(ISIG) != 0
            && t.c_lflag & tcflag_t(IEXTEN) != 0 && t.c_iflag & tcflag_t(ICRNL) != 0
    }
    static func isRaw(_ t: termios) -> Bool {
        t.c_lflag & tcflag_t(ICANON | ECHO | ISIG | IEXTEN) == 0 && t.c_iflag & tcflag_t(IXON) == 0
    }

    /// Types one whole report with pauses for the screens, and sends it (`1` on the review screen).
    static func tip(_ pty: PseudoTerminal, category: String, place: String, when: String, text: String,
                    contact: String = "", english: Bool = false) {
        let missing = pty.typeTip(category: category, place: place, when: when, text: text, contact: contact, english: english)
        #expect(missing == nil, "the screen \(missing ?? "") did not come")
    }

    @Test func swedishTipReachesTheOutboxAndSIGTERMRestoresTheTerminal() throws {
        let k = Kiosk()
        let pty = try k.start()
        #expect(pty.waitForScreen("Polisen: 114 14", timeout: 2))
        #expect(Self.isRaw(try #require(pty.attributes())))
        let mark = pty.mark
        Self.tip(pty, category: "5", place: "2", when: "3", text: "Någon bröt upp cykelförrådet")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 10))
        #expect(pty.text(since: mark).contains("Sparar tipset"), "the first tip after start shows that it is being saved")
        let p = try k.payloads()
        #expect(p.count == 1)
        let r = try #require(p.first)
        #expect(r["schema"] as? String == "tipskiosk.report.v1")
        #expect(r["kiosk"] as? String == "pty-kiosk-1")
        #expect(r["seq"] as? Int == 1)
        #expect(r["category"] as? String == "theft")
        #expect(r["place"] as? String == "Centrum")
        #expect(r["occurred"] as? String == "this_week")
        #expect(r["text"] as? String == "Någon bröt upp cykelförrådet")
        #expect(r["language"] as? String == "sv")
        #expect((r["reporter"] as? [String: Any])?["role"] as? String == "visitor")
        #expect(r["contact"] is NSNull)
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
        #expect(Self.isCooked(try #require(pty.attributes())))
    }

    @Test("\"Saving …\" comes first only where storing is slow: for the first tip, and after a store of 100 ms or more")
    func savingScreenOnlyWhereStoringIsSlow() {
        #expect(PromptLoop.drawsSavingFirst(lastStoreMillis: nil))
        #expect(!PromptLoop.drawsSavingFirst(lastStoreMillis: 0))
        #expect(!PromptLoop.drawsSavingFirst(lastStoreMillis: 99))
        #expect(PromptLoop.drawsSavingFirst(lastStoreMillis: 100))
        #expect(PromptLoop.drawsSavingFirst(lastStoreMillis: 4000))
    }

    @Test func englishTipWithContact() throws {
        let k = Kiosk()
        let pty = try k.start()
        pty.write("L")
        #expect(pty.waitForScreen("In an emergency: call 112", timeout: 5))
        Self.tip(pty, category: "2", place: "Behind the school", when: "1", text: "People selling pills",
                 contact: "Sam 0701234567", english: true)
        #expect(pty.waitForScreen("Your number: 0001", timeout: 10))
        let r = try #require(try k.payloads().first)
        #expect(r["language"] as? String == "en")
        #expect(r["category"] as? String == "drugs")
        #expect(r["place"] as? String == "Behind the school")
        #expect(r["occurred"] as? String == "now")
        #expect((r["contact"] as? [String: Any])?["phone"] as? String == "0701234567")
        #expect((r["contact"] as? [String: Any])?["name"] as? String == "Sam")
        pty.signal(SIGHUP)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
        #expect(Self.isCooked(try #require(pty.attributes())))
    }

    @Test func escapeAndBackspaceGoBack() throws {
        let k = Kiosk()
        let pty = try k.start()
        pty.write("x7")
        #expect(pty.waitForScreen("Steg 2 av 7", timeout: 5))
        pty.write("\u{1B}")
        #expect(pty.waitForScreen("Steg 1 av 7", timeout: 5))
        pty.write("1Torget")
        #expect(pty.waitForScreen("> Torget", timeout: 5))
        pty.write(String(repeating: "\u{7F}", count: 7))
        #expect(pty.waitForScreen("Steg 1 av 7", timeout: 5))
        pty.write("4")
        #expect(pty.waitForScreen("Steg 2 av 7", timeout: 5))
        pty.write("Torget\r2\rHot mot en kompis\r\r")
        #expect(pty.waitForScreen("Steg 7 av 7", timeout: 5))
        pty.write("\u{7F}")
        #expect(pty.waitForScreen("Steg 6 av 7", timeout: 5))
        pty.write("\r1")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 10))
        let r = try #require(try k.payloads().first)
        #expect(r["category"] as? String == "threats_violence")
        #expect(r["place"] as? String == "Torget")
        pty.closeMaster()
        #expect(pty.waitForExit(timeout: 10) != nil)
    }

    @Test func idleWipeStoresNothing() throws {
        let k = Kiosk(idle: 10)
        let pty = try k.start()
        pty.write("x1Hemlig plats")
        #expect(pty.waitForScreen("> Hemlig plats", timeout: 5))
        #expect(pty.waitForScreen("Tryck på valfri tangent", timeout: 20))
        #expect(!pty.screenText.contains("Hemlig"))
        #expect(try k.payloads().isEmpty)
        #expect(pty.isRunning)
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }

    @Test func controlKeysAndRandomBytesLeaveItRunningAndTheTerminalRestorable() throws {
        let k = Kiosk()
        let pty = try k.start()
        // idle CPU: nothing pending on the welcome screen, the process must sleep
        let cpu0 = try Self.cpuTicks(pty.pid!)
        usleep(2_000_000)
        let cpu1 = try Self.cpuTicks(pty.pid!)
        #expect(cpu1 - cpu0 <= 5, "idle CPU ticks in 2 s: \(cpu1 - cpu0)")

        for b in UInt8(0)...UInt8(0x1F) { pty.write(bytes: [b]); usleep(2000) }
        pty.write(bytes: [0x7F, 0x03, 0x1A, 0x1C, 0x04])
        usleep(300_000)
        #expect(pty.isRunning)
        var rng = SplitMix(seed: 2026)
        for _ in 0..<120 { pty.write(bytes: (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }) }
        usleep(1_500_000)
        #expect(pty.isRunning)
        for _ in 0..<10 { pty.write("\u{1B}"); usleep(100_000) }
        #expect(pty.waitForScreen(timeout: 10) { rows in
            rows.contains { $0.contains("Tryck på valfri tangent") || $0.contains("Press any key") }
        })
        #expect(pty.waitForScreen(timeout: 2) { rows in rows.contains { $0.contains("112") } })
        // whatever the garbage stored, it is clean
        for r in try k.payloads() {
            for key in ["text", "place"] {
                let s = r[key] as? String ?? ""
                #expect(!s.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) })
            }
        }
        pty.signal(SIGHUP)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
        #expect(Self.isCooked(try #require(pty.attributes())))
    }

    @Test func tenThousandCharacterPasteIsBoundedTo2000() throws {
        let k = Kiosk()
        let pty = try k.start()
        pty.write("x9Nätet\r5\r")
        #expect(pty.waitForScreen("Steg 5 av 7", timeout: 5))
        pty.write("\u{1B}[200~" + String(repeating: "abc defghi", count: 1000) + "\u{1B}[201~")
        #expect(pty.waitForScreen("2000/2000", timeout: 10))
        pty.write("\r\r1")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 10))
        let r = try #require(try k.payloads().first)
        #expect((r["text"] as? String)?.unicodeScalars.count == 2000)
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }

    @Test func fullOutboxTellsTheVisitorAndStaysUp() throws {
        let k = Kiosk(maxPending: 1)
        let pty = try k.start()
        Self.tip(pty, category: "1", place: "1", when: "2", text: "Mörkt vid entrén")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 10))
        pty.write("q")
        #expect(pty.waitForScreen("Tryck på valfri tangent", timeout: 5))
        Self.tip(pty, category: "7", place: "2", when: "2", text: "Klotter på väggen")
        #expect(pty.waitForScreen("Kiosken tar inte emot fler tips just nu. Be personalen om hjälp.", timeout: 10))
        #expect(pty.waitForScreen("Klotter på väggen", timeout: 2)) // the draft is still on the review screen
        usleep(500_000)
        #expect(pty.isRunning)
        #expect(try k.payloads().count == 1)
        let status = try runProcess(tipskioskBinary(), ["status", "--config", k.config, "--json"])
        #expect(jsonObject(status.stdout)?["pending"] as? Int == 1, "\(status.stdout) \(status.stderr)")
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }

    @Test func staffMenuAndPINLockout() throws {
        let k = Kiosk(pinHash: testPINHash)
        let pty = try k.start()
        pty.write(bytes: [0x01])
        pty.write("*")
        #expect(pty.waitForScreen("Skriv PIN-koden", timeout: 5))
        pty.write(testPIN + "\r")
        #expect(pty.waitForScreen("Väntar på att skickas: 0", timeout: 5))
        pty.write("4")
        #expect(pty.waitForScreen("Tryck på valfri tangent", timeout: 5))
        pty.write(bytes: [0x01])
        pty.write("*")
        #expect(pty.waitForScreen("Skriv PIN-koden", timeout: 5))
        for i in 1...4 {
            pty.write("000000\r")
            #expect(pty.waitForScreen("\(5 - i) försök kvar", timeout: 5))
        }
        pty.write("000000\r")
        #expect(pty.waitForScreen("Försök igen om 5 minuter", timeout: 5))
        pty.write(testPIN + "\r")
        usleep(500_000)
        #expect(!pty.screenText.contains("Väntar på att skickas"))
        #expect(pty.isRunning)
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }

    @Test func theLockoutSurvivesARestartOfThePrompt() throws {
        let k = Kiosk(pinHash: testPINHash)
        let first = try k.start()
        first.write(bytes: [0x01])
        first.write("*")
        #expect(first.waitForScreen("Skriv PIN-koden", timeout: 5))
        for i in 1...4 {
            first.write("000000\r")
            #expect(first.waitForScreen("\(5 - i) försök kvar", timeout: 5))
        }
        first.write("000000\r")
        #expect(first.waitForScreen("Försök igen om 5 minuter", timeout: 5))
        first.signal(SIGTERM)
        #expect(first.waitForExit(timeout: 10) == .exited(0))
        // In the outbox's meta table: the end of the lockout, five minutes ahead (wall clock).
        let r = try runProcess("/usr/bin/sqlite3", [k.outbox, "SELECT key, value FROM meta WHERE key LIKE 'staff_pin_%' ORDER BY key;"])
        let rows = Dictionary(uniqueKeysWithValues: r.stdout.split(separator: "\n").map { line in
            let kv = line.split(separator: "|", maxSplits: 1).map(String.init)
            return (kv[0], kv.count > 1 ? kv[1] : "")
        })
        #expect(rows["staff_pin_lockouts"] == "1", "\(r.stdout)")
        let until = Int64(rows["staff_pin_locked_until"] ?? "") ?? 0
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(until > now + 4 * 60_000 && until <= now + 5 * 60_000, "\(r.stdout)")
        // A new prompt (systemd restarts it; a visitor pulls the plug): still locked, the right PIN is refused.
        let second = try k.start()
        second.write(bytes: [0x01])
        second.write("*")
        #expect(second.waitForScreen(timeout: 5) { $0.contains { $0.contains("Försök igen om 5 minuter") || $0.contains("Försök igen om 4 minuter") } })
        second.write(testPIN + "\r")
        usleep(500_000)
        #expect(!second.screenText.contains("Väntar på att skickas"))
        second.signal(SIGTERM)
        #expect(second.waitForExit(timeout: 10) == .exited(0))
    }

    @Test func staffCanGoBackToTheConfiguredEventLabel() throws {
        let k = Kiosk(pinHash: testPINHash, event: "Seniormässan 2026")
        let pty = try k.start()
        pty.write(bytes: [0x01])
        pty.write("*" + testPIN + "\r")
        #expect(pty.waitForScreen("Händelse: Seniormässan 2026", timeout: 5))
        pty.write("2")
        #expect(pty.waitForScreen("> Seniormässan 2026", timeout: 5))
        pty.write(String(repeating: "\u{7F}", count: 17) + "\r") // empty: no event at all
        #expect(pty.waitForScreen("Händelse: ingen", timeout: 5), "\(pty.screenText)")
        pty.write("2")
        #expect(pty.waitForScreen("Vad heter händelsen?", timeout: 5))
        pty.write("Torgdagen\r")
        #expect(pty.waitForScreen("Händelse: Torgdagen", timeout: 5))
        pty.write("5")
        #expect(pty.waitForScreen("Händelse: Seniormässan 2026", timeout: 5))
        #expect(pty.waitForScreen("Händelsen är sparad", timeout: 5))
        pty.write("4")
        #expect(pty.waitForScreen("Tryck på valfri tangent", timeout: 5))
        Self.tip(pty, category: "1", place: "1", when: "2", text: "Mörkt vid entrén")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 10))
        #expect(try k.payloads().first?["event"] as? String == "Seniormässan 2026")
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }

    /// Stops the prompt's output, as the Hold (Scroll Lock) key does on a Linux console, in the middle of a
    /// draft: the idle wipe must come all the same. `tcflow`: a TCOOFF on the terminal; `stopCharacter`: Ctrl-S
    /// with IXON, which stops the tty the way the Hold key does (a stop that TCOON alone does not end).
    @Test(arguments: ["tcflow", "stopCharacter"])
    func stoppedOutputDoesNotStopTheIdleWipe(how: String) throws {
        let k = Kiosk(idle: 10)
        let pty = try k.start()
        pty.write("x1Hemlig plats")
        #expect(pty.waitForScreen("> Hemlig plats", timeout: 5))
        let slave = try pty.openSlave()
        defer { close(slave) }
        if how == "tcflow" {
            #expect(tcflow(slave, TCOOFF) == 0)
        } else {
            var t = termios()
            #expect(tcgetattr(slave, &t) == 0)
            t.c_iflag |= tcflag_t(IXON)
            t.c_iflag &= ~tcflag_t(IXANY)
            #expect(tcsetattr(slave, TCSANOW, &t) == 0)
            pty.write(bytes: [0x13])
        }
        // Output is stopped: the terminal takes nothing.
        var stopped = false
        for _ in 0..<50 where !stopped { stopped = !Self.takesOutput(slave); if !stopped { usleep(20_000) } }
        #expect(stopped)
        let mark = pty.mark
        pty.write("X") // a frame to draw while stopped
        #expect(pty.waitForScreen("Tryck på valfri tangent", timeout: 20), "\(pty.screenText)")
        #expect(!pty.screenText.contains("Hemlig"))
        #expect(try k.payloads().isEmpty)
        #expect(Self.takesOutput(slave)) // the prompt started output again
        let after = String(decoding: pty.output[mark...], as: UTF8.self)
        #expect(after.contains("\u{1B}[2J") && after.contains("\u{1B}[3J")) // the wipe, scrollback too
        #expect(pty.isRunning)
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }

    /// True when the terminal would take output now (poll for POLLOUT, no wait).
    static func takesOutput(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLOUT) != 0
    }

    /// `prctl(PR_SET_DUMPABLE, 0)`: a crash with a draft in memory leaves no core file, even where the limit
    /// allows one. (Where this machine writes no core files at all, e.g. a `|` core_pattern, it proves nothing
    /// and says so.)
    @Test func aCrashWithADraftLeavesNoCoreDump() throws {
        let control = TempDir("core-control")
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sh")
        sleeper.arguments = ["-c", "ulimit -c unlimited && cd '\(control.path)' && exec sleep 30"]
        try sleeper.run()
        usleep(300_000)
        kill(sleeper.processIdentifier, SIGSEGV)
        sleeper.waitUntilExit()
        let canDump = Self.coreFiles(in: control.path).count > 0
        if !canDump {
            print("aCrashWithADraftLeavesNoCoreDump: this machine writes no core file for a crash (core_pattern \((try? String(contentsOfFile: "/proc/sys/kernel/core_pattern", encoding: .utf8)) ?? "?")); the test cannot fail here")
        }
        let k = Kiosk()
        let crashDir = TempDir("core")
        let pty = try k.start(shell: "ulimit -c unlimited && cd '\(crashDir.path)'")
        pty.write("x1Hemligt utkast")
        #expect(pty.waitForScreen("> Hemligt utkast", timeout: 5))
        pty.signal(SIGSEGV)
        #expect(pty.waitForExit(timeout: 30) == .signaled(SIGSEGV))
        #expect(Self.coreFiles(in: crashDir.path).isEmpty)
    }

    static func coreFiles(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("core") }
    }

    @Test func noPINConfiguredSaysSo() throws {
        let k = Kiosk()
        let pty = try k.start()
        pty.write(bytes: [0x01])
        pty.write("*")
        #expect(pty.waitForScreen("Personalläget är inte inställt", timeout: 5))
        pty.closeMaster()
        #expect(pty.waitForExit(timeout: 10) != nil)
    }

    /// The screen as a visitor sees it on a console of 40×15 (a big font on a small screen): the emergency line
    /// the top row in reverse video across the whole width, the question first under it, every choice's key in
    /// reverse video, the back hint and the step on the bottom row; nothing scrolled away.
    static func expectScreen(_ pty: PseudoTerminal, question: String, choices: [String] = [], bottom: String? = nil,
                             also: [String] = [], _ step: String) {
        let ok = pty.waitForScreen(timeout: 5) { rows in
            let trimmed = rows.map { $0.trimmingCharacters(in: .whitespaces) }
            guard trimmed.first == "Vid akut fara: ring 112", rows.count == 15 else { return false }
            guard let first = trimmed.dropFirst().first(where: { !$0.isEmpty }), question.hasPrefix(first) else { return false }
            let words = trimmed.joined(separator: " ").split(separator: " ").joined(separator: " ")
            for c in choices where !trimmed.contains(where: { $0.hasPrefix(c) }) { return false }
            for a in also where !words.contains(a) { return false }
            if let bottom, trimmed.last?.split(separator: " ").joined(separator: " ") != bottom { return false }
            return true
        }
        #expect(ok, "\(step): \(pty.screenText)")
        let reverse = pty.screenReverse
        #expect(reverse[0].allSatisfy { $0 }, "\(step): the emergency line is not reverse across the width")
        for (i, row) in pty.screen.enumerated() where i > 0 {
            #expect(row.count <= 40 && (row.isEmpty || row.hasPrefix(" ")), "\(step): no margin on row \(i): \(row)")
            for c in choices {
                // " N " in reverse video at the start of the choice's row
                guard row.trimmingCharacters(in: .whitespaces).hasPrefix(c), let at = row.range(of: " " + c.prefix(1) + " ")
                else { continue }
                let col = row.distance(from: row.startIndex, to: at.lowerBound)
                #expect(reverse[i][col] && reverse[i][col + 1] && reverse[i][col + 2] && !reverse[i][col + 3], "\(step): key of \(c)")
            }
        }
    }

    @Test func everyStepFitsAConsoleOf40By15() throws {
        let k = Kiosk(pinHash: testPINHash)
        let pty = try k.start(rows: 15, columns: 40)
        Self.expectScreen(pty, question: "Tipsa om något som känns otryggt",
                          also: ["Tryck på valfri tangent för att börja.", "Tryck L för English"], "welcome")
        pty.write("x")
        let categories = ["1  Otrygg plats", "2  Narkotika, alkohol eller langning", "3  Grupper som skapar otrygghet",
                          "4  Hot eller våld", "5  Stöld eller inbrott", "6  Bedrägeri", "7  Skadegörelse eller klotter",
                          "8  Trafik", "9  Nätet och sociala medier", "0  Annat"]
        Self.expectScreen(pty, question: "Vad handlar tipset om?", choices: categories,
                          bottom: "Esc = ett steg tillbaka Steg 1 av 7", also: ["Tryck på en siffra."], "category")
        pty.write("4")
        Self.expectScreen(pty, question: "Var hände det?", choices: ["1  Ungdomsgården", "2  Centrum"],
                          bottom: "Esc = ett steg tillbaka Steg 2 av 7",
                          also: ["Skriv en siffra från listan, eller platsen, och tryck Enter."], "place")
        pty.write("Torget vid busstationen\r")
        Self.expectScreen(pty, question: "När hände det?", choices: ["1  Just nu", "2  I dag", "3  Den här veckan",
                                                                     "4  Tidigare", "5  Vet inte"],
                          bottom: "Esc = ett steg tillbaka Steg 3 av 7", "when")
        pty.write("1")
        Self.expectScreen(pty, question: "Är någon i fara just nu?",
                          also: ["Ring 112.", "Tryck på valfri tangent för att fortsätta med tipset."], "danger")
        pty.write(" ")
        Self.expectScreen(pty, question: "Såg du det själv?",
                          choices: ["1  Ja, jag såg det själv", "2  Nej, någon berättade det för mig", "3  Vill inte säga"],
                          bottom: "Esc = ett steg tillbaka Steg 4 av 7", also: ["Enter = hoppa över frågan."], "source")
        pty.write("1")
        Self.expectScreen(pty, question: "Vad hände? Berätta med egna ord.", bottom: "Esc = ett steg tillbaka Steg 5 av 7",
                          also: ["0/2000", "Tryck Enter när du är klar."], "text")
        pty.write(String(repeating: "Två personer hotade en kompis vid busshållplatsen och tog hans mobil. ", count: 8) + "\r")
        Self.expectScreen(pty, question: "Vill du att polisen ska kunna kontakta dig?",
                          bottom: "Esc = ett steg tillbaka Steg 6 av 7", also: ["Vill du vara anonym: tryck bara Enter."], "contact")
        pty.write("Sam 0701234567\r")
        Self.expectScreen(pty, question: "Stämmer det här?", choices: ["1  Skicka tipset", "2  Ändra", "3  Släng tipset"],
                          bottom: "Esc = ett steg tillbaka Steg 7 av 7",
                          also: ["Om: Hot eller våld", "Var: Torget vid busstationen", "Vad: Två personer", "…",
                                 "Kontakt: Sam, 0701234567"], "review")
        pty.write("1")
        Self.expectScreen(pty, question: "Tack för ditt tips!", also: ["Ditt nummer: 0001", "Tryck på valfri tangent."], "thanks")
        #expect(try k.payloads().first?["place"] as? String == "Torget vid busstationen")
        pty.write("q")
        Self.expectScreen(pty, question: "Tipsa om något som känns otryggt", "welcome again")
        pty.write(bytes: [0x01])
        pty.write("*")
        Self.expectScreen(pty, question: "Personal", also: ["Skriv PIN-koden och tryck Enter. Esc = avbryt.", "PERSONAL"], "PIN")
        pty.write(testPIN + "\r")
        Self.expectScreen(pty, question: "Personalmeny",
                          choices: ["1  Uppdatera", "2  Ändra händelse", "3  Skriv in papperstips", "4  Lämna personalläget",
                                    "5  Händelsen från inställningsfilen", "7  Ändra åldersgrupp"],
                          also: ["Väntar på att skickas: 1", "Förbindelse med servern: okänd (ingen gateway har rapporterat)"],
                          "staff menu")
        pty.write("4")
        Self.expectScreen(pty, question: "Tipsa om något som känns otryggt", "welcome after staff")
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }

    @Test func windowResizeRedraws() throws {
        let k = Kiosk()
        let pty = try k.start(rows: 24, columns: 30)
        #expect(pty.waitForScreen(timeout: 5) { $0.contains { $0.trimmingCharacters(in: .whitespaces) == "Polisen: 114 14" } })
        pty.setWindowSize(rows: 30, columns: 100)
        #expect(pty.waitForScreen(timeout: 15) { $0.contains { $0.contains("Vid akut fara: ring 112   Polisen: 114 14") } })
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
    }

    @Test func crashSignalStillRestoresTheTerminal() throws {
        let k = Kiosk()
        let pty = try k.start()
        pty.write("x1Hemligt")
        #expect(pty.waitForScreen("> Hemligt", timeout: 5))
        pty.signal(SIGABRT) // stands in for a crash (fatalError traps, a bad access)
        let exit = pty.waitForExit(timeout: 10)
        // dies of the signal: no interactive backtracer waiting on the visitor's screen
        #expect(exit == .signaled(SIGABRT), "\(String(describing: exit))")
        #expect(Self.isCooked(try #require(pty.attributes())))
        // The screen was wiped (read what the child wrote before it died; under load that can come late).
        #expect(pty.waitForScreen(timeout: 5) { lines in !lines.contains { $0.contains("Hemligt") } })
    }

    @Test func hangUpEndsIt() throws {
        let k = Kiosk()
        let pty = try k.start()
        pty.write("x1abc")
        pty.closeMaster()
        let exit = pty.waitForExit(timeout: 10)
        #expect(exit == .exited(0) || exit == .signaled(SIGHUP), "\(String(describing: exit))")
        #expect(try k.payloads().isEmpty)
    }

    /// utime + stime of a process, in clock ticks.
    static func cpuTicks(_ pid: pid_t) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let afterName = stat[stat.index(after: stat.lastIndex(of: ")")!)...]
        let fields = afterName.split(separator: " ")
        return Int(fields[11])! + Int(fields[12])! // fields 14 and 15 of proc(5), counted from after the name
    }
}

import Foundation
import Testing
@testable import Prompt
import ReportModel
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `PromptProgram.run` in this process on a real pseudo-terminal, with a store in memory: the I/O shell
/// (raw mode, poll loop, paste, resize, hang-up) without the `tipskiosk` binary.
/// Serialized: the prompt's signal handlers are process-wide, so one runs at a time.
@Suite(.serialized) struct PromptRunTests {
    final class Running: @unchecked Sendable { // `status` is guarded by `lock`
        let pty: PseudoTerminal
        let slave: Int32
        let store: MemoryStore
        let before: termios
        private let lock = NSLock()
        private var _status: Int32?
        private let done = DispatchSemaphore(value: 0)

        init(_ settings: PromptSettings, store: MemoryStore = MemoryStore(), rows: Int = 24, columns: Int = 80) throws {
            pty = try PseudoTerminal(rows: rows, columns: columns)
            slave = try pty.openSlave()
            self.store = store
            before = try #require(pty.attributes())
            let slave = self.slave
            let thread = Thread { [self] in
                let s = PromptProgram.run(settings: settings, store: store, input: slave, output: slave)
                lock.withLock { _status = s }
                done.signal()
            }
            thread.start()
        }
        deinit { close(slave) }

        var status: Int32? { lock.withLock { _status } }

        func waitForEnd(timeout: Double) -> Int32? {
            _ = done.wait(timeout: .now() + timeout)
            return status
        }

        /// Ends the prompt with SIGTERM (only while it runs: its handler takes the signal) and waits.
        func terminate() -> Int32? {
            guard status == nil else { return status }
            kill(getpid(), SIGTERM)
            return waitForEnd(timeout: 5)
        }
    }

    static func settings(idle: Int = 90, pin: String? = nil) -> PromptSettings {
        PromptSettings(kioskID: "test-kiosk-1", site: "Testgården", languages: ["sv", "en"], idleTimeoutSeconds: idle,
                       places: ["Ungdomsgården", "Centrum"], staffPINHash: pin, thanksSeconds: 8)
    }

    static func isRaw(_ t: termios) -> Bool {
        t.c_lflag & tcflag_t(ICANON | ECHO | ISIG | IEXTEN) == 0 && t.c_iflag & tcflag_t(IXON | ICRNL) == 0
    }

    static func sameMode(_ a: termios, _ b: termios) -> Bool {
        a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag && a.c_lflag == b.c_lflag
    }

    @Test func completeTipRawModeAndRestoreOnSIGTERM() throws {
        let p = try Running(Self.settings())
        #expect(!Self.isRaw(p.before))
        #expect(p.pty.waitForScreen("Vid akut fara: ring 112", timeout: 10))
        #expect(p.pty.waitForScreen("Polisen: 114 14", timeout: 1))
        let during = try #require(p.pty.attributes())
        #expect(Self.isRaw(during))
        p.pty.write("x")
        #expect(p.pty.waitForScreen("Steg 1 av 7", timeout: 5))
        p.pty.write("5")
        #expect(p.pty.waitForScreen("Steg 2 av 7", timeout: 5))
        p.pty.write("2\r")
        #expect(p.pty.waitForScreen("Steg 3 av 7", timeout: 5))
        p.pty.write("3")
        #expect(p.pty.waitForScreen("Steg 4 av 7", timeout: 5))
        #expect(p.pty.waitForScreen("Såg du det själv?", timeout: 5))
        p.pty.write("1")
        #expect(p.pty.waitForScreen("Steg 5 av 7", timeout: 5))
        p.pty.write("Någon bröt upp cykelförrådet\r")
        #expect(p.pty.waitForScreen("Steg 6 av 7", timeout: 5))
        p.pty.write("\r")
        #expect(p.pty.waitForScreen("Steg 7 av 7", timeout: 5))
        #expect(p.pty.waitForScreen("Såg själv: Ja, jag såg det själv", timeout: 5))
        #expect(p.pty.waitForScreen("Någon bröt upp cykelförrådet", timeout: 5))
        #expect(p.store.stored.isEmpty)
        p.pty.write("1")
        #expect(p.pty.waitForScreen("Ditt nummer: 0001", timeout: 5))
        #expect(p.store.stored.count == 1)
        let d = try #require(p.store.stored.first)
        #expect(d.category == .theft && d.place == "Centrum" && d.occurred == .thisWeek)
        #expect(d.text == "Någon bröt upp cykelförrådet" && d.language == "sv" && d.reporter.role == .visitor)
        #expect(d.source == .saw && d.reporter.ageGroup == nil)
        #expect(p.terminate() == 0)
        let after = try #require(p.pty.attributes())
        #expect(Self.sameMode(after, p.before))
        // the screen was wiped on the way out
        #expect(p.pty.waitForScreen(timeout: 2) { rows in rows.allSatisfy { $0.isEmpty } })
    }

    @Test func escapeAndBackspaceGoBack() throws {
        let p = try Running(Self.settings())
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        p.pty.write("x7")
        #expect(p.pty.waitForScreen("Steg 2 av 7", timeout: 5))
        p.pty.write("\u{1B}")
        #expect(p.pty.waitForScreen("Steg 1 av 7", timeout: 5))
        p.pty.write("7Torget")
        #expect(p.pty.waitForScreen("> Torget", timeout: 5))
        p.pty.write(String(repeating: "\u{7F}", count: 6))
        #expect(p.pty.waitForScreen(timeout: 5) { !$0.contains { $0.contains("Torget") } && $0.contains { $0.contains("Steg 2 av 7") } })
        p.pty.write("\u{7F}")
        #expect(p.pty.waitForScreen("Steg 1 av 7", timeout: 5))
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
        #expect(p.store.stored.isEmpty)
    }

    @Test func englishViaL() throws {
        let p = try Running(Self.settings())
        #expect(p.pty.waitForScreen("Tryck L för English", timeout: 10))
        p.pty.write("L")
        #expect(p.pty.waitForScreen("In an emergency: call 112", timeout: 5))
        p.pty.write(" 1")
        #expect(p.pty.waitForScreen("Step 2 of 7", timeout: 5))
        p.pty.write("The park\r5\rSomeone shouts at people\r\r1")
        #expect(p.pty.waitForScreen("Your number: 0001", timeout: 5))
        #expect(p.store.stored.first?.language == "en")
        #expect(p.store.stored.first?.place == "The park")
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }

    @Test func controlKeysAndRandomBytesLeaveItRunning() throws {
        let p = try Running(Self.settings())
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        for b in UInt8(0)...UInt8(0x1F) { p.pty.write(bytes: [b]) }
        p.pty.write(bytes: [0x7F, 0x03, 0x1A, 0x1C, 0x04])
        usleep(300_000)
        #expect(p.status == nil)
        var rng = SplitMix(seed: 7)
        for _ in 0..<100 {
            p.pty.write(bytes: (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        usleep(1_500_000) // any unfinished paste or sequence times out
        #expect(p.status == nil)
        for _ in 0..<10 { p.pty.write("\u{1B}"); usleep(100_000) }
        #expect(p.pty.waitForScreen(timeout: 5) { rows in
            rows.contains { $0.contains("Tryck på valfri tangent") || $0.contains("Press any key") }
        })
        #expect(p.pty.waitForScreen(timeout: 1) { rows in rows.contains { $0.contains("112") } })
        for d in p.store.stored {
            for s in [d.text, d.place] {
                #expect(!s.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) })
            }
        }
        #expect(p.terminate() == 0)
        #expect(Self.sameMode(try #require(p.pty.attributes()), p.before))
    }

    @Test func hugePasteIsBoundedTo2000() throws {
        let p = try Running(Self.settings())
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        p.pty.write("x1Centrum\r1")
        #expect(p.pty.waitForScreen("Steg 4 av 7", timeout: 5))
        p.pty.write("\r")
        #expect(p.pty.waitForScreen("Steg 5 av 7", timeout: 5))
        p.pty.write("\u{1B}[200~" + String(repeating: "abc defghi", count: 1000) + "\u{1B}[201~")
        #expect(p.pty.waitForScreen("2000/2000", timeout: 5))
        p.pty.write("\r\r1")
        #expect(p.pty.waitForScreen("Ditt nummer", timeout: 5))
        #expect(p.store.stored.first.map { TextCleaner.length($0.text) } == 2000)
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }

    @Test func fullStoreTellsTheVisitorAndStaysUp() throws {
        let store = MemoryStore()
        store.refusal = .full(maxPending: 1)
        let p = try Running(Self.settings(), store: store)
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        p.pty.write("x2Centrum\r2\rDet säljs grejer\r\r1")
        #expect(p.pty.waitForScreen("Kiosken tar inte emot fler tips just nu. Be personalen om hjälp.", timeout: 5))
        #expect(p.pty.waitForScreen("Det säljs grejer", timeout: 1))
        #expect(!p.pty.screenText.contains("Ditt nummer"))
        #expect(p.status == nil)
        store.refusal = nil
        p.pty.write("1")
        #expect(p.pty.waitForScreen("Ditt nummer: 0001", timeout: 5))
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }

    @Test func idleWipesTheDraft() throws {
        let p = try Running(Self.settings(idle: 1))
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        p.pty.write("x1Hemlig plats")
        #expect(p.pty.waitForScreen("> Hemlig plats", timeout: 5))
        let mark = p.pty.mark
        #expect(p.pty.waitForScreen("Tryck på valfri tangent", timeout: 5))
        #expect(!p.pty.screenText.contains("Hemlig plats"))
        // the whole screen and the scrollback, not only the rows that changed
        let wipe = String(decoding: p.pty.output[mark...], as: UTF8.self)
        #expect(wipe.contains("\u{1B}[2J"), "\(wipe.debugDescription)")
        #expect(wipe.contains("\u{1B}[3J"), "\(wipe.debugDescription)")
        p.pty.write("x")
        #expect(p.pty.waitForScreen("Steg 1 av 7", timeout: 5))
        #expect(p.store.stored.isEmpty)
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }

    @Test func resizeRedrawsForTheNewWidth() throws {
        let p = try Running(Self.settings(), rows: 24, columns: 30)
        #expect(p.pty.waitForScreen(timeout: 10) { rows in
            let own = rows.map { $0.trimmingCharacters(in: .whitespaces) } // each on a row of its own
            return own.contains("Vid akut fara: ring 112") && own.contains("Polisen: 114 14")
        })
        p.pty.setWindowSize(rows: 30, columns: 100)
        kill(getpid(), SIGWINCH) // in-process the pty is nobody's controlling tty: deliver it ourselves
        #expect(p.pty.waitForScreen(timeout: 5) { $0.contains { $0.contains("Vid akut fara: ring 112   Polisen: 114 14") } })
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }

    @Test func staffPINLockoutAndMenu() throws {
        let p = try Running(Self.settings(pin: testPINHash))
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        p.pty.write(bytes: [0x01])
        p.pty.write("*")
        #expect(p.pty.waitForScreen("Skriv PIN-koden", timeout: 5))
        p.pty.write(testPIN + "\r")
        #expect(p.pty.waitForScreen("Väntar på att skickas: 0", timeout: 5))
        #expect(p.pty.waitForScreen("Förbindelse med servern: ansluten", timeout: 5))
        p.pty.write("4")
        #expect(p.pty.waitForScreen("Tryck på valfri tangent", timeout: 5))
        p.pty.write(bytes: [0x01])
        p.pty.write("*")
        #expect(p.pty.waitForScreen("Skriv PIN-koden", timeout: 5))
        for i in 1...4 {
            p.pty.write("111111\r")
            #expect(p.pty.waitForScreen("\(5 - i) försök kvar", timeout: 5))
        }
        p.pty.write("111111\r")
        #expect(p.pty.waitForScreen("Försök igen om 5 minuter", timeout: 5))
        p.pty.write(testPIN + "\r")
        usleep(300_000)
        #expect(!p.pty.screenText.contains("Väntar på att skickas"))
        // every change went to the store, the lockout last: five minutes from now on the wall clock
        #expect(p.store.lockoutWrites == 5)
        let stored = p.store.storedLockout
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(stored.failures == 0 && stored.lockouts == 1)
        #expect((stored.lockedUntilUnixMillis ?? 0) > now + 4 * 60_000)
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }

    @Test func aStoredLockoutIsInForceFromTheStart() throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let store = MemoryStore(lockout: StoredStaffLockout(failures: 0, lockouts: 2, lockedUntilUnixMillis: now + 20 * 60_000))
        let p = try Running(Self.settings(pin: testPINHash), store: store)
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        p.pty.write(bytes: [0x01])
        p.pty.write("*")
        #expect(p.pty.waitForScreen("Försök igen om 20 minuter", timeout: 5))
        p.pty.write(testPIN + "\r")
        usleep(300_000)
        #expect(!p.pty.screenText.contains("Väntar på att skickas"))
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }

    @Test func paperTipsNeedThePINToGetBackToTheMenu() throws {
        let p = try Running(Self.settings(pin: testPINHash))
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        p.pty.write(bytes: [0x01])
        p.pty.write("*" + testPIN + "\r")
        #expect(p.pty.waitForScreen("Personalmeny", timeout: 5))
        p.pty.write("3")
        #expect(p.pty.waitForScreen("PAPPERSTIPS", timeout: 5))
        #expect(p.pty.waitForScreen("Tryck på valfri tangent", timeout: 5))
        p.pty.write(bytes: [0x01])
        p.pty.write("*")
        #expect(p.pty.waitForScreen("Skriv PIN-koden", timeout: 5))
        #expect(!p.pty.screenText.contains("Personalmeny"))
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }

    @Test func hangUpEndsCleanly() throws {
        let p = try Running(Self.settings())
        #expect(p.pty.waitForScreen("Vid akut fara", timeout: 10))
        p.pty.write("x1abc")
        p.pty.closeMaster()
        #expect(p.waitForEnd(timeout: 5) == 0)
    }
}

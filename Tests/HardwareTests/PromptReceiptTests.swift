import Foundation
import Glibc
import Testing
import TestSupport

/// The real `tipskiosk prompt` on a pseudo-terminal with `[hardware] receipt_printer` set.
@Suite struct PromptReceiptTests {
    static func start(_ dir: TempDir, printer: String) throws -> PseudoTerminal {
        let config = writeTestConfig(in: dir, extra: "[hardware]\nreceipt_printer = \"\(printer)\"\n")
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "JOURNAL_STREAM")
        let pty = try PseudoTerminal.spawn(tipskioskBinary(), ["prompt", "--config", config], environment: env)
        #expect(pty.waitForScreen("Vid akut fara: ring 112", timeout: 20), "\(pty.text())")
        return pty
    }

    /// Types a tip and returns how long "Tack" took after the `1` that sends it.
    static func tip(_ pty: PseudoTerminal, _ text: String) -> Double {
        let missing = pty.typeTip(category: "5", place: "2", when: "3", text: text)
        #expect(missing == nil, "the screen \(missing ?? "") did not come")
        let sent = Date()
        #expect(pty.waitForScreen("Tack för ditt tips!", timeout: 10))
        return Date().timeIntervalSince(sent)
    }

    @Test func theReceiptHasTheReferenceAndNothingOfTheTip() throws {
        let dir = TempDir("receipt")
        let printer = dir.file("lp0")
        #expect(FileManager.default.createFile(atPath: printer, contents: nil))
        let pty = try Self.start(dir, printer: printer)
        defer { pty.signal(SIGTERM); _ = pty.waitForExit(timeout: 5) }
        _ = Self.tip(pty, "Någon bröt upp cykelförrådet")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 5))
        #expect(waitUntil(timeout: 5) { ((try? Data(contentsOf: URL(fileURLWithPath: printer)))?.count ?? 0) > 0 })
        usleep(200_000)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: printer)))
        // ESC @, ESC t 2 (code page 850), then the thanks screen's texts; å ä ö as 0x86 0x84 0x94.
        #expect(Array(bytes.prefix(5)) == [0x1B, 0x40, 0x1B, 0x74, 0x02])
        let text = String(decoding: bytes.map { $0 < 0x80 ? $0 : UInt8(ascii: "#") }, as: UTF8.self)
        #expect(text.contains("Ditt nummer: 0001"))
        #expect(text.contains("Vid akut fara: ring 112") && text.contains("Polisen: 114 14"))
        let tack: [UInt8] = Array("Tack f".utf8) + [0x94] + Array("r ditt tips!".utf8)
        #expect(bytes.firstRange(of: tack) != nil)
        // Never the tip's text or place.
        for word in ["cykel", "upp", "Centrum", "Ungdoms"] { #expect(!text.contains(word), "\(word)") }
    }

    /// A printer that takes nothing (its pipe full): "Tack" comes as fast as without one, tip after tip.
    @Test func aStuckPrinterNeverDelaysTack() throws {
        let dir = TempDir("receipt")
        let stuck = try ReaderFIFO(in: dir, full: true)
        let pty = try Self.start(dir, printer: stuck.path)
        defer { pty.signal(SIGTERM); _ = pty.waitForExit(timeout: 10) }
        var slowest = 0.0
        for i in 1...3 {
            slowest = max(slowest, Self.tip(pty, "tips nummer \(i)"))
            #expect(pty.waitForScreen("Ditt nummer: 000\(i)", timeout: 5))
            pty.write("x")   // back to the welcome screen
            #expect(pty.waitForScreen("Tipsa om något som känns otryggt", timeout: 5))
        }
        print("stored-to-Tack with a stuck printer, slowest of 3: \(Int(slowest * 1000)) ms")
        #expect(slowest < 2.0)
    }
}

import Foundation
import Testing
@testable import Prompt
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `[prompt] speech = true` end to end: the real prompt on a pseudo-terminal, where libespeak-ng cannot be
/// loaded (`TIPSKIOSK_SPEECH_LIBRARY` names a missing file). The visitor's flow is whole, and the log says why
/// there is no speech, once.
@Suite struct SpeechPTYTests {
    @Test func withoutTheLibraryThePromptRunsOnAndLogsOneLine() throws {
        let d = TempDir("speech")
        let config = writeTestConfig(in: d, extra: "[prompt]\nspeech = true\n")
        let log = d.file("prompt.log")
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "JOURNAL_STREAM")
        env["TIPSKIOSK_SPEECH_LIBRARY"] = "libespeak-ng-missing.so.1"
        // Standard error to a file (on the prompt's own terminal it would go to /dev/null).
        let pty = try PseudoTerminal.spawn("/bin/sh", ["-c", "cd '\(d.path)' && exec 2>'\(log)' '\(tipskioskBinary())' prompt --config '\(config)'"],
                                           environment: env)
        #expect(pty.waitForScreen("Vid akut fara: ring 112", timeout: 20), "\(pty.text())")
        #expect(pty.waitForScreen("F1 = läs upp igen", timeout: 2), "the repeat key is shown")

        // F1 on the welcome screen reads it again and does not start a tip: L still switches the language.
        pty.write("\u{1B}OP")
        pty.write("L")
        #expect(pty.waitForScreen("Tell us about something that feels unsafe", timeout: 5))
        #expect(pty.waitForScreen("F1 = read aloud again", timeout: 2))
        pty.write("L")
        #expect(pty.waitForScreen("Tipsa om något som känns otryggt", timeout: 5))

        // A whole tip, with F1 pressed on a menu and in the middle of the text: it types nothing.
        let steps: [(String, String)] = [("x", "Steg 1 av 7"), ("\u{1B}OP5", "Steg 2 av 7"), ("2\r", "Steg 3 av 7"),
                                         ("3", "Steg 4 av 7"), ("\r", "Steg 5 av 7"),
                                         ("Cykeln \u{1B}OPstals\r", "Steg 6 av 7"), ("\r", "Steg 7 av 7")]
        for (typed, screen) in steps {
            pty.write(typed)
            #expect(pty.waitForScreen(screen, timeout: 5), "\(screen): \(pty.text())")
        }
        pty.write("\u{1B}OP1")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 10))
        let r = try runProcess("/usr/bin/sqlite3", [d.file("outbox.sqlite"), "SELECT payload FROM reports;"])
        let payload = try #require(jsonObject(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(payload["text"] as? String == "Cykeln stals", "F1 typed nothing")
        #expect(payload["category"] as? String == "theft")

        // The one line: waited for (the speaker's thread writes it), then the prompt ends, then counted.
        let deadline = Date().addingTimeInterval(10)
        while !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("speech:"), Date() < deadline {
            usleep(20_000)
        }
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains("speech") }
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("cannot load libespeak-ng-missing.so.1") == true, "\(lines)")
        #expect(lines.first?.contains("runs without speech") == true)
        #expect(!(try String(contentsOfFile: log, encoding: .utf8)).contains("Cykeln"), "logs never hold a tip's text")
    }
}

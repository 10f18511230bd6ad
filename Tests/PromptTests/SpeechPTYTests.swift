import Foundation
import Testing
@testable import Prompt
import Speech
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `[prompt] speech = true` end to end: the real prompt on a pseudo-terminal, where libespeak-ng cannot be
/// loaded (`TIPSKIOSK_SPEECH_LIBRARY` names a missing file). The visitor's flow is whole, and the log says why
/// there is no speech, once.
@Suite struct SpeechPTYTests {
    /// A kiosk folder with `speech = true`, and the prompt started on a pty there with `environment` added to
    /// this process's; its standard error goes to the folder's `prompt.log` (on the prompt's own terminal it
    /// would go to /dev/null).
    static func startSpeaking(_ environment: [String: String?]) throws -> (dir: TempDir, log: String, pty: PseudoTerminal) {
        let d = TempDir("speech")
        let config = writeTestConfig(in: d, extra: "[prompt]\nspeech = true\n")
        let log = d.file("prompt.log")
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "JOURNAL_STREAM")
        for (k, v) in environment { env[k] = v }
        let pty = try PseudoTerminal.spawn("/bin/sh", ["-c", "cd '\(d.path)' && exec 2>'\(log)' '\(tipskioskBinary())' prompt --config '\(config)'"],
                                           environment: env)
        return (d, log, pty)
    }

    @Test func withoutTheLibraryThePromptRunsOnAsWithoutSpeechAndLogsOneLine() throws {
        let (d, log, pty) = try Self.startSpeaking([ESpeak.libraryEnvironment: "libespeak-ng-missing.so.1"])
        #expect(pty.waitForScreen("Vid akut fara: ring 112", timeout: 20), "\(pty.text())")
        // The speaker's thread finds no library and says so (after it has marked speech as not to be had).
        #expect(Self.waitForFile(log) { $0.contains("speech:") }.contains("speech:"))

        // From then on the prompt is as without speech: no "F1 = …" on a screen drawn again, and F1 is the key it
        // always was (on the welcome screen any key starts a tip).
        pty.write("L")
        #expect(pty.waitForScreen("Tell us about something that feels unsafe", timeout: 5))
        #expect(!pty.screenText.contains("F1"), "no repeat key without speech: \(pty.screenText)")
        pty.write("L")
        #expect(pty.waitForScreen("Tipsa om något som känns otryggt", timeout: 5))
        #expect(!pty.screenText.contains("F1"))
        pty.write("\u{1B}OP")
        #expect(pty.waitForScreen("Steg 1 av 7", timeout: 5), "F1 starts a tip, as any key does: \(pty.screenText)")

        // A whole tip, with F1 pressed on a menu and in the middle of the text: it types nothing.
        let steps: [(String, String)] = [("\u{1B}OP5", "Steg 2 av 7"), ("2\r", "Steg 3 av 7"),
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

        // The one line, counted once the prompt has ended.
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").filter { $0.contains("speech") }
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("cannot load libespeak-ng-missing.so.1") == true, "\(lines)")
        #expect(lines.first?.contains("runs without speech") == true)
        #expect(!(try String(contentsOfFile: log, encoding: .utf8)).contains("Cykeln"), "logs never hold a tip's text")
    }

    /// Polls `file` until `predicate` holds on its text (or 10 s pass); the text.
    static func waitForFile(_ file: String, _ predicate: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(10)
        var text = ""
        repeat {
            text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            if predicate(text) { break }
            usleep(20_000)
        } while Date() < deadline
        return text
    }

    /// The real libespeak-ng inside the prompt, synthesising beside the visitor's keys (played nowhere: the
    /// test box has no sound card, `TIPSKIOSK_SPEECH_OUTPUT=discard`). The debug log says how much sound each
    /// screen made, in which voice, and never holds the visitor's words.
    @Test(.enabled(if: ESpeak.checkLibrary() == nil, "libespeak-ng1 is not installed"))
    func theRealVoiceSpeaksEachScreenBesideTheKeys() throws {
        let (dir, log, pty) = try Self.startSpeaking([ESpeak.libraryEnvironment: nil, Speaker.outputEnvironment: "discard",
                                                    "TIPSKIOSK_DEBUG": "1"])
        #expect(pty.waitForScreen("F1 = läs upp igen", timeout: 20), "\(pty.text())")
        func sounds(_ text: String) -> [String] { text.split(separator: "\n").map(String.init).filter { $0.contains("s of sound in") } }
        // Nothing is said at start: the box does not talk by itself. F1 reads the welcome screen.
        pty.write("\u{1B}OP")
        var text = Self.waitForFile(log) { sounds($0).count >= 1 }
        #expect(sounds(text).count == 1, "\(text)")
        #expect(sounds(text).first?.contains("in sv") == true)
        // L reads it in English; then a whole tip, each screen read as it comes.
        pty.write("L")
        text = Self.waitForFile(log) { sounds($0).count >= 2 }
        #expect(sounds(text).last?.contains("in en") == true, "\(text)")
        pty.write("L")
        _ = Self.waitForFile(log) { sounds($0).count >= 3 }
        let missing = pty.typeTip(category: "5", place: "Torget vid Zyxwvutgatan", when: "3", text: "Zyxwvut stal en cykel")
        #expect(missing == nil, "\(missing ?? "")")
        #expect(pty.waitForScreen("Ditt nummer: 0001", timeout: 10))
        // The tip's screens were read (how many lines depends on the speed: a screen left before its words
        // were taken is skipped, the newest request replaces older ones; one still being made is cut short).
        text = Self.waitForFile(log) { $0.contains("stored report seq 1") && sounds($0).count >= 4 }
        #expect(sounds(text).count >= 4, "the screens of the tip were read: \(text)")
        pty.signal(SIGTERM)
        #expect(pty.waitForExit(timeout: 10) == .exited(0))
        let all = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!all.contains("Zyxwvut"), "logs never hold a tip's text")
        #expect(!all.contains("warning"), "\(all)")
        withExtendedLifetime(dir) {}
    }
}

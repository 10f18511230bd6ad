import Foundation
import Testing
import Prompt
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `tipskiosk hash-pin`, the real binary: on a pipe, and on a pseudo-terminal as staff would run it.
@Suite struct HashPINTests {
    @Test func shortPINsAreRefusedWithASentence() throws {
        for pin in ["1234", "12345", "1234567890123", "12345x"] {
            let r = try tipskiosk(["hash-pin"], input: Data("\(pin)\n".utf8))
            #expect(r.status == 65, "\(pin): \(r.status)")
            #expect(r.stderr.contains("the PIN must be 6 to 12 digits; a shorter one is too easy to guess."), "\(r.stderr)")
            #expect(!r.stdout.contains("pbkdf2"))
        }
    }

    @Test func sixDigitsGiveA600000IterationHashThatVerifies() throws {
        let r = try tipskiosk(["hash-pin"], input: Data("246813\n".utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let line = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("staff_pin_hash = \"pbkdf2-sha256$600000$"), "\(line)")
        let hash = String(line.dropFirst("staff_pin_hash = \"".count).dropLast())
        #expect(StaffPIN.verify(pin: "246813", against: hash))
        #expect(!StaffPIN.verify(pin: "246814", against: hash))
    }

    @Test func ctrlCWhileThePINIsTypedGivesTheEchoBack() throws {
        let pty = try PseudoTerminal.spawn(tipskioskBinary(), ["hash-pin"])
        #expect(pty.waitForText("Staff PIN (6 to 12 digits):", timeout: 20), "\(pty.text())")
        // echo goes off for the PIN
        var echoOff = false
        for _ in 0..<100 where !echoOff {
            if let t = pty.attributes(), t.c_lflag & tcflag_t(ECHO) == 0 { echoOff = true } else { usleep(20_000) }
        }
        #expect(echoOff)
        pty.write("123")
        pty.write(bytes: [0x03]) // Ctrl-C: SIGINT to the foreground process
        #expect(pty.waitForExit(timeout: 10) == .signaled(SIGINT))
        let after = try #require(pty.attributes())
        #expect(after.c_lflag & tcflag_t(ECHO) != 0, "the terminal was left without echo")
        #expect(!pty.text().contains("123"))
    }

    @Test func theEchoComesBackAfterThePINToo() throws {
        let pty = try PseudoTerminal.spawn(tipskioskBinary(), ["hash-pin"])
        #expect(pty.waitForText("Staff PIN (6 to 12 digits):", timeout: 20))
        var echoOff = false
        for _ in 0..<100 where !echoOff {
            if let t = pty.attributes(), t.c_lflag & tcflag_t(ECHO) == 0 { echoOff = true } else { usleep(20_000) }
        }
        pty.write("246813\r")
        #expect(pty.waitForExit(timeout: 20) == .exited(0))
        #expect(pty.waitForText("pbkdf2-sha256$600000$", timeout: 5))
        #expect(!pty.text().contains("246813"))
        #expect(try #require(pty.attributes()).c_lflag & tcflag_t(ECHO) != 0)
    }
}

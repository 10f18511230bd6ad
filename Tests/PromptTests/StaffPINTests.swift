import Testing
@testable import Prompt

@Suite struct StaffPINTests {
    @Test func hashHasTheDocumentedFormatAndVerifies() {
        let h = StaffPIN.hash(pin: "246813")
        let parts = h.split(separator: "$")
        #expect(parts.count == 4)
        #expect(parts[0] == "pbkdf2-sha256")
        #expect(parts[1] == "600000") // OWASP's figure for PBKDF2-HMAC-SHA256
        #expect(Data(base64Encoded: String(parts[2]))?.count == 16)
        #expect(Data(base64Encoded: String(parts[3]))?.count == 32)
        #expect(StaffPIN.verify(pin: "246813", against: h))
        #expect(!StaffPIN.verify(pin: "246814", against: h))
        #expect(!StaffPIN.verify(pin: "", against: h))
        #expect(StaffPIN.isWellFormed(h))
    }

    @Test func hashesBelowTheFloorAreRefusedAndOldOnesStillWork() {
        // Made before the count was raised: 210,000 iterations still verify.
        let old = StaffPIN.hash(pin: "2468", iterations: 210_000)
        #expect(StaffPIN.isWellFormed(old))
        #expect(StaffPIN.verify(pin: "2468", against: old))
        // One fewer, or a weak hand-made one: refused, whatever the PIN.
        for n in [209_999, 1000, 1] {
            let weak = StaffPIN.hash(pin: "2468", iterations: n)
            #expect(!StaffPIN.isWellFormed(weak), "\(n)")
            #expect(!StaffPIN.verify(pin: "2468", against: weak), "\(n)")
        }
    }

    @Test func pinsOfSixToTwelveDigits() {
        for ok in ["123456", "000000", "123456789012"] { #expect(StaffPIN.isAcceptablePIN(ok), "\(ok)") }
        for bad in ["", "1234", "12345", "1234567890123", "12345a", "12 456", "١٢٣٤٥٦"] {
            #expect(!StaffPIN.isAcceptablePIN(bad), "\(bad)")
        }
    }

    @Test func saltsDiffer() {
        #expect(StaffPIN.hash(pin: "1", iterations: 10) != StaffPIN.hash(pin: "1", iterations: 10))
    }

    @Test func knownAnswer() {
        // The widely published PBKDF2-HMAC-SHA256 vector: P = "password", S = "salt", c = 1, dkLen = 32 (checked
        // on `derive`: `verify` refuses a count of 1).
        let expected: [UInt8] = [0x12, 0x0f, 0xb6, 0xcf, 0xfc, 0xf8, 0xb3, 0x2c, 0x43, 0xe7, 0x22, 0x52, 0x56, 0xc4, 0xf8, 0x37,
                                 0xa8, 0x65, 0x48, 0xc9, 0x2c, 0xcc, 0x35, 0x48, 0x08, 0x05, 0x98, 0x7c, 0xb7, 0x0b, 0xe1, 0x7b]
        #expect(StaffPIN.derive(pin: "password", salt: Array("salt".utf8), iterations: 1) == expected)
        #expect(StaffPIN.derive(pin: "passwore", salt: Array("salt".utf8), iterations: 1) != expected)
        let h = "pbkdf2-sha256$1$\(Data("salt".utf8).base64EncodedString())$\(Data(expected).base64EncodedString())"
        #expect(!StaffPIN.verify(pin: "password", against: h))
    }

    @Test func malformedHashesNeverVerify() {
        for bad in ["", "1234", "pbkdf2-sha256$1000$$", "sha1$1000$AAAA$AAAA", "pbkdf2-sha256$0$AAAA$AAAA",
                    "pbkdf2-sha256$x$AAAA$AAAA", "pbkdf2-sha256$99999999$AAAA$AAAA", "pbkdf2-sha256$10$!!$AAAA"] {
            #expect(!StaffPIN.verify(pin: "1234", against: bad), "\(bad)")
        }
    }

    @Test func lockoutInWallClockAndBack() {
        var l = PINLockout()
        for _ in 1...5 { l.recordFailure(now: 10_000) }
        let s = l.stored(now: 70_000, unixNow: 1_000_000_000) // a minute into the 5-minute lock
        #expect(s == StoredStaffLockout(failures: 0, lockouts: 1, lockedUntilUnixMillis: 1_000_000_000 + 4 * 60_000))
        let back = PINLockout(stored: s, now: 5, unixNow: 1_000_000_000 + 60_000)
        #expect(back.lockouts == 1 && back.remainingMillis(now: 5) == 3 * 60_000)
        // over: no lock; a wall clock set back a day: at most an hour
        #expect(!PINLockout(stored: s, now: 5, unixNow: 2_000_000_000).isLocked(now: 5))
        let skewed = PINLockout(stored: s, now: 5, unixNow: 1_000_000_000 - 86_400_000)
        #expect(skewed.remainingMillis(now: 5) == PINLockout.longestLockMillis)
        // a stored count of wrong PINs comes back; nonsense is bounded
        #expect(PINLockout(stored: StoredStaffLockout(failures: 3), now: 0, unixNow: 0).attemptsLeft == 2)
        #expect(PINLockout(stored: StoredStaffLockout(failures: 99, lockouts: -4), now: 0, unixNow: 0).attemptsLeft == 1)
    }

    @Test func constantTimeCompare() {
        #expect(StaffPIN.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!StaffPIN.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!StaffPIN.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!StaffPIN.constantTimeEqual([], []))
    }

    @Test func lockoutAfterFiveWrongAndGrowing() {
        var l = PINLockout()
        for i in 1...4 {
            let locked = l.recordFailure(now: 0)
            #expect(locked == false)
            #expect(l.attemptsLeft == 5 - i)
        }
        let lockedNow = l.recordFailure(now: 1000)
        #expect(lockedNow)
        #expect(l.isLocked(now: 1000))
        #expect(l.remainingMillis(now: 1000) == 5 * 60_000)
        #expect(l.isLocked(now: 1000 + 5 * 60_000 - 1))
        #expect(!l.isLocked(now: 1000 + 5 * 60_000))
        // wrong PINs while locked do not count
        let whileLocked = l.recordFailure(now: 2000)
        #expect(whileLocked == false)
        let t = Int64(1000 + 5 * 60_000)
        for _ in 1...4 { l.recordFailure(now: t) }
        let second = l.recordFailure(now: t)
        #expect(second)
        #expect(l.remainingMillis(now: t) == 10 * 60_000)
        var t2 = t + 10 * 60_000
        for _ in 0..<10 {
            for _ in 1...5 { l.recordFailure(now: t2) }
            #expect(l.remainingMillis(now: t2) <= PINLockout.longestLockMillis)
            t2 += PINLockout.longestLockMillis
        }
        l.recordSuccess()
        #expect(!l.isLocked(now: t2) && l.attemptsLeft == 5 && l.lockouts == 0)
    }
}

import Foundation

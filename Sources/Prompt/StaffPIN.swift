import COpenSSL
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The staff PIN, stored only as a salted PBKDF2-HMAC-SHA256 hash:
/// `pbkdf2-sha256$ITERATIONS$SALT_BASE64$HASH_BASE64` (standard base64 with padding, 16-byte salt, 32-byte hash).
///
/// Put the output of `StaffPIN.hash(pin:)` into `[prompt] staff_pin_hash`.
public enum StaffPIN {
    /// The scheme name at the start of every hash string.
    public static let scheme = "pbkdf2-sha256"
    /// The iteration count `hash(pin:)` uses: OWASP's current figure for PBKDF2-HMAC-SHA256 (600,000).
    public static let defaultIterations = 600_000
    /// `verify` and `isWellFormed` refuse a hash string with fewer iterations than this. It is the count
    /// `tipskiosk hash-pin` used before 600,000 (and swift-crypto's checked minimum), so hashes made then keep
    /// working; anything weaker is treated as no PIN at all ("staff mode is not set up").
    public static let minimumIterations = 210_000
    /// Hash strings with more iterations than this are refused by `verify` (a bad file must not hang the kiosk).
    public static let maxIterations = 5_000_000
    /// The shortest PIN `tipskiosk hash-pin` accepts, and the longest.
    public static let pinDigits = 6...12
    static let saltBytes = 16
    static let hashBytes = 32

    /// True when `pin` is one `tipskiosk hash-pin` accepts: 6 to 12 ASCII digits.
    public static func isAcceptablePIN(_ pin: String) -> Bool {
        pinDigits.contains(pin.count) && pin.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A new hash string for `pin`, with a fresh random salt from `SystemRandomNumberGenerator`. A count below
    /// `minimumIterations` gives a string that `verify` refuses.
    public static func hash(pin: String, iterations: Int = defaultIterations) -> String {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<saltBytes).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let derived = derive(pin: pin, salt: salt, iterations: max(1, iterations))
        return "\(scheme)$\(max(1, iterations))$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// True when `pin` matches `hash` (compared in constant time). False for a malformed hash string, and for
    /// one with fewer than `minimumIterations` or more than `maxIterations` iterations.
    public static func verify(pin: String, against hash: String) -> Bool {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let iterations = Int(parts[1]),
              (minimumIterations...maxIterations).contains(iterations),
              let salt = Data(base64Encoded: String(parts[2])), !salt.isEmpty,
              let expected = Data(base64Encoded: String(parts[3])), !expected.isEmpty, expected.count <= 64
        else { return false }
        let derived = derive(pin: pin, salt: Array(salt), iterations: iterations, length: expected.count)
        return constantTimeEqual(derived, Array(expected))
    }

    /// True when `hash` has the shape of a hash string `verify` accepts, iteration count included (does not
    /// check any PIN).
    public static func isWellFormed(_ hash: String) -> Bool {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let n = Int(parts[1]),
              (minimumIterations...maxIterations).contains(n),
              Data(base64Encoded: String(parts[2])) != nil, Data(base64Encoded: String(parts[3])) != nil
        else { return false }
        return true
    }

    /// PBKDF2-HMAC-SHA256 (RFC 8018) through OpenSSL's libcrypto, which the kiosk links anyway (TLS); empty on
    /// failure. The count comes from our own hash string, which `verify` bounds first.
    static func derive(pin: String, salt: [UInt8], iterations: Int, length: Int = hashBytes) -> [UInt8] {
        guard length > 0, let rounds = Int32(exactly: iterations), rounds > 0 else { return [] }
        let password = Array(pin.utf8)
        var key = [UInt8](repeating: 0, count: length)
        let ok = password.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { pw in
                PKCS5_PBKDF2_HMAC(pw.baseAddress, Int32(pw.count), salt, Int32(salt.count), rounds, EVP_sha256(),
                                  Int32(length), &key)
            }
        }
        return ok == 1 ? key : []
    }

    /// Compares every byte whatever the contents, so the time taken does not tell how much matched.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// Wrong-PIN lockout: after `maxAttempts` wrong PINs in a row, staff mode is locked for 5 minutes, then 10, 20,
/// 40, at most 60 minutes for each further lockout. A right PIN resets it. Times are monotonic milliseconds.
///
/// It outlives the prompt: the flow asks for the stored state whenever the PIN screen opens (`adopt`) and has
/// every change stored (`FlowEffect.saveStaffLockout`); `StoredStaffLockout` is its wall-clock form.
public struct PINLockout: Sendable, Equatable {
    public static let maxAttempts = 5
    public static let firstLockMillis: Int64 = 5 * 60_000
    public static let longestLockMillis: Int64 = 60 * 60_000

    /// Wrong PINs since the last lockout or right PIN.
    public private(set) var failures = 0
    /// Lockouts so far (each one longer).
    public private(set) var lockouts = 0
    /// End of the current lockout.
    public private(set) var lockedUntil: Int64?

    public init() {}

    /// A lockout in a given state (as stored), with the counts bounded to what `recordFailure` can make.
    public init(failures: Int, lockouts: Int, lockedUntil: Int64?) {
        self.failures = min(max(0, failures), Self.maxAttempts - 1)
        self.lockouts = min(max(0, lockouts), 64)
        self.lockedUntil = lockedUntil
    }

    public func isLocked(now: Int64) -> Bool { (lockedUntil ?? .min) > now }

    /// Milliseconds left of the lockout (0 when not locked).
    public func remainingMillis(now: Int64) -> Int64 { max(0, (lockedUntil ?? now) - now) }

    /// Wrong PINs that may still be tried before the lockout.
    public var attemptsLeft: Int { Self.maxAttempts - failures }

    /// Records a wrong PIN; returns true when this one started a lockout. Ignored while locked.
    @discardableResult
    public mutating func recordFailure(now: Int64) -> Bool {
        if isLocked(now: now) { return false }
        failures += 1
        guard failures >= Self.maxAttempts else { return false }
        failures = 0
        lockouts += 1
        let shift = min(lockouts - 1, 8)
        lockedUntil = now + min(Self.firstLockMillis << Int64(shift), Self.longestLockMillis)
        return true
    }

    /// A right PIN: everything is forgotten.
    public mutating func recordSuccess() {
        failures = 0
        lockouts = 0
        lockedUntil = nil
    }

    /// Takes in a stored state (from another run of the prompt, or another prompt on the same outbox): the
    /// stricter of the two counts and lockout ends wins, so reading an old or empty store never shortens a lockout.
    public mutating func adopt(_ other: PINLockout) {
        failures = max(failures, other.failures)
        lockouts = max(lockouts, other.lockouts)
        switch (lockedUntil, other.lockedUntil) {
        case (let a?, let b?): lockedUntil = max(a, b)
        case (nil, let b?): lockedUntil = b
        default: break
        }
    }

    /// The wall-clock form to store: the end of the lockout as Unix milliseconds, from monotonic `now` and the
    /// wall clock `unixNow` read at the same moment.
    public func stored(now: Int64, unixNow: Int64) -> StoredStaffLockout {
        StoredStaffLockout(failures: failures, lockouts: lockouts,
                           lockedUntilUnixMillis: isLocked(now: now) ? unixNow + remainingMillis(now: now) : nil)
    }

    /// A stored lockout in monotonic time. What is left of it is capped at `longestLockMillis`, so a wall clock
    /// set back (or a box that boots with a stale clock) cannot lock staff out for longer than an hour.
    public init(stored: StoredStaffLockout, now: Int64, unixNow: Int64) {
        var until: Int64?
        if let end = stored.lockedUntilUnixMillis, end > unixNow {
            until = now + min(end - unixNow, Self.longestLockMillis)
        }
        self.init(failures: stored.failures, lockouts: stored.lockouts, lockedUntil: until)
    }
}

/// The staff PIN lockout as it is kept between runs of the prompt (in the outbox): wrong PINs in a row, lockouts
/// so far, and the end of the current lockout in Unix milliseconds (wall clock, unlike `PINLockout`).
public struct StoredStaffLockout: Sendable, Equatable {
    public var failures: Int
    public var lockouts: Int
    public var lockedUntilUnixMillis: Int64?

    public init(failures: Int = 0, lockouts: Int = 0, lockedUntilUnixMillis: Int64? = nil) {
        self.failures = failures
        self.lockouts = lockouts
        self.lockedUntilUnixMillis = lockedUntilUnixMillis
    }
}

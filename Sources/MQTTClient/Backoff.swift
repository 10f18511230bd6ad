/// Reconnect delays: exponential backoff with jitter, capped, reset on success.
///
/// A pure value: no clock, no global random source. Each failure asks for
/// ``nextDelay(using:)`` with the caller's `RandomNumberGenerator` (use
/// `SystemRandomNumberGenerator` in production, a seeded one in tests), and a
/// successful connection calls ``reset()``.
///
/// With the defaults (initial 1 s, maximum 60 s, multiplier 2):
/// - ``Jitter-swift.enum/full``: attempt *n* (0-based) waits a uniform random
///   time in `[0, min(60, 1·2ⁿ)]` ("full jitter").
/// - ``Jitter-swift.enum/decorrelated``: waits a uniform random time in
///   `[1, min(60, 3·previous)]`, starting from previous = 1 ("decorrelated jitter").
/// - ``Jitter-swift.enum/none``: exactly `min(60, 1·2ⁿ)`.
///
/// Every delay is within `[0, maximum]` (`[initial, maximum]` for decorrelated).
public struct Backoff: Sendable, Equatable {
    /// How randomness spreads the delays.
    public enum Jitter: Sendable, Equatable {
        /// Uniform in `[0, ceiling]`, ceiling = min(maximum, initial · multiplierⁿ).
        case full
        /// Uniform in `[initial, min(maximum, previous · 3)]`.
        case decorrelated
        /// No randomness: the ceiling itself.
        case none
    }

    /// First ceiling, in seconds (> 0).
    public let initial: Double
    /// Cap, in seconds (>= initial).
    public let maximum: Double
    /// Growth per failed attempt (>= 1).
    public let multiplier: Double
    /// How randomness is applied.
    public let jitter: Jitter

    /// Failed attempts since the last ``reset()``.
    public private(set) var attempt: Int = 0
    /// The previous delay (decorrelated jitter feeds on it).
    public private(set) var previousDelay: Double

    public init(initial: Double = 1, maximum: Double = 60, multiplier: Double = 2, jitter: Jitter = .full) {
        precondition(initial > 0 && initial.isFinite, "Backoff initial must be > 0")
        precondition(maximum >= initial && maximum.isFinite, "Backoff maximum must be >= initial")
        precondition(multiplier >= 1 && multiplier.isFinite, "Backoff multiplier must be >= 1")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
        self.previousDelay = initial
    }

    /// The upper bound of the next delay (before jitter).
    public var currentCeiling: Double {
        switch jitter {
        case .full, .none:
            // initial · multiplier^attempt, computed without overflow.
            var value = initial
            var n = 0
            while n < attempt && value < maximum {
                value *= multiplier
                n += 1
            }
            return min(maximum, value)
        case .decorrelated:
            return min(maximum, max(initial, previousDelay * 3))
        }
    }

    /// The delay before the next attempt, in seconds; counts one failed attempt.
    public mutating func nextDelay<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        let ceiling = currentCeiling
        let delay: Double
        switch jitter {
        case .full:
            delay = Backoff.uniform(0, ceiling, &generator)
        case .decorrelated:
            delay = Backoff.uniform(initial, ceiling, &generator)
        case .none:
            delay = ceiling
        }
        if attempt < Int.max { attempt += 1 }
        previousDelay = delay
        return delay
    }

    /// ``nextDelay(using:)`` as milliseconds, rounded up (for poll() timeouts).
    public mutating func nextDelayMilliseconds<G: RandomNumberGenerator>(using generator: inout G) -> Int {
        Int((nextDelay(using: &generator) * 1000).rounded(.up))
    }

    /// Back to the first step (after a successful connection).
    public mutating func reset() {
        attempt = 0
        previousDelay = initial
    }

    /// Uniform in `[low, high]` from 53 random bits.
    private static func uniform<G: RandomNumberGenerator>(_ low: Double, _ high: Double, _ generator: inout G) -> Double {
        if high <= low { return low }
        let unit = Double(generator.next() >> 11) / Double(UInt64(1) << 53 - 1)   // [0, 1]
        return min(high, low + unit * (high - low))
    }
}

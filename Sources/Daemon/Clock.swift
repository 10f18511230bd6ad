import Glibc

/// Monotonic seconds (never jumps with the wall clock): for every timer of a loop.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Wall-clock time as the kiosk and the centre record it: Unix milliseconds and the local UTC offset (from the
/// TZ database). A value, so that tests can step it.
public struct WallClock: Sendable {
    public var now: @Sendable () -> (unixMillis: Int64, utcOffsetSeconds: Int)
    public init(now: @escaping @Sendable () -> (unixMillis: Int64, utcOffsetSeconds: Int)) { self.now = now }

    /// The system's clock.
    public static let system = WallClock {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        localtime_r(&t, &parts)
        return (Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000, Int(parts.tm_gmtoff))
    }
}

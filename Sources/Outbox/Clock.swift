import Glibc
import ReportModel

/// Wall-clock time as the outbox records it: Unix milliseconds and the local UTC offset (from the TZ database).
public struct WallClock: Sendable {
    public var now: @Sendable () -> (unixMillis: Int64, utcOffsetSeconds: Int)
    public init(now: @escaping @Sendable () -> (unixMillis: Int64, utcOffsetSeconds: Int)) { self.now = now }

    public static let system = WallClock {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        localtime_r(&t, &parts)
        return (Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000, Int(parts.tm_gmtoff))
    }

    /// RFC 3339 text of a stored Unix-ms time, in the local offset of now.
    public func format(_ unixMillis: Int64) -> String {
        RFC3339.format(unixMillis: unixMillis, utcOffsetSeconds: now().utcOffsetSeconds)
    }
}

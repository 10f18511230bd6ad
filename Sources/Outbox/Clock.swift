import Daemon
import ReportModel

extension WallClock {
    /// RFC 3339 text of a stored Unix-ms time, in the local offset of now.
    public func format(_ unixMillis: Int64) -> String {
        RFC3339.format(unixMillis: unixMillis, utcOffsetSeconds: now().utcOffsetSeconds)
    }
}

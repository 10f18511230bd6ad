import ReportModel

/// What the centre takes from a kiosk, and how much (docs/CONTRACT.md §4.5): the bounds that keep one kiosk —
/// broken, or in hostile hands with valid credentials — from stopping the collector, poisoning the lägesbild
/// or filling the centre's disk. Pure: no clock, no database; every store backend asks it the same questions.
public struct IntakePolicy: Sendable, Equatable {
    /// `[central] daily_quota`: at most this many payloads from one kiosk are stored per UTC day, its reports
    /// and its rejected payloads together. Above it nothing more of that kiosk's is stored that day; the
    /// reports get no receipt, so the kiosk keeps them and sends them again (the next day they fit), and each
    /// refusal is counted and shown in the lägesbild.
    public var dailyQuota: Int

    public static let defaultDailyQuota = 2_000
    /// `[central] daily_quota`'s range.
    public static let dailyQuotaRange = 100...1_000_000

    /// A report's `submitted_at` may be at most this far ahead of the centre's clock (a kiosk whose clock is a
    /// little fast is fine; one in the year 9999 would never be pruned).
    public static let maxFutureMillis: Int64 = 86_400_000

    public init(dailyQuota: Int = defaultDailyQuota) {
        self.dailyQuota = dailyQuota
    }

    /// The UTC day (days since 1970-01-01) of `unixMillis`: the quota's day.
    public static func day(of unixMillis: Int64) -> Int64 {
        unixMillis >= 0 ? unixMillis / 86_400_000 : (unixMillis + 1) / 86_400_000 - 1
    }

    /// Why a decoded report is refused at `now` (Unix ms), or nil when it may be stored.
    public func refusal(of report: ReceivedReport, now: Int64) -> String? {
        if report.submittedAt > now.addingSaturated(Self.maxFutureMillis) {
            return "submitted_at: more than a day ahead of the centre's clock"
        }
        return nil
    }

    /// Whether one more payload of a kiosk that has `used` of its quota today may be stored.
    public func allows(used: Int) -> Bool { used < dailyQuota }
}

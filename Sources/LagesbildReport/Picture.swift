import ReportModel

/// The lägesbild of one period: every number `lagesbild report` shows, gathered once from the central database
/// and rendered as text, CSV, JSON or HTML. A plain value: no I/O here; `CentralStore` fills it.
public struct Picture: Sendable, Equatable {
    /// A half-open time range `[since, until)` in Unix milliseconds, with the UTC offset to show times in.
    public struct Period: Sendable, Equatable {
        public var since: Int64
        public var until: Int64
        public var utcOffsetSeconds: Int
        public init(since: Int64, until: Int64, utcOffsetSeconds: Int) {
            self.since = since
            self.until = until
            self.utcOffsetSeconds = utcOffsetSeconds
        }
        /// The period of the same length just before this one (the comparison).
        public var previous: Period { Period(since: since - (until - since), until: since, utcOffsetSeconds: utcOffsetSeconds) }
    }

    /// One line of a breakdown: a key (a category key, a place, a kiosk id, an event label, an `occurred`
    /// value or an age group; `nil` for "not given"), its count in this period and in the previous one.
    public struct Count: Sendable, Hashable {
        public var key: String?
        public var current: Int
        public var previous: Int
        public init(key: String?, current: Int, previous: Int) {
            self.key = key
            self.current = current
            self.previous = previous
        }
        public var change: Int { current - previous }
    }

    /// A place with its counts per category (category key → count, this period only).
    public struct Place: Sendable, Equatable {
        /// The place as most reports spelled it (places are grouped without regard to case and spacing).
        public var name: String
        public var current: Int
        public var previous: Int
        public var byCategory: [String: Int]
        public init(name: String, current: Int, previous: Int, byCategory: [String: Int]) {
            self.name = name
            self.current = current
            self.previous = previous
            self.byCategory = byCategory
        }
    }

    /// What the centre knows of one kiosk's health (from its last retained status, §4.2).
    public struct Kiosk: Sendable, Equatable {
        public var id: String
        public var site: String?
        /// "online" or "offline" as the kiosk last said; nil when it never sent a status.
        public var state: String?
        /// When the last status message arrived (Unix ms), nil if never.
        public var lastStatusAt: Int64?
        /// When the last report of this kiosk arrived (Unix ms), nil if never.
        public var lastReportAt: Int64?
        public var pending: Int?
        public var deadLetters: Int?
        public var awaitingReceipt: Int?
        /// No status for longer than `[central] silent_after_h`.
        public var silent: Bool
        /// Payloads of this kiosk the centre did not store in the period's days because the kiosk was over its
        /// daily quota (`[central] daily_quota`); the kiosk keeps such reports and sends them again.
        public var overQuota: Int
        public init(id: String, site: String?, state: String?, lastStatusAt: Int64?, lastReportAt: Int64?,
                    pending: Int?, deadLetters: Int?, awaitingReceipt: Int?, silent: Bool, overQuota: Int = 0) {
            self.id = id
            self.site = site
            self.state = state
            self.lastStatusAt = lastStatusAt
            self.lastReportAt = lastReportAt
            self.pending = pending
            self.deadLetters = deadLetters
            self.awaitingReceipt = awaitingReceipt
            self.silent = silent
            self.overQuota = overQuota
        }
    }

    /// Seqs of one kiosk that the centre does not hold, though later ones (or the kiosk's status) exist.
    public struct Gap: Sendable, Equatable {
        public var kiosk: String
        public var from: Int64
        public var to: Int64
        public init(kiosk: String, from: Int64, to: Int64) {
            self.kiosk = kiosk
            self.from = from
            self.to = to
        }
        /// How many seqs are missing (saturated: a gap a kiosk's nonsense made cannot overflow a sum).
        public var count: Int64 {
            let (d, overflow) = to.subtractingReportingOverflow(from)
            return overflow ? .max : d.addingSaturated(1)
        }
    }

    /// One tip's text, shown only with `--include-text`.
    public struct Tip: Sendable, Equatable {
        public var submittedAt: Int64
        public var kiosk: String
        public var seq: Int64
        public var category: String
        public var place: String
        public var occurred: String
        public var text: String
        public init(submittedAt: Int64, kiosk: String, seq: Int64, category: String, place: String, occurred: String, text: String) {
            self.submittedAt = submittedAt
            self.kiosk = kiosk
            self.seq = seq
            self.category = category
            self.place = place
            self.occurred = occurred
            self.text = text
        }
    }

    public var period: Period
    /// When this picture was made (Unix ms).
    public var generatedAt: Int64
    /// Reports in this period and in the previous one.
    public var total: Int
    public var previousTotal: Int
    /// Breakdowns, largest first (ties by key). Every category of §5 appears in `byCategory`, also with 0.
    public var byCategory: [Count]
    public var byKiosk: [Count]
    public var byEvent: [Count]
    public var byOccurred: [Count]
    public var byAgeGroup: [Count]
    /// `source`: `saw`, `heard`, nil (not asked or not said).
    public var bySource: [Count]
    /// Reports by the kind of personal data the kiosk masked in them (`phone`, `email`, `personnummer`); a report
    /// with two kinds counts under both, and reports with nothing masked are not listed.
    public var byMasked: [Count]
    /// Places, largest first.
    public var places: [Place]
    /// Every kiosk the centre has heard of, silent ones first.
    public var kiosks: [Kiosk]
    /// Open seq gaps, by kiosk then seq.
    public var gaps: [Gap]
    /// Payloads refused in this period (not valid reports).
    public var rejects: Int
    /// `[central] silent_after_h`, for the wording.
    public var silentAfterHours: Int
    /// Tips with their text; nil unless the caller asked for them (`--include-text`).
    public var tips: [Tip]?

    public init(period: Period, generatedAt: Int64, total: Int, previousTotal: Int, byCategory: [Count],
                byKiosk: [Count], byEvent: [Count], byOccurred: [Count], byAgeGroup: [Count], bySource: [Count] = [],
                byMasked: [Count] = [], places: [Place],
                kiosks: [Kiosk], gaps: [Gap], rejects: Int, silentAfterHours: Int, tips: [Tip]?) {
        self.period = period
        self.generatedAt = generatedAt
        self.total = total
        self.previousTotal = previousTotal
        self.byCategory = byCategory
        self.byKiosk = byKiosk
        self.byEvent = byEvent
        self.byOccurred = byOccurred
        self.byAgeGroup = byAgeGroup
        self.bySource = bySource
        self.byMasked = byMasked
        self.places = places
        self.kiosks = kiosks
        self.gaps = gaps
        self.rejects = rejects
        self.silentAfterHours = silentAfterHours
        self.tips = tips
    }
}

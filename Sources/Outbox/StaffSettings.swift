import SQLite
import ReportModel

// The prompt's staff PIN lockout, the way back to the configured event label, and the age group staff chose, kept
// in the `meta` table (no schema change): a restart of the prompt must not give another five tries, and staff must be able to undo
// their own event label.

extension Outbox {
    /// The staff PIN lockout as the prompt last stored it: wrong PINs in a row, lockouts so far (each one longer),
    /// and the end of the current lockout in Unix milliseconds (wall clock).
    public struct StaffLockout: Sendable, Equatable {
        public var failures: Int
        public var lockouts: Int
        public var lockedUntilMillis: Int64?

        public init(failures: Int = 0, lockouts: Int = 0, lockedUntilMillis: Int64? = nil) {
            self.failures = failures
            self.lockouts = lockouts
            self.lockedUntilMillis = lockedUntilMillis
        }
    }

    static let lockoutFailuresKey = "staff_pin_failures"
    static let lockoutCountKey = "staff_pin_lockouts"
    static let lockoutUntilKey = "staff_pin_locked_until"

    /// The stored staff PIN lockout; an empty one when none was stored. Values that are not numbers (a hand-edited
    /// file) read as none.
    public func staffLockout() throws(OutboxError) -> StaffLockout {
        do {
            return try db.readTransaction { () throws(SQLiteError) -> StaffLockout in
                StaffLockout(failures: max(0, Int(try meta(Self.lockoutFailuresKey) ?? "") ?? 0),
                             lockouts: max(0, Int(try meta(Self.lockoutCountKey) ?? "") ?? 0),
                             lockedUntilMillis: Int64(try meta(Self.lockoutUntilKey) ?? ""))
            }
        } catch {
            throw Self.mapError(error)
        }
    }

    /// Stores the staff PIN lockout (one synced transaction).
    public func setStaffLockout(_ lockout: StaffLockout) throws(OutboxError) {
        do {
            try db.writeTransaction { () throws(SQLiteError) in
                try setMeta(Self.lockoutFailuresKey, String(lockout.failures))
                try setMeta(Self.lockoutCountKey, String(lockout.lockouts))
                try setMeta(Self.lockoutUntilKey, lockout.lockedUntilMillis.map { String($0) })
            }
        } catch {
            throw Self.mapError(error)
        }
    }

    /// Forgets the event label staff set (`setEventLabel`): every later report carries the label of the
    /// configuration file again (`Identity.defaultEvent`), or none when it has none.
    public func useConfiguredEventLabel() throws(OutboxError) {
        do {
            try db.writeTransaction { () throws(SQLiteError) in try setMeta("event", nil) }
        } catch {
            throw Self.mapError(error)
        }
    }

    /// The label every report stored now carries: staff's label if they set one (nil when they set "none"),
    /// else the configuration's. The configuration's when the file cannot be read.
    public func eventLabelInForce() -> String? {
        do {
            return try currentEvent()
        } catch {
            return identity.defaultEvent
        }
    }

    // MARK: Age group

    static let ageGroupKey = "age_group"

    /// The age group setting every report stored now follows: staff's if they set one (`.none` when they set
    /// "not given"), else the configuration's.
    func currentAgeGroup() throws(SQLiteError) -> AgeGroupSetting? {
        guard let row = try meta(Self.ageGroupKey) else { return identity.defaultAgeGroup }
        return AgeGroupSetting(rawValue: row)
    }

    /// The age group setting in force (see `currentAgeGroup`); the configuration's when the file cannot be read.
    public func ageGroupInForce() -> AgeGroupSetting? {
        do {
            return try currentAgeGroup()
        } catch {
            return identity.defaultAgeGroup
        }
    }

    /// Sets the age group for every later report (staff menu); nil means "not given" (null in the reports).
    public func setAgeGroup(_ setting: AgeGroupSetting?) throws(OutboxError) {
        do {
            try db.writeTransaction { () throws(SQLiteError) in try setMeta(Self.ageGroupKey, setting?.rawValue ?? "") }
        } catch {
            throw Self.mapError(error)
        }
    }

    /// Forgets the age group staff set: later reports follow `[kiosk] age_group` of the configuration again.
    public func useConfiguredAgeGroup() throws(OutboxError) {
        do {
            try db.writeTransaction { () throws(SQLiteError) in try setMeta(Self.ageGroupKey, nil) }
        } catch {
            throw Self.mapError(error)
        }
    }
}

import Foundation
@testable import Prompt
import ReportModel

/// Keys as a terminal would send them for `s` (decoded, flushed).
func keys(_ s: String) -> [Key] {
    var d = KeyDecoder()
    return d.feed(Array(s.utf8)) + d.flush()
}

/// A flow with the usual test settings.
func makeFlow(languages: [String] = ["sv", "en"], places: [String] = ["Ungdomsgården", "Centrum"],
              idleSeconds: Int64 = 90, pinHash: String? = nil, ageGroup: AgeGroupSetting? = nil,
              now: Int64 = 0) -> PromptFlow {
    PromptFlow(config: FlowConfig(languageTags: languages, places: places, idleTimeoutMillis: idleSeconds * 1000,
                                  thanksMillis: 8000, staffPINHash: pinHash, ageGroup: ageGroup), now: now)
}

extension PromptFlow {
    /// Feeds typed text (decoded like terminal input) at time `now`; returns all effects.
    @discardableResult
    mutating func type(_ s: String, at now: Int64 = 0) -> [FlowEffect] {
        var effects: [FlowEffect] = []
        for k in keys(s) { effects += handle(.key(k), now: now) }
        return effects
    }

    @discardableResult
    mutating func press(_ k: Key, at now: Int64 = 0) -> [FlowEffect] { handle(.key(k), now: now) }
}

/// The built-in texts (sv, en), loaded as the program does.
func builtInTexts(languages: [String] = ["sv", "en"], directory: String? = nil) throws -> Texts {
    try Texts.load(languages: languages, directory: directory)
}

/// The staff PIN of the tests, and its hash at the lowest iteration count `verify` accepts (made once).
let testPIN = "246813"
let testPINHash = StaffPIN.hash(pin: testPIN, iterations: StaffPIN.minimumIterations)

/// A store in memory that records what it was given and can be told to refuse.
final class MemoryStore: PromptStore, @unchecked Sendable { // used from one thread at a time (lock for the test)
    private let lock = NSLock()
    private var _stored: [ValidDraft] = []
    /// Staff's own label: nil when they set none (the configuration's applies), .some(nil) when they cleared it.
    private var _label: String??
    private var _lockout = StoredStaffLockout()
    private var _lockoutWrites = 0
    /// The label of the configuration file.
    let configuredLabel: String?
    var refusal: StoreRefusal?
    var nextSeq: Int64 = 1

    init(configuredLabel: String? = nil, lockout: StoredStaffLockout = StoredStaffLockout()) {
        self.configuredLabel = configuredLabel
        self._lockout = lockout
    }

    var stored: [ValidDraft] { lock.withLock { _stored } }
    var storedLockout: StoredStaffLockout { lock.withLock { _lockout } }
    var lockoutWrites: Int { lock.withLock { _lockoutWrites } }

    func store(_ draft: ValidDraft) throws(StoreRefusal) -> (id: String, seq: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw refusal }
        _stored.append(draft)
        defer { nextSeq += 1 }
        return ("id-\(nextSeq)", nextSeq)
    }
    func snapshot() -> StaffSnapshot {
        lock.withLock {
            StaffSnapshot(pending: _stored.count, oldestPendingAt: _stored.isEmpty ? nil : "2026-05-01T10:00:00+02:00",
                          deadLetters: 0, broker: .connected, lastAckAt: nil, lastError: nil)
        }
    }
    func eventLabel() -> String? {
        lock.withLock {
            if let own = _label { return own }
            return configuredLabel
        }
    }
    func setEventLabel(_ label: String?) throws(StoreRefusal) {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw refusal }
        _label = .some(label)
    }
    /// Dead letters `requeueDeadLetters` puts back (the test sets them).
    var deadLetters: Int {
        get { lock.withLock { _dead } }
        set { lock.withLock { _dead = newValue } }
    }
    private var _dead = 0
    func requeueDeadLetters() throws(StoreRefusal) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw refusal }
        defer { _dead = 0 }
        return _dead
    }
    func useConfiguredEventLabel() throws(StoreRefusal) {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw refusal }
        _label = nil
    }
    /// The feedback `feedback()` gives (the test sets it).
    var storedFeedback: Feedback? {
        get { lock.withLock { _feedback } }
        set { lock.withLock { _feedback = newValue } }
    }
    private var _feedback: Feedback?
    func feedback() -> Feedback? { lock.withLock { _feedback } }
    /// Staff's own age group: nil when they set none (the configured one applies), .some(nil) for "not given".
    private var _age: AgeGroupSetting??
    var configuredAgeGroup: AgeGroupSetting?
    func ageGroup() -> AgeGroupSetting? {
        lock.withLock {
            if let own = _age { return own }
            return configuredAgeGroup
        }
    }
    func setAgeGroup(_ setting: AgeGroupSetting?) throws(StoreRefusal) {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw refusal }
        _age = .some(setting)
    }
    func useConfiguredAgeGroup() throws(StoreRefusal) {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw refusal }
        _age = nil
    }
    func staffLockout() -> StoredStaffLockout { lock.withLock { _lockout } }
    func setStaffLockout(_ lockout: StoredStaffLockout) throws(StoreRefusal) {
        lock.lock()
        defer { lock.unlock() }
        if let refusal { throw refusal }
        _lockout = lockout
        _lockoutWrites += 1
    }
}

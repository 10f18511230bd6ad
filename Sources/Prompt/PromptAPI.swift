import KioskConfig
import ReportModel

/// What the visitor prompt needs to know about this kiosk. The command line builds it from the configuration
/// file (docs/CONTRACT.md §2 `[kiosk]` and `[prompt]`).
public struct PromptSettings: Sendable {
    /// `kiosk.id`.
    public var kioskID: String
    /// `kiosk.site`.
    public var site: String
    /// BCP 47 tags of the languages offered, in the order `L` cycles through them; the first is the default
    /// (normally `"sv"`). Languages without a text file are left out. Files found in `languageDirectory`
    /// whose language is not listed here are offered after the listed ones.
    public var languages: [String]
    /// An unfinished report is wiped after this many seconds without a key press (`kiosk.idle_timeout_s`).
    /// The same silence also ends a staff session (and paper-tip mode).
    public var idleTimeoutSeconds: Int
    /// Quick picks for the place question, numbered from 1 on screen.
    public var places: [String]
    /// `[prompt] staff_pin_hash`: a `StaffPIN.hash` string. Nil: staff mode says it is not set up.
    public var staffPINHash: String?
    /// `[prompt] language_dir`: a folder of `<tag>.txt` language files read at start. A file there adds a
    /// language, or overrides single texts of a built-in one (`sv.txt`, `en.txt`). See `Texts`.
    public var languageDirectory: String?
    /// How long the thanks screen stays before the welcome screen comes back.
    public var thanksSeconds: Int
    /// A key that ends the prompt (exit status 0). Nil on a kiosk, where nothing a visitor types ends it;
    /// `tipskiosk demo` sets Ctrl-Q so that a newcomer can leave the demo.
    public var quitKey: Key? = nil
    /// `[hardware] receipt_printer`: an ESC/POS printer (or file) that gets a receipt after each stored tip
    /// (`ReceiptText`), written from a thread of its own so that it never holds up "Tack". Nil: none.
    public var receiptPrinter: String? = nil
    /// `[prompt] display`: on a Linux virtual console with a framebuffer, large type drawn on it (`.auto`), or
    /// the console's own font (`.terminal`).
    public var display: PromptDisplay = .auto
    /// `[prompt] speech`: read each screen's question and choices aloud (`SpeechScript`, `Speaker`), never
    /// what the visitor typed. Off by default.
    public var speech = false

    public init(kioskID: String, site: String, languages: [String] = ["sv", "en"], idleTimeoutSeconds: Int = 90,
                places: [String] = [], staffPINHash: String? = nil, languageDirectory: String? = nil,
                thanksSeconds: Int = 8) {
        self.kioskID = kioskID
        self.site = site
        self.languages = languages
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.places = places
        self.staffPINHash = staffPINHash
        self.languageDirectory = languageDirectory
        self.thanksSeconds = thanksSeconds
    }
}

/// Why the store did not take a report (or an event label). The visitor is told in plain words; the draft stays.
public enum StoreRefusal: Error, Sendable, Equatable {
    /// `storage.max_pending` reports are waiting: the kiosk refuses new ones, visibly; nothing is dropped.
    case full(maxPending: Int)
    /// The disk (or the SQLite file's partition) is full.
    case diskFull
    /// Any other failure to commit, with a reason for staff (never shown to visitors).
    case unavailable(String)
}

/// What the staff menu shows: the state of the outbox and of the gateway as last written to it.
public struct StaffSnapshot: Sendable, Equatable {
    /// Reports stored and not yet acknowledged by the broker.
    public var pending: Int
    /// RFC 3339 time of the oldest pending report, nil when none.
    public var oldestPendingAt: String?
    /// Reports the gateway gave up on.
    public var deadLetters: Int
    /// The broker's state as the gateway last wrote it; nil when no gateway has written status.
    public var broker: Broker?
    /// RFC 3339 time of the last PUBACK.
    public var lastAckAt: String?
    /// Why the gateway is not connected (e.g. a TLS verification error), if it said so: its own words, shown as
    /// they are.
    public var lastError: String?
    /// False when the outbox could not be opened (the figures are then zero).
    public var outboxReadable: Bool

    /// The broker's state for the staff menu, each shown in the visitor's language.
    public enum Broker: Sendable, Equatable {
        case connected, connecting, disconnected
        /// The gateway stopped cleanly.
        case gatewayStopped
        /// The gateway's process is gone without a word (killed).
        case gatewayNotRunning
    }

    public init(pending: Int, oldestPendingAt: String? = nil, deadLetters: Int = 0, broker: Broker? = nil,
                lastAckAt: String? = nil, lastError: String? = nil, outboxReadable: Bool = true) {
        self.outboxReadable = outboxReadable
        self.pending = pending
        self.oldestPendingAt = oldestPendingAt
        self.deadLetters = deadLetters
        self.broker = broker
        self.lastAckAt = lastAckAt
        self.lastError = lastError
    }
}

/// The durable outbox as the prompt sees it. Called only from the prompt's own thread, one call at a time.
public protocol PromptStore: AnyObject {
    /// Stores one report (adding id, seq, time, kiosk, site, event) and returns only after the durable commit.
    func store(_ draft: ValidDraft) throws(StoreRefusal) -> (id: String, seq: Int64)
    /// The outbox and gateway state for the staff menu.
    func snapshot() -> StaffSnapshot
    /// The event label in force (stored with each report), nil when none.
    func eventLabel() -> String?
    /// Sets (or with nil clears) the event label for the reports that follow.
    func setEventLabel(_ label: String?) throws(StoreRefusal)
    /// Forgets staff's own event label: the reports that follow carry the one of the configuration file (if any).
    func useConfiguredEventLabel() throws(StoreRefusal)
    /// The centre's feedback the welcome screen shows now (the kiosk's own while it lasts, else the one for all
    /// kiosks), as the gateway stored it; nil when there is none or it cannot be read.
    func feedback() -> Feedback?
    /// The kiosk's age group setting in force (staff's if they set one, else `[kiosk] age_group`).
    func ageGroup() -> AgeGroupSetting?
    /// Sets the age group for the reports that follow (nil: "not given").
    func setAgeGroup(_ setting: AgeGroupSetting?) throws(StoreRefusal)
    /// Forgets staff's own age group: the reports that follow follow the configuration file again.
    func useConfiguredAgeGroup() throws(StoreRefusal)
    /// Puts every dead letter back in the queue; returns how many.
    func requeueDeadLetters() throws(StoreRefusal) -> Int
    /// The staff PIN lockout as last stored, so that restarting the prompt does not reset it. An empty lockout
    /// when none is stored or the store cannot be read (the prompt still keeps its own in memory).
    func staffLockout() -> StoredStaffLockout
    /// Stores the staff PIN lockout.
    func setStaffLockout(_ lockout: StoredStaffLockout) throws(StoreRefusal)
    /// Upkeep that can wait until a visitor has been thanked (the prompt calls it after the thanks screen is up):
    /// for the outbox, copying its WAL into the database now and then, rather than inside a visitor's commit.
    func upkeep()
}

extension PromptStore {
    /// Nothing to keep up.
    public func upkeep() {}
}

import ReportModel

/// The screens of the prompt. The visitor's steps follow docs/CONTRACT.md §7.
public enum Step: Sendable, Equatable {
    case welcome
    case category, place, when
    /// "Är någon i fara just nu? Ring 112.": its own screen after "Just nu" for threats or violence.
    case danger
    /// Saw it or heard it (optional; Enter skips).
    case source
    case text
    /// The visitor's age group, only at a kiosk whose age group is `ask` (optional; Enter skips). It shares
    /// step 6, "about you", with the contact question, so the visitor still counts 7 steps.
    case age
    case contact, review
    /// The report has been handed to the store; waiting for the durable commit.
    case storing
    case thanks
    case staffPIN, staffMenu, staffEvent, staffAgeGroup

    /// "Steg N av 7" for the question steps, nil elsewhere.
    public var number: Int? {
        switch self {
        case .category: 1
        case .place: 2
        case .when: 3
        case .source: 4
        case .text: 5
        case .age, .contact: 6
        case .review, .storing: 7
        default: nil
        }
    }
    public static let questionCount = 7
    public var isStaff: Bool { self == .staffPIN || self == .staffMenu || self == .staffEvent || self == .staffAgeGroup }
}

/// The visitor's answer to an optional one-key question: one of its choices, or "rather not say" (which sends
/// null, like skipping it with Enter, but is shown as chosen when the visitor comes back).
public enum OptionalAnswer<Value: Sendable & Equatable>: Sendable, Equatable {
    case value(Value)
    case notSaid

    public var value: Value? {
        if case .value(let v) = self { return v }
        return nil
    }
}

/// Something the flow wants the shell to do (the flow itself does no I/O).
public enum FlowEffect: Sendable, Equatable {
    /// Store the report durably; answer with `.stored` or `.storeFailed`.
    case store(ValidDraft)
    /// Read the outbox state; answer with `.staffSnapshot`.
    case refreshStaffSnapshot
    /// Set the event label; answer with `.eventLabelSaved` or `.eventLabelFailed`.
    case setEventLabel(String?)
    /// Go back to the event label of the configuration file (forget staff's own); answer with `.eventLabelSaved`
    /// (carrying the label now in force) or `.eventLabelFailed`.
    case useConfiguredEventLabel
    /// Set (nil: "not given") the kiosk's age group; answer with `.ageGroupSaved` or `.ageGroupFailed`.
    case setAgeGroup(AgeGroupSetting?)
    /// Go back to `[kiosk] age_group` of the configuration file; answer with `.ageGroupSaved` (carrying the
    /// setting now in force) or `.ageGroupFailed`.
    case useConfiguredAgeGroup
    /// Put the dead letters back in the queue (the broker's refusal was fixed); answer with
    /// `.deadLettersRequeued` or `.deadLettersFailed`.
    case requeueDeadLetters
    /// Read the stored PIN lockout (it outlives the prompt); answer with `.staffLockoutLoaded`.
    case loadStaffLockout
    /// Store the PIN lockout as it is now, so that restarting the prompt does not reset it. No answer: when it
    /// cannot be stored the flow still keeps it in memory.
    case saveStaffLockout(PINLockout)
    /// The draft was wiped: repaint the whole screen, leaving nothing of the old one.
    case clearScreen
}

/// What happens to the flow: a key, the passing of time, or the answer to an effect.
public enum FlowEvent: Sendable, Equatable {
    case key(Key)
    /// Time passed (timers are checked on every event; a tick carries no input).
    case tick
    case stored(id: String, seq: Int64)
    case storeFailed(StoreRefusal)
    case staffSnapshot(StaffSnapshot, eventLabel: String?)
    case eventLabelSaved(String?)
    case eventLabelFailed(StoreRefusal)
    /// The centre's feedback for the welcome screen changed (the shell reads it while the welcome screen shows).
    case feedback(Feedback?)
    /// The kiosk's age group setting now in force (at start, and the answer to the age group effects).
    case ageGroupSaved(AgeGroupSetting?)
    case ageGroupFailed(StoreRefusal)
    /// How many dead letters went back in the queue (the answer to `.requeueDeadLetters`).
    case deadLettersRequeued(Int)
    case deadLettersFailed(StoreRefusal)
    /// The stored PIN lockout, in monotonic time (the answer to `.loadStaffLockout`).
    case staffLockoutLoaded(PINLockout)
}

/// A one-off message on the current screen, cleared by the next key.
public enum Notice: Sendable, Equatable {
    case pressDigit
    case placeEmpty
    case textEmpty
    case limitReached
    case storeRefused(StoreRefusal)
    case invalid(String)
    case discarded
    case wrongPIN(attemptsLeft: Int)
    case staffNotSetUp
    case eventSaved
    case eventFailed(StoreRefusal)
    case ageGroupSaved
    case ageGroupFailed(StoreRefusal)
    case deadLettersRequeued(Int)
    case deadLettersFailed(StoreRefusal)
}

/// Settings of the flow, from `PromptSettings`.
public struct FlowConfig: Sendable {
    public var languageTags: [String]
    public var places: [String]
    public var idleTimeoutMillis: Int64
    public var thanksMillis: Int64
    public var staffPINHash: String?
    /// The kiosk's age group setting when the prompt starts (the outbox's, which staff may have changed).
    public var ageGroup: AgeGroupSetting?

    public init(languageTags: [String], places: [String], idleTimeoutMillis: Int64, thanksMillis: Int64,
                staffPINHash: String?, ageGroup: AgeGroupSetting? = nil) {
        self.languageTags = languageTags.isEmpty ? ["sv"] : languageTags
        self.places = places
        self.idleTimeoutMillis = max(1000, idleTimeoutMillis)
        self.thanksMillis = max(1000, thanksMillis)
        self.staffPINHash = staffPINHash
        self.ageGroup = ageGroup
    }
}

/// The prompt's state machine: an event in, a new state and effects out. Pure: time is passed in as monotonic
/// milliseconds, storing and reading the outbox are effects, and nothing here touches the terminal.
///
/// Keys (docs/CONTRACT.md §6): on the welcome screen any key starts and `L` switches language; the category, when,
/// source, age and review menus act on a digit alone (Enter keeps an earlier answer, and skips the optional source
/// and age questions); place, text and contact are typed and finished with Enter; the danger screen goes on with
/// any key; `Esc`, or Backspace on an empty field, goes back one step. Review: `1` sends,
/// `2` goes back to the first question with the answers kept, `3` throws the report away.
///
/// Staff mode: on the welcome screen press Ctrl-A, then `*`; then the PIN and Enter, every time the menu opens
/// (also on the way back from paper tips). The wrong-PIN lockout is read from the store when the PIN screen
/// opens and stored on every change (`.loadStaffLockout`, `.saveStaffLockout`), so a restart does not reset it.
public struct PromptFlow: Sendable {
    public let config: FlowConfig
    public private(set) var step: Step = .welcome
    public private(set) var language = 0
    public private(set) var notice: Notice?

    // The draft: in memory only, wiped on every return to the welcome screen.
    public private(set) var category: Category?
    public private(set) var place: String?
    public private(set) var occurred: Occurred?
    public private(set) var reportText: String?
    public private(set) var contact: Contact?
    public private(set) var source: OptionalAnswer<Source>?
    public private(set) var age: OptionalAnswer<Reporter.AgeGroup>?
    public private(set) var placeEditor = LineEditor(maxScalars: ReportLimits.place.upperBound)
    public private(set) var textEditor = LineEditor(maxScalars: ReportLimits.text.upperBound, multiline: true)
    public private(set) var contactEditor = LineEditor(maxScalars: ReportLimits.contactField)

    /// The short reference shown on the thanks screen (last 4 digits of `seq`).
    public private(set) var reference: String?
    public private(set) var lastActivity: Int64
    public private(set) var thanksUntil: Int64?

    // Staff.
    public private(set) var pinEditor = LineEditor(maxScalars: 32)
    public private(set) var eventEditor = LineEditor(maxScalars: 200)
    public private(set) var lockout = PINLockout()
    public private(set) var staffSession = false
    /// Paper-tip mode: reports are stored with `reporter.role = staff` until it is switched off or the staff
    /// session ends (menu choice, or `idleTimeout` of silence). Back to the menu takes the PIN again.
    public private(set) var paperMode = false
    public private(set) var snapshot: StaffSnapshot?
    public private(set) var eventLabel: String?
    /// The centre's feedback shown on the welcome screen, if any.
    public private(set) var feedback: Feedback?
    /// The kiosk's age group setting in force: `ask` adds the age question.
    public private(set) var ageGroupSetting: AgeGroupSetting?
    private var staffPrefix = false

    public init(config: FlowConfig, now: Int64) {
        self.config = config
        self.lastActivity = now
        self.ageGroupSetting = config.ageGroup
    }

    /// The choices of the source question, in the order of their keys 1–3.
    public static let sourceChoices: [OptionalAnswer<Source>] = [.value(.saw), .value(.heard), .notSaid]
    /// The choices of the age question, in the order of their keys 1–4.
    public static let ageChoices: [OptionalAnswer<Reporter.AgeGroup>] = [.value(.youth), .value(.adult), .value(.senior), .notSaid]
    /// The choices of the staff's age group screen, keys 1–5 (6 is the configuration file's).
    public static let ageSettingChoices: [AgeGroupSetting?] = [.group(.youth), .group(.adult), .group(.senior), .ask, nil]

    /// Whether this tip asks the age question.
    var asksAge: Bool { ageGroupSetting == .ask }

    /// The language tag shown, which goes into the report.
    public var languageTag: String { config.languageTags[min(language, config.languageTags.count - 1)] }

    /// The report as the review screen shows it, before any masking.
    public var reviewDraft: ReportDraft {
        var draft = ReportDraft(category: category, place: place ?? "", occurred: occurred,
                                text: reportText ?? "", language: languageTag,
                                reporter: Reporter(role: paperMode ? .staff : .visitor, ageGroup: asksAge ? age?.value : nil),
                                contact: contact, source: source?.value)
        if !ReportDraft.isLanguageTag(draft.language) { draft.language = "und" }
        return draft
    }

    /// Whether some part of a report (or a staff session) is in memory: the idle timeout applies.
    public var hasSomethingToWipe: Bool {
        step != .welcome || staffSession || paperMode || category != nil || notice != nil
    }

    /// The next time (after `now`) at which `handle(.tick, now:)` should be called, if any.
    public func nextDeadline(now: Int64) -> Int64? {
        var d: [Int64] = []
        if step == .thanks, let t = thanksUntil { d.append(t) }
        if step != .storing && hasSomethingToWipe { d.append(lastActivity + config.idleTimeoutMillis) }
        if step == .staffPIN, let until = lockout.lockedUntil, until > now {
            // Wake at the end of the lockout, and each minute before it so the minutes shown count down.
            let left = until - now
            d.append(now + (left % 60_000 == 0 ? 60_000 : left % 60_000))
        }
        return d.min().map { max($0, now) }
    }

    /// Handles one event at time `now` and returns what the shell must do.
    public mutating func handle(_ event: FlowEvent, now: Int64) -> [FlowEffect] {
        var effects = checkTimers(now: now)
        switch event {
        case .tick:
            break
        case .key(let key):
            lastActivity = now
            effects += handleKey(key, now: now)
        case .stored(_, let seq):
            guard step == .storing else { break }
            wipeDraft()
            reference = Self.reference(seq: seq)
            step = .thanks
            thanksUntil = now + config.thanksMillis
            lastActivity = now
            effects.append(.clearScreen)
        case .storeFailed(let refusal):
            guard step == .storing else { break }
            step = .review
            notice = .storeRefused(refusal)
            lastActivity = now
        case .staffSnapshot(let s, let label):
            snapshot = s
            eventLabel = label
        case .eventLabelSaved(let label):
            eventLabel = label
            if step == .staffMenu || step == .staffEvent { notice = .eventSaved }
        case .eventLabelFailed(let r):
            if step == .staffMenu || step == .staffEvent { notice = .eventFailed(r) }
        case .feedback(let f):
            feedback = f
        case .ageGroupSaved(let setting):
            ageGroupSetting = setting
            if step == .staffMenu || step == .staffAgeGroup {
                step = .staffMenu
                notice = .ageGroupSaved
            }
        case .ageGroupFailed(let r):
            if step == .staffMenu || step == .staffAgeGroup { notice = .ageGroupFailed(r) }
        case .deadLettersRequeued(let n):
            if step == .staffMenu { notice = .deadLettersRequeued(n) }
        case .deadLettersFailed(let r):
            if step == .staffMenu { notice = .deadLettersFailed(r) }
        case .staffLockoutLoaded(let stored):
            lockout.adopt(stored)
            if step == .staffPIN && lockout.isLocked(now: now) { pinEditor.clear() }
        }
        return effects
    }

    /// The last 4 digits of `seq`, zero-padded: the visitor's reference.
    public static func reference(seq: Int64) -> String {
        let s = String(((seq % 10_000) + 10_000) % 10_000)
        return String(repeating: "0", count: 4 - s.count) + s
    }

    // MARK: - Timers

    private mutating func checkTimers(now: Int64) -> [FlowEffect] {
        if step == .thanks, let t = thanksUntil, now >= t {
            goToWelcome()
            language = 0
            return [.clearScreen]
        }
        if step != .storing && hasSomethingToWipe && now - lastActivity >= config.idleTimeoutMillis {
            staffSession = false
            paperMode = false
            snapshot = nil
            goToWelcome()
            language = 0
            lastActivity = now
            return [.clearScreen]
        }
        return []
    }

    private mutating func goToWelcome() {
        wipeDraft()
        step = .welcome
        notice = nil
        reference = nil
        thanksUntil = nil
        staffPrefix = false
        pinEditor.clear()
        eventEditor.clear()
    }

    private mutating func wipeDraft() {
        category = nil
        place = nil
        occurred = nil
        reportText = nil
        contact = nil
        source = nil
        age = nil
        placeEditor.clear()
        textEditor.clear()
        contactEditor.clear()
    }

    // MARK: - Keys

    private mutating func handleKey(_ key: Key, now: Int64) -> [FlowEffect] {
        if step != .storing { notice = nil }
        switch step {
        case .welcome: return welcome(key, now: now)
        case .category:
            if let c = digit(key).flatMap({ Category(digit: $0) }) {
                category = c
                step = .place
            } else if key == .enter, category != nil {
                step = .place
            } else if isBack(key, editor: nil) {
                goToWelcome()
                return [.clearScreen]
            } else if !isIgnorable(key) {
                notice = .pressDigit
            }
        case .place:
            let r = Self.edit(&placeEditor, key, notice: &notice)
            if r == .back { step = .category }
            if r == .enter {
                let typed = placeEditor.committedValue
                if typed.isEmpty {
                    notice = .placeEmpty
                } else {
                    if let n = Int(typed), n >= 1, n <= config.places.count {
                        place = TextCleaner.prefix(TextCleaner.clean(config.places[n - 1], allowNewlines: false),
                                                   scalars: ReportLimits.place.upperBound)
                    } else {
                        place = typed
                    }
                    step = .when
                }
            }
        case .when:
            if let d = digit(key), let n = d.wholeNumberValue, (1...Occurred.choices.count).contains(n) {
                occurred = Occurred.choices[n - 1]
                step = afterWhen
            } else if key == .enter, occurred != nil {
                step = afterWhen
            } else if isBack(key, editor: nil) {
                step = .place
            } else if !isIgnorable(key) {
                notice = .pressDigit
            }
        case .danger:
            // Any key goes on: the screen is there to be read, not answered.
            step = .source
        case .source:
            if let answer = optionalQuestion(key, choices: Self.sourceChoices, next: .text, previous: .when) {
                source = answer
            }
        case .text:
            let r = Self.edit(&textEditor, key, notice: &notice)
            if r == .back { step = .source }
            if r == .enter {
                let typed = textEditor.committedValue
                if typed.isEmpty { notice = .textEmpty } else { reportText = typed; step = asksAge ? .age : .contact }
            }
        case .age:
            if let answer = optionalQuestion(key, choices: Self.ageChoices, next: .contact, previous: .text) {
                age = answer
            }
        case .contact:
            let r = Self.edit(&contactEditor, key, notice: &notice)
            if r == .back { step = asksAge ? .age : .text }
            if r == .enter {
                contact = ContactParser.parse(contactEditor.committedValue)
                step = .review
            }
        case .review:
            switch digit(key) {
            case "1", "4":
                // 1 sends with the personal data found in the text and place masked; 4 (offered only when
                // some was found) sends them as typed. Contact details are the visitor's choice: never touched.
                var draft = reviewDraft
                if digit(key) == "4" && draft.personalData.isEmpty { break }
                if digit(key) == "1" {
                    draft = draft.maskingPersonalData(labels: languageTag.hasPrefix("en")
                                                      ? PersonalData.englishLabels : PersonalData.swedishLabels)
                }
                do {
                    let valid = try draft.validated()
                    step = .storing
                    return [.store(valid)]
                } catch {
                    notice = .invalid(error.field)
                }
            case "2": step = .category
            case "3":
                goToWelcome()
                notice = .discarded
                return [.clearScreen]
            default:
                if isBack(key, editor: nil) { step = .contact } else if !isIgnorable(key) { notice = .pressDigit }
            }
        case .storing:
            break // the store answers before the next key is read
        case .thanks:
            goToWelcome()
            language = 0
            return [.clearScreen]
        case .staffPIN:
            if lockout.isLocked(now: now) {
                if key == .escape { goToWelcome() }
                return []
            }
            let r = Self.edit(&pinEditor, key, notice: &notice)
            if r == .back { goToWelcome(); return [.clearScreen] }
            if r == .enter {
                let pin = pinEditor.text
                pinEditor.clear()
                guard !pin.isEmpty else { break }
                let before = lockout
                if let hash = config.staffPINHash, StaffPIN.verify(pin: pin, against: hash) {
                    lockout.recordSuccess()
                    staffSession = true
                    step = .staffMenu
                    return (lockout == before ? [] : [.saveStaffLockout(lockout)]) + [.refreshStaffSnapshot]
                }
                lockout.recordFailure(now: now)
                if !lockout.isLocked(now: now) { notice = .wrongPIN(attemptsLeft: lockout.attemptsLeft) }
                return [.saveStaffLockout(lockout)]
            }
        case .staffMenu:
            switch digit(key) {
            case "1": return [.refreshStaffSnapshot]
            case "2":
                eventEditor = LineEditor(maxScalars: 200, text: eventLabel ?? "")
                step = .staffEvent
            case "3":
                paperMode.toggle()
                if paperMode {
                    goToWelcome()
                    return [.clearScreen]
                }
            case "4":
                leaveStaff()
                return [.clearScreen]
            case "5":
                return [.useConfiguredEventLabel, .refreshStaffSnapshot]
            case "6":
                return [.requeueDeadLetters, .refreshStaffSnapshot]
            case "7":
                step = .staffAgeGroup
            default:
                if key == .escape { leaveStaff(); return [.clearScreen] }
            }
        case .staffAgeGroup:
            if let n = digit(key)?.wholeNumberValue, (1...Self.ageSettingChoices.count).contains(n) {
                return [.setAgeGroup(Self.ageSettingChoices[n - 1])]
            } else if digit(key) == "6" {
                return [.useConfiguredAgeGroup]
            } else if isBack(key, editor: nil) {
                step = .staffMenu
            } else if !isIgnorable(key) {
                notice = .pressDigit
            }
        case .staffEvent:
            let r = Self.edit(&eventEditor, key, notice: &notice)
            if r == .back { step = .staffMenu }
            if r == .enter {
                let label = eventEditor.committedValue
                step = .staffMenu
                return [.setEventLabel(label.isEmpty ? nil : label), .refreshStaffSnapshot]
            }
        }
        return []
    }

    /// One key on an optional one-key question (source, age): a choice's digit answers it and goes to `next`
    /// (returning the answer); Enter goes to `next` keeping an earlier answer, or skipping the question; back
    /// goes to `previous`; any other printable key asks for a digit.
    private mutating func optionalQuestion<Value>(_ key: Key, choices: [OptionalAnswer<Value>], next: Step,
                                                  previous: Step) -> OptionalAnswer<Value>? {
        if let n = digit(key)?.wholeNumberValue, (1...choices.count).contains(n) {
            step = next
            return choices[n - 1]
        }
        if key == .enter {
            step = next
        } else if isBack(key, editor: nil) {
            step = previous
        } else if !isIgnorable(key) {
            notice = .pressDigit
        }
        return nil
    }

    /// After "When": the danger screen for threats or violence happening now, else the source question.
    private var afterWhen: Step {
        category == .threatsViolence && occurred == .now ? .danger : .source
    }

    private mutating func leaveStaff() {
        staffSession = false
        paperMode = false
        snapshot = nil
        goToWelcome()
    }

    private mutating func welcome(_ key: Key, now: Int64) -> [FlowEffect] {
        if staffPrefix {
            staffPrefix = false
            if key == .char("*") { return enterStaff() }
        }
        switch key {
        case .control("a"):
            staffPrefix = true
            return []
        case .char("L"), .char("l"):
            if config.languageTags.count > 1 { language = (language + 1) % config.languageTags.count }
            return []
        case .control, .escape, .backspace, .paste, .tab:
            return []
        default:
            wipeDraft()
            step = .category
            return []
        }
    }

    private mutating func enterStaff() -> [FlowEffect] {
        guard let hash = config.staffPINHash, StaffPIN.isWellFormed(hash) else {
            notice = .staffNotSetUp
            return []
        }
        // The PIN every time, also while a session (paper tips) lasts: the menu is never one key away.
        pinEditor.clear()
        step = .staffPIN
        return [.loadStaffLockout]
    }

    // MARK: - Helpers

    private enum EditResult { case none, enter, back }

    private static func edit(_ editor: inout LineEditor, _ key: Key, notice: inout Notice?) -> EditResult {
        switch key {
        case .char(let c):
            if !editor.type(c) && editor.isFull { notice = .limitReached }
        case .paste(let s):
            if !editor.paste(s) { notice = .limitReached }
        case .enter: return .enter
        case .escape: return .back
        case .backspace:
            if editor.isEmpty { return .back }
            editor.backspace()
        case .delete: editor.deleteForward()
        case .left: editor.moveLeft()
        case .right: editor.moveRight()
        case .home, .up, .pageUp: editor.moveHome()
        case .end, .down, .pageDown: editor.moveEnd()
        default: break
        }
        return .none
    }

    private func digit(_ key: Key) -> Character? {
        if case .char(let c) = key, c.isASCII, c.isNumber { return c }
        return nil
    }

    private func isBack(_ key: Key, editor: LineEditor?) -> Bool {
        key == .escape || (key == .backspace && (editor?.isEmpty ?? true))
    }

    /// Keys that do nothing on a menu and need no explanation (a stray Ctrl-C or arrow).
    private func isIgnorable(_ key: Key) -> Bool {
        switch key {
        case .char: false
        default: true
        }
    }
}

/// Reads the one contact line of step 5 into the fields of §4.1: a word with `@` is the e-mail, a run with at
/// least 5 digits (and only digits, spaces, `+`, `-`, `(`, `)`) the phone number, the rest the name.
public enum ContactParser {
    public static func parse(_ line: String) -> Contact? {
        let cleaned = TextCleaner.clean(line, allowNewlines: false)
        if cleaned.isEmpty { return nil }
        var email: String?
        var phoneParts: [String] = []
        var nameParts: [String] = []
        for word in cleaned.split(separator: " ") {
            let w = word.trimming(where: { $0 == "," || $0 == ";" })
            if w.isEmpty { continue }
            if email == nil, w.contains("@") {
                email = w
            } else if w.allSatisfy({ $0.isASCII && ($0.isNumber || "+-()".contains($0)) }),
                      w.contains(where: { $0.isNumber }) {
                phoneParts.append(w)
            } else {
                nameParts.append(w)
            }
        }
        var phone: String? = phoneParts.joined(separator: " ")
        if phone!.filter({ $0.isNumber }).count < 5 {
            nameParts.append(contentsOf: phoneParts)
            phone = nil
        }
        let name = nameParts.isEmpty ? nil : nameParts.joined(separator: " ")
        func bound(_ s: String?) -> String? { s.map { TextCleaner.prefix($0, scalars: ReportLimits.contactField) } }
        let c = Contact(name: bound(name), phone: bound(phone), email: bound(email))
        return c.isEmpty ? nil : c
    }
}

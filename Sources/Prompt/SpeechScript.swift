import ReportModel

/// What the prompt says aloud with `[prompt] speech = true`: state in, words out. Pure: the shell hands the
/// utterance to a `Speaker` (Sources/Speech), which speaks it off the prompt's thread.
///
/// Each visitor screen reads its question and its choices ("1, Otrygg plats. 2, …"), in the visitor's language,
/// from the language files (a few `speech.*` keys where the screen's own words do not read well). Never read
/// aloud: anything the visitor typed (text, place, contact) and the contents of the review screen, since others
/// stand near; staff screens are silent. The box never starts talking by itself: a new screen is read when a
/// key brought it; one the timers brought (the idle wipe, the end of the thanks screen) only stops the speech.
/// `repeatKey` reads the current screen again.
public struct SpeechScript: Sendable {
    public struct Utterance: Sendable, Equatable {
        public var text: String
        /// The language tag of the text (its voice).
        public var language: String
    }

    /// What a change of the flow's state means for the speech.
    public enum Action: Sendable, Equatable {
        case none
        case say(Utterance)
        case stop
    }

    /// The part of the flow's state that decides what is said.
    public struct Cue: Sendable, Equatable {
        public var step: Step
        public var language: Int
        public var notice: Notice?
        public init(_ flow: PromptFlow) {
            step = flow.step
            language = flow.language
            notice = flow.notice
        }
    }

    /// The key that reads the current screen again: free on every screen, text fields included (every
    /// printable key is text there; Tab and F-keys are not). docs/CONTRACT.md §6.
    public static let repeatKey: Key = .function(1)

    let renderer: ScreenRenderer
    var texts: Texts { renderer.texts }

    public init(renderer: ScreenRenderer) {
        self.renderer = renderer
    }

    /// What a change of the flow's state calls for, decided on the prompt's thread (cheap: no words are made).
    public enum Decision: Sendable, Equatable {
        case none
        case stop
        /// Read the new screen (after the notice on it, if any).
        case screen
        /// Read the new notice on the same screen.
        case notice
    }

    /// What to do after the flow moved from `old` (the cue last spoken or silenced) to `flow`; `byKey`: a key of
    /// the visitor's brought the change (not a timer).
    public func decision(from old: Cue, to flow: PromptFlow, byKey: Bool) -> Decision {
        let new = Cue(flow)
        guard new != old else { return .none }
        let newScreen = new.step != old.step || new.language != old.language
        // Staff screens, and the visitor's screens while staff type in paper tips, are silent.
        if flow.step.isStaff || flow.paperMode { return newScreen && !old.step.isStaff ? .stop : .none }
        if newScreen {
            guard byKey else { return .stop }
            return flow.step == .storing ? .none : .screen   // storing: "Tack" comes next; the review's words run on
        }
        return byKey && noticeUtterance(flow) != nil ? .notice : .none
    }

    /// The words a decision says (made by the speaker's thread, off the prompt's): nil for none and stop.
    public func words(_ decision: Decision, _ flow: PromptFlow) -> Utterance? {
        switch decision {
        case .none, .stop:
            return nil
        case .notice:
            return noticeUtterance(flow)
        case .screen:
            guard var u = utterance(for: flow) else { return nil }
            if let n = noticeUtterance(flow) { u.text = n.text + " " + u.text }
            return u
        }
    }

    /// `decision` and its `words` in one (for tests).
    public func action(from old: Cue, to flow: PromptFlow, byKey: Bool) -> Action {
        let d = decision(from: old, to: flow, byKey: byKey)
        switch d {
        case .none: return .none
        case .stop: return .stop
        case .screen, .notice: return words(d, flow).map { .say($0) } ?? .stop
        }
    }

    /// The words of the notice on the screen (wrong key, nothing typed, the store's refusal …), if any.
    func noticeUtterance(_ flow: PromptFlow) -> Utterance? {
        guard let n = flow.notice, !flow.step.isStaff else { return nil }
        switch n {
        case .wrongPIN, .staffNotSetUp, .eventSaved, .eventFailed, .ageGroupSaved, .ageGroupFailed,
             .deadLettersRequeued, .deadLettersFailed:
            return nil
        default:
            return Utterance(text: Self.sentence(renderer.noticeText(n, flow.language)), language: flow.languageTag)
        }
    }

    /// What the current screen says (its question and choices), nil for a silent one (staff, storing).
    public func utterance(for flow: PromptFlow) -> Utterance? {
        let lang = flow.language
        func t(_ key: String, _ args: [String: String] = [:]) -> String { Self.sentence(texts.string(key, lang, args)) }
        func choices(_ labels: [(key: String, label: String)]) -> [String] {
            labels.map { Self.sentence("\($0.key), \($0.label)") }
        }
        /// The texts of `keys`, numbered from 1 as on the screen.
        func numbered(_ keys: [String]) -> [(key: String, label: String)] {
            keys.enumerated().map { (String($0.offset + 1), texts.string($0.element, lang)) }
        }
        var parts: [String] = []
        switch flow.step {
        case .welcome:
            parts = [t("emergency"), t("welcome.title"), t("welcome.body"), t("welcome.start")]
            if texts.packs.count > 1 {
                parts.append(t("welcome.language", ["language": texts.packs[(lang + 1) % texts.packs.count].name]))
            }
            parts.append(t("speech.repeat"))
        case .category:
            parts = [t("category.question")]
                + choices(Category.allCases.map { (String($0.digit), renderer.categoryLabel($0, lang)) })
                + [t("choose.digit")]
        case .place:
            parts = [t("place.question")]
                + choices(renderer.places.enumerated().map { (String($0.offset + 1), TextCleaner.clean($0.element, allowNewlines: false)) })
                + [t(renderer.places.isEmpty ? "place.hint.free" : "place.hint")]
        case .when:
            parts = [t("when.question")]
                + choices(numbered(ScreenRenderer.whenKeys))
                + [t("choose.digit")]
        case .danger:
            parts = [t("danger.question"), t("danger.call"), t("danger.next")]
        case .source:
            parts = [t("source.question")]
                + choices(numbered(ScreenRenderer.sourceKeys))
                + [t("choose.skip")]
        case .text:
            parts = [t("text.question"), t("text.hint")]
        case .age:
            parts = [t("age.question"), t("age.explain")]
                + choices(numbered(ScreenRenderer.ageKeys))
                + [t("choose.skip")]
        case .contact:
            parts = [t("contact.question"), t("contact.explain"), t("contact.hint")]
        case .review:
            // Only the question and the choices: what the visitor wrote stays on the screen.
            let personal = flow.reviewDraft.personalData
            parts = [t("review.question"), t("speech.review")]
            if !personal.isEmpty {
                let names = personal.map { texts.string("personal.\($0.rawValue)", lang) }.joined(separator: ", ")
                parts.append(t("speech.review.personal", ["what": names]))
            }
            parts += choices(numbered(ScreenRenderer.reviewMenuKeys(personalDataFound: !personal.isEmpty)))
        case .thanks:
            // The reference digit by digit: "0 0 4 2".
            let ref = (flow.reference ?? "").map(String.init).joined(separator: " ")
            parts = [t("thanks.title"), t("thanks.reference", ["ref": ref]), t("thanks.next")]
        case .storing, .staffPIN, .staffMenu, .staffEvent, .staffAgeGroup:
            return nil
        }
        return Utterance(text: parts.filter { !$0.isEmpty }.joined(separator: " "), language: flow.languageTag)
    }

    /// `s` on one line, ending in a full stop unless it ends in one already (or in `?`, `!`, `:`, `…`).
    static func sentence(_ s: String) -> String {
        let line = s.split(whereSeparator: { $0 == "\n" }).joined(separator: " ").trimmingSpaces()
        guard let last = line.last else { return "" }
        return ".?!:…".contains(last) ? line : line + "."
    }
}

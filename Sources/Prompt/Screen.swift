import ReportModel

/// One screenful: rows of styled runs of text, and where the cursor goes. Pure value; `FrameWriter` turns it
/// into terminal output.
public struct Frame: Sendable, Equatable {
    public enum Style: Sendable, Equatable { case plain, bold, reverse }
    /// A run of text in one style.
    public struct Span: Sendable, Equatable {
        public var text: String
        public var style: Style
        public init(_ text: String, _ style: Style = .plain) {
            self.text = text
            self.style = style
        }
    }
    /// One row: its runs, starting at `column` (the cells before it are blank, and so is the rest of the row).
    public struct Line: Sendable, Equatable {
        public var spans: [Span]
        public var column: Int
        public init(_ text: String, _ style: Style = .plain, column: Int = 0) {
            self.spans = [Span(text, style)]
            self.column = column
        }
        public init(spans: [Span], column: Int = 0) {
            self.spans = spans
            self.column = column
        }
        /// The text of the runs (without the blank cells before `column`).
        public var text: String { spans.count == 1 ? spans[0].text : spans.map(\.text).joined() }
        /// The row as it shows: `column` blanks, then the text.
        public var shown: String { column == 0 ? text : String(repeating: " ", count: column) + text }
        /// The style of the first run.
        public var style: Style { spans.first?.style ?? .plain }
        /// Columns taken from the left edge to the end of the text.
        public var width: Int { column + spans.reduce(0) { $0 + DisplayWidth.of($1.text) } }

        /// The line cut so that it ends by column `columns`.
        func clipped(to columns: Int) -> Line {
            if width <= columns { return self }
            var out = Line(spans: [], column: min(column, columns))
            var room = columns - out.column
            for s in spans where room > 0 {
                let t = DisplayWidth.truncate(s.text, to: room)
                room -= DisplayWidth.of(t)
                out.spans.append(Span(t, s.style))
            }
            return out
        }
    }
    public struct Position: Sendable, Equatable {
        public var row: Int
        public var column: Int
    }
    public var width: Int
    public var height: Int
    public var lines: [Line]
    /// Where the cursor is shown (an input field), nil to keep it hidden.
    public var cursor: Position?
    /// The text column: every row but the emergency line lies within these cells.
    public var body: Range<Int>

    public init(width: Int, height: Int, lines: [Line], cursor: Position?, body: Range<Int>? = nil) {
        self.width = width
        self.height = height
        self.lines = lines
        self.cursor = cursor
        self.body = body ?? 0..<width
    }

    /// The rows as they show, joined with `\n` (for tests).
    public var text: String { lines.map(\.shown).joined(separator: "\n") }
}

/// Draws the flow's state: state in, `Frame` out. The layout (docs/CONTRACT.md §6.5):
///
/// - The emergency line is the top row of every screen, in reverse video across the whole width, centred. The
///   police number shares it where the row has room, else it goes near the bottom where a row is free.
/// - Everything else is a column centred on the screen: at most `maxColumn` cells wide, with a margin of at least
///   1 cell (2 from 50 columns on). Under the emergency line comes the question, in bold; then the choices, each
///   its key in reverse video (` 1 `) and the label (the earlier answer marked `>` and bold); then the hints.
/// - The bottom row holds "Esc = ett steg tillbaka" and the step ("Steg 2 av 7"), or "PERSONAL" on staff
///   screens; above it the anonymity line (or, with paper tips on, their banner).
/// - On a short screen parts give way in the order of `Give`; the emergency line, the question, every choice,
///   the hint that says what to press, a notice and the back hint never do. Every line fits the width (display
///   width of wide and combining characters approximated by `DisplayWidth`).
public struct ScreenRenderer: Sendable {
    public let texts: Texts
    public let places: [String]
    public let site: String
    /// `[prompt] speech = true`: visitor screens show the key that reads them aloud again (`speech.hint`).
    public var speechHint = false

    /// The widest the text column gets, in cells.
    public static let maxColumn = 64
    /// The most lines of the visitor's text the review screen shows (fewer on a short screen).
    public static let reviewTextLines = 8

    public init(texts: Texts, places: [String], site: String) {
        self.texts = texts
        self.places = places
        self.site = site
    }

    /// An input field laid out on screen rows, with the cursor's place.
    struct Field {
        var rows: [String]
        var cursorRow: Int
        var cursorColumn: Int
    }

    /// A part of the screen, and how it gives way when the rows run short.
    struct Block {
        var lines: [Frame.Line]
        /// When it gives way (`Give`): the highest rank first, of equal ones the lowest on screen; `never` stays.
        var rank: Int
        /// Instead of going, it is cut to this many lines, the last ending in "…".
        var shrinkTo: Int? = nil
        /// The input field: its lines are the field's rows, and it is cut around the cursor.
        var isField = false
        /// For the field: the first of its rows shown.
        var firstRow = 0
        /// All its lines, once it has been cut (it may get rows back when a part after it went).
        var whole: [Frame.Line]? = nil
        /// Once cut, when it gives way again, and how: cut further to `thenShrinkTo` lines, or (nil) go.
        var thenRank = Give.never
        var thenShrinkTo: Int? = nil
    }

    /// The order in which the parts of a screen give way when it is short: the highest number first.
    enum Give {
        static let never = 0
        /// Only when nothing else is left: the review's note on personal data (the choices and the marks say it
        /// too), and a hint while a notice says what to do.
        static let lastResort = 1
        /// The review's answers to the optional questions.
        static let optionalAnswer = 2
        /// The visitor's text on the review screen, then the place and the contact, cut to fewer lines.
        static let longText = 3
        /// Staff's figures (3 to 5: the least needed go first; staff screens have no long texts).
        static let staffInfo = 3
        /// The input field, cut to the rows around the cursor (at least one).
        static let field = 6
        /// The police number when it is not on the top row, and the step or "PERSONAL" when it has a row of its own.
        static let police = 7
        /// The anonymity line, the paper tips banner, the centre's feedback beyond its first line.
        static let anonymity = 8
        static let blank = 9
    }

    public func render(_ flow: PromptFlow, width rawWidth: Int, height rawHeight: Int, now: Int64) -> Frame {
        let width = max(10, rawWidth)
        let height = max(3, rawHeight)
        let lang = flow.language
        func t(_ key: String, _ args: [String: String] = [:]) -> String { texts.string(key, lang, args) }
        let margin = width >= 50 ? 2 : 1
        let columnWidth = min(Self.maxColumn, width - 2 * margin)
        let left = (width - columnWidth) / 2
        let body = left..<(left + columnWidth)

        // The emergency line: the top row, reverse video across the whole width, the police number on it where
        // it fits with a cell to spare on each side.
        let emergency = t("emergency"), police = t("police")
        func banner(_ s: String) -> Frame.Line {
            let pad = max(0, width - DisplayWidth.of(s))
            return Frame.Line(Self.spaces(pad / 2) + s + Self.spaces(pad - pad / 2), .reverse)
        }
        var header: [Frame.Line] = []
        for gap in [3, 2] where header.isEmpty {
            let both = emergency + Self.spaces(gap) + police
            if DisplayWidth.of(both) + 2 <= width { header = [banner(both)] }
        }
        let policeOnTop = !header.isEmpty
        if !policeOnTop { header = DisplayWidth.wrap(emergency, width: width - 2).map(banner) }

        var blocks: [Block] = [Block(lines: [Frame.Line("")], rank: Give.blank)]
        var hints: [Block] = []   // under the choices or the field; a notice comes first
        var field: Field?
        let hintRank = flow.notice == nil ? Give.never : Give.lastResort

        func wrap(_ s: String, _ style: Frame.Style = .plain, indent: Int = 0) -> [Frame.Line] {
            DisplayWidth.wrap(s, width: columnWidth - indent).map { Frame.Line($0, style, column: left + indent) }
        }
        func add(_ s: String, _ style: Frame.Style = .plain, rank: Int = Give.never, shrinkTo: Int? = nil) {
            blocks.append(Block(lines: wrap(s, style), rank: rank, shrinkTo: shrinkTo))
        }
        func blank() { blocks.append(Block(lines: [Frame.Line("")], rank: Give.blank)) }
        func hint(_ s: String) { hints.append(Block(lines: wrap(s), rank: hintRank)) }
        /// Under a digit menu: "press a digit" (unless the notice says it), and that Enter keeps the earlier
        /// answer (or skips the question). The first gives way to the second on a short screen.
        func digitHint(keeping: Bool, skipping: Bool = false) {
            if flow.notice != .pressDigit {
                hints.append(Block(lines: wrap(t("choose.digit")), rank: keeping || skipping ? Give.lastResort : hintRank))
            }
            if keeping { hint(t("choose.keep")) } else if skipping { hint(t("choose.skip")) }
        }
        /// A choice: `>` for the earlier answer, the key in reverse video, the label (continued under itself).
        func choice(_ key: String, _ label: String, selected: Bool = false) {
            let keyText = " \(key) "
            let indent = 2 + DisplayWidth.of(keyText)
            let style: Frame.Style = selected ? .bold : .plain
            let rows = DisplayWidth.wrap(label, width: columnWidth - indent)
            var lines = [Frame.Line(spans: [.init(selected ? ">" : " ", style), .init(keyText, .reverse), .init(" "),
                                            .init(rows[0], style)], column: left)]
            lines += rows.dropFirst().map { Frame.Line($0, style, column: left + indent) }
            blocks.append(Block(lines: lines, rank: Give.never))
        }
        /// The input field; its counter ("412/2000") always for the long text, for short fields once they
        /// are nearly full.
        func editor(_ e: LineEditor, masked: Bool = false, counter: Bool = true, alwaysCount: Bool = false) {
            let f = Self.layout(e, width: columnWidth, masked: masked)
            field = f
            blocks.append(Block(lines: f.rows.map { Frame.Line($0, column: left) }, rank: Give.field, shrinkTo: 1,
                                isField: true))
            if counter && (alwaysCount || e.scalarCount * 5 >= e.maxScalars * 4) {
                add("\(e.scalarCount)/\(e.maxScalars)", .bold)
            }
        }
        /// An optional one-key question (source, age): its question (bold) and explanation, its numbered
        /// choices with the earlier answer marked, and how to skip it.
        func optionalQuestion(_ questionKeys: [String], _ choiceKeys: [String], chosen: Int?) {
            add(t(questionKeys[0]), .bold)
            for k in questionKeys.dropFirst() { add(t(k)) }
            blank()
            for (i, k) in choiceKeys.enumerated() { choice(String(i + 1), t(k), selected: chosen == i) }
            digitHint(keeping: chosen != nil, skipping: chosen == nil)
        }

        switch flow.step {
        case .welcome:
            add(t("welcome.title"), .bold)
            blank()
            add(t("welcome.body"))
            blank()
            add(t("welcome.start"), .bold)
            if texts.packs.count > 1 {
                let next = texts.packs[(lang + 1) % texts.packs.count]
                add(t("welcome.language", ["language": next.name]))
            }
            if flow.paperMode { blank(); add(t("staff.return")) }
            if let feedback = flow.feedback {
                // The centre's word back, in the visitor's language (Swedish when it has none in theirs). It
                // was cleaned when it arrived; on a short screen it is cut, the last line shown ending in "…".
                blank()
                var lines = wrap(t("feedback.title"), .bold)
                for line in feedback.text(for: flow.languageTag).split(separator: "\n", omittingEmptySubsequences: false) {
                    lines += wrap(String(line))
                }
                blocks.append(Block(lines: lines, rank: Give.anonymity, shrinkTo: 2))
            }
        case .category:
            add(t("category.question"), .bold)
            blank()
            for c in Category.allCases {
                choice(String(c.digit), categoryLabel(c, lang), selected: flow.category == c)
            }
            digitHint(keeping: flow.category != nil)
        case .place:
            add(t("place.question"), .bold)
            blank()
            for (i, p) in places.enumerated() {
                choice(String(i + 1), TextCleaner.clean(p, allowNewlines: false))
            }
            if !places.isEmpty { blank() }
            editor(flow.placeEditor)
            hint(t(places.isEmpty ? "place.hint.free" : "place.hint"))
        case .when:
            add(t("when.question"), .bold)
            blank()
            for (i, k) in Self.whenKeys.enumerated() {
                choice(String(i + 1), t(k), selected: flow.occurred == Occurred.choices[i])
            }
            digitHint(keeping: flow.occurred != nil)
        case .danger:
            // Its own screen, nothing else on it: the question and the number, large by being alone.
            add(t("danger.question"), .bold)
            blank()
            blocks.append(Block(lines: wrap(t("danger.call")).map { l in
                Frame.Line(spans: [.init(" " + l.text + " ", .reverse)], column: left)
            }, rank: Give.never))
            hint(t("danger.next"))
        case .source:
            optionalQuestion(["source.question"], Self.sourceKeys,
                             chosen: flow.source.flatMap { PromptFlow.sourceChoices.firstIndex(of: $0) })
        case .age:
            optionalQuestion(["age.question", "age.explain"], Self.ageKeys,
                             chosen: flow.age.flatMap { PromptFlow.ageChoices.firstIndex(of: $0) })
        case .text:
            add(t("text.question"), .bold)
            blank()
            editor(flow.textEditor, alwaysCount: true)
            hint(t("text.hint"))
        case .contact:
            add(t("contact.question"), .bold)
            add(t("contact.explain"))
            blank()
            editor(flow.contactEditor)
            hint(t("contact.hint"))
        case .review, .storing:
            add(t("review.question"), .bold)
            blank()
            let when: String = {
                guard let o = flow.occurred else { return "" }
                if let i = Occurred.choices.firstIndex(of: o) { return t(Self.whenKeys[i]) }
                return o.wireValue
            }()
            let category = flow.category.map { categoryLabel($0, lang) } ?? ""
            // Personal data found in the place and the text is marked »like this« on the review screen.
            let personal = flow.reviewDraft.personalData
            func marked(_ text: String) -> String {
                PersonalData.mask(text, labels: [:], marking: true).text
            }
            add("\(t("review.category")): \(category)")
            add("\(t("review.place")): \(marked(flow.place ?? ""))", rank: Give.longText + 1, shrinkTo: 1)
            add("\(t("review.when")): \(when)")
            if let src = flow.source?.value {
                add("\(t("review.source")): \(t(src == .saw ? "source.saw" : "source.heard"))", rank: Give.optionalAnswer)
            }
            if flow.ageGroupSetting == .ask, let a = flow.age?.value {
                add("\(t("review.age")): \(t("age.\(a.rawValue)"))", rank: Give.optionalAnswer)
            }
            var text = wrap("\(t("review.text")): \(marked(flow.reportText ?? ""))")
            if text.count > Self.reviewTextLines { text = Self.cut(text, to: Self.reviewTextLines, end: body.upperBound) }
            var textBlock = Block(lines: text, rank: Give.longText, shrinkTo: 2)
            textBlock.thenRank = Give.lastResort // to one line only when nothing else is left
            textBlock.thenShrinkTo = 1
            blocks.append(textBlock)
            let contact: String = {
                guard let c = flow.contact else { return t("review.anonymous") }
                return [c.name, c.phone, c.email].compactMap { $0 }.joined(separator: ", ")
            }()
            add("\(t("review.contact")): \(contact)", rank: Give.longText + 1, shrinkTo: 1)
            blank()
            if !personal.isEmpty {
                let names = personal.map { t("personal.\($0.rawValue)") }.joined(separator: ", ")
                add(t("review.personal", ["what": names]), .bold, rank: Give.lastResort)
                blank()
            }
            if flow.step == .storing {
                add(t("storing"), .bold)
            } else {
                for (i, key) in Self.reviewMenuKeys(personalDataFound: !personal.isEmpty).enumerated() {
                    choice(String(i + 1), t(key))
                }
            }
        case .thanks:
            add(t("thanks.title"), .bold)
            blank()
            add(t("thanks.reference", ["ref": flow.reference ?? ""]), .bold)
            hint(t("thanks.next"))
        case .staffPIN:
            add(t("staff.pin.title"), .bold)
            blank()
            if flow.lockout.isLocked(now: now) {
                let minutes = (flow.lockout.remainingMillis(now: now) + 59_999) / 60_000
                add(t("staff.pin.locked", ["minutes": String(minutes)]), .bold)
                hint(t("staff.pin.escape"))
            } else {
                add(t("staff.pin.prompt"))
                blank()
                editor(flow.pinEditor, masked: true, counter: false)
            }
        case .staffMenu:
            add(t("staff.menu.title"), .bold)
            blank()
            let never = t("staff.never")
            func clean(_ v: String?) -> String? { v.map { TextCleaner.clean($0, allowNewlines: false) } }
            func time(_ v: String?) -> String? { clean(v).map(Self.shortTime) }
            if let s = flow.snapshot {
                if !s.outboxReadable { add(t("staff.outbox_unreadable"), .bold) }
                add(t("staff.pending", ["n": String(s.pending)]), rank: Give.staffInfo)
                add(t("staff.oldest", ["time": time(s.oldestPendingAt) ?? t("staff.none")]), rank: Give.staffInfo + 2)
                add(t("staff.broker", ["state": brokerLabel(s.broker, lang)]), rank: Give.staffInfo)
                add(t("staff.last_ack", ["time": time(s.lastAckAt) ?? never]), rank: Give.staffInfo + 2)
                add(t("staff.dead_letters", ["n": String(s.deadLetters)]),
                    rank: s.deadLetters > 0 ? Give.staffInfo : Give.staffInfo + 2)
                if let e = s.lastError {
                    var error = Block(lines: wrap(t("staff.last_error", ["error": TextCleaner.clean(e, allowNewlines: false)])),
                                      rank: Give.staffInfo + 2, shrinkTo: 1)
                    error.thenRank = Give.staffInfo
                    blocks.append(error)
                }
            } else {
                add(t("staff.no_snapshot"))
            }
            add(t("staff.event", ["label": clean(flow.eventLabel) ?? t("staff.none")]), rank: Give.staffInfo + 1)
            add(t("staff.age", ["group": ageSettingLabel(flow.ageGroupSetting, lang)]), rank: Give.staffInfo + 1)
            // Choice 3 says it too: the first to go.
            add(t("staff.paper", ["state": t(flow.paperMode ? "staff.on" : "staff.off")]), rank: Give.staffInfo + 2)
            blank()
            choice("1", t("staff.menu.refresh"))
            choice("2", t("staff.menu.event"))
            choice("3", t(flow.paperMode ? "staff.menu.paper.off" : "staff.menu.paper.on"))
            choice("4", t("staff.menu.leave"))
            choice("5", t("staff.menu.configured_event"))
            if (flow.snapshot?.deadLetters ?? 0) > 0 { choice("6", t("staff.menu.requeue_dead")) }
            choice("7", t("staff.menu.age"))
        case .staffAgeGroup:
            add(t("staff.age.prompt"), .bold)
            blank()
            for (i, setting) in PromptFlow.ageSettingChoices.enumerated() {
                choice(String(i + 1), ageSettingLabel(setting, lang), selected: flow.ageGroupSetting == setting)
            }
            choice("6", t("staff.age.configured"))
            hint(t("staff.age.hint"))
        case .staffEvent:
            add(t("staff.event.prompt"), .bold)
            blank()
            editor(flow.eventEditor)
            hint(t("staff.event.hint"))
        }

        if let n = flow.notice {
            hints.insert(Block(lines: wrap(noticeText(n, lang), .bold), rank: Give.never), at: 0)
        }
        if !hints.isEmpty { blocks.append(Block(lines: [Frame.Line("")], rank: Give.blank)) }
        blocks += hints

        // The foot: the anonymity line (or paper tips), the police number when the top row had no room for it,
        // the back hint and the step (or "PERSONAL").
        var footer: [Block] = []
        if !flow.step.isStaff {
            if flow.paperMode {
                footer.append(Block(lines: wrap(t("paper.banner"), .bold), rank: Give.anonymity))
            } else {
                footer.append(Block(lines: wrap(t("anonymous")), rank: Give.anonymity))
            }
            // With speech on, how to hear it again (the voice says so too, so it may give way); not while staff
            // type in paper tips, which are not read.
            if speechHint && !flow.paperMode { footer.append(Block(lines: wrap(t("speech.hint")), rank: Give.anonymity)) }
        }
        if !policeOnTop { footer.append(Block(lines: wrap(police), rank: Give.police)) }
        let back = flow.step.number != nil && flow.step != .storing ? t("back") : nil
        let tag = flow.step.number.map { t("step", ["n": String($0), "total": String(Step.questionCount)]) }
            ?? (flow.step.isStaff ? t("staff.banner") : nil)
        let tagWidth = tag.map { DisplayWidth.of($0) } ?? 0
        if let back, let tag, DisplayWidth.of(back) + 2 + tagWidth <= columnWidth {
            let gap = columnWidth - DisplayWidth.of(back) - tagWidth
            footer.append(Block(lines: [Frame.Line(spans: [.init(back), .init(Self.spaces(gap)), .init(tag, .bold)],
                                                   column: left)], rank: Give.never))
        } else {
            if let tag {
                let line = tagWidth <= columnWidth ? Frame.Line(tag, .bold, column: left + columnWidth - tagWidth)
                                                   : Frame.Line(tag, .bold, column: left)
                footer.append(Block(lines: [line], rank: Give.police))
            }
            if let back { footer.append(Block(lines: wrap(back), rank: Give.never)) }
        }

        return assemble(width: width, height: height, header: header, blocks: blocks, footer: footer, field: field,
                        body: body)
    }

    /// The language files' keys of the choices of a menu screen, in the order of their digits (1, 2, …): one
    /// home for what the screen shows and what speech reads (`SpeechScript`).
    static let whenKeys = ["when.now", "when.today", "when.this_week", "when.earlier", "when.unknown"]
    static let sourceKeys = ["source.saw", "source.heard", "source.not_said"]
    static let ageKeys = ["age.youth", "age.adult", "age.senior", "age.not_said"]
    /// The review's menu: `4` (send as typed) only where personal data was found, and then `1` sends it masked.
    static func reviewMenuKeys(personalDataFound: Bool) -> [String] {
        [personalDataFound ? "review.send_masked" : "review.send", "review.change", "review.discard"]
            + (personalDataFound ? ["review.send_as_typed"] : [])
    }

    static func spaces(_ n: Int) -> String { String(repeating: " ", count: max(0, n)) }

    /// `lines` cut to `n`, the last ending in "…" (its text shortened to leave room for it before `end`).
    static func cut(_ lines: [Frame.Line], to n: Int, end: Int) -> [Frame.Line] {
        guard n < lines.count, n > 0 else { return lines }
        var out = Array(lines.prefix(n))
        var last = out[n - 1]
        if var span = last.spans.popLast() {
            let before = last.width
            span.text = DisplayWidth.truncate(span.text, to: max(0, end - before - 1)) + "…"
            last.spans.append(span)
            out[n - 1] = last
        }
        return out
    }

    /// An RFC 3339 time as staff read it: `2026-05-01T10:00:00+02:00` → `2026-05-01 10:00`; anything else as it is.
    static func shortTime(_ s: String) -> String {
        let u = Array(s.utf8)
        guard u.count >= 16, u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":") else { return s }
        return String(decoding: u[0..<10], as: UTF8.self) + " " + String(decoding: u[11..<16], as: UTF8.self)
    }

    /// The label of a category in the language shown; the §5 Swedish label when no file has one.
    func categoryLabel(_ c: Category, _ lang: Int) -> String {
        let key = "category.\(c.rawValue)"
        let s = texts.string(key, lang)
        return s == key ? c.swedishLabel : s
    }

    /// The kiosk's age group setting in words, for staff.
    func ageSettingLabel(_ setting: AgeGroupSetting?, _ lang: Int) -> String {
        let key = switch setting {
        case .group(let g)?: "staff.age.\(g.rawValue)"
        case .ask?: "staff.age.ask"
        case nil: "staff.age.none"
        }
        return texts.string(key, lang)
    }

    /// The broker's state in words, for staff.
    func brokerLabel(_ state: StaffSnapshot.Broker?, _ lang: Int) -> String {
        func t(_ key: String) -> String { texts.string(key, lang) }
        return switch state {
        case .connected?: t("staff.broker.connected")
        case .connecting?: t("staff.broker.connecting")
        case .disconnected?: t("staff.broker.disconnected")
        case .gatewayStopped?: t("staff.broker.stopped")
        case .gatewayNotRunning?: t("staff.broker.not_running")
        case nil: t("staff.broker.unknown")
        }
    }

    /// A store's refusal in a few words, for staff's notices.
    func reason(_ r: StoreRefusal, _ lang: Int) -> String {
        switch r {
        case .full(let m): texts.string("staff.reason.full", lang, ["max": String(m)])
        case .diskFull: texts.string("staff.reason.disk_full", lang)
        case .unavailable(let why):
            texts.string("staff.reason.unavailable", lang, ["why": TextCleaner.clean(why, allowNewlines: false)])
        }
    }

    func noticeText(_ n: Notice, _ lang: Int) -> String {
        func t(_ key: String, _ args: [String: String] = [:]) -> String { texts.string(key, lang, args) }
        switch n {
        case .pressDigit: return t("notice.press_digit")
        case .placeEmpty: return t("notice.place_empty")
        case .textEmpty: return t("notice.text_empty")
        case .limitReached: return t("notice.limit")
        case .storeRefused(.full): return t("notice.full")
        case .storeRefused(.diskFull): return t("notice.disk_full")
        case .storeRefused(.unavailable): return t("notice.unavailable")
        case .invalid: return t("notice.invalid")
        case .discarded: return t("notice.discarded")
        case .wrongPIN(let left): return t("staff.pin.wrong", ["left": String(left)])
        case .staffNotSetUp: return t("notice.staff_not_set_up")
        case .eventSaved: return t("staff.event.saved")
        case .eventFailed(let r): return t("staff.event.failed", ["reason": reason(r, lang)])
        case .ageGroupSaved: return t("staff.age.saved")
        case .ageGroupFailed(let r): return t("staff.age.failed", ["reason": reason(r, lang)])
        case .deadLettersRequeued(let n): return t("staff.dead.requeued", ["count": String(n)])
        case .deadLettersFailed(let r): return t("staff.dead.failed", ["reason": reason(r, lang)])
        }
    }

    /// Puts the parts on `height` rows: the emergency line on top, the foot on the bottom rows, the body between.
    /// While they do not fit, the part that gives way first (`Give`) goes, or is cut to its fewest lines.
    func assemble(width: Int, height: Int, header: [Frame.Line], blocks: [Block], footer: [Block], field: Field?,
                  body: Range<Int>) -> Frame {
        var parts = blocks + footer
        var total = header.count
        for p in parts { total += p.lines.count }
        var cutOrder: [Int] = []
        while total > height {
            var victim: Int?
            for i in parts.indices where parts[i].rank > 0 && (victim == nil || parts[i].rank >= parts[victim!].rank) {
                victim = i
            }
            guard let v = victim else { break }
            let before = parts[v].lines.count
            let keep = parts[v].shrinkTo.map { max($0, before - (total - height)) } ?? 0
            if keep == 0 {
                parts[v].lines = []
                parts[v].rank = Give.never
            } else {
                if keep < before {
                    if parts[v].whole == nil { parts[v].whole = parts[v].lines; cutOrder.append(v) }
                    cut(&parts[v], to: keep, from: parts[v].whole)
                }
                parts[v].rank = parts[v].thenRank
                parts[v].shrinkTo = parts[v].thenShrinkTo
                parts[v].thenRank = Give.never
                parts[v].thenShrinkTo = nil
            }
            total -= before - parts[v].lines.count
        }
        // Rows freed by a part that went after another was cut go back to the cut ones, the last cut first.
        for v in cutOrder.reversed() where total < height && !parts[v].lines.isEmpty {
            let whole = parts[v].whole!, before = parts[v].lines.count
            cut(&parts[v], to: min(whole.count, before + height - total), from: whole)
            total += parts[v].lines.count - before
        }

        /// Cuts a part to `keep` of its lines: the field around the cursor, a text with "…" at the end.
        func cut(_ part: inout Block, to keep: Int, from whole: [Frame.Line]? = nil) {
            let lines = whole ?? part.lines
            if part.isField, let field {
                let first = max(0, min(field.cursorRow - keep + 1, lines.count - keep))
                part.lines = Array(lines[first..<(first + keep)])
                part.firstRow = first
            } else {
                part.lines = Self.cut(lines, to: keep, end: body.upperBound)
            }
        }

        var lines = header
        var cursor: Frame.Position?
        for (i, p) in parts.enumerated() {
            if i == blocks.count && total < height {
                // the rows to spare go between the body and the foot, so the foot sits on the bottom rows
                lines += Array(repeating: Frame.Line(""), count: height - total)
            }
            if p.isField, let field {
                let row = field.cursorRow - p.firstRow
                if row >= 0 && row < p.lines.count {
                    cursor = Frame.Position(row: lines.count + row, column: body.lowerBound + field.cursorColumn)
                }
            }
            lines += p.lines
        }
        if lines.count > height { lines = Array(lines.prefix(height)) }
        lines = lines.map { $0.clipped(to: width) }
        if let c = cursor, c.row >= height || c.column >= width { cursor = nil }
        return Frame(width: width, height: height, lines: lines, cursor: cursor, body: body)
    }

    /// Lays out an input field: `> ` then the text broken into rows of the width (by character, `\n` breaks).
    static func layout(_ e: LineEditor, width: Int, masked: Bool) -> Field {
        let prompt = "> "
        let indent = "  "
        let avail = max(1, width - 2 - 1) // keep the last column free for the cursor
        var rows: [String] = []
        var row = ""
        var col = 0
        var cursorRow = 0, cursorColumn = 2
        func newRow() { rows.append(row); row = ""; col = 0 }
        for (i, ch) in e.characters.enumerated() {
            if i == e.cursor { cursorRow = rows.count; cursorColumn = 2 + col }
            if ch == "\n" || ch == "\r\n" {
                newRow()
                continue
            }
            let shown: Character = masked ? "*" : ch
            let w = DisplayWidth.of(shown)
            if col + w > avail { newRow() }
            if i == e.cursor { cursorRow = rows.count; cursorColumn = 2 + col }
            row.append(shown)
            col += w
        }
        if e.cursor >= e.characters.count {
            if col >= avail { newRow() }
            cursorRow = rows.count
            cursorColumn = 2 + col
        }
        rows.append(row)
        let out = rows.enumerated().map { (i, r) in (i == 0 ? prompt : indent) + r }
        return Field(rows: out, cursorRow: cursorRow, cursorColumn: cursorColumn)
    }
}

/// Turns frames into terminal output: one string per frame, cursor hidden while drawing, only the rows that
/// changed since the last frame rewritten (each erased to its end), so nothing flickers. A row is written from
/// its first cell: blanks up to its column, then its runs (bold `ESC[1m`, reverse video `ESC[7m`).
public struct FrameWriter: Sendable {
    private var previous: Frame?
    private var clearScrollback = false

    public init() {}

    /// Forget what is on screen: the next frame clears the whole screen (`ESC[2J`) and rewrites every row (after a
    /// resize, a stall of the output). `clearingScrollback` (a wipe of the draft) also erases the terminal's
    /// scrollback (`ESC[3J`), so nothing of the old screen can be scrolled back to.
    public mutating func invalidate(clearingScrollback: Bool = false) {
        previous = nil
        if clearingScrollback { clearScrollback = true }
    }

    public mutating func output(for frame: Frame) -> String {
        var out = "\u{1B}[?25l"
        let full = previous == nil || previous?.width != frame.width || previous?.height != frame.height
        if full { out += "\u{1B}[0m\u{1B}[H\u{1B}[2J" }
        if full && clearScrollback { out += "\u{1B}[3J" }
        clearScrollback = false
        let old = full ? [] : previous!.lines
        for (i, line) in frame.lines.enumerated() where full || i >= old.count || old[i] != line {
            out += "\u{1B}[\(i + 1);1H"
            if line.column > 0 { out += String(repeating: " ", count: line.column) }
            for span in line.spans where !span.text.isEmpty {
                switch span.style {
                case .plain: out += span.text
                case .bold: out += "\u{1B}[1m" + span.text + "\u{1B}[0m"
                case .reverse: out += "\u{1B}[7m" + span.text + "\u{1B}[0m"
                }
            }
            // A row that reaches the last column needs no erase (and one there would take the last cell).
            if line.width < frame.width { out += "\u{1B}[K" }
        }
        if !full && old.count > frame.lines.count {
            for i in frame.lines.count..<old.count { out += "\u{1B}[\(i + 1);1H\u{1B}[K" }
        }
        if let c = frame.cursor {
            out += "\u{1B}[\(c.row + 1);\(c.column + 1)H\u{1B}[?25h"
        }
        previous = frame
        return out
    }
}

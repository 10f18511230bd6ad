import ReportModel

/// One screenful, as plain text lines with a style each, and where the cursor goes. Pure value; `FrameWriter`
/// turns it into terminal output.
public struct Frame: Sendable, Equatable {
    public enum Style: Sendable, Equatable { case plain, bold, reverse }
    public struct Line: Sendable, Equatable {
        public var text: String
        public var style: Style
        public init(_ text: String, _ style: Style = .plain) {
            self.text = text
            self.style = style
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

    /// The lines joined with `\n` (for tests).
    public var text: String { lines.map(\.text).joined(separator: "\n") }
}

/// Draws the flow's state: state in, `Frame` out. Every screen has the emergency numbers on top and (for
/// visitors) the anonymity line at the bottom; every line fits the width (display width of wide and combining
/// characters approximated by `DisplayWidth`).
public struct ScreenRenderer: Sendable {
    public let texts: Texts
    public let places: [String]
    public let site: String
    /// `[prompt] speech = true`: visitor screens show the key that reads them aloud again (`speech.hint`).
    public var speechHint = false

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

    public func render(_ flow: PromptFlow, width rawWidth: Int, height rawHeight: Int, now: Int64) -> Frame {
        let width = max(10, rawWidth)
        let height = max(3, rawHeight)
        let lang = flow.language
        func t(_ key: String, _ args: [String: String] = [:]) -> String { texts.string(key, lang, args) }
        func wrapped(_ s: String, _ style: Frame.Style = .plain, indent: Int = 0) -> [Frame.Line] {
            let pad = String(repeating: " ", count: indent)
            return DisplayWidth.wrap(s, width: width - indent).map { Frame.Line(pad + $0, style) }
        }

        // Header: the emergency numbers, always, in reverse video across the whole width.
        var header: [Frame.Line] = []
        let emergency = t("emergency"), police = t("police")
        let both = " \(emergency)   \(police) "
        if DisplayWidth.of(both) <= width {
            header.append(Frame.Line(both, .reverse))
        } else {
            header += wrapped(emergency, .reverse) + wrapped(police, .reverse)
        }
        var status: [String] = []
        if let n = flow.step.number { status.append(t("step", ["n": String(n), "total": String(Step.questionCount)])) }
        if flow.step.isStaff { status.append(t("staff.banner")) }
        if flow.paperMode { status.append(t("paper.banner")) }
        header += wrapped(status.joined(separator: "   "), .bold)

        var top: [Frame.Line] = []     // question and choices, above the field
        var field: Field?
        var fieldCounter: String?
        var bottom: [Frame.Line] = []  // hints under the field
        let visitor = !flow.step.isStaff

        /// A menu line: `>` for the earlier answer, the key, two spaces, the label (continued under the label).
        func choice(_ key: String, _ label: String, selected: Bool = false) -> [Frame.Line] {
            let prefix = (selected ? ">" : " ") + key + "  "
            let indent = String(repeating: " ", count: DisplayWidth.of(prefix))
            return DisplayWidth.wrap(label, width: width - DisplayWidth.of(prefix)).enumerated().map { i, l in
                Frame.Line((i == 0 ? prefix : indent) + l, selected ? .bold : .plain)
            }
        }
        /// The input field; its counter ("412/2000") always for the long text, for short fields once they
        /// are nearly full.
        func editor(_ e: LineEditor, masked: Bool = false, counter: Bool = true, alwaysCount: Bool = false) {
            field = Self.layout(e, width: width, masked: masked)
            let show = counter && (alwaysCount || e.scalarCount * 5 >= e.maxScalars * 4)
            fieldCounter = show ? "\(e.scalarCount)/\(e.maxScalars)" : nil
        }

        /// An optional one-key question (source, age): its question (bold) and explanation, its numbered
        /// choices with the earlier answer marked, and how to skip it.
        func optionalQuestion(_ questionKeys: [String], _ choiceKeys: [String], chosen: Int?) {
            top += wrapped(t(questionKeys[0]), .bold)
            for k in questionKeys.dropFirst() { top += wrapped(t(k)) }
            top.append(Frame.Line(""))
            for (i, k) in choiceKeys.enumerated() { top += choice(String(i + 1), t(k), selected: chosen == i) }
            top.append(Frame.Line(""))
            bottom += wrapped(t("choose.digit"))
            bottom += wrapped(t(chosen != nil ? "choose.keep" : "choose.skip"))
        }

        switch flow.step {
        case .welcome:
            top += wrapped(t("welcome.title"), .bold)
            top.append(Frame.Line(""))
            top += wrapped(t("welcome.body"))
            top.append(Frame.Line(""))
            top += wrapped(t("welcome.start"), .bold)
            if texts.packs.count > 1 {
                let next = texts.packs[(lang + 1) % texts.packs.count]
                top.append(Frame.Line(""))
                top += wrapped(t("welcome.language", ["language": next.name]))
            }
            if flow.paperMode { top.append(Frame.Line("")); top += wrapped(t("staff.return")) }
            if let feedback = flow.feedback {
                // The centre's word back, in the visitor's language (Swedish when it has none in theirs). It
                // was cleaned when it arrived; each line is wrapped like any text.
                top.append(Frame.Line(""))
                top += wrapped(t("feedback.title"), .bold)
                for line in feedback.text(for: flow.languageTag).split(separator: "\n", omittingEmptySubsequences: false) {
                    top += wrapped(String(line))
                }
            }
        case .category:
            top += wrapped(t("category.question"), .bold)
            top.append(Frame.Line(""))
            let ordered = Category.allCases
            for c in ordered {
                top += choice(String(c.digit), categoryLabel(c, lang), selected: flow.category == c)
            }
            top.append(Frame.Line(""))
            bottom += wrapped(t("choose.digit"))
            if flow.category != nil { bottom += wrapped(t("choose.keep")) }
        case .place:
            top += wrapped(t("place.question"), .bold)
            top.append(Frame.Line(""))
            for (i, p) in places.enumerated() {
                top += choice(String(i + 1), TextCleaner.clean(p, allowNewlines: false))
            }
            if !places.isEmpty { top.append(Frame.Line("")) }
            editor(flow.placeEditor)
            bottom += wrapped(t(places.isEmpty ? "place.hint.free" : "place.hint"))
        case .when:
            top += wrapped(t("when.question"), .bold)
            top.append(Frame.Line(""))
            let keys = ["when.now", "when.today", "when.this_week", "when.earlier", "when.unknown"]
            for (i, k) in keys.enumerated() {
                top += choice(String(i + 1), t(k), selected: flow.occurred == Occurred.choices[i])
            }
            top.append(Frame.Line(""))
            bottom += wrapped(t("choose.digit"))
            if flow.occurred != nil { bottom += wrapped(t("choose.keep")) }
        case .danger:
            // Its own screen, nothing else on it: the question and the number, large by being alone.
            top += wrapped(t("danger.question"), .bold)
            top.append(Frame.Line(""))
            top += wrapped(t("danger.call"), .reverse)
            top.append(Frame.Line(""))
            bottom += wrapped(t("danger.next"))
        case .source:
            optionalQuestion(["source.question"], ["source.saw", "source.heard", "source.not_said"],
                             chosen: flow.source.flatMap { PromptFlow.sourceChoices.firstIndex(of: $0) })
        case .age:
            optionalQuestion(["age.question", "age.explain"], ["age.youth", "age.adult", "age.senior", "age.not_said"],
                             chosen: flow.age.flatMap { PromptFlow.ageChoices.firstIndex(of: $0) })
        case .text:
            top += wrapped(t("text.question"), .bold)
            top.append(Frame.Line(""))
            editor(flow.textEditor, alwaysCount: true)
            bottom += wrapped(t("text.hint"))
        case .contact:
            top += wrapped(t("contact.question"), .bold)
            top += wrapped(t("contact.explain"))
            top.append(Frame.Line(""))
            editor(flow.contactEditor)
            bottom += wrapped(t("contact.hint"))
        case .review, .storing:
            top += wrapped(t("review.question"), .bold)
            top.append(Frame.Line(""))
            let whenKeys = ["when.now", "when.today", "when.this_week", "when.earlier", "when.unknown"]
            let when: String = {
                guard let o = flow.occurred else { return "" }
                if let i = Occurred.choices.firstIndex(of: o) { return t(whenKeys[i]) }
                return o.wireValue
            }()
            let category = flow.category.map { categoryLabel($0, lang) } ?? ""
            // Personal data found in the place and the text is marked »like this« on the review screen.
            let personal = flow.reviewDraft.personalData
            func marked(_ text: String) -> String {
                PersonalData.mask(text, labels: [:], marking: true).text
            }
            top += wrapped("\(t("review.category")): \(category)")
            top += wrapped("\(t("review.place")): \(marked(flow.place ?? ""))")
            top += wrapped("\(t("review.when")): \(when)")
            if let src = flow.source?.value {
                top += wrapped("\(t("review.source")): \(t(src == .saw ? "source.saw" : "source.heard"))")
            }
            if flow.ageGroupSetting == .ask, let a = flow.age?.value {
                top += wrapped("\(t("review.age")): \(t("age.\(a.rawValue)"))")
            }
            var textLines = DisplayWidth.wrap("\(t("review.text")): \(marked(flow.reportText ?? ""))", width: width)
            if textLines.count > 4 {
                textLines = Array(textLines.prefix(4))
                textLines[3] = DisplayWidth.truncate(textLines[3], to: width - 1) + "…"
            }
            top += textLines.map { Frame.Line($0) }
            let contact: String = {
                guard let c = flow.contact else { return t("review.anonymous") }
                return [c.name, c.phone, c.email].compactMap { $0 }.joined(separator: ", ")
            }()
            top += wrapped("\(t("review.contact")): \(contact)")
            top.append(Frame.Line(""))
            if !personal.isEmpty {
                let names = personal.map { t("personal.\($0.rawValue)") }.joined(separator: ", ")
                top += wrapped(t("review.personal", ["what": names]), .bold)
                top.append(Frame.Line(""))
            }
            if flow.step == .storing {
                top += wrapped(t("storing"), .bold)
            } else {
                top += choice("1", t(personal.isEmpty ? "review.send" : "review.send_masked"))
                top += choice("2", t("review.change"))
                top += choice("3", t("review.discard"))
                if !personal.isEmpty { top += choice("4", t("review.send_as_typed")) }
            }
        case .thanks:
            top += wrapped(t("thanks.title"), .bold)
            top.append(Frame.Line(""))
            top += wrapped(t("thanks.reference", ["ref": flow.reference ?? ""]), .bold)
            top.append(Frame.Line(""))
            top += wrapped(t("thanks.next"))
        case .staffPIN:
            top += wrapped(t("staff.pin.title"), .bold)
            top.append(Frame.Line(""))
            if flow.lockout.isLocked(now: now) {
                let minutes = (flow.lockout.remainingMillis(now: now) + 59_999) / 60_000
                top += wrapped(t("staff.pin.locked", ["minutes": String(minutes)]), .bold)
                bottom += wrapped(t("staff.pin.escape"))
            } else {
                top += wrapped(t("staff.pin.prompt"))
                top.append(Frame.Line(""))
                editor(flow.pinEditor, masked: true, counter: false)
            }
        case .staffMenu:
            top += wrapped(t("staff.menu.title"), .bold)
            top.append(Frame.Line(""))
            let never = t("staff.never")
            func clean(_ v: String?) -> String? { v.map { TextCleaner.clean($0, allowNewlines: false) } }
            if let s = flow.snapshot {
                top += wrapped(t("staff.pending", ["n": String(s.pending)]))
                top += wrapped(t("staff.oldest", ["time": clean(s.oldestPendingAt) ?? t("staff.none")]))
                let broker = switch s.broker {
                case "connected": t("staff.broker.connected")
                case "disconnected": t("staff.broker.disconnected")
                case nil: t("staff.broker.unknown")
                case let other?: TextCleaner.clean(other, allowNewlines: false)
                }
                top += wrapped(t("staff.broker", ["state": broker]))
                top += wrapped(t("staff.last_ack", ["time": clean(s.lastAckAt) ?? never]))
                top += wrapped(t("staff.dead_letters", ["n": String(s.deadLetters)]))
                if let e = s.lastError {
                    top += wrapped(t("staff.last_error", ["error": TextCleaner.clean(e, allowNewlines: false)]))
                }
            } else {
                top += wrapped(t("staff.no_snapshot"))
            }
            top += wrapped(t("staff.event", ["label": clean(flow.eventLabel) ?? t("staff.none")]))
            top += wrapped(t("staff.age", ["group": ageSettingLabel(flow.ageGroupSetting, lang)]))
            top += wrapped(t("staff.paper", ["state": t(flow.paperMode ? "staff.on" : "staff.off")]))
            top.append(Frame.Line(""))
            top += choice("1", t("staff.menu.refresh"))
            top += choice("2", t("staff.menu.event"))
            top += choice("3", t(flow.paperMode ? "staff.menu.paper.off" : "staff.menu.paper.on"))
            top += choice("4", t("staff.menu.leave"))
            top += choice("5", t("staff.menu.configured_event"))
            if (flow.snapshot?.deadLetters ?? 0) > 0 { top += choice("6", t("staff.menu.requeue_dead")) }
            top += choice("7", t("staff.menu.age"))
        case .staffAgeGroup:
            top += wrapped(t("staff.age.prompt"), .bold)
            top.append(Frame.Line(""))
            for (i, setting) in PromptFlow.ageSettingChoices.enumerated() {
                top += choice(String(i + 1), ageSettingLabel(setting, lang), selected: flow.ageGroupSetting == setting)
            }
            top += choice("6", t("staff.age.configured"))
            top.append(Frame.Line(""))
            bottom += wrapped(t("staff.age.hint"))
        case .staffEvent:
            top += wrapped(t("staff.event.prompt"), .bold)
            top.append(Frame.Line(""))
            editor(flow.eventEditor)
            bottom += wrapped(t("staff.event.hint"))
        }

        if let n = flow.notice {
            bottom.insert(Frame.Line(""), at: 0)
            bottom.insert(contentsOf: wrapped(noticeText(n, lang), .bold), at: 1)
        }
        var footer: [Frame.Line] = [Frame.Line("")]
        if flow.step.number != nil && flow.step != .storing { footer += wrapped(t("back")) }
        if visitor { footer += wrapped(t("anonymous")) }
        if visitor && speechHint { footer += wrapped(t("speech.hint")) }

        return assemble(width: width, height: height, header: header, top: top, field: field,
                        counter: fieldCounter, bottom: bottom, footer: footer)
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

    /// A store's refusal in a few words, for staff's notices.
    static func reason(_ r: StoreRefusal) -> String {
        switch r {
        case .full(let m): "full (\(m))"
        case .diskFull: "disk full"
        case .unavailable(let why): TextCleaner.clean(why, allowNewlines: false)
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
        case .eventFailed(let r):
            return t("staff.event.failed", ["reason": Self.reason(r)])
        case .ageGroupSaved: return t("staff.age.saved")
        case .ageGroupFailed(let r): return t("staff.age.failed", ["reason": Self.reason(r)])
        case .deadLettersRequeued(let n): return t("staff.dead.requeued", ["count": String(n)])
        case .deadLettersFailed(let r): return t("staff.dead.failed", ["reason": Self.reason(r)])
        }
    }

    /// Puts the parts on `height` rows: the header always; the field gets the rows left (at least one, showing
    /// the part around the cursor); then blank lines, then lines from the end of the body give way.
    func assemble(width: Int, height: Int, header: [Frame.Line], top: [Frame.Line], field: Field?, counter: String?,
                  bottom: [Frame.Line], footer: [Frame.Line]) -> Frame {
        var top = top, bottom = bottom, footer = footer
        let counterLines = counter == nil ? 0 : 1
        func fixed() -> Int { header.count + top.count + bottom.count + footer.count + counterLines }
        var fieldRows = field.map { max(1, min($0.rows.count, height - fixed())) } ?? 0
        // Drop blank lines, then the anonymity/back lines, then body lines, until it fits.
        while fixed() + fieldRows > height, let i = top.lastIndex(where: { $0.text.isEmpty }) { top.remove(at: i) }
        while fixed() + fieldRows > height, let i = bottom.lastIndex(where: { $0.text.isEmpty }) { bottom.remove(at: i) }
        while fixed() + fieldRows > height, let i = footer.lastIndex(where: { $0.text.isEmpty }) { footer.remove(at: i) }
        if let field { fieldRows = max(1, min(field.rows.count, height - fixed())) }
        while fixed() + fieldRows > height, !footer.isEmpty { footer.removeFirst() }
        while fixed() + fieldRows > height, top.count > 1 { top.remove(at: field == nil ? top.count - 1 : 1) }
        while fixed() + fieldRows > height, !bottom.isEmpty { bottom.removeLast() }

        var lines = header + top
        var cursor: Frame.Position?
        if let field {
            let first = max(0, min(field.cursorRow - fieldRows + 1, field.rows.count - fieldRows))
            let visible = field.rows[first..<min(field.rows.count, first + fieldRows)]
            cursor = Frame.Position(row: lines.count + field.cursorRow - first, column: field.cursorColumn)
            lines += visible.map { Frame.Line($0) }
            if let counter { lines.append(Frame.Line(counter, .bold)) }
        }
        lines += bottom + footer
        if lines.count > height { lines = Array(lines.prefix(height)) }
        lines = lines.map { Frame.Line(DisplayWidth.truncate($0.text, to: width), $0.style) }
        if let c = cursor, c.row >= height || c.column >= width { cursor = nil }
        return Frame(width: width, height: height, lines: lines, cursor: cursor)
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
/// changed since the last frame rewritten (each erased to its end), so nothing flickers.
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
            switch line.style {
            case .plain: out += line.text + "\u{1B}[K"
            case .bold: out += "\u{1B}[1m" + line.text + "\u{1B}[0m\u{1B}[K"
            case .reverse:
                let pad = max(0, frame.width - DisplayWidth.of(line.text))
                out += "\u{1B}[7m" + line.text + String(repeating: " ", count: pad) + "\u{1B}[0m"
            }
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

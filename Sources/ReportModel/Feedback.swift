/// The schema name of the centre's public feedback (docs/CONTRACT.md §4.4).
public let feedbackSchema = "lagesbild.feedback.v1"

/// The centre's public feedback to the visitors: a short message per language ("what happened after your
/// tips"), published retained on `{prefix}/feedback/all` or `{prefix}/feedback/{kiosk}` and shown on the
/// kiosk's welcome screen until `until`. Made by `lagesbild feedback` (`make`), checked by the kiosk's gateway
/// (`decode`); both sides clean and bound the text the same way, so nothing is shown raw.
public struct Feedback: Sendable, Equatable {
    /// The most a language's text may hold, in Unicode scalars after cleaning.
    public static let maxCharacters = 400
    /// The largest payload a kiosk reads; anything bigger is not feedback.
    public static let maxPayloadBytes = 8 * 1024
    /// The most languages one message may carry.
    public static let maxLanguages = 16

    /// Cleaned text by BCP 47 language tag; never empty.
    public let text: [String: String]
    /// When the centre published it (RFC 3339).
    public let publishedAt: String
    /// The end of its showing: an RFC 3339 date-time, or a full-date meaning the end of that day on the kiosk's
    /// clock. Nil: until replaced or cleared.
    public let until: String?

    /// Why a feedback message was refused, in words for a log or a terminal. Never holds the message's text.
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// Makes a message from the centre's words: every text cleaned (as a report's text), empty ones left out,
    /// and refused when a text is longer than `maxCharacters`, a tag is not a language tag, no text is left,
    /// or `until` is not an RFC 3339 date or date-time.
    public static func make(text raw: [String: String], publishedAt: String, until: String?) throws(Problem) -> Feedback {
        guard raw.count <= maxLanguages else { throw Problem("at most \(maxLanguages) languages") }
        var text: [String: String] = [:]
        for (tag, value) in raw {
            guard ReportDraft.isLanguageTag(tag) else { throw Problem("\"\(TextCleaner.prefix(TextCleaner.clean(tag, allowNewlines: false), scalars: 40))\" is not a language tag") }
            let cleaned = TextCleaner.clean(value, allowNewlines: true)
            let n = TextCleaner.length(cleaned)
            guard n <= maxCharacters else {
                throw Problem("the \(tag) text is \(n) characters long; at most \(maxCharacters) fit on the kiosk's screen")
            }
            if n > 0 { text[tag] = cleaned }
        }
        guard !text.isEmpty else { throw Problem("there is no text") }
        guard RFC3339.isValidDateOrDateTime(publishedAt), publishedAt.count > 10 else {
            throw Problem("published_at is not an RFC 3339 date-time")
        }
        if let until, !RFC3339.isValidDateOrDateTime(until) {
            throw Problem("until is not an RFC 3339 date (2026-12-31) or date-time")
        }
        return Feedback(text: text, publishedAt: publishedAt, until: until)
    }

    private init(text: [String: String], publishedAt: String, until: String?) {
        self.text = text
        self.publishedAt = publishedAt
        self.until = until
    }

    /// The payload: `{"schema":"lagesbild.feedback.v1","text":{"sv":…,"en":…},"published_at":…,"until":…}`,
    /// Swedish first, then the other languages by tag.
    public var json: String {
        var w = JSONWriter()
        w.object {
            $0.field("schema", feedbackSchema)
            $0.objectField("text") { o in
                for tag in text.keys.sorted(by: { ($0 == "sv" ? 0 : 1, $0) < ($1 == "sv" ? 0 : 1, $1) }) { o.field(tag, text[tag]) }
            }
            $0.field("published_at", publishedAt)
            $0.field("until", until)
        }
        return w.output
    }

    /// Reads a payload strictly (a newer minor schema `lagesbild.feedback.v1.N` is fine, unknown fields are
    /// ignored) and cleans it as `make` does: a text too long, a wrong type or a bad date refuses it whole.
    public static func decode(_ payload: UnsafeRawBufferPointer) throws(Problem) -> Feedback {
        guard payload.count <= maxPayloadBytes else {
            throw Problem("\(payload.count) bytes is too large for feedback (at most \(maxPayloadBytes))")
        }
        let v: JSONValue
        do { v = try JSONParser.parse(payload) } catch { throw Problem(error.description) }
        guard let schema = v["schema"]?.string, schema == feedbackSchema || schema.hasPrefix(feedbackSchema + ".") else {
            throw Problem("schema is not \(feedbackSchema) or a newer minor version of it")
        }
        guard case .object(let members)? = v["text"] else { throw Problem("text is not an object of texts by language") }
        var raw: [String: String] = [:]
        for (tag, value) in members {
            guard let s = value.string else { throw Problem("text.\(TextCleaner.prefix(TextCleaner.clean(tag, allowNewlines: false), scalars: 40)) is not a string") }
            raw[tag] = s
        }
        guard let published = v["published_at"]?.string else { throw Problem("published_at is missing") }
        var until: String? = nil
        if let u = v["until"], !u.isNull {
            guard let s = u.string else { throw Problem("until is not a string") }
            until = s
        }
        return try make(text: raw, publishedAt: published, until: until)
    }

    /// The text for a visitor reading `language` (`sv-FI` also finds `sv`): that language's, else Swedish, else
    /// the first by tag.
    public func text(for language: String) -> String {
        if let t = text[language] { return t }
        if let base = language.split(separator: "-").first, let t = text[String(base)] { return t }
        return text["sv"] ?? text[text.keys.sorted()[0]]!
    }

    /// Whether it is still to be shown at `now` (Unix ms); a date-only `until` ends at the end of that day at
    /// the kiosk's UTC offset.
    public func isShown(atUnixMillis now: Int64, utcOffsetSeconds: Int) -> Bool {
        guard let until else { return true }
        guard let end = RFC3339.parse(until, dateOffsetSeconds: utcOffsetSeconds) else { return false }
        return now < (until.count == 10 ? end + 86_400_000 : end)
    }

    /// Which message a kiosk shows: its own (`{prefix}/feedback/{kiosk}`) when there is one still to be shown,
    /// else the one for all kiosks, else none.
    public static func inForce(own: Feedback?, all: Feedback?, atUnixMillis now: Int64, utcOffsetSeconds: Int) -> Feedback? {
        if let own, own.isShown(atUnixMillis: now, utcOffsetSeconds: utcOffsetSeconds) { return own }
        if let all, all.isShown(atUnixMillis: now, utcOffsetSeconds: utcOffsetSeconds) { return all }
        return nil
    }
}

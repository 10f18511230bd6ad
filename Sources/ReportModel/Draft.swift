/// Bounds of the contract (§4.1), in Unicode scalars after cleaning.
public enum ReportLimits {
    public static let text = 1...2000
    public static let place = 1...200
    public static let contactField = 200
    public static let language = 35
}

/// What a visitor (or staff, or `submit`) gives: not yet checked. `validated()` makes it a `ValidDraft`.
public struct ReportDraft: Sendable, Equatable {
    public var category: Category?
    public var place: String
    public var occurred: Occurred?
    public var text: String
    public var language: String
    public var reporter: Reporter
    public var contact: Contact?
    /// Saw it or heard of it (`source`); nil when not asked or not said.
    public var source: Source?
    /// The kinds of personal data the kiosk masked in `text` and `place` (the report's `masked` field).
    public var masked: [PersonalData.Kind] = []

    public init(category: Category? = nil, place: String = "", occurred: Occurred? = nil, text: String = "",
                language: String = "sv", reporter: Reporter = Reporter(), contact: Contact? = nil,
                source: Source? = nil) {
        self.category = category
        self.place = place
        self.occurred = occurred
        self.text = text
        self.language = language
        self.reporter = reporter
        self.contact = contact
        self.source = source
    }

    /// Cleans every free-text field (`TextCleaner`) and checks every bound. Throws the first problem found.
    public func validated() throws(ReportValidationError) -> ValidDraft {
        guard let category else { throw .init(field: "category", problem: .missing) }
        guard let occurred else { throw .init(field: "occurred", problem: .missing) }
        let place = TextCleaner.clean(self.place, allowNewlines: false)
        try Self.check("place", place, ReportLimits.place)
        let text = TextCleaner.clean(self.text, allowNewlines: true)
        try Self.check("text", text, ReportLimits.text)
        guard Self.isLanguageTag(language) else { throw .init(field: "language", problem: .invalid(language)) }
        var contact: Contact? = nil
        if let c = self.contact {
            func field(_ name: String, _ v: String?) throws(ReportValidationError) -> String? {
                guard let v else { return nil }
                let s = TextCleaner.clean(v, allowNewlines: false)
                if s.isEmpty { return nil }
                if TextCleaner.length(s) > ReportLimits.contactField {
                    throw .init(field: "contact.\(name)", problem: .tooLong(TextCleaner.length(s), max: ReportLimits.contactField))
                }
                return s
            }
            let cleaned = Contact(name: try field("name", c.name), phone: try field("phone", c.phone),
                                  email: try field("email", c.email))
            contact = cleaned.isEmpty ? nil : cleaned
        }
        return ValidDraft(category: category, place: place, occurred: occurred, text: text,
                          language: language, reporter: reporter, contact: contact, source: source, masked: masked)
    }

    private static func check(_ field: String, _ s: String, _ range: ClosedRange<Int>) throws(ReportValidationError) {
        let n = TextCleaner.length(s)
        if n < range.lowerBound { throw .init(field: field, problem: .missing) }
        if n > range.upperBound { throw .init(field: field, problem: .tooLong(n, max: range.upperBound)) }
    }

    /// A BCP 47 tag in its common shape: a 2–8 letter language, then subtags of 1–8 letters or digits.
    public static func isLanguageTag(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= ReportLimits.language else { return false }
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...8).contains(first.count),
              first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { p in
            (1...8).contains(p.count) && p.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
    }
}

/// A draft whose every field has been cleaned and checked. Only `ReportDraft.validated()` makes one.
public struct ValidDraft: Sendable, Equatable {
    public let category: Category
    public let place: String
    public let occurred: Occurred
    public let text: String
    public let language: String
    public let reporter: Reporter
    public let contact: Contact?
    public let source: Source?
    public let masked: [PersonalData.Kind]

    /// The same draft with `reporter.age_group` set: the kiosk's fixed age group, filled in when it is stored
    /// and the draft has none of its own.
    public func withAgeGroup(_ group: Reporter.AgeGroup) -> ValidDraft {
        ValidDraft(category: category, place: place, occurred: occurred, text: text, language: language,
                   reporter: Reporter(role: reporter.role, ageGroup: group), contact: contact, source: source,
                   masked: masked)
    }
}

/// Why a draft was refused, in words a person can act on: `text: is longer than 2000 characters (2405)`.
public struct ReportValidationError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Problem: Equatable, Sendable {
        case missing
        case tooLong(Int, max: Int)
        case invalid(String)
        case wrongType(expected: String)
        case unknownField
    }
    public var field: String
    public var problem: Problem
    public init(field: String, problem: Problem) {
        self.field = field
        self.problem = problem
    }
    public var description: String {
        switch problem {
        case .missing: "\(field): is missing or empty"
        case .tooLong(let n, let max): "\(field): is longer than \(max) characters (\(n))"
        case .invalid(let v): "\(field): \(Self.quote(v)) is not allowed here"
        case .wrongType(let t): "\(field): must be \(t)"
        case .unknownField: "\(field): is not a field of a report"
        }
    }
    private static func quote(_ v: String) -> String {
        let short = TextCleaner.prefix(TextCleaner.clean(v, allowNewlines: false), scalars: 40)
        return "\"\(short)\""
    }
}

/// The categories of docs/CONTRACT.md §6. The raw value is the wire key; the digit is what a visitor presses.
public enum Category: String, CaseIterable, Sendable, Codable {
    case unsafePlace = "unsafe_place"
    case drugs
    case youthGroups = "youth_groups"
    case threatsViolence = "threats_violence"
    case theft
    case fraud
    case vandalism
    case traffic
    case online
    case other

    /// The digit of §5: 1…9 then 0 for `other`.
    public var digit: Character {
        switch self {
        case .unsafePlace: "1"
        case .drugs: "2"
        case .youthGroups: "3"
        case .threatsViolence: "4"
        case .theft: "5"
        case .fraud: "6"
        case .vandalism: "7"
        case .traffic: "8"
        case .online: "9"
        case .other: "0"
        }
    }

    /// The category a visitor picks with `digit`, or nil for any other key.
    public init?(digit: Character) {
        guard let match = Category.allCases.first(where: { $0.digit == digit }) else { return nil }
        self = match
    }

    /// The Swedish label of §5 (the default language); other languages come from the prompt's text files.
    public var swedishLabel: String {
        switch self {
        case .unsafePlace: "Otrygg plats"
        case .drugs: "Narkotika, alkohol eller langning"
        case .youthGroups: "Grupper som skapar otrygghet"
        case .threatsViolence: "Hot eller våld"
        case .theft: "Stöld eller inbrott"
        case .fraud: "Bedrägeri"
        case .vandalism: "Skadegörelse eller klotter"
        case .traffic: "Trafik"
        case .online: "Nätet och sociala medier"
        case .other: "Annat"
        }
    }
}

/// When it happened (§4.1 `occurred`): a fixed word, or an RFC 3339 date.
public enum Occurred: Sendable, Equatable, Hashable {
    case now, today, thisWeek, earlier, unknown
    /// An RFC 3339 full-date (`2026-11-20`) or date-time with offset, kept as given (validated).
    case date(String)

    /// The fixed choices in the order of docs/CONTRACT.md §6 step 4 (keys 1–5).
    public static let choices: [Occurred] = [.now, .today, .thisWeek, .earlier, .unknown]

    public var wireValue: String {
        switch self {
        case .now: "now"
        case .today: "today"
        case .thisWeek: "this_week"
        case .earlier: "earlier"
        case .unknown: "unknown"
        case .date(let s): s
        }
    }

    /// Parses the wire value; nil when it is neither a known word nor a valid RFC 3339 date.
    public init?(wireValue: String) {
        switch wireValue {
        case "now": self = .now
        case "today": self = .today
        case "this_week": self = .thisWeek
        case "earlier": self = .earlier
        case "unknown": self = .unknown
        default:
            guard RFC3339.isValidDateOrDateTime(wireValue) else { return nil }
            self = .date(wireValue)
        }
    }
}

/// Who typed the report in (§4.1 `reporter`).
public struct Reporter: Sendable, Equatable, Hashable {
    public enum Role: String, Sendable, CaseIterable { case visitor, staff }
    public enum AgeGroup: String, Sendable, CaseIterable { case youth, adult, senior }
    public var role: Role
    public var ageGroup: AgeGroup?
    public init(role: Role = .visitor, ageGroup: AgeGroup? = nil) {
        self.role = role
        self.ageGroup = ageGroup
    }
}

/// Whether the visitor saw what the tip tells of, or heard it from someone (§4.1 `source`, an addition). Nil in a
/// report: not asked, or the visitor would rather not say.
public enum Source: String, Sendable, CaseIterable {
    case saw, heard
}

/// How a kiosk fills `reporter.age_group` (`[kiosk] age_group`): every report gets the same group (a youth
/// centre's kiosk `youth`, a senior fair's `senior`), or the prompt asks the visitor (`ask`; one optional
/// one-key question). No setting at all: `age_group` stays null.
public enum AgeGroupSetting: Sendable, Equatable, Hashable {
    case group(Reporter.AgeGroup)
    case ask

    /// `youth`, `adult`, `senior` or `ask`, as in the configuration file and the outbox.
    public init?(rawValue: String) {
        if rawValue == "ask" { self = .ask; return }
        guard let g = Reporter.AgeGroup(rawValue: rawValue) else { return nil }
        self = .group(g)
    }

    public var rawValue: String {
        switch self {
        case .group(let g): g.rawValue
        case .ask: "ask"
        }
    }

    /// The values the configuration accepts, for error messages.
    public static let allRawValues = Reporter.AgeGroup.allCases.map(\.rawValue) + ["ask"]
}

/// Contact details a visitor chose to leave (§4.1 `contact`). Each field optional.
public struct Contact: Sendable, Equatable, Hashable {
    public var name: String?
    public var phone: String?
    public var email: String?
    public init(name: String? = nil, phone: String? = nil, email: String? = nil) {
        self.name = name
        self.phone = phone
        self.email = email
    }
    public var isEmpty: Bool { name == nil && phone == nil && email == nil }
}

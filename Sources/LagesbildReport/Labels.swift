import ReportModel

/// The language of a rendered lägesbild. Swedish is the default of every renderer; the keys in CSV and JSON
/// are the same in both languages, only labels and headings change.
///
///     let html = PictureRenderer.renderHTML(picture, language: .en)
public enum ReportLanguage: String, Sendable, CaseIterable {
    case sv, en

    /// The Swedish or the English text, whichever this language is.
    func pick(_ sv: String, _ en: String) -> String { self == .sv ? sv : en }
}

// MARK: - Labels of keys

extension ReportLanguage {
    /// The label of a category key of docs/CONTRACT.md §5, for example "Otrygg plats" or "Unsafe place".
    ///
    /// A key this version does not know (a newer kiosk may send one) is shown as the key itself.
    public func categoryLabel(_ key: String) -> String {
        guard let category = Category(rawValue: key) else { return key }
        switch self {
        case .sv: return category.swedishLabel
        case .en:
            switch category {
            case .unsafePlace: return "Unsafe place"
            case .drugs: return "Drugs, alcohol or dealing"
            case .youthGroups: return "Groups that make people feel unsafe"
            case .threatsViolence: return "Threats or violence"
            case .theft: return "Theft or burglary"
            case .fraud: return "Fraud"
            case .vandalism: return "Vandalism or graffiti"
            case .traffic: return "Traffic"
            case .online: return "Online and social media"
            case .other: return "Other"
            }
        }
    }

    /// A short label of a category key for narrow table columns ("Narkotika", "Drugs"); unknown keys as is.
    public func shortCategoryLabel(_ key: String) -> String {
        guard let category = Category(rawValue: key) else { return key }
        switch category {
        case .unsafePlace: return pick("Otrygg plats", "Unsafe place")
        case .drugs: return pick("Narkotika", "Drugs")
        case .youthGroups: return pick("Grupper", "Groups")
        case .threatsViolence: return pick("Hot/våld", "Threats")
        case .theft: return pick("Stöld", "Theft")
        case .fraud: return pick("Bedrägeri", "Fraud")
        case .vandalism: return pick("Skadegörelse", "Vandalism")
        case .traffic: return pick("Trafik", "Traffic")
        case .online: return pick("Nätet", "Online")
        case .other: return pick("Annat", "Other")
        }
    }

    /// The label of an `occurred` value (§4.1): "now", "today", "this_week", "earlier", "unknown", or a date.
    ///
    /// Any RFC 3339 date (and the grouping key "date") is "Datum" / "A date"; nil is "Ej angivet" / "Not given";
    /// any other key is shown as is.
    public func occurredLabel(_ key: String?) -> String {
        guard let key else { return pick("Ej angivet", "Not given") }
        switch key {
        case "now": return pick("Just nu", "Right now")
        case "today": return pick("I dag", "Today")
        case "this_week": return pick("Den här veckan", "This week")
        case "earlier": return pick("Tidigare", "Earlier")
        case "unknown": return pick("Vet inte", "Don't know")
        case "date": return pick("Datum", "A date")
        default: return RFC3339.isValidDateOrDateTime(key) ? pick("Datum", "A date") : key
        }
    }

    /// The label of an age group (§4.1 `reporter.age_group`): youth, adult, senior, or nil for not given.
    public func ageGroupLabel(_ key: String?) -> String {
        switch key {
        case nil: return pick("Ej angivet", "Not given")
        case "youth": return pick("Unga", "Young people")
        case "adult": return pick("Vuxna", "Adults")
        case "senior": return pick("Seniorer", "Seniors")
        case let other?: return other
        }
    }

    /// The label of a `source` answer: saw it, heard it, or nil for not said (or not asked).
    public func sourceLabel(_ key: String?) -> String {
        switch key {
        case nil: return pick("Ej angivet", "Not given")
        case "saw": return pick("Såg det själv", "Saw it themselves")
        case "heard": return pick("Hörde det av någon", "Heard it from someone")
        case let other?: return other
        }
    }

    /// The label of a kind of personal data the kiosk masked (`masked`).
    public func maskedLabel(_ key: String?) -> String {
        switch key {
        case "phone": return pick("Telefonnummer", "Phone numbers")
        case "email": return pick("E-postadresser", "E-mail addresses")
        case "personnummer": return pick("Personnummer", "Personal identity numbers")
        case let other?: return other
        case nil: return pick("Ej angivet", "Not given")
        }
    }

    /// The label of an event (the kiosk's event label, shown as typed); nil is "Inget evenemang" / "No event".
    public func eventLabel(_ key: String?) -> String {
        key ?? pick("Inget evenemang", "No event")
    }

    /// The label of a kiosk id in a breakdown; nil (should not happen) is "Okänd kiosk" / "Unknown kiosk".
    public func kioskLabel(_ key: String?) -> String {
        key ?? pick("Okänd kiosk", "Unknown kiosk")
    }
}

// MARK: - Headings and phrases

extension ReportLanguage {
    var title: String { pick("Lägesbild", "Situation picture") }
    var comparedWith: String { pick("jämfört med föregående period", "compared with the previous period") }
    func days(_ n: Int) -> String { n == 1 ? pick("1 dag", "1 day") : pick("\(n) dagar", "\(n) days") }
    var generated: String { pick("Skapad", "Generated") }
    var reports: String { pick("rapporter", "reports") }
    var reportsHeading: String { pick("Rapporter", "Reports") }
    var previousShort: String { pick("förra", "prev.") }
    var previousPeriodWord: String { pick("föregående period", "previous period") }
    var now: String { pick("nu", "now") }
    var change: String { pick("förändring", "change") }
    var new: String { pick("ny", "new") }
    var total: String { pick("Totalt", "Total") }

    var categories: String { pick("Kategorier", "Categories") }
    var places: String { pick("Platser", "Places") }
    var place: String { pick("Plats", "Place") }
    var topPlaces: String { pick("Platser med flest rapporter", "Places with the most reports") }
    var category: String { pick("Kategori", "Category") }
    var mostReported: String { pick("mest", "most") }
    func morePlaces(_ n: Int, reports: Int) -> String {
        n == 1 ? pick("… och 1 plats till (\(reports) rapporter)", "… and 1 more place (\(reports) reports)")
               : pick("… och \(n) platser till (\(reports) rapporter)", "… and \(n) more places (\(reports) reports)")
    }
    var occurred: String { pick("När det hände", "When it happened") }
    var ageGroups: String { pick("Åldersgrupp", "Age group") }
    var sources: String { pick("Såg det själv?", "Seen first-hand?") }
    var maskedHeading: String { pick("Personuppgifter som kiosken maskerade", "Personal data the kiosk masked") }
    var events: String { pick("Evenemang", "Events") }
    var kiosks: String { pick("Kiosker", "Kiosks") }
    var kiosk: String { pick("Kiosk", "Kiosk") }

    var dataQuality: String { pick("Underlaget: vad som kan saknas", "The data: what may be missing") }
    var dataQualityLead: String {
        pick("En lägesbild byggd på rapporter som saknas måste säga det.",
             "A picture built on missing reports must say so.")
    }
    var allHeard: String {
        pick("Alla kiosker har hörts av, inga luckor, inga döda brev, inga avvisade meddelanden.",
             "Every kiosk has been heard from: no gaps, no dead letters, no rejected messages.")
    }
    var silent: String { pick("TYST", "SILENT") }
    func silentFor(hours: Int64, limit: Int) -> String {
        pick("ingen status på \(hours) h (gräns \(limit) h)", "no status for \(hours) h (limit \(limit) h)")
    }
    func neverStatus(limit: Int) -> String {
        pick("har aldrig skickat status (gräns \(limit) h)", "has never sent a status (limit \(limit) h)")
    }
    var silentConsequence: String {
        pick("rapporter därifrån kan saknas i bilden", "reports from there may be missing from the picture")
    }
    var lastStatus: String { pick("senaste status", "last status") }
    var lastReport: String { pick("senaste rapport", "last report") }
    var never: String { pick("aldrig", "never") }
    var pending: String { pick("i kö", "queued") }
    var awaitingReceipt: String { pick("väntar på kvitto", "awaiting receipt") }
    var state: String { pick("Läge", "State") }
    func stateLabel(_ s: String?) -> String {
        switch s {
        case "online": return pick("uppkopplad", "online")
        case "offline": return pick("nedkopplad", "offline")
        case nil: return pick("okänt", "unknown")
        case let other?: return other
        }
    }
    var gaps: String { pick("Luckor i numreringen", "Gaps in the numbering") }
    var gapsExplain: String {
        pick("rapporter som kiosken har numrerat men som inte kommit fram",
             "reports the kiosk numbered that have not arrived")
    }
    func gapLine(kiosk: String, from: Int64, to: Int64, count: Int64) -> String {
        let range = from == to ? "\(from)" : "\(from)–\(to)"
        return pick("kiosk \(kiosk): seq \(range) saknas (\(count))", "kiosk \(kiosk): seq \(range) missing (\(count))")
    }
    func gapsSummary(_ n: Int, missing: Int64) -> String {
        n == 1 ? pick("1 lucka (\(missing) saknas)", "1 gap (\(missing) missing)")
               : pick("\(n) luckor (\(missing) saknas)", "\(n) gaps (\(missing) missing)")
    }
    var deadLetters: String { pick("Döda brev", "Dead letters") }
    var deadLettersExplain: String {
        pick("rapporter som mottagaren vägrade; de ligger kvar i kiosken och finns inte i bilden",
             "reports the broker refused; they are kept on the kiosk and are not in the picture")
    }
    func deadLetterLine(kiosk: String, count: Int) -> String {
        pick("kiosk \(kiosk): \(count) döda brev", "kiosk \(kiosk): \(count) dead letter\(count == 1 ? "" : "s")")
    }
    func deadLettersSummary(_ n: Int) -> String { pick("\(n) döda brev", "\(n) dead letter\(n == 1 ? "" : "s")") }
    var rejects: String { pick("Avvisade meddelanden", "Rejected messages") }
    func rejectsLine(_ n: Int) -> String {
        pick("\(n) meddelanden under perioden var inte giltiga rapporter och räknas inte",
             "\(n) message\(n == 1 ? " was" : "s were") not valid reports this period and \(n == 1 ? "is" : "are") not counted")
    }
    func rejectsSummary(_ n: Int) -> String { pick("\(n) avvisade", "\(n) rejected") }
    var overQuota: String { pick("Över dagskvoten", "Over the daily quota") }
    var overQuotaExplain: String {
        pick("kiosken skickade fler meddelanden på en dag än centralen tar emot ([central] daily_quota); det som inte togs emot ligger kvar i kiosken och skickas igen",
             "the kiosk sent more messages in a day than the centre takes ([central] daily_quota); what was not taken is kept on the kiosk and sent again")
    }
    func overQuotaLine(kiosk: String, count: Int) -> String {
        pick("kiosk \(kiosk): \(count) gånger inte mottaget", "kiosk \(kiosk): \(count) time\(count == 1 ? "" : "s") not taken")
    }
    func overQuotaSummary(_ n: Int) -> String { pick("\(n) över kvot", "\(n) over quota") }
    func silentSummary(_ n: Int) -> String {
        n == 1 ? pick("1 kiosk tyst", "1 kiosk silent") : pick("\(n) kiosker tysta", "\(n) kiosks silent")
    }

    var smallCountsNote: String {
        pick("< 3 betyder 1 eller 2 rapporter: små tal per plats och kategori visas inte, så att ingen kan pekas ut. Där en cell döljs visas raden summa som ”minst”, och i en kolumn med bara en dold cell döljs också den näst minsta (”≥ 3”), så att inget dolt tal kan räknas fram.",
             "< 3 means 1 or 2 reports: small counts per place and category are not shown, so that no one can be singled out. Where a cell is hidden the row's total is shown as \"at least\", and in a column with only one hidden cell the next smallest is hidden too (\"≥ 3\"), so that no hidden count can be worked out.")
    }
    /// The row of the shareable HTML that stands for every place not named there.
    var otherPlace: String { pick("Annan plats", "Other place") }
    var otherPlaceNote: String {
        pick("Annan plats: platser som skrevs fritt och har färre än 3 rapporter under perioden. Bara kioskernas snabbval och platser med minst 3 rapporter visas med namn.",
             "Other place: places typed as free text with fewer than 3 reports in the period. Only the kiosks' quick picks and places with at least 3 reports are named.")
    }
    func atLeast(_ n: Int) -> String { pick("minst \(n)", "at least \(n)") }
    var assessment: String { pick("Bedömning och åtgärder", "Assessment and measures") }
    var assessmentHint: String {
        pick("Vad sticker ut? Vad gör vi, vem gör det, till när? Vad återkopplar vi?",
             "What stands out? What do we do, who does it, by when? What do we tell the public?")
    }

    var tips: String { pick("Tips med fritext – får inte delas", "Tips with free text – must not be shared") }
    var tipsWarning: String {
        pick("Den här sidan innehåller fritext som besökare skrivit. Den får inte delas eller spridas.",
             "This page contains free text typed by visitors. It must not be shared or passed on.")
    }
    var tipsWarningText: String {
        pick("Fritexten nedan har skrivits av besökare. Den får inte delas eller spridas.",
             "The free text below was typed by visitors. It must not be shared or passed on.")
    }
    var seeBelow: String { pick("se nedan", "see below") }
    var containsFreeText: String {
        pick("Innehåller fritext – får inte delas", "Contains free text – must not be shared")
    }
    var time: String { pick("Tid", "Time") }
    var text: String { pick("Text", "Text") }
    var noTips: String { pick("Inga tips under perioden.", "No tips this period.") }
    var legendCurrent: String { pick("denna period", "this period") }
    var legendPrevious: String { pick("föregående period", "previous period") }
}

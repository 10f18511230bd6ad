/// Turns one decoded JSON object (the `submit` input line, §1) into a draft, with errors that name the field.
///
/// The caller decodes JSON text (this module does no I/O and needs no JSON parser of its own); values arrive as
/// `String`, `Bool`, `Int`/`Double` (numbers), `[String: Any]`, `[Any]` or `NSNull`-like markers (`isNull`).
public enum DraftDecoding {
    public static let visitorFields: Set<String> = ["category", "place", "occurred", "text", "contact", "language", "reporter", "source"]

    public static func draft(from object: [String: Any], isNull: (Any) -> Bool,
                             defaultLanguage: String) throws(ReportValidationError) -> ReportDraft {
        for key in object.keys.sorted() where !visitorFields.contains(key) {
            throw .init(field: key, problem: .unknownField)
        }
        func string(_ key: String, in obj: [String: Any], path: String? = nil) throws(ReportValidationError) -> String? {
            guard let v = obj[key], !isNull(v) else { return nil }
            guard let s = v as? String else { throw .init(field: path ?? key, problem: .wrongType(expected: "a string")) }
            return s
        }
        var d = ReportDraft(language: defaultLanguage)
        if let c = try string("category", in: object) {
            guard let cat = Category(rawValue: c) else { throw .init(field: "category", problem: .invalid(c)) }
            d.category = cat
        }
        if let o = try string("occurred", in: object) {
            guard let occ = Occurred(wireValue: o) else { throw .init(field: "occurred", problem: .invalid(o)) }
            d.occurred = occ
        }
        d.place = try string("place", in: object) ?? ""
        d.text = try string("text", in: object) ?? ""
        if let l = try string("language", in: object) { d.language = l }
        if let src = try string("source", in: object) {
            guard let v = Source(rawValue: src) else { throw .init(field: "source", problem: .invalid(src)) }
            d.source = v
        }
        if let r = object["reporter"], !isNull(r) {
            guard let ro = r as? [String: Any] else { throw .init(field: "reporter", problem: .wrongType(expected: "an object")) }
            for key in ro.keys.sorted() where key != "role" && key != "age_group" {
                throw .init(field: "reporter.\(key)", problem: .unknownField)
            }
            if let role = try string("role", in: ro, path: "reporter.role") {
                guard let v = Reporter.Role(rawValue: role) else { throw .init(field: "reporter.role", problem: .invalid(role)) }
                d.reporter.role = v
            }
            if let age = try string("age_group", in: ro, path: "reporter.age_group") {
                guard let v = Reporter.AgeGroup(rawValue: age) else { throw .init(field: "reporter.age_group", problem: .invalid(age)) }
                d.reporter.ageGroup = v
            }
        }
        if let c = object["contact"], !isNull(c) {
            guard let co = c as? [String: Any] else { throw .init(field: "contact", problem: .wrongType(expected: "an object or null")) }
            for key in co.keys.sorted() where !["name", "phone", "email"].contains(key) {
                throw .init(field: "contact.\(key)", problem: .unknownField)
            }
            d.contact = Contact(name: try string("name", in: co, path: "contact.name"),
                                phone: try string("phone", in: co, path: "contact.phone"),
                                email: try string("email", in: co, path: "contact.email"))
        }
        return d
    }
}

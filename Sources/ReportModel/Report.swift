/// The schema name of the wire payload (§4.1).
public let reportSchema = "tipskiosk.report.v1"

/// A stored report: a valid draft plus what the kiosk adds when it stores it. `jsonPayload` is the wire payload.
public struct Report: Sendable, Equatable {
    public let id: String
    public let kiosk: String
    public let seq: Int64
    public let submittedAt: String
    public let draft: ValidDraft
    public let site: String
    public let event: String?

    public init(id: String, kiosk: String, seq: Int64, submittedAt: String, draft: ValidDraft, site: String, event: String?) {
        self.id = id
        self.kiosk = kiosk
        self.seq = seq
        self.submittedAt = submittedAt
        self.draft = draft
        self.site = site
        self.event = event
    }

    /// The payload of docs/CONTRACT.md §4.1: one UTF-8 JSON object, keys in the contract's order.
    public var jsonPayload: String {
        var w = JSONWriter()
        w.object {
            $0.field("schema", reportSchema)
            $0.field("id", id)
            $0.field("kiosk", kiosk)
            $0.field("seq", seq)
            $0.field("submitted_at", submittedAt)
            $0.field("category", draft.category.rawValue)
            $0.field("place", draft.place)
            $0.field("occurred", draft.occurred.wireValue)
            $0.field("text", draft.text)
            $0.field("language", draft.language)
            $0.objectField("reporter") {
                $0.field("role", draft.reporter.role.rawValue)
                $0.field("age_group", draft.reporter.ageGroup?.rawValue)
            }
            if let c = draft.contact {
                $0.objectField("contact") {
                    if let v = c.name { $0.field("name", v) }
                    if let v = c.phone { $0.field("phone", v) }
                    if let v = c.email { $0.field("email", v) }
                }
            } else {
                $0.field("contact", nil as String?)
            }
            $0.field("site", site)
            $0.field("event", event)
            if let source = draft.source { $0.field("source", source.rawValue) }
            if !draft.masked.isEmpty {
                $0.rawField("masked", "[" + draft.masked.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]")
            }
        }
        return w.output
    }
}

/// A minimal JSON writer with fixed key order and RFC 8259 escaping (no `\/`, non-ASCII kept as UTF-8).
public struct JSONWriter {
    public private(set) var output = ""
    private var first = true
    public init() {}

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        output += "{"
        var inner = JSONWriter()
        body(&inner)
        output += inner.output + "}"
    }
    public mutating func objectField(_ key: String, _ body: (inout JSONWriter) -> Void) {
        writeKey(key)
        object(body)
    }
    public mutating func field(_ k: String, _ v: String?) {
        writeKey(k)
        if let v { Self.appendString(v, to: &output) } else { output += "null" }
    }
    public mutating func field(_ k: String, _ v: Int64?) {
        writeKey(k)
        output += v.map { String($0) } ?? "null"
    }
    public mutating func field(_ k: String, _ v: Int) { field(k, Int64(v)) }
    /// A member whose value is already JSON text (a list built by the caller); written as is.
    public mutating func rawField(_ k: String, _ json: String) {
        writeKey(k)
        output += json
    }
    public mutating func field(_ k: String, _ v: Bool) {
        writeKey(k)
        output += v ? "true" : "false"
    }
    private mutating func writeKey(_ k: String) {
        if !first { output += "," }
        first = false
        Self.appendString(k, to: &output)
        output += ":"
    }

    public static func appendString(_ s: String, to out: inout String) {
        out += "\""
        // Nothing to escape (no control character, quote, backslash, nor the E2-led U+2028/2029): the string
        // as it is, without going through it scalar by scalar.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x2028 || u.value == 0x2029:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}

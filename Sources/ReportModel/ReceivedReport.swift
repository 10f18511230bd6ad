/// A report as the centre receives it (docs/CONTRACT.md §4.1): checked enough to be counted and de-duplicated, and kept
/// whole. Fields a newer kiosk adds, and newer minor versions of the schema (`tipskiosk.report.v1.2`), are
/// accepted: the raw payload is stored as it came, so nothing is dropped.
public struct ReceivedReport: Sendable, Equatable {
    public var schema: String
    public var id: String
    public var kiosk: String
    public var seq: Int64
    /// `submitted_at` in Unix ms.
    public var submittedAt: Int64
    public var category: String
    public var place: String
    public var occurred: String
    public var ageGroup: String?
    public var site: String?
    public var event: String?
    /// `source` (`saw`, `heard`), nil when the kiosk did not ask or the visitor did not say.
    public var source: String?
    /// The kinds of personal data the kiosk masked (`masked`), in the order the report names them.
    public var masked: [String]
    /// The payload exactly as it arrived (UTF-8 JSON).
    public var payload: String

    public init(schema: String, id: String, kiosk: String, seq: Int64, submittedAt: Int64, category: String, place: String,
                occurred: String, ageGroup: String?, site: String?, event: String?, source: String? = nil,
                masked: [String] = [], payload: String) {
        self.schema = schema
        self.id = id
        self.kiosk = kiosk
        self.seq = seq
        self.submittedAt = submittedAt
        self.category = category
        self.place = place
        self.occurred = occurred
        self.ageGroup = ageGroup
        self.site = site
        self.event = event
        self.source = source
        self.masked = masked
        self.payload = payload
    }

    /// The largest payload the centre takes: a report is at most a few KiB (2000 characters of text).
    public static let maxPayloadBytes = 64 * 1024

    /// The largest `seq` (and status `last_seq`) the centre takes: 2^53 − 1, the largest whole number every
    /// JSON reader holds exactly. A kiosk handing out one seq a millisecond would need 285,000 years to reach
    /// it; anything above is a broken or hostile kiosk, and would overflow the centre's seq arithmetic.
    public static let maxSeq: Int64 = 9_007_199_254_740_991

    /// Why a payload is not a report; stored in the collector's rejects table.
    public struct Rejection: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// Checks a payload that arrived on `{prefix}/reports/{topicKiosk}`.
    public static func decode(_ payload: UnsafeRawBufferPointer, topicKiosk: String) throws(Rejection) -> ReceivedReport {
        guard payload.count <= maxPayloadBytes else {
            throw Rejection("too large: \(payload.count) bytes (a report is at most \(maxPayloadBytes))")
        }
        let v: JSONValue
        do { v = try JSONParser.parse(payload) } catch { throw Rejection(error.description) }
        guard case .object = v else { throw Rejection("not a JSON object") }
        guard let schema = v["schema"]?.string else { throw Rejection("schema: is missing") }
        guard schema == reportSchema || schema.hasPrefix(reportSchema + ".") else {
            throw Rejection("schema: \"\(short(schema))\" is not \(reportSchema) or a newer minor version of it")
        }
        func text(_ key: String, max: Int = 200) throws(Rejection) -> String {
            guard let s = v[key]?.string, !s.isEmpty else { throw Rejection("\(key): is missing or not a string") }
            guard fits(s, max) else { throw Rejection("\(key): is longer than \(max) characters") }
            return s
        }
        func optionalText(_ key: String, max: Int = 200) throws(Rejection) -> String? {
            guard let value = v[key], !value.isNull else { return nil }
            guard let s = value.string else { throw Rejection("\(key): is not a string") }
            guard fits(s, max) else { throw Rejection("\(key): is longer than \(max) characters") }
            return s
        }
        let id = try text("id", max: 64)
        guard isUUID(id) else { throw Rejection("id: \"\(short(id))\" is not a UUID") }
        let kiosk = try text("kiosk", max: 64)
        guard kiosk == topicKiosk else { throw Rejection("kiosk: \"\(short(kiosk))\" does not match the topic's kiosk \"\(short(topicKiosk))\"") }
        guard let seq = v["seq"]?.int, (1...maxSeq).contains(seq) else {
            throw Rejection("seq: is missing or not a whole number from 1 to \(maxSeq)")
        }
        let submitted = try text("submitted_at", max: 64)
        guard let submittedAt = RFC3339.parse(submitted), submitted.count > 10 else {
            throw Rejection("submitted_at: \"\(short(submitted))\" is not an RFC 3339 date-time")
        }
        let category = try text("category", max: 64)
        let place = try text("place", max: ReportLimits.place.upperBound)
        let occurred = try text("occurred", max: 64)
        _ = try text("text", max: ReportLimits.text.upperBound)
        var ageGroup: String? = nil
        if let reporter = v["reporter"], case .object = reporter, let a = reporter["age_group"], !a.isNull {
            guard let s = a.string, s.count <= 32 else { throw Rejection("reporter.age_group: is not a string") }
            ageGroup = s
        }
        // Additions of v1 (§4.1): counted by the centre, so checked as strictly as what is counted already.
        let source = try optionalText("source", max: 32)
        var masked: [String] = []
        if let m = v["masked"], !m.isNull {
            guard case .array(let items) = m, items.count <= 16 else { throw Rejection("masked: is not a list of at most 16 strings") }
            for item in items {
                guard let s = item.string, !s.isEmpty, s.count <= 32, !s.contains(",") else {
                    throw Rejection("masked: holds something that is not a short word")
                }
                if !masked.contains(s) { masked.append(s) }
            }
        }
        return ReceivedReport(schema: schema, id: id.lowercased(), kiosk: kiosk, seq: seq, submittedAt: submittedAt,
                              category: category, place: place, occurred: occurred, ageGroup: ageGroup,
                              site: try optionalText("site"), event: try optionalText("event"),
                              source: source, masked: masked,
                              payload: String(decoding: payload, as: UTF8.self))
    }

    /// At most `max` Unicode scalars (counted only when the UTF-8 bytes alone do not settle it).
    static func fits(_ s: String, _ max: Int) -> Bool {
        s.utf8.count <= max || s.unicodeScalars.count <= max
    }

    /// 8-4-4-4-12 hexadecimal digits.
    static func isUUID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 { guard c == 45 else { return false } }
            else { guard (48...57).contains(c) || (97...102).contains(c) || (65...70).contains(c) else { return false } }
        }
        return true
    }

    private static func short(_ s: String) -> String { TextCleaner.prefix(TextCleaner.clean(s, allowNewlines: false), scalars: 40) }

    /// How places are grouped in the lägesbild: case and spacing do not make two places.
    public static func placeKey(_ place: String) -> String {
        place.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
    }
}

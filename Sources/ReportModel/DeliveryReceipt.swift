/// The schema name of a collector's receipt (docs/CONTRACT.md §4.3).
public let receiptSchema = "lagesbild.receipt.v1"

/// A collector's confirmation, published on `{prefix}/receipts/{kiosk}` after each commit: every seq of that
/// kiosk it stored in the commit, duplicates included, as ranges. A kiosk that awaits receipts deletes those rows.
public struct DeliveryReceipt: Sendable, Equatable {
    public var kiosk: String
    /// Ascending, non-overlapping, non-adjacent ranges.
    public var seqs: [ClosedRange<Int64>]
    /// RFC 3339 time of the commit.
    public var at: String

    public init(kiosk: String, seqs: [ClosedRange<Int64>], at: String) {
        self.kiosk = kiosk
        self.seqs = seqs
        self.at = at
    }

    /// Builds a receipt from seqs in any order, with repeats: they are sorted and merged into ranges.
    public init(kiosk: String, seqs: [Int64], at: String) {
        self.init(kiosk: kiosk, seqs: Self.ranges(of: seqs), at: at)
    }

    /// Sorted, merged ranges of the given seqs (`[3, 1, 2, 2, 7]` → `[1...3, 7...7]`).
    public static func ranges(of seqs: [Int64]) -> [ClosedRange<Int64>] {
        var result: [ClosedRange<Int64>] = []
        for s in seqs.sorted() {
            if let last = result.last, s <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, s)
            } else {
                result.append(s...s)
            }
        }
        return result
    }

    /// The payload: `{"schema":"lagesbild.receipt.v1","kiosk":…,"seqs":[[from,to],…],"at":…}`.
    public var json: String {
        var w = JSONWriter()
        w.object {
            $0.field("schema", receiptSchema)
            $0.field("kiosk", kiosk)
            $0.rawField("seqs", "[" + seqs.map { "[\($0.lowerBound),\($0.upperBound)]" }.joined(separator: ",") + "]")
            $0.field("at", at)
        }
        return w.output
    }

    /// The most seqs one receipt may name, over all its ranges: a collector's receipt names what one commit
    /// holds of a kiosk's reports (a few thousand at most). A receipt beyond this is refused.
    public static let maxSeqs: Int64 = 65_536
    /// The most ranges one receipt may hold.
    public static let maxRanges = 4_096

    /// Why a receipt payload was not used.
    public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Reads a receipt payload, strictly: the schema, a kiosk, and ascending, non-overlapping ranges of positive
    /// seqs with from ≤ to, at most `maxRanges` of them naming at most `maxSeqs` seqs together.
    public static func decode(_ payload: UnsafeRawBufferPointer) throws(DecodingError) -> DeliveryReceipt {
        guard payload.count <= 1 << 20 else { throw DecodingError(reason: "a receipt of \(payload.count) bytes is too large") }
        let v: JSONValue
        do { v = try JSONParser.parse(payload) } catch { throw DecodingError(reason: error.description) }
        guard let schema = v["schema"]?.string, schema == receiptSchema || schema.hasPrefix(receiptSchema + ".") else {
            throw DecodingError(reason: "schema is not \(receiptSchema) or a newer minor version of it")
        }
        guard let kiosk = v["kiosk"]?.string else { throw DecodingError(reason: "kiosk is missing") }
        guard let list = v["seqs"]?.array else { throw DecodingError(reason: "seqs is not a list") }
        guard list.count <= maxRanges else { throw DecodingError(reason: "seqs holds \(list.count) ranges, more than \(maxRanges) ranges") }
        var ranges: [ClosedRange<Int64>] = []
        var named: Int64 = 0
        for item in list {
            guard let pair = item.array, pair.count == 2, let from = pair[0].int, let to = pair[1].int, from >= 1, from <= to else {
                throw DecodingError(reason: "seqs must hold [from, to] pairs of seqs, 1 ≤ from ≤ to")
            }
            if let last = ranges.last, from <= last.upperBound {
                throw DecodingError(reason: "seqs must hold ascending ranges that do not overlap ([\(from), \(to)] after [\(last.lowerBound), \(last.upperBound)])")
            }
            // Neither overflows: from ≥ 1, and what the earlier ranges named is below from.
            named += to - from + 1
            guard named <= maxSeqs else { throw DecodingError(reason: "seqs names more than \(maxSeqs) seqs") }
            ranges.append(from...to)
        }
        return DeliveryReceipt(kiosk: kiosk, seqs: ranges, at: v["at"]?.string ?? "")
    }
}

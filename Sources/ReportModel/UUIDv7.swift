/// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 bits that are random for the first id of
/// a millisecond and increase by a random step for the next ones (RFC 9562 §6.2, method 2), so that the ids
/// one process makes sort in the order it made them. That keeps the outbox's id index appended to in order,
/// and deletes of delivered rows touch few pages. A clock that steps back does not make ids go back.
public struct UUIDv7Generator: Sendable {
    private var lastMillis: Int64 = -1
    /// The 74 bits after the timestamp: 12 in `high` (rand_a), 62 in `low` (rand_b).
    private var high: UInt16 = 0
    private var low: UInt64 = 0

    public init() {}

    public mutating func next(unixMillis: Int64, using rng: inout some RandomNumberGenerator) -> String {
        let ms = max(0, unixMillis)
        if ms > lastMillis {
            lastMillis = ms
            // Fresh random bits, the top one clear: room for about 2^73 further steps in this millisecond.
            high = UInt16.random(in: 0...0x7FF, using: &rng)
            low = UInt64.random(in: 0...0x3FFF_FFFF_FFFF_FFFF, using: &rng)
        } else {
            let step = UInt64.random(in: 1...(1 << 24), using: &rng)
            let (sum, carried) = low.addingReportingOverflow(step)
            low = sum & 0x3FFF_FFFF_FFFF_FFFF
            if carried || sum > 0x3FFF_FFFF_FFFF_FFFF { high += 1 }
            if high > 0xFFF {   // 2^74 ids in one millisecond: borrow the next one
                lastMillis += 1
                high = 0
            }
        }
        return Self.format(millis: lastMillis, high: high, low: low)
    }

    static func format(millis: Int64, high: UInt16, low: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let ms = UInt64(millis)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - i))) }
        bytes[6] = 0x70 | UInt8(high >> 8 & 0x0F)   // version 7
        bytes[7] = UInt8(truncatingIfNeeded: high)
        bytes[8] = 0x80 | UInt8(low >> 56 & 0x3F)   // variant 10
        for i in 9..<16 { bytes[i] = UInt8(truncatingIfNeeded: low >> (8 * (15 - i))) }
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(45) }
            out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

public enum UUIDv7 {
    /// One id with fresh random bits (for a single report; a batch uses one `UUIDv7Generator`).
    public static func make(unixMillis: Int64, using rng: inout some RandomNumberGenerator) -> String {
        var g = UUIDv7Generator()
        return g.next(unixMillis: unixMillis, using: &rng)
    }

    /// True for a canonical lower-case UUID string of version 7.
    public static func isValid(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if [8, 13, 18, 23].contains(i) { if c != 45 { return false } }
            else if !((48...57).contains(c) || (97...102).contains(c)) { return false }
        }
        return b[14] == 55 && [56, 57, 97, 98].contains(b[19])
    }
}

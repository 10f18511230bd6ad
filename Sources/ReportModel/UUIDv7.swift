/// UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Sorts by creation time.
public enum UUIDv7 {
    public static func make(unixMillis: Int64, using rng: inout some RandomNumberGenerator) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let ms = UInt64(max(0, unixMillis))
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - i))) }
        let r1 = rng.next() as UInt64, r2 = rng.next() as UInt64
        for i in 6..<8 { bytes[i] = UInt8(truncatingIfNeeded: r1 >> (8 * (i - 6))) }
        for i in 8..<16 { bytes[i] = UInt8(truncatingIfNeeded: r2 >> (8 * (i - 8))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70   // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80   // variant 10
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(45) }
            out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
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

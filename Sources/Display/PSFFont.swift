/// A console font in the PC Screen Font format (PSF 1 or 2), as the kernel's console and console-setup use it
/// (`/usr/share/consolefonts/*.psf.gz`, after decompression). Pure: bytes in, glyph bitmaps out.
///
/// A glyph is `height` rows of `bytesPerRow` bytes, the leftmost pixel in the highest bit. The font's Unicode
/// table says which code points each glyph draws; a code point the font lacks is drawn as the font's
/// replacement glyph (U+FFFD where it has one, else `?`).
public struct PSFFont: Sendable {
    public let width: Int
    public let height: Int
    public let glyphCount: Int
    let bytesPerRow: Int
    let bytesPerGlyph: Int
    let bitmaps: [UInt8]
    let glyphOf: [UInt32: Int]
    let fallbackGlyph: Int

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case notAFont
        case truncated
        case badGeometry(width: Int, height: Int)

        public var description: String {
            switch self {
            case .notAFont: "not a PSF console font"
            case .truncated: "the font file ends too early"
            case .badGeometry(let w, let h): "a glyph of \(w)×\(h) pixels is not supported"
            }
        }
    }

    public init(bytes: [UInt8]) throws(ParseError) {
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        var map: [UInt32: Int] = [:]
        if bytes.count >= 4, bytes[0] == 0x36, bytes[1] == 0x04 {
            // PSF 1: 8 pixels wide, 256 or 512 glyphs; the table is 16-bit code points, 0xFFFF ends a glyph's list.
            let mode = bytes[2]
            height = Int(bytes[3])
            width = 8
            glyphCount = mode & 0x01 != 0 ? 512 : 256
            bytesPerRow = 1
            bytesPerGlyph = height
            let start = 4, tableStart = start + glyphCount * height
            guard height > 0 else { throw .badGeometry(width: width, height: height) }
            guard bytes.count >= tableStart else { throw .truncated }
            bitmaps = Array(bytes[start..<tableStart])
            if mode & 0x02 != 0 {
                var glyph = 0, i = tableStart, inSequence = false
                while glyph < glyphCount, i + 1 < bytes.count {
                    let v = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8
                    i += 2
                    if v == 0xFFFF { glyph += 1; inSequence = false }
                    else if v == 0xFFFE { inSequence = true }
                    else if !inSequence, map[v] == nil { map[v] = glyph }
                }
            }
        } else if bytes.count >= 32, u32(0) == 0x864A_B572 {
            // PSF 2: header size, flags (bit 0: a Unicode table), glyph count, bytes a glyph, height, width;
            // the table is UTF-8 strings, 0xFE starts a sequence (not used here), 0xFF ends a glyph's list.
            let headerSize = u32(8), flags = u32(12)
            glyphCount = u32(16)
            bytesPerGlyph = u32(20)
            height = u32(24)
            width = u32(28)
            bytesPerRow = (width + 7) / 8
            guard width > 0, width <= 64, height > 0, height <= 128, glyphCount > 0, glyphCount <= 65536,
                  bytesPerGlyph == bytesPerRow * height
            else { throw .badGeometry(width: width, height: height) }
            let tableStart = headerSize + glyphCount * bytesPerGlyph
            guard headerSize >= 32, bytes.count >= tableStart else { throw .truncated }
            bitmaps = Array(bytes[headerSize..<tableStart])
            if flags & 1 != 0 {
                var glyph = 0, i = tableStart, inSequence = false
                while glyph < glyphCount, i < bytes.count {
                    let b = bytes[i]
                    if b == 0xFF { glyph += 1; inSequence = false; i += 1; continue }
                    if b == 0xFE { inSequence = true; i += 1; continue }
                    // One UTF-8 encoded code point.
                    let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
                    guard i + length <= bytes.count else { break }
                    var v = length == 1 ? UInt32(b) : UInt32(b) & (0xFF >> UInt32(length + 1))
                    for k in 1..<max(1, length) { v = v << 6 | UInt32(bytes[i + k] & 0x3F) }
                    if !inSequence, map[v] == nil { map[v] = glyph }
                    i += length
                }
            }
        } else {
            throw .notAFont
        }
        if map.isEmpty {
            // No table: the glyphs are in code page order; the ASCII range at least is where it should be.
            for c in 0..<min(128, glyphCount) { map[UInt32(c)] = c }
        }
        glyphOf = map
        fallbackGlyph = map[0xFFFD] ?? map[0x3F] ?? 0
    }

    /// The glyph that draws `scalar` (the replacement glyph when the font has none for it).
    public func glyph(for scalar: Unicode.Scalar) -> Int { glyphOf[scalar.value] ?? fallbackGlyph }

    /// Whether the font has a glyph of its own for `scalar`.
    public func covers(_ scalar: Unicode.Scalar) -> Bool { glyphOf[scalar.value] != nil }

    /// Whether pixel (`x`, `y`) of glyph `glyph` is set.
    @inline(__always)
    public func isSet(_ glyph: Int, x: Int, y: Int) -> Bool {
        let byte = bitmaps[glyph * bytesPerGlyph + y * bytesPerRow + x >> 3]
        return byte & (0x80 >> UInt8(x & 7)) != 0
    }
}

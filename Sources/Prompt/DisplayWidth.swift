/// Terminal column widths, approximated the way `wcwidth` does: combining marks and format characters take no
/// column, East Asian wide/full-width characters and emoji take two, everything else one.
public enum DisplayWidth {
    /// Columns taken by one grapheme cluster (0, 1 or 2).
    public static func of(_ ch: Character) -> Int {
        // Printable ASCII, most of what the screen shows: no Unicode property lookups (they are table searches).
        if let a = ch.asciiValue { return a >= 0x20 && a != 0x7F ? 1 : 0 }
        let scalars = ch.unicodeScalars
        guard let first = scalars.first else { return 0 }
        let base = of(first)
        if base == 0 { return 0 }
        if base == 1 && scalars.contains(where: { $0.value == 0xFE0F }) && first.properties.isEmoji { return 2 }
        return base
    }

    /// Columns taken by one scalar on its own.
    public static func of(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
        // Printable ASCII, and Latin-1 and Latin Extended A/B (å, ä, ö, é, ø, ł, …): one column each, except
        // the soft hyphen (a format character); no combining mark, emoji or wide character is below U+0300.
        if v < 0x300 && v != 0xAD { return 1 }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1160...0x11FF).contains(v) || v == 0x200B { return 0 }
        if s.properties.isEmojiPresentation { return 2 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }

    /// Columns taken by a string on one line.
    public static func of(_ s: some StringProtocol) -> Int {
        // Printable ASCII only: one column a byte, without grapheme breaking.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return s.utf8.count }
        // Printable Latin (Swedish, and most of what the language files hold): one column a scalar, no
        // grapheme breaking either (no combining mark, emoji or wide character is below U+0300).
        if s.unicodeScalars.allSatisfy({ isPlainLatin($0) }) { return s.unicodeScalars.count }
        return s.reduce(0) { $0 + of($1) }
    }

    /// A scalar of one column that never joins another into one character: below U+0300 (no combining mark,
    /// emoji or wide character is) and one column by `of(_:)` (printable, not the soft hyphen).
    @inline(__always)
    static func isPlainLatin(_ s: Unicode.Scalar) -> Bool { s.value < 0x300 && of(s) == 1 }

    /// The longest prefix of `s` that fits in `columns`.
    public static func truncate(_ s: String, to columns: Int) -> String {
        // A character never takes more columns than its UTF-8 bytes (wide ones take 3 or 4 bytes for 2
        // columns): a string of at most `columns` bytes fits whole.
        if s.utf8.count <= columns { return s }
        var used = 0
        var out = ""
        for ch in s {
            let w = of(ch)
            if used + w > columns { break }
            used += w
            out.append(ch)
        }
        return out
    }

    private static func hasDoubleSpace(_ bytes: Substring.UTF8View) -> Bool {
        var previous: UInt8 = 0
        for b in bytes {
            if b == 0x20 && previous == 0x20 { return true }
            previous = b
        }
        return false
    }

    /// Word-wraps `text` to lines of at most `width` columns. `\n` starts a new line; a word longer than a line
    /// is broken. Never returns an empty array.
    public static func wrap(_ text: String, width: Int) -> [String] {
        let width = max(1, width)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // A paragraph that fits, with single spaces between words, is its own line (what the loop below
            // would make of it, without taking it apart).
            if paragraph.first != " " && paragraph.last != " " && !hasDoubleSpace(paragraph.utf8) && of(paragraph) <= width {
                lines.append(String(paragraph))
                continue
            }
            var line = ""
            var lineWidth = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                var word = String(word)
                var w = of(word)
                if lineWidth > 0 && lineWidth + 1 + w <= width {
                    line += " " + word
                    lineWidth += 1 + w
                    continue
                }
                if lineWidth > 0 { lines.append(line); line = ""; lineWidth = 0 }
                while w > width { // hard-break a long word
                    let head = truncate(word, to: width)
                    let cut = head.isEmpty ? String(word.prefix(1)) : head
                    lines.append(cut)
                    word = String(word.dropFirst(cut.count))
                    w = of(word)
                }
                line = word
                lineWidth = w
            }
            lines.append(line)
        }
        return lines.isEmpty ? [""] : lines
    }
}

/// The one place where text typed or pasted by a visitor (or read from `submit`) is made safe.
///
/// - Terminal escape sequences are removed whole: CSI (`ESC [` … final byte), OSC (`ESC ]` … BEL or ST),
///   DCS/SOS/PM/APC (`ESC P|X|^|_` … ST), the 8-bit C1 forms of the same, and two-byte `ESC x` sequences.
/// - Every other C0/C1 control and DEL is removed; `\r\n` and `\r` become `\n`, and `\t` a space.
///   `\n` is kept only where a field allows more than one line. The line and paragraph separators U+2028 and
///   U+2029 are line breaks too: `\n` where a field allows more than one line, else a space, like `\n`.
/// - Bidirectional marks and controls are removed (U+200E, U+200F, U+061C, U+202A–U+202E, U+2066–U+2069): they
///   can make text display differently from what it is ("Trojan Source"). Right-to-left text needs none of them.
/// - Invisible characters are removed, so that "Cen\u{200B}trum" is "Centrum": zero width space (U+200B), word
///   joiner and invisible operators (U+2060–U+2064), zero width no-break space / BOM (U+FEFF), soft hyphen
///   (U+00AD), and tag characters (U+E0000–U+E007F) except in the three flags that are made with them.
/// - ZWNJ (U+200C) and ZWJ (U+200D) are kept only where they change what is seen (`joinerShows`); elsewhere
///   they are removed, so they can never make two places look the same while being different text.
/// - The result is Unicode NFC, with white space trimmed at both ends.
///
/// Cleaning is idempotent, and it only looks at the characters next to a joiner or a tag, so it stays linear:
/// it runs on every key the visitor types.
public enum TextCleaner {
    /// Returns `input` cleaned as described above. `allowNewlines` is true for fields that may have several
    /// lines (`text`); elsewhere every line break becomes a space.
    public static func clean(_ input: String, allowNewlines: Bool) -> String {
        var out = String.UnicodeScalarView()
        var it = input.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        /// A ZWJ or ZWNJ waiting for the next character that is kept, which decides whether it stays. In a run of
        /// joiners only the last counts.
        var joiner: Unicode.Scalar? = nil

        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return it.next()
        }
        /// Skips a string-type sequence body up to BEL or ST (ESC \ or U+009C).
        func skipString() {
            while let c = next() {
                if c.value == 0x07 || c.value == 0x9C { return }
                if c.value == 0x1B {
                    if let d = next(), d != "\\" { pending = d }
                    return
                }
            }
        }
        /// Appends a kept character, and before it the waiting joiner if the joiner shows between the two.
        func emit(_ s: Unicode.Scalar) {
            if let j = joiner {
                joiner = nil
                if let before = out.last, joinerShows(j, between: before, and: s) { out.append(j) }
            }
            out.append(s)
        }
        /// Reads the run of tag characters that starts with `first`. Returns it when it ends with CANCEL TAG and
        /// spells one of `flagTags`; the rest of the run is skipped either way.
        func flagTagRun(_ first: Unicode.Scalar) -> [Unicode.Scalar]? {
            var run: [Unicode.Scalar] = []
            var c = first
            while true {
                // Bounded: one more than the longest flag's run is enough to tell that a run is longer.
                if run.count <= maxFlagTags { run.append(c) }
                if c.value == cancelTag { break }
                guard let d = next() else { return nil }
                guard isTag(d) else { pending = d; return nil }
                c = d
            }
            return flagTags.contains(run.map(\.value)) ? run : nil
        }
        /// Skips CSI parameters/intermediates up to the final byte (0x40–0x7E).
        func skipCSI() {
            while let c = next() {
                if (0x40...0x7E).contains(c.value) { return }
                if c.value < 0x20 || c.value > 0x7E { pending = c; return } // malformed: stop, keep the rest
            }
        }

        while let s = next() {
            switch s.value {
            case 0x1B:
                guard let k = next() else { break }
                switch k {
                case "[": skipCSI()
                case "]", "P", "X", "^", "_": skipString()
                default:
                    // ESC followed by intermediates then a final byte (e.g. ESC ( B), or a plain two-byte ESC x.
                    if (0x20...0x2F).contains(k.value) {
                        while let c = next() { if !(0x20...0x2F).contains(c.value) { break } }
                    } else if k.value < 0x20 || k.value >= 0x7F {
                        pending = k
                    }
                }
            case 0x9B: skipCSI()
            case 0x9D, 0x90, 0x98, 0x9E, 0x9F: skipString()
            case 0x0D:
                if let n = next(), n.value != 0x0A { pending = n }
                emit(allowNewlines ? "\n" : " ")
            case 0x0A, 0x2028, 0x2029:
                emit(allowNewlines ? "\n" : " ")
            case 0x09:
                emit(" ")
            case 0x00...0x1F, 0x7F...0x9F:
                continue
            case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069:
                continue    // bidi marks and controls
            case 0x200B, 0x2060...0x2064, 0xFEFF, 0x00AD:
                continue    // invisible: zero width space, word joiner, invisible operators, BOM, soft hyphen
            case 0x200C, 0x200D:
                joiner = s
            case 0xE0000...0xE007F:
                // Kept only right after a black flag (and no joiner), as England's, Scotland's or Wales' flag.
                if let run = flagTagRun(s), joiner == nil, out.last?.value == blackFlag {
                    out.append(contentsOf: run)
                }
            default:
                emit(s)
            }
        }
        // NFC from the standard library's own Unicode tables (Foundation's would bring ICU into the kiosk).
        let nfc = String(decoding: String(out)._nfcCodeUnits, as: UTF8.self)
        return nfc.trimmingWhitespace()
    }

    /// A string a kiosk sent (a kiosk id, a category, a place, a status `state`, …) made safe for one line of a
    /// terminal, a page or the journal: `clean(s, allowNewlines: false)`. The centre puts every kiosk-supplied
    /// string through this before any output, so an escape sequence (OSC 52 writing the operator's clipboard, a
    /// CSI clearing the screen), a C1 control, a bidi override or a newline forging a log line cannot pass.
    public static func line(_ s: String) -> String { clean(s, allowNewlines: false) }

    /// Whether a ZWJ or ZWNJ between `before` and `after` changes what is seen, so it stays:
    ///
    /// - a ZWJ between two emoji (after an emoji or its VS16 U+FE0F), where it makes one of the emoji ZWJ
    ///   sequences, e.g. 👨‍👩‍👧 or 🏳️‍🌈;
    /// - a ZWJ or ZWNJ between two letters or marks of the scripts where they choose the shape of the letters:
    ///   the joining scripts U+0600–U+08FF (Arabic, with Persian's ZWNJ in "می‌خواهم", Syriac, N'Ko, Mandaic, …),
    ///   the Indic scripts U+0900–U+0DFF (Devanagari to Sinhala), Mongolian, and the Arabic presentation forms.
    ///
    /// Anywhere else (at either end, next to a space or punctuation, inside a Latin word like "Cen\u{200C}trum")
    /// it shows nothing, and it is removed. The rule looks only at the two neighbours, not at fonts: an emoji
    /// pair the font cannot join still keeps its ZWJ, as it would join on the receiver's screen.
    static func joinerShows(_ joiner: Unicode.Scalar, between before: Unicode.Scalar, and after: Unicode.Scalar) -> Bool {
        func isEmoji(_ s: Unicode.Scalar) -> Bool { !s.isASCII && s.properties.isEmoji }
        if joiner.value == 0x200D, isEmoji(before) || before.value == 0xFE0F, isEmoji(after) { return true }
        return isShapedLetter(before) && isShapedLetter(after)
    }

    /// A letter or combining mark of a script whose shapes ZWJ and ZWNJ change (see `joinerShows`).
    static func isShapedLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x0600...0x08FF, 0x0900...0x0DFF, 0x1800...0x18AF, 0xFB50...0xFDFF, 0xFE70...0xFEFC: break
        default: return false
        }
        switch s.properties.generalCategory {
        case .otherLetter, .modifierLetter, .nonspacingMark, .spacingMark: return true
        default: return false
        }
    }

    /// 🏴 WAVING BLACK FLAG, the base of the flags made with tag characters.
    static let blackFlag: UInt32 = 0x1F3F4
    static let cancelTag: UInt32 = 0xE007F
    static func isTag(_ s: Unicode.Scalar) -> Bool { (0xE0000...0xE007F).contains(s.value) }
    /// The tag runs kept after 🏴: "gbeng", "gbsct" and "gbwls" in tag letters and CANCEL TAG, the flags of
    /// England, Scotland and Wales, the only emoji tag sequences in use. Any other run of tags is removed whole:
    /// it shows as nothing (or as a bare 🏴), and tags can carry hidden ASCII text.
    static let flagTags: Set<[UInt32]> = Set(["gbeng", "gbsct", "gbwls"].map { code in
        code.unicodeScalars.map { 0xE0000 + $0.value } + [cancelTag]
    })
    /// The length of the longest run in `flagTags`.
    static let maxFlagTags = 6

    /// Length as the contract counts it: Unicode scalars (code points) after NFC, as most receivers' `len()` does.
    public static func length(_ s: String) -> Int { s.unicodeScalars.count }

    /// The longest prefix of `s` that is at most `limit` scalars, never splitting a grapheme cluster.
    public static func prefix(_ s: String, scalars limit: Int) -> String {
        var count = 0
        var end = s.startIndex
        for ch in s {
            let n = ch.unicodeScalars.count
            if count + n > limit { break }
            count += n
            end = s.index(after: end)
        }
        return String(s[..<end])
    }
}

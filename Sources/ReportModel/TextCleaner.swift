import Foundation

/// The one place where text typed or pasted by a visitor (or read from `submit`) is made safe.
///
/// - Terminal escape sequences are removed whole: CSI (`ESC [` … final byte), OSC (`ESC ]` … BEL or ST),
///   DCS/SOS/PM/APC (`ESC P|X|^|_` … ST), the 8-bit C1 forms of the same, and two-byte `ESC x` sequences.
/// - Every other C0/C1 control and DEL is removed; `\r\n` and `\r` become `\n`, and `\t` a space.
///   `\n` is kept only where a field allows more than one line.
/// - Bidirectional embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069) are removed: they can
///   make text display differently from what it is ("Trojan Source"). Right-to-left text needs none of them.
/// - The result is Unicode NFC, with white space trimmed at both ends.
public enum TextCleaner {
    public static func clean(_ input: String, allowNewlines: Bool) -> String {
        var out = String.UnicodeScalarView()
        var it = input.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil

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
                if allowNewlines { out.append("\n") } else { out.append(" ") }
            case 0x0A:
                out.append(allowNewlines ? "\n" : " ")
            case 0x09:
                out.append(" ")
            case 0x00...0x1F, 0x7F...0x9F:
                continue
            case 0x202A...0x202E, 0x2066...0x2069:
                continue
            default:
                out.append(s)
            }
        }
        let nfc = String(out).precomposedStringWithCanonicalMapping
        return nfc.trimmingCharacters(in: .whitespacesAndNewlines)
    }

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

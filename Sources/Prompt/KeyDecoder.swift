/// One key press (or one bracketed paste) as decoded from the terminal's bytes.
public enum Key: Equatable, Sendable {
    /// A printable character (one Unicode scalar as the terminal sent it; never a control character).
    case char(Character)
    case enter, escape, backspace, delete, tab
    case up, down, left, right, home, end, pageUp, pageDown, insert
    /// F1–F12.
    case function(Int)
    /// A control key other than those above, by its letter: Ctrl-A is `control("a")`, Ctrl-\ is `control("\\")`,
    /// Ctrl-Space is `control("@")`. Ctrl-C, Ctrl-D, Ctrl-Z arrive here (ISIG is off): they are just keys.
    case control(Character)
    /// A bracketed paste (`ESC [200~` … `ESC [201~`), raw and uncleaned; at most `KeyDecoder.maxPasteBytes`
    /// bytes are kept. This one event stands for "paste start", the text, and "paste end".
    case paste(String)
}

/// Turns terminal input bytes into `Key`s. Pure: no I/O, no clock.
///
/// - Understands xterm/VT220/rxvt/Linux-console sequences for arrows, Home/End, Insert/Delete, Page Up/Down,
///   F1–F12 (also with modifiers), SS3 forms, and bracketed paste.
/// - Any other escape sequence is swallowed whole; a sequence longer than `maxSequenceBytes` is swallowed
///   without being kept, and a malformed one ends at the first byte that cannot belong to it (which is then
///   read as input again). Alt+key (`ESC x`) is swallowed.
/// - UTF-8 is decoded incrementally across reads; invalid or over-long forms and C1 controls are dropped.
/// - A lone `ESC` is only known to be the Esc key when nothing follows soon: after `pendingTimeoutMillis`
///   without input, the caller calls `flush()`. A paste that never ends is likewise delivered by `flush()`.
public struct KeyDecoder: Sendable {
    public static let maxSequenceBytes = 32
    public static let maxPasteBytes = 32 * 1024
    /// Wait for the rest of an escape sequence this long before taking `ESC` as the Esc key.
    public static let escapeTimeoutMillis = 60
    /// A paste whose end marker does not come within this silence is delivered as it is.
    public static let pasteTimeoutMillis = 1000

    enum Mode: Sendable { case ground, escape, csi, csiDiscard, ss3, linuxFunction, paste }

    var mode: Mode = .ground
    var sequence: [UInt8] = []
    var utf8: [UInt8] = []
    var utf8Expected = 0
    var pasteBytes: [UInt8] = []
    var pasteEndMatched = 0
    var lastWasCR = false

    static let pasteEnd: [UInt8] = [0x1B, 0x5B, 0x32, 0x30, 0x31, 0x7E] // ESC [ 2 0 1 ~

    public init() {}

    /// Milliseconds of silence after which `flush()` should be called; nil when nothing is pending.
    public var pendingTimeoutMillis: Int? {
        switch mode {
        case .ground: utf8.isEmpty ? nil : Self.escapeTimeoutMillis
        case .paste: Self.pasteTimeoutMillis
        default: Self.escapeTimeoutMillis
        }
    }

    /// Decodes `bytes`, keeping an unfinished sequence for the next call.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Key] {
        var keys: [Key] = []
        for b in bytes { consume(b, into: &keys) }
        return keys
    }

    /// Ends whatever is pending after a silence: a lone ESC is the Esc key, a partial sequence is dropped, an
    /// unfinished paste is delivered.
    public mutating func flush() -> [Key] {
        var keys: [Key] = []
        switch mode {
        case .escape: keys.append(.escape)
        case .paste: keys.append(.paste(Self.pasteText(pasteBytes)))
        default: break
        }
        mode = .ground
        sequence.removeAll()
        utf8.removeAll()
        pasteBytes.removeAll()
        pasteEndMatched = 0
        return keys
    }

    private mutating func consume(_ b: UInt8, into keys: inout [Key]) {
        let wasCR = lastWasCR
        lastWasCR = false
        switch mode {
        case .ground:
            ground(b, wasCR: wasCR, into: &keys)
        case .escape:
            switch b {
            case 0x5B: mode = .csi; sequence.removeAll()
            case 0x4F: mode = .ss3
            case 0x1B: keys.append(.escape) // ESC ESC: the first was the Esc key; stay in escape for the second
            case 0x20...0x7E: mode = .ground // Alt+key: swallowed
            default:
                keys.append(.escape)
                mode = .ground
                ground(b, wasCR: false, into: &keys)
            }
        case .csi, .csiDiscard:
            if mode == .csi && sequence.isEmpty && b == 0x5B { mode = .linuxFunction; return }
            switch b {
            case 0x20...0x3F:
                if mode == .csi {
                    sequence.append(b)
                    if sequence.count > Self.maxSequenceBytes { mode = .csiDiscard; sequence.removeAll() }
                }
            case 0x40...0x7E:
                if mode == .csi { csiFinal(b, into: &keys) } else { mode = .ground }
            default: // cannot belong to a CSI sequence: drop what we have, read this byte afresh
                mode = .ground
                sequence.removeAll()
                ground(b, wasCR: false, into: &keys)
            }
        case .ss3:
            mode = .ground
            switch b {
            case 0x41: keys.append(.up)
            case 0x42: keys.append(.down)
            case 0x43: keys.append(.right)
            case 0x44: keys.append(.left)
            case 0x48: keys.append(.home)
            case 0x46: keys.append(.end)
            case 0x4D: keys.append(.enter)
            case 0x50...0x53: keys.append(.function(Int(b) - 0x50 + 1))
            case 0x20...0x7E: break
            default: ground(b, wasCR: false, into: &keys)
            }
        case .linuxFunction: // Linux console F1–F5: ESC [ [ A … E
            mode = .ground
            switch b {
            case 0x41...0x45: keys.append(.function(Int(b) - 0x41 + 1))
            case 0x20...0x7E: break
            default: ground(b, wasCR: false, into: &keys)
            }
        case .paste:
            pasteByte(b, into: &keys)
        }
    }

    private mutating func ground(_ b: UInt8, wasCR: Bool, into keys: inout [Key]) {
        if b < 0x80 || (b & 0xC0) != 0x80 {
            // Not a continuation byte: an unfinished UTF-8 sequence before it is invalid.
            if !utf8.isEmpty { utf8.removeAll() }
        }
        switch b {
        case 0x1B: mode = .escape
        case 0x0D: keys.append(.enter); lastWasCR = true
        case 0x0A: if !wasCR { keys.append(.enter) }
        case 0x7F, 0x08: keys.append(.backspace)
        case 0x09: keys.append(.tab)
        case 0x00: keys.append(.control("@"))
        case 0x01...0x1A: keys.append(.control(Character(Unicode.Scalar(b + 0x60))))
        case 0x1C: keys.append(.control("\\"))
        case 0x1D: keys.append(.control("]"))
        case 0x1E: keys.append(.control("^"))
        case 0x1F: keys.append(.control("_"))
        case 0x20...0x7E: keys.append(.char(Character(Unicode.Scalar(b))))
        default:
            utf8Byte(b, into: &keys)
        }
    }

    private mutating func utf8Byte(_ b: UInt8, into keys: inout [Key]) {
        if utf8.isEmpty {
            switch b {
            case 0xC2...0xDF: utf8Expected = 2
            case 0xE0...0xEF: utf8Expected = 3
            case 0xF0...0xF4: utf8Expected = 4
            default: return // stray continuation byte, C0/C1 8-bit, or never-valid lead byte
            }
            utf8 = [b]
            return
        }
        utf8.append(b)
        guard utf8.count == utf8Expected else { return }
        var it = utf8.makeIterator()
        var decoder = UTF8()
        if case .scalarValue(let s) = decoder.decode(&it), it.next() == nil,
           !(0x80...0x9F).contains(s.value) {
            keys.append(.char(Character(s)))
        }
        utf8.removeAll()
    }

    private mutating func csiFinal(_ final: UInt8, into keys: inout [Key]) {
        mode = .ground
        let params = sequence
        sequence.removeAll()
        // Private parameters (`<`, `=`, `>`, `?`) and intermediates: mouse reports, replies. Swallowed.
        if let first = params.first, (0x3C...0x3F).contains(first) { return }
        if params.contains(where: { $0 < 0x30 }) { return }
        let numbers = String(decoding: params, as: UTF8.self).split(separator: ";", omittingEmptySubsequences: false)
            .map { Int($0.prefix(6)) }
        let p1 = numbers.first.flatMap { $0 } ?? nil
        switch final {
        case 0x41: keys.append(.up)
        case 0x42: keys.append(.down)
        case 0x43: keys.append(.right)
        case 0x44: keys.append(.left)
        case 0x48: keys.append(.home)
        case 0x46: keys.append(.end)
        case 0x50...0x53 where p1 == nil || p1 == 1: keys.append(.function(Int(final) - 0x50 + 1))
        case 0x7E:
            switch p1 {
            case 1, 7: keys.append(.home)
            case 4, 8: keys.append(.end)
            case 2: keys.append(.insert)
            case 3: keys.append(.delete)
            case 5: keys.append(.pageUp)
            case 6: keys.append(.pageDown)
            case let n? where (11...15).contains(n): keys.append(.function(n - 10))
            case let n? where (17...21).contains(n): keys.append(.function(n - 11))
            case 23: keys.append(.function(11))
            case 24: keys.append(.function(12))
            case 200:
                mode = .paste
                pasteBytes.removeAll()
                pasteEndMatched = 0
            default: break
            }
        default: break
        }
    }

    private mutating func pasteByte(_ b: UInt8, into keys: inout [Key]) {
        let end = Self.pasteEnd
        if b == end[pasteEndMatched] {
            pasteEndMatched += 1
            if pasteEndMatched == end.count {
                keys.append(.paste(Self.pasteText(pasteBytes)))
                pasteBytes.removeAll()
                pasteEndMatched = 0
                mode = .ground
            }
            return
        }
        if pasteEndMatched > 0 {
            appendPaste(end[0..<pasteEndMatched])
            pasteEndMatched = 0
            if b == end[0] { pasteEndMatched = 1; return }
        }
        appendPaste(CollectionOfOne(b))
    }

    private mutating func appendPaste(_ bytes: some Collection<UInt8>) {
        let room = Self.maxPasteBytes - pasteBytes.count
        if room > 0 { pasteBytes.append(contentsOf: bytes.prefix(room)) }
    }

    /// The pasted bytes as text: invalid UTF-8 (including a sequence cut by the size bound) is dropped.
    static func pasteText(_ bytes: [UInt8]) -> String {
        var out = String.UnicodeScalarView()
        var it = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): out.append(s)
            case .emptyInput: break loop
            case .error: continue
            }
        }
        return String(out)
    }
}

/// What a printed receipt says: a thank-you, the short reference number the thanks screen shows, when, and
/// where to call. Never anything of the tip itself (its text, place or contact): there is no field for them.
public struct Receipt: Sendable, Equatable {
    /// The first line, in bold (the thanks screen's title, e.g. "Tack för ditt tips!").
    public var title: String
    /// The reference as the thanks screen shows it (e.g. "Ditt nummer: 0042"), in bold and double height.
    public var reference: String
    /// Date and time, already formatted (e.g. "2025-03-01 14:05").
    public var time: String
    /// The closing lines: the emergency and police numbers.
    public var footer: [String]

    /// A receipt of these lines.
    public init(title: String, reference: String, time: String, footer: [String]) {
        self.title = title
        self.reference = reference
        self.time = time
        self.footer = footer
    }
}

/// ESC/POS bytes for a receipt: the command set of nearly every small thermal receipt printer.
///
/// Text is sent in code page 850 (PC850 Multilingual), chosen with `ESC t 2`: it has å ä ö Å Ä Ö and the other
/// letters of the Latin-1 languages, and it is in the table of practically every ESC/POS printer (Epson
/// numbering; PC858 `ESC t 19` is the same with €, which a receipt does not need and fewer printers have).
/// A character the code page lacks is printed as `?`. Pure: no I/O.
public enum ESCPOS {
    /// The `n` of `ESC t n` for PC850.
    public static let codePage: UInt8 = 2

    static let esc: UInt8 = 0x1B
    static let gs: UInt8 = 0x1D
    static let lf: UInt8 = 0x0A

    /// The whole print job: reset, code page, centred text, feed, partial cut.
    public static func bytes(for receipt: Receipt) -> [UInt8] {
        var out: [UInt8] = [esc, 0x40]                  // ESC @: initialise
        out += [esc, 0x74, codePage]                     // ESC t 2: PC850
        out += [esc, 0x61, 0x01]                         // ESC a 1: centre
        out += [esc, 0x45, 0x01] + encode(receipt.title) + [lf] + [esc, 0x45, 0x00]   // bold title
        out += [lf]
        out += [esc, 0x45, 0x01, gs, 0x21, 0x01]         // bold, double height
        out += encode(receipt.reference) + [lf]
        out += [gs, 0x21, 0x00, esc, 0x45, 0x00]         // normal size, bold off
        out += encode(receipt.time) + [lf, lf]
        for line in receipt.footer { out += encode(line) + [lf] }
        out += [esc, 0x64, 0x04]                         // ESC d 4: feed 4 lines past the cutter
        out += [gs, 0x56, 0x01]                          // GS V 1: partial cut (ignored without a cutter)
        return out
    }

    /// `text` in PC850; a line break stays a line feed, other control characters are left out, and a character
    /// the code page lacks becomes `?`.
    public static func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if scalar == "\n" { out.append(lf); continue }
            if scalar.value < 0x20 || scalar.value == 0x7F { continue }
            if scalar.isASCII { out.append(UInt8(scalar.value)); continue }
            out.append(upperHalf[scalar] ?? UInt8(ascii: "?"))
        }
        return out
    }

    /// Whether every character of `text` is in the code page (else a receipt in another language is better).
    public static func canEncode(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0 == "\n" || ($0.isASCII && $0.value >= 0x20 && $0.value != 0x7F) || upperHalf[$0] != nil }
    }

    /// Bytes 0x80...0xFF of code page 850, in order.
    static let cp850: String = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐"
        + "└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{AD}±‗¾¶§÷¸°¨·¹³²■\u{A0}"

    static let upperHalf: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (i, s) in cp850.unicodeScalars.enumerated() { map[s] = UInt8(0x80 + i) }
        return map
    }()
}

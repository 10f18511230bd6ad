import Foundation
import Hardware
@testable import Prompt
import Testing

@Suite struct ReceiptTests {
    static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let swedish = Receipt(title: "Tack för ditt tips!", reference: "Ditt nummer: 0042", time: "2025-03-01 14:05",
                                 footer: ["Vid akut fara: ring 112", "Polisen: 114 14"])

    @Test func aSwedishReceiptByteForByte() {
        var expected: [UInt8] = [0x1B, 0x40, 0x1B, 0x74, 0x02, 0x1B, 0x61, 0x01, 0x1B, 0x45, 0x01]
        expected += Self.ascii("Tack f") + [0x94] + Self.ascii("r ditt tips!") + [0x0A, 0x1B, 0x45, 0x00, 0x0A]
        expected += [0x1B, 0x45, 0x01, 0x1D, 0x21, 0x01] + Self.ascii("Ditt nummer: 0042") + [0x0A]
        expected += [0x1D, 0x21, 0x00, 0x1B, 0x45, 0x00] + Self.ascii("2025-03-01 14:05") + [0x0A, 0x0A]
        expected += Self.ascii("Vid akut fara: ring 112") + [0x0A] + Self.ascii("Polisen: 114 14") + [0x0A]
        expected += [0x1B, 0x64, 0x04, 0x1D, 0x56, 0x01]
        #expect(ESCPOS.bytes(for: Self.swedish) == expected)
    }

    @Test func swedishLettersInCodePage850() {
        #expect(ESCPOS.codePage == 2)
        #expect(ESCPOS.encode("åäöÅÄÖ") == [0x86, 0x84, 0x94, 0x8F, 0x8E, 0x99])
        #expect(ESCPOS.encode("éüÉÜæøÆØß") == [0x82, 0x81, 0x90, 0x9A, 0x91, 0x9B, 0x92, 0x9D, 0xE1])
        #expect(ESCPOS.encode("Göteborg") == [0x47, 0x94] + Self.ascii("teborg"))
    }

    @Test func whatTheCodePageLacksIsAQuestionMarkAndControlsAreDropped() {
        #expect(ESCPOS.encode("5 €") == Self.ascii("5 ?"))
        #expect(ESCPOS.encode("مرحبا") == Self.ascii("?????"))
        #expect(ESCPOS.encode("a\u{1B}@b\tc\nd") == Self.ascii("a@bc\nd"))
        #expect(ESCPOS.canEncode("Tack för ditt tips!\nHej"))
        #expect(!ESCPOS.canEncode("شكرا"))
        #expect(!ESCPOS.canEncode("a\u{1B}"))
    }

    // MARK: The prompt's receipt: the thanks screen's own texts

    static let texts = Texts(packs: [
        LanguagePack(tag: "sv", strings: ["thanks.title": "Tack för ditt tips!", "thanks.reference": "Ditt nummer: {ref}",
                                          "emergency": "Vid akut fara: ring 112", "police": "Polisen: 114 14"]),
        LanguagePack(tag: "en", strings: ["thanks.title": "Thank you for your tip!", "thanks.reference": "Your number: {ref}",
                                          "emergency": "In an emergency: call 112", "police": "Police: 114 14"]),
        LanguagePack(tag: "ar", strings: ["thanks.title": "شكرا", "thanks.reference": "رقمك: {ref}"]),
    ], swedish: [:])

    @Test func theReceiptSpeaksTheVisitorsLanguage() {
        let sv = ReceiptText.receipt(texts: Self.texts, language: 0, reference: "0042", time: "2025-03-01 14:05")
        #expect(sv == Self.swedish)
        let en = ReceiptText.receipt(texts: Self.texts, language: 1, reference: "0042", time: "t")
        #expect(en.title == "Thank you for your tip!" && en.reference == "Your number: 0042")
        #expect(en.footer == ["In an emergency: call 112", "Police: 114 14"])
    }

    @Test func aLanguageThePrinterCannotPrintFallsBackToTheDefault() {
        let r = ReceiptText.receipt(texts: Self.texts, language: 2, reference: "0042", time: "t")
        #expect(r.title == "Tack för ditt tips!" && r.reference == "Ditt nummer: 0042")
    }

    @Test func theTimeIsLocalDateAndMinutes() throws {
        let now = Int(Date().timeIntervalSince1970)
        let a = ReceiptText.format(unixSeconds: now), b = ReceiptText.format(unixSeconds: now + 3600)
        #expect(try #/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/#.wholeMatch(in: a) != nil, "\(a)")
        #expect(a != b)
        #expect(a.hasPrefix(String(Calendar.current.component(.year, from: Date(timeIntervalSince1970: Double(now))))))
    }
}

import Testing
import TestSupport
@testable import Prompt

@Suite struct KeyDecoderTests {
    func decode(_ bytes: [UInt8], flush: Bool = true) -> [Key] {
        var d = KeyDecoder()
        return d.feed(bytes) + (flush ? d.flush() : [])
    }

    @Test func printableASCIIAndUTF8() {
        #expect(keys("aÅ1") == [.char("a"), .char("Å"), .char("1")])
        #expect(keys("ä€😀") == [.char("ä"), .char("€"), .char("😀")])
    }

    @Test func utf8SplitAcrossReads() {
        var d = KeyDecoder()
        let bytes = Array("ö😀".utf8)
        var got: [Key] = []
        for b in bytes { got += d.feed([b]) }
        #expect(got == [.char("ö"), .char("😀")])
        #expect(d.pendingTimeoutMillis == nil)
    }

    @Test func invalidUTF8IsDropped() {
        // stray continuation, over-long "/", surrogate, lone lead byte followed by ASCII, 0xFF
        #expect(decode([0x80, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xC3, 0x41, 0xFF, 0x42]) == [.char("A"), .char("B")])
        // C1 controls encoded in UTF-8 (U+009B, the 8-bit CSI) are not characters
        #expect(decode([0xC2, 0x9B, 0x41]) == [.char("A")])
    }

    @Test func enterBackspaceTab() {
        #expect(decode([0x0D]) == [.enter])
        #expect(decode([0x0A]) == [.enter])
        #expect(decode([0x0D, 0x0A]) == [.enter]) // CR LF is one Enter
        #expect(decode([0x0D, 0x0D]) == [.enter, .enter])
        #expect(decode([0x7F, 0x08]) == [.backspace, .backspace])
        #expect(decode([0x09]) == [.tab])
    }

    @Test func controlKeysAreKeysNotSignals() {
        #expect(decode([0x03]) == [.control("c")])
        #expect(decode([0x04]) == [.control("d")])
        #expect(decode([0x1A]) == [.control("z")])
        #expect(decode([0x1C]) == [.control("\\")])
        #expect(decode([0x01]) == [.control("a")])
        #expect(decode([0x00]) == [.control("@")])
        #expect(decode([0x11, 0x13]) == [.control("q"), .control("s")])
    }

    @Test func arrowsHomeEndDeleteInTheirVariants() {
        #expect(keys("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D") == [.up, .down, .right, .left])
        #expect(keys("\u{1B}OA\u{1B}OD") == [.up, .left])
        #expect(keys("\u{1B}[H\u{1B}[F\u{1B}OH\u{1B}OF") == [.home, .end, .home, .end])
        #expect(keys("\u{1B}[1~\u{1B}[4~\u{1B}[7~\u{1B}[8~") == [.home, .end, .home, .end])
        #expect(keys("\u{1B}[3~\u{1B}[2~\u{1B}[5~\u{1B}[6~") == [.delete, .insert, .pageUp, .pageDown])
        #expect(keys("\u{1B}[1;5C\u{1B}[1;2D") == [.right, .left]) // with modifiers
        #expect(keys("\u{1B}[3;5~") == [.delete])
    }

    @Test func functionKeys() {
        #expect(keys("\u{1B}OP\u{1B}[15~\u{1B}[24~") == [.function(1), .function(5), .function(12)])
        #expect(keys("\u{1B}[[A\u{1B}[[E") == [.function(1), .function(5)]) // Linux console
        #expect(keys("\u{1B}[1;2P") == [.function(1)])
    }

    @Test func loneEscapeNeedsFlush() {
        var d = KeyDecoder()
        #expect(d.feed([0x1B]) == [])
        #expect(d.pendingTimeoutMillis == KeyDecoder.escapeTimeoutMillis)
        #expect(d.flush() == [.escape])
        #expect(d.pendingTimeoutMillis == nil)
        #expect(d.feed([0x1B, 0x1B]) == [.escape])
        #expect(d.flush() == [.escape])
        // Esc followed by a control byte: Esc, then the control
        #expect(decode([0x1B, 0x0D]) == [.escape, .enter])
    }

    @Test func altKeysAndUnknownSequencesAreSwallowed() {
        #expect(keys("\u{1B}xa") == [.char("a")])                 // Alt+x
        #expect(keys("\u{1B}[?1;2cq") == [.char("q")])             // device attributes reply
        #expect(keys("\u{1B}[<0;10;20Mq") == [.char("q")])         // SGR mouse
        #expect(keys("\u{1B}[12;40Rq") == [.char("q")])            // cursor position report
        #expect(keys("\u{1B}[99~\u{1B}[Zq") == [.char("q")])      // unknown ~ key, shift-tab
        #expect(keys("\u{1B}[Iq\u{1B}[O") == [.char("q")])        // focus in/out
        #expect(keys("\u{1B}Oxq") == [.char("q")])                 // unknown SS3
    }

    @Test func overLongSequenceIsSwallowedWithoutKeepingIt() {
        var d = KeyDecoder()
        var bytes: [UInt8] = [0x1B, 0x5B]
        bytes += Array(repeating: UInt8(ascii: "1"), count: 100_000)
        bytes += Array("mok".utf8)
        #expect(d.feed(bytes) == [.char("o"), .char("k")])
        #expect(d.sequence.count <= KeyDecoder.maxSequenceBytes)
        #expect(d.pendingTimeoutMillis == nil)
    }

    @Test func malformedSequenceEndsAtTheFirstForeignByte() {
        // a control byte inside a CSI ends it and is read as itself
        #expect(decode([0x1B, 0x5B, 0x31, 0x0D, 0x61]) == [.enter, .char("a")])
        // an ESC inside a CSI starts a new sequence
        #expect(keys("\u{1B}[12\u{1B}[Ab") == [.up, .char("b")])
        // UTF-8 inside a CSI: dropped sequence, the character survives
        #expect(keys("\u{1B}[1ä") == [.char("ä")])
    }

    @Test func unfinishedSequenceIsDroppedOnFlush() {
        var d = KeyDecoder()
        #expect(d.feed(Array("\u{1B}[12;".utf8)) == [])
        #expect(d.pendingTimeoutMillis != nil)
        #expect(d.flush() == [])
        #expect(d.feed(Array("z".utf8)) == [.char("z")])
    }

    @Test func bracketedPaste() {
        #expect(keys("\u{1B}[200~hej\r\ndå\u{1B}[201~x") == [.paste("hej\r\ndå"), .char("x")])
        // an ESC inside the paste that is not the end marker stays in the text (TextCleaner removes it later)
        #expect(keys("\u{1B}[200~a\u{1B}[31mb\u{1B}[201~") == [.paste("a\u{1B}[31mb")])
        // a paste split over many reads
        var d = KeyDecoder()
        var got: [Key] = []
        for b in Array("\u{1B}[200~abc\u{1B}[201~".utf8) { got += d.feed([b]) }
        #expect(got == [.paste("abc")])
        // a near-miss of the end marker followed by ESC
        #expect(keys("\u{1B}[200~a\u{1B}[20\u{1B}[201~") == [.paste("a\u{1B}[20")])
    }

    @Test func pasteIsBoundedAndEndsOnFlushWhenTheMarkerNeverComes() {
        var d = KeyDecoder()
        let big = String(repeating: "x", count: KeyDecoder.maxPasteBytes * 3)
        #expect(d.feed(Array("\u{1B}[200~\(big)".utf8)) == [])
        #expect(d.pendingTimeoutMillis == KeyDecoder.pasteTimeoutMillis)
        let out = d.flush()
        #expect(out.count == 1)
        if case .paste(let s)? = out.first { #expect(s.utf8.count == KeyDecoder.maxPasteBytes) } else { Issue.record("no paste") }
        #expect(d.feed(Array("y".utf8)) == [.char("y")])
    }

    @Test func randomGarbageNeverHangsAndNeverYieldsControlCharacters() {
        var rng = SplitMix(seed: 42)
        var d = KeyDecoder()
        var total = 0
        for _ in 0..<200 {
            let chunk = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for k in d.feed(chunk) {
                total += 1
                if case .char(let c) = k {
                    #expect(!c.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
                }
            }
            #expect(d.sequence.count <= KeyDecoder.maxSequenceBytes)
            #expect(d.pasteBytes.count <= KeyDecoder.maxPasteBytes)
        }
        _ = d.flush()
        #expect(d.pendingTimeoutMillis == nil)
        #expect(d.feed(Array("ok".utf8)) == [.char("o"), .char("k")])
        #expect(total > 1000)
    }
}


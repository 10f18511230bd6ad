import Testing
@testable import Prompt
import ReportModel

@Suite struct LineEditorTests {
    @Test func typingAndCursorMovement() {
        var e = LineEditor(maxScalars: 100)
        for c in "hej" { e.type(c) }
        #expect(e.text == "hej" && e.cursor == 3)
        e.moveLeft(); e.moveLeft()
        e.type("X")
        #expect(e.text == "hXej" && e.cursor == 2)
        e.moveHome(); e.type("<")
        e.moveEnd(); e.type(">")
        #expect(e.text == "<hXej>")
        e.moveHome(); e.moveLeft()
        #expect(e.cursor == 0)
        e.moveEnd(); e.moveRight()
        #expect(e.cursor == 6)
    }

    @Test func backspaceAndDeleteRemoveWholeGraphemeClusters() {
        var e = LineEditor(maxScalars: 100)
        // é as e + U+0301, a flag (two regional indicators), a family (ZWJ sequence)
        e.type("a"); e.type("e"); e.type("\u{301}")
        #expect(e.characters.count == 2 && e.scalarCount == 3)
        e.paste("🇸🇪")
        e.paste("👨‍👩‍👧")
        #expect(e.characters.count == 4)
        e.backspace()
        #expect(e.text == "ae\u{301}🇸🇪")
        e.backspace()
        #expect(e.text == "ae\u{301}" && e.scalarCount == 3)
        e.backspace()
        #expect(e.text == "a" && e.scalarCount == 1)
        e.moveHome()
        #expect(e.backspace() == false)
        let deleted = e.deleteForward()
        #expect(deleted)
        #expect(e.isEmpty && e.scalarCount == 0 && e.cursor == 0)
    }

    @Test func multiByteBackspaceInTheMiddle() {
        var e = LineEditor(maxScalars: 100, text: "åäö")
        e.moveLeft()
        e.backspace()
        #expect(e.text == "åö" && e.cursor == 1 && e.scalarCount == 2)
    }

    @Test func limitStopsTypingAndCutsPastes() {
        var e = LineEditor(maxScalars: 5)
        for c in "abcde" { #expect(e.type(c) == true) }
        #expect(e.isFull)
        #expect(e.type("f") == false)
        #expect(e.text == "abcde")
        var p = LineEditor(maxScalars: ReportLimits.text.upperBound, multiline: true)
        #expect(p.paste(String(repeating: "ab ", count: 5000)) == false)
        #expect(p.scalarCount == 2000 && TextCleaner.length(p.text) == 2000)
        #expect(TextCleaner.length(p.committedValue) <= 2000)
    }

    @Test func controlsEscapesAndBidiNeverEnterTheBuffer() {
        var e = LineEditor(maxScalars: 100)
        #expect(e.type("\u{7}") == false)
        #expect(e.type("\u{202E}") == false) // right-to-left override
        e.paste("a\u{1B}[2Jb\u{1B}]0;title\u{7}c\u{0}d\u{202E}e")
        #expect(e.text == "abcde")
        var m = LineEditor(maxScalars: 100, multiline: true)
        m.paste("rad 1\r\nrad\t2")
        #expect(m.text == "rad 1\nrad 2")
        var single = LineEditor(maxScalars: 100)
        single.paste("rad 1\nrad 2")
        #expect(single.text == "rad 1 rad 2")
    }

    @Test func committedValueIsCleanedNFCAndTrimmed() {
        var e = LineEditor(maxScalars: 100)
        for c in "  e" { e.type(c) }
        e.type("\u{301}")
        e.type(" ")
        #expect(e.committedValue == "\u{E9}")
    }

    @Test func spacesAreKept() {
        var e = LineEditor(maxScalars: 100)
        for c in "a b" { e.type(c) }
        #expect(e.text == "a b")
    }
}

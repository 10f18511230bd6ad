import Display
@testable import Prompt
import XCTest

final class FramePainterTests: XCTestCase {
    func testStylesWideCharactersReverseLinesAndTheCursor() {
        let frame = Frame(width: 8, height: 4,
                          lines: [Frame.Line("112", .reverse), Frame.Line("Vad?", .bold), Frame.Line("a界b")],
                          cursor: Frame.Position(row: 2, column: 5))
        let rows = FramePainter.rows(frame)
        XCTAssertEqual(rows.count, 4, "every row of the frame, the empty ones too")
        // The reverse line runs across the whole width, black on light.
        XCTAssertEqual(rows[0].count, 8)
        XCTAssertEqual(rows[0].map { Character($0.scalar) }, Array("112     "))
        XCTAssertTrue(rows[0].allSatisfy { $0.background == RGB(0xF0, 0xF0, 0xF0) && $0.foreground == RGB(0, 0, 0) })
        // Bold is its own colour, not grey.
        XCTAssertEqual(rows[1].first?.foreground, RGB(0xFF, 0xE0, 0x66))
        // A wide character takes two cells; the cursor beyond the text is an underlined blank.
        XCTAssertEqual(rows[2].map { Character($0.scalar) }, Array("a界 b  "))
        XCTAssertEqual(rows[2].firstIndex { $0.underline }, 5)
        XCTAssertEqual(rows[3], [])
    }

    func testNothingPastTheWidth() {
        let frame = Frame(width: 3, height: 1, lines: [Frame.Line("abcdef")], cursor: nil)
        XCTAssertEqual(FramePainter.rows(frame)[0].count, 3)
    }
}

import Display
@testable import Prompt
import XCTest

final class FramePainterTests: XCTestCase {
    func testColumnsRunsWideCharactersAndTheCursor() {
        let frame = Frame(width: 8, height: 4,
                          lines: [Frame.Line(" 112    ", .reverse),
                                  Frame.Line(spans: [Frame.Span(" 1 ", .reverse), Frame.Span(" Ja")], column: 1),
                                  Frame.Line("a界b", .bold)],
                          cursor: Frame.Position(row: 2, column: 5))
        let rows = FramePainter.rows(frame)
        XCTAssertEqual(rows.count, 4, "every row of the frame, the empty ones too")
        // A reverse run is black on light.
        XCTAssertEqual(rows[0].map { Character($0.scalar) }, Array(" 112    "))
        XCTAssertTrue(rows[0].allSatisfy { $0.background == RGB(0xF0, 0xF0, 0xF0) && $0.foreground == RGB(0, 0, 0) })
        // The row starts at its column; the key in reverse, the label plain.
        XCTAssertEqual(rows[1].map { Character($0.scalar) }, Array("  1  Ja"))
        XCTAssertEqual(rows[1][0].background, FramePainter.background)
        XCTAssertEqual(rows[1][2].background, RGB(0xF0, 0xF0, 0xF0))
        XCTAssertEqual(rows[1][5].foreground, RGB(0xF0, 0xF0, 0xF0))
        // Bold is its own colour, not grey; a wide character takes two cells; the cursor past the text is an
        // underlined blank.
        XCTAssertEqual(rows[2].first?.foreground, RGB(0xFF, 0xE0, 0x66))
        XCTAssertEqual(rows[2].map { Character($0.scalar) }, Array("a界 b  "))
        XCTAssertEqual(rows[2].firstIndex { $0.underline }, 5)
        XCTAssertEqual(rows[3], [])
    }

    func testNothingPastTheWidth() {
        let frame = Frame(width: 3, height: 1, lines: [Frame.Line("abcdef", column: 1)], cursor: nil)
        XCTAssertEqual(FramePainter.rows(frame)[0].map { Character($0.scalar) }, Array(" ab"))
    }

    /// Every screen the renderer draws at the size a 1920×1080 screen gets comes out as cells that fit it.
    func testARenderedScreenFitsTheGrid() {
        let texts = try! Texts.load(languages: ["sv", "en"], directory: nil)
        let renderer = ScreenRenderer(texts: texts, places: [], site: "S")
        let flow = PromptFlow(config: FlowConfig(languageTags: ["sv", "en"], places: [], idleTimeoutMillis: 90_000,
                                                 thanksMillis: 8000, staffPINHash: nil, ageGroup: nil), now: 0)
        let frame = renderer.render(flow, width: 53, height: 15, now: 0)
        let rows = FramePainter.rows(frame)
        XCTAssertEqual(rows.count, 15)
        XCTAssertTrue(rows.allSatisfy { $0.count <= 53 })
        XCTAssertTrue(String(String.UnicodeScalarView(rows[0].map(\.scalar))).contains("112"))
    }
}

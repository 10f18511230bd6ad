import XCTest
@testable import Display

final class CellSizeTests: XCTestCase {
    func testFullHDGetsCellsAtLeastSixtyFourPixelsHigh() {
        let c = CellSize.best(forScreenWidth: 1920, height: 1080)
        XCTAssertEqual(c, CellSize(fontWidth: 12, fontHeight: 24, scale: 3))
        XCTAssertGreaterThanOrEqual(c.height, 64)
        XCTAssertEqual(1920 / c.width, 53)
        XCTAssertEqual(1080 / c.height, 15)
    }

    func testSmallerScreensGetTheLargestSizeThatStillGivesFortyByFifteen() {
        // (width, height, cell height, columns, rows)
        let cases: [(Int, Int, Int, Int, Int)] = [
            (1024, 768, 48, 42, 16), (1280, 800, 48, 53, 16), (1280, 1024, 64, 40, 16),
            (800, 600, 40, 40, 15), (640, 480, 32, 40, 15), (1920, 1200, 72, 53, 16), (3840, 2160, 96, 80, 22),
        ]
        for (w, h, cellHeight, columns, rows) in cases {
            let c = CellSize.best(forScreenWidth: w, height: h)
            XCTAssertEqual(c.height, cellHeight, "\(w)×\(h): \(c)")
            XCTAssertEqual(w / c.width, columns, "\(w)×\(h): \(c)")
            XCTAssertEqual(h / c.height, rows, "\(w)×\(h): \(c)")
            // Nothing taller would still fit 40 × 15.
            for size in CellSize.terminusSizes {
                for scale in 1...CellSize.maximumScale where size.height * scale > c.height {
                    XCTAssertTrue(w / (size.width * scale) < 40 || h / (size.height * scale) < 15, "\(w)×\(h)")
                }
            }
        }
    }

    func testOfTwoEquallyTallCellsTheSharperOneIsChosen() {
        // 16x32 at scale 1 and 8x16 at scale 2 are both 32 high: the native one is sharper.
        let c = CellSize.best(forScreenWidth: 700, height: 500)
        XCTAssertEqual(c, CellSize(fontWidth: 16, fontHeight: 32, scale: 1))
    }

    func testATinyScreenGetsTheSmallestFontRatherThanNothing() {
        XCTAssertEqual(CellSize.best(forScreenWidth: 200, height: 100), CellSize(fontWidth: 8, fontHeight: 14, scale: 1))
    }

    func testFileNamesFollowConsoleSetup() {
        XCTAssertEqual(CellSize.terminusFile(width: 16, height: 32), "Uni2-TerminusBold32x16.psf.gz")
        XCTAssertEqual(CellSize.terminusFile(width: 8, height: 16), "Uni2-TerminusBold16.psf.gz")
    }
}

/// A small PSF 2 font made here: 4×3 glyphs; glyph 0 blank (`?` has none, so the fallback is glyph 0), glyph 1
/// a full block for "A" and "Å", glyph 2 a left column for "ä".
func makePSF2() -> [UInt8] {
    func u32(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
    var bytes = u32(0x864A_B572) + u32(0) + u32(32) + u32(1) + u32(3) + u32(3) + u32(3) + u32(4)
    bytes += [0, 0, 0] + [0xF0, 0xF0, 0xF0] + [0x80, 0x80, 0x80]
    bytes += [0xFF]                                       // glyph 0: nothing
    bytes += Array("A".utf8) + Array("Å".utf8) + [0xFF]   // glyph 1
    bytes += Array("ä".utf8) + [0xFE] + Array("a\u{308}".utf8) + [0xFF] // glyph 2, with a sequence to skip
    return bytes
}

final class PSFFontTests: XCTestCase {
    func testPSF2GlyphsAndUnicodeTable() throws {
        let font = try PSFFont(bytes: makePSF2())
        XCTAssertEqual(font.width, 4)
        XCTAssertEqual(font.height, 3)
        XCTAssertEqual(font.glyph(for: "A"), 1)
        XCTAssertEqual(font.glyph(for: "Å"), 1)
        XCTAssertEqual(font.glyph(for: "ä"), 2)
        XCTAssertFalse(font.covers("a"), "a code point only inside a sequence is not the glyph's own")
        XCTAssertEqual(font.glyph(for: "z"), 0)
        XCTAssertTrue(font.isSet(1, x: 3, y: 2))
        XCTAssertTrue(font.isSet(2, x: 0, y: 1))
        XCTAssertFalse(font.isSet(2, x: 1, y: 1))
    }

    func testPSF1() throws {
        var bytes: [UInt8] = [0x36, 0x04, 0x02, 2] // 256 glyphs, a table, 2 rows
        bytes += [UInt8](repeating: 0, count: 256 * 2)
        bytes[4 + 65 * 2] = 0xFF                       // glyph 65: top row full
        for g in 0..<256 {
            bytes += g == 65 ? [0x41, 0x00, 0xC5, 0x00, 0xFF, 0xFF] : [0xFF, 0xFF] // "A", "Å"
        }
        let font = try PSFFont(bytes: bytes)
        XCTAssertEqual(font.width, 8)
        XCTAssertEqual(font.glyph(for: "Å"), 65)
        XCTAssertTrue(font.isSet(65, x: 7, y: 0))
        XCTAssertFalse(font.isSet(65, x: 0, y: 1))
    }

    func testRefusesWhatIsNotAFont() {
        XCTAssertThrowsError(try PSFFont(bytes: Array("hello, world, this is text!!!!!!!".utf8))) {
            XCTAssertEqual($0 as? PSFFont.ParseError, .notAFont)
        }
        XCTAssertThrowsError(try PSFFont(bytes: Array(makePSF2().prefix(40)))) {
            XCTAssertEqual($0 as? PSFFont.ParseError, .truncated)
        }
    }

    /// The font the kiosk draws with at 1920×1080, where console-setup is installed: the Swedish letters and the
    /// box's punctuation have glyphs of their own.
    func testTerminusHasTheSwedishLetters() throws {
        let path = FontFile.consoleFonts + "/" + CellSize.terminusFile(width: 16, height: 32)
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(path) is not installed (console-setup-linux)") }
        let font = try FontFile.load(path)
        XCTAssertEqual(font.width, 16)
        XCTAssertEqual(font.height, 32)
        for ch in "åäöÅÄÖéü»«…–·112" { XCTAssertTrue(font.covers(ch.unicodeScalars.first!), "\(ch)") }
    }

    func testLoadNamesTheFileThatFails() {
        XCTAssertThrowsError(try FontFile.load("/nonexistent/x.psf.gz")) {
            XCTAssertTrue("\($0)".hasPrefix("/nonexistent/x.psf.gz: "), "\($0)")
        }
    }
}

final class RowPainterTests: XCTestCase {
    func testGlyphsAreScaledIntoTheirCellsInTheirColours() throws {
        let font = try PSFFont(bytes: makePSF2())
        let painter = RowPainter(font: font, cell: CellSize(fontWidth: 4, fontHeight: 3, scale: 2),
                                 format: .xrgb8888, pixelWidth: 20)
        XCTAssertEqual(painter.columns, 2)
        let white = RGB(255, 255, 255), black = RGB(0, 0, 0), blue = RGB(0, 0, 200)
        let band = painter.paint([Cell("ä", foreground: white, background: black),
                                  Cell("A", foreground: black, background: white),
                                  Cell("A", foreground: white, background: black)], background: blue)
        XCTAssertEqual(band.count, 20 * 4 * 6)
        func pixel(_ x: Int, _ y: Int) -> UInt32 {
            let at = (y * 20 + x) * 4
            return UInt32(band[at]) | UInt32(band[at + 1]) << 8 | UInt32(band[at + 2]) << 16
        }
        // "ä": its left font column, two screen pixels wide, is set; the rest of the cell is background.
        XCTAssertEqual(pixel(0, 0), 0xFFFFFF)
        XCTAssertEqual(pixel(1, 5), 0xFFFFFF)
        XCTAssertEqual(pixel(2, 0), 0x000000)
        // "A" in reverse: a full block of the foreground (black).
        XCTAssertEqual(pixel(8, 0), 0x000000)
        XCTAssertEqual(pixel(15, 5), 0x000000)
        // The third cell does not fit (2 columns); the rest of the row is the row's background.
        XCTAssertEqual(pixel(16, 0), 0x0000C8)
        XCTAssertEqual(pixel(19, 5), 0x0000C8)
    }

    func testUnderlineAndSixteenBitPixels() throws {
        let font = try PSFFont(bytes: makePSF2())
        let painter = RowPainter(font: font, cell: CellSize(fontWidth: 4, fontHeight: 3, scale: 1),
                                 format: .rgb565, pixelWidth: 4)
        let band = painter.paint([Cell("x", foreground: RGB(255, 255, 255), background: RGB(0, 0, 0), underline: true)],
                                 background: RGB(0, 0, 0))
        XCTAssertEqual(band.count, 4 * 2 * 3)
        XCTAssertEqual(band[0], 0)                      // top row: blank glyph
        XCTAssertEqual(Array(band[16..<18]), [0xFF, 0xFF]) // the cell's foot: underlined in white (565)
    }

    func testPixelFormatValues() {
        XCTAssertEqual(PixelFormat.xrgb8888.value(RGB(0x12, 0x34, 0x56)), 0x123456)
        XCTAssertEqual(PixelFormat.rgb565.value(RGB(255, 0, 0)), 0xF800)
        XCTAssertEqual(PixelFormat.rgb565.value(RGB(0, 255, 0)), 0x07E0)
    }
}

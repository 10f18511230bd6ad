import Display

/// A frame as rows of cells for the framebuffer display (`Display.Framebuffer`): each style in its colours,
/// reverse lines across the whole width (as `FrameWriter` draws them on a terminal), a character as wide as two
/// columns followed by a blank cell, and the cursor as an underline. Pure.
///
/// The colours are for a senior at a distance: light text on black, bold text in yellow, reverse black on
/// white. Never grey on grey.
public enum FramePainter {
    public static let background = RGB(0, 0, 0)
    static let plain = (foreground: RGB(0xF0, 0xF0, 0xF0), background: background)
    static let bold = (foreground: RGB(0xFF, 0xE0, 0x66), background: background)
    static let reverse = (foreground: RGB(0, 0, 0), background: RGB(0xF0, 0xF0, 0xF0))

    static func colours(_ style: Frame.Style) -> (foreground: RGB, background: RGB) {
        switch style {
        case .plain: plain
        case .bold: bold
        case .reverse: reverse
        }
    }

    /// The cells of every row of `frame`, `frame.height` rows of at most `frame.width` cells.
    public static func rows(_ frame: Frame) -> [[Cell]] {
        var rows: [[Cell]] = []
        rows.reserveCapacity(frame.height)
        for (index, line) in frame.lines.prefix(frame.height).enumerated() {
            let c = colours(line.style)
            var cells: [Cell] = []
            cells.reserveCapacity(frame.width)
            for ch in line.text {
                let w = DisplayWidth.of(ch)
                guard w > 0, let scalar = ch.unicodeScalars.first, cells.count + w <= frame.width else { continue }
                cells.append(Cell(scalar, foreground: c.foreground, background: c.background))
                if w == 2 { cells.append(Cell(" ", foreground: c.foreground, background: c.background)) }
            }
            if line.style == .reverse {
                while cells.count < frame.width { cells.append(Cell(" ", foreground: c.foreground, background: c.background)) }
            }
            if let cursor = frame.cursor, cursor.row == index, cursor.column < frame.width {
                while cells.count <= cursor.column { cells.append(Cell(" ", foreground: c.foreground, background: c.background)) }
                cells[cursor.column].underline = true
            }
            rows.append(cells)
        }
        while rows.count < frame.height { rows.append([]) }
        return rows
    }
}

/// One character cell to draw: what, and in which colours.
public struct Cell: Sendable, Equatable {
    public var scalar: Unicode.Scalar
    public var foreground: RGB
    public var background: RGB
    /// Underlined (the input cursor).
    public var underline: Bool

    public init(_ scalar: Unicode.Scalar, foreground: RGB, background: RGB, underline: Bool = false) {
        self.scalar = scalar
        self.foreground = foreground
        self.background = background
        self.underline = underline
    }
}

/// Draws one row of cells into the pixels of a band as wide as the screen and one cell high. Pure: the band is a
/// byte array in the framebuffer's pixel format, `stride` bytes a line; `Framebuffer` copies it onto the screen.
public struct RowPainter: Sendable {
    public let font: PSFFont
    public let cell: CellSize
    public let format: PixelFormat
    /// The screen's width in pixels, and the bytes of one line of the band.
    public let pixelWidth: Int
    public var stride: Int { pixelWidth * format.bytesPerPixel }
    /// How many cells fit across the screen.
    public var columns: Int { pixelWidth / cell.width }

    public init(font: PSFFont, cell: CellSize, format: PixelFormat, pixelWidth: Int) {
        self.font = font
        self.cell = cell
        self.format = format
        self.pixelWidth = pixelWidth
    }

    /// The band's bytes for `cells`, from the left edge; the rest of the row is `background`.
    public func paint(_ cells: [Cell], background: RGB) -> [UInt8] {
        let bpp = format.bytesPerPixel
        var band = [UInt8](repeating: 0, count: stride * cell.height)
        band.withUnsafeMutableBytes { raw in
            @inline(__always) func put(_ x: Int, _ y: Int, _ value: UInt32) {
                let at = y * stride + x * bpp
                if bpp == 4 { raw.storeBytes(of: value.littleEndian, toByteOffset: at, as: UInt32.self) }
                else if bpp == 2 { raw.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: at, as: UInt16.self) }
                else { for k in 0..<bpp { raw[at + k] = UInt8(truncatingIfNeeded: value >> UInt32(8 * k)) } }
            }
            let fill = format.value(background)
            for y in 0..<cell.height { for x in 0..<pixelWidth { put(x, y, fill) } }
            let scale = cell.scale
            for (column, c) in cells.prefix(columns).enumerated() {
                let fg = format.value(c.foreground), bg = format.value(c.background)
                let glyph = font.glyph(for: c.scalar)
                let left = column * cell.width
                for fy in 0..<font.height {
                    for fx in 0..<font.width {
                        let v = font.isSet(glyph, x: fx, y: fy) ? fg : bg
                        for sy in 0..<scale { for sx in 0..<scale { put(left + fx * scale + sx, fy * scale + sy, v) } }
                    }
                }
                if c.underline {
                    // Two font pixels high at the foot of the cell: plain to see, also on a glyph's descender.
                    for y in max(0, cell.height - 2 * scale)..<cell.height {
                        for x in left..<(left + cell.width) { put(x, y, fg) }
                    }
                }
            }
        }
        return band
    }
}

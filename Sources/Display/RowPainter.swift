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
    ///
    /// Each font row of a glyph is drawn once, on the band's first line of that row; its other `scale - 1`
    /// lines are copies of it.
    public func paint(_ cells: [Cell], background: RGB) -> [UInt8] {
        let bpp = format.bytesPerPixel
        let stride = self.stride
        var band = [UInt8](repeating: 0, count: stride * cell.height)
        band.withUnsafeMutableBytes { raw in
            @inline(__always) func put(_ x: Int, _ y: Int, _ value: UInt32) {
                let at = y * stride + x * bpp
                if bpp == 4 { raw.storeBytes(of: value.littleEndian, toByteOffset: at, as: UInt32.self) }
                else if bpp == 2 { raw.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: at, as: UInt16.self) }
                else { for k in 0..<bpp { raw[at + k] = UInt8(truncatingIfNeeded: value >> UInt32(8 * k)) } }
            }
            let drawn = min(cells.count, columns)
            let scale = cell.scale
            for (column, c) in cells.prefix(drawn).enumerated() {
                let fg = format.value(c.foreground), bg = format.value(c.background)
                let glyph = font.glyph(for: c.scalar)
                let left = column * cell.width
                for fy in 0..<font.height {
                    let y = fy * scale
                    for fx in 0..<font.width {
                        let v = font.isSet(glyph, x: fx, y: fy) ? fg : bg
                        for sx in 0..<scale { put(left + fx * scale + sx, y, v) }
                    }
                }
                if c.underline {
                    // Two font pixels high at the foot of the cell: plain to see, also on a glyph's descender.
                    for y in Swift.stride(from: max(0, cell.height - 2 * scale), to: cell.height, by: scale) {
                        for x in left..<(left + cell.width) { put(x, y, fg) }
                    }
                }
            }
            // The rest of the row, right of the cells, in the row's background.
            let fill = format.value(background)
            for fy in 0..<font.height { for x in (drawn * cell.width)..<pixelWidth { put(x, fy * scale, fill) } }
            // Each drawn line, `scale - 1` times again below itself.
            if scale > 1, let base = raw.baseAddress {
                for fy in 0..<font.height {
                    let first = base + fy * scale * stride
                    for sy in 1..<scale { (first + sy * stride).copyMemory(from: first, byteCount: stride) }
                }
            }
        }
        return band
    }
}

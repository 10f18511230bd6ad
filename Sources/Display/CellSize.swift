/// The size of a character cell on the kiosk's screen, and how it is chosen. Pure.
///
/// A senior reads the screen standing, an arm's length or more away: the cell is as large as the screen allows
/// while the prompt still gets the columns and rows it is laid out for (`minimumColumns` × `minimumRows`). The
/// glyphs are one of Terminus Bold's bitmap sizes, drawn at a whole multiple (each font pixel a square of
/// `scale` × `scale` screen pixels, at most `maximumScale`), so they stay sharp.
public struct CellSize: Sendable, Equatable, CustomStringConvertible {
    /// The font's own glyph size.
    public var fontWidth: Int
    public var fontHeight: Int
    /// Each font pixel is drawn as `scale` × `scale` screen pixels.
    public var scale: Int

    public init(fontWidth: Int, fontHeight: Int, scale: Int) {
        self.fontWidth = fontWidth
        self.fontHeight = fontHeight
        self.scale = scale
    }

    public var width: Int { fontWidth * scale }
    public var height: Int { fontHeight * scale }
    public var description: String { "\(width)×\(height) (Terminus \(fontHeight)x\(fontWidth) ×\(scale))" }

    /// The prompt's screens are laid out for at least this many columns and rows (docs/CONTRACT.md §6).
    public static let minimumColumns = 40
    public static let minimumRows = 15

    /// Past three screen pixels to a font pixel the steps show: a screen that large gets more room instead.
    public static let maximumScale = 3

    /// Terminus Bold's sizes in console-setup (`Uni2-TerminusBold<H>x<W>.psf.gz`; 14 and 16 are 8 wide), as
    /// (width, height).
    public static let terminusSizes: [(width: Int, height: Int)] =
        [(8, 14), (8, 16), (10, 18), (10, 20), (11, 22), (12, 24), (14, 28), (16, 32)]

    /// The font file of a Terminus size, in console-setup's naming.
    public static func terminusFile(width: Int, height: Int) -> String {
        width == 8 ? "Uni2-TerminusBold\(height).psf.gz" : "Uni2-TerminusBold\(height)x\(width).psf.gz"
    }

    /// The largest cell for a screen of `width` × `height` pixels that still gives `minimumColumns` ×
    /// `minimumRows`: the tallest cell first; of two cells as tall, the one drawn at the smaller scale (sharper).
    /// A screen too small for even the smallest size gets the smallest size at scale 1.
    public static func best(forScreenWidth width: Int, height: Int,
                            sizes: [(width: Int, height: Int)] = terminusSizes) -> CellSize {
        var best: CellSize?
        for size in sizes {
            for scale in 1...maximumScale {
                let c = CellSize(fontWidth: size.width, fontHeight: size.height, scale: scale)
                guard width / c.width >= minimumColumns, height / c.height >= minimumRows else { continue }
                if let b = best, (b.height, -b.scale) >= (c.height, -c.scale) { continue }
                best = c
            }
        }
        let smallest = sizes.min { $0.height < $1.height } ?? (8, 16)
        return best ?? CellSize(fontWidth: smallest.width, fontHeight: smallest.height, scale: 1)
    }
}

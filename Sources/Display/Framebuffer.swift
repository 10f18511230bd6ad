import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// The kiosk's screen drawn directly: the Linux framebuffer (`/dev/fb0`, which every DRM driver offers its
/// console), with the console's virtual terminal switched to graphics so that the kernel draws nothing over it.
///
/// Why not the kernel's console font: Debian 12's kernel (6.1) refuses console glyphs taller than 32 pixels,
/// and a senior standing at a 1920×1080 screen needs about 64 (docs/HARDWARE.md). The prompt's frames are the
/// same either way; here each row that changed is painted (`RowPainter`) and copied onto the screen.
///
/// Keys still come from the terminal, and the text is still written to it, so `/dev/vcsu1` reads back what the
/// visitor sees. `close()` (and a restart of the unit, through systemd's `TTYReset=`) gives the console back.
public final class Framebuffer {
    public let painter: RowPainter
    public let pixelHeight: Int
    public let rows: Int
    public var columns: Int { painter.columns }
    public let devicePath: String
    let fd: Int32
    let console: Int32
    let memory: UnsafeMutableRawPointer
    let mappedLength: Int
    let lineLength: Int
    /// Where the screen's first line starts in the mapped memory (a panned framebuffer's offsets).
    let panOffset: Int
    /// The first pixel line of the grid: the rows sit centred between the top and the bottom of the screen (the
    /// bands are the screen's whole width).
    let originY: Int
    var shown: [[Cell]?]

    public struct OpenError: Error, CustomStringConvertible, Sendable {
        public let reason: String
        public var description: String { reason }
    }

    /// Whether `fd` is a Linux virtual console (not a pty, not a serial line).
    public static func isVirtualConsole(_ fd: Int32) -> Bool {
        var mode: Int32 = 0
        return ioctl(fd, UInt(KDGETMODE), &mode) == 0
    }

    /// Takes over the screen of the virtual console `console` through `device`, with the largest Terminus size
    /// that still gives 40 × 15 cells (`CellSize.best`), from `fontFolder`.
    public init(console: Int32, device: String = "/dev/fb0",
                fontFolder: String = FontFile.consoleFonts) throws(OpenError) {
        guard Self.isVirtualConsole(console) else { throw OpenError(reason: "the terminal is not a virtual console") }
        let fd = open(device, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw OpenError(reason: "\(device): \(String(cString: strerror(errno)))") }
        var v = fb_var_screeninfo()
        var f = fb_fix_screeninfo()
        guard ioctl(fd, UInt(FBIOGET_VSCREENINFO), &v) == 0, ioctl(fd, UInt(FBIOGET_FSCREENINFO), &f) == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw OpenError(reason: "\(device): not a framebuffer (\(why))")
        }
        let bpp = Int(v.bits_per_pixel)
        guard f.type == UInt32(FB_TYPE_PACKED_PIXELS), f.visual == UInt32(FB_VISUAL_TRUECOLOR), bpp == 16 || bpp == 32 else {
            Glibc.close(fd)
            throw OpenError(reason: "\(device): \(bpp)-bit pixels of type \(f.type)/\(f.visual) are not supported (16 or 32-bit true colour)")
        }
        let format = PixelFormat(bytesPerPixel: bpp / 8,
                                 red: (Int(v.red.offset), Int(v.red.length)),
                                 green: (Int(v.green.offset), Int(v.green.length)),
                                 blue: (Int(v.blue.offset), Int(v.blue.length)))
        let width = Int(v.xres), height = Int(v.yres)
        let cell = CellSize.best(forScreenWidth: width, height: height)
        let font: PSFFont
        let fontPath = fontFolder + "/" + CellSize.terminusFile(width: cell.fontWidth, height: cell.fontHeight)
        do {
            font = try FontFile.load(fontPath)
        } catch {
            Glibc.close(fd)
            throw OpenError(reason: "no console font: \(error) (install console-setup-linux)")
        }
        // The cell, and so every band painted, is sized from the file's name: glyphs of another size would be
        // painted past it.
        guard font.width == cell.fontWidth, font.height == cell.fontHeight else {
            Glibc.close(fd)
            throw OpenError(reason: "\(fontPath): its glyphs are \(font.width)×\(font.height) pixels, not the \(cell.fontWidth)×\(cell.fontHeight) its name says")
        }
        let length = Int(f.smem_len)
        guard let memory = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), memory != MAP_FAILED else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw OpenError(reason: "\(device): cannot map it (\(why))")
        }
        guard tipskiosk_set_console_mode(console, Int32(KD_GRAPHICS)) == 0 else {
            let why = String(cString: strerror(errno))
            munmap(memory, length)
            Glibc.close(fd)
            throw OpenError(reason: "cannot switch the console to graphics (\(why))")
        }
        self.fd = fd
        self.console = console
        self.memory = memory
        self.mappedLength = length
        self.devicePath = device
        self.lineLength = Int(f.line_length)
        self.painter = RowPainter(font: font, cell: cell, format: format, pixelWidth: width)
        self.pixelHeight = height
        self.rows = height / cell.height
        self.panOffset = Int(v.yoffset) * Int(f.line_length) + Int(v.xoffset) * (bpp / 8)
        self.originY = (height - rows * cell.height) / 2
        self.shown = Array(repeating: nil, count: rows)
        // The first screen: all background (what lies outside the grid stays so).
        clear(RGB(0, 0, 0))
    }

    /// A line for the log: the mode and the cells.
    public var summary: String {
        "\(devicePath) \(painter.pixelWidth)×\(pixelHeight), \(columns)×\(rows) cells of \(painter.cell)"
    }

    /// Forgets what is on the screen: the next `draw` of each row paints it (after a resize, an output stall, or
    /// anything else that may have drawn on the framebuffer).
    public func invalidate() { shown = Array(repeating: nil, count: rows) }

    /// Fills the whole screen with `colour` and forgets what was drawn.
    public func clear(_ colour: RGB) {
        let band = painter.paint([], background: colour)
        for y in 0..<pixelHeight {
            let line = y % painter.cell.height
            copy(band, line: line, toScreenLine: y)
        }
        shown = Array(repeating: nil, count: rows)
    }

    /// Draws row `row` (cells from the left; the rest of the row in `background`) unless it is on screen already.
    public func draw(row: Int, cells: [Cell], background: RGB) {
        guard row >= 0, row < rows, shown[row] != cells else { return }
        let band = painter.paint(cells, background: background)
        let top = originY + row * painter.cell.height
        for line in 0..<painter.cell.height { copy(band, line: line, toScreenLine: top + line) }
        shown[row] = cells
    }

    func copy(_ band: [UInt8], line: Int, toScreenLine y: Int) {
        let stride = painter.stride
        let at = panOffset + y * lineLength
        let count = min(stride, lineLength)
        guard y < pixelHeight, at + count <= mappedLength else { return }
        band.withUnsafeBytes { src in
            (memory + at).copyMemory(from: src.baseAddress! + line * stride, byteCount: count)
        }
    }

    /// Blanks the screen and gives the console back to the kernel's text drawing.
    public func close() {
        clear(RGB(0, 0, 0))
        _ = tipskiosk_set_console_mode(console, Int32(KD_TEXT))
        munmap(memory, mappedLength)
        Glibc.close(fd)
    }
}

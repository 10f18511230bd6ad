/// A colour, 8 bits a channel.
public struct RGB: Sendable, Equatable, Hashable {
    public var red: UInt8, green: UInt8, blue: UInt8
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// How a framebuffer stores a pixel: its size and where each channel's bits are (`fb_var_screeninfo`). Pure.
public struct PixelFormat: Sendable, Equatable {
    public var bytesPerPixel: Int
    public var red: (offset: Int, length: Int)
    public var green: (offset: Int, length: Int)
    public var blue: (offset: Int, length: Int)

    public init(bytesPerPixel: Int, red: (Int, Int), green: (Int, Int), blue: (Int, Int)) {
        self.bytesPerPixel = bytesPerPixel
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// 32 bits, XRGB8888: what DRM drivers offer their console (bochs, i915, amdgpu, virtio).
    public static let xrgb8888 = PixelFormat(bytesPerPixel: 4, red: (16, 8), green: (8, 8), blue: (0, 8))
    /// 16 bits, RGB565: a Raspberry Pi's framebuffer in its default depth.
    public static let rgb565 = PixelFormat(bytesPerPixel: 2, red: (11, 5), green: (5, 6), blue: (0, 5))

    /// The value a pixel of `colour` has in this format.
    public func value(_ colour: RGB) -> UInt32 {
        func channel(_ v: UInt8, _ field: (offset: Int, length: Int)) -> UInt32 {
            guard field.length > 0 else { return 0 }
            return (UInt32(v) >> UInt32(max(0, 8 - field.length))) << UInt32(field.offset)
        }
        return channel(colour.red, red) | channel(colour.green, green) | channel(colour.blue, blue)
    }

    public static func == (a: PixelFormat, b: PixelFormat) -> Bool {
        a.bytesPerPixel == b.bytesPerPixel && a.red == b.red && a.green == b.green && a.blue == b.blue
    }
}

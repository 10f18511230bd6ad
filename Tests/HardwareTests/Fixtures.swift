import Foundation
import Glibc
import Testing
import TestSupport

/// A fake `/sys/class/leds/tips` in a temporary folder.
final class FakeLED: @unchecked Sendable {
    let dir = TempDir("leds")
    var root: String { dir.path }
    var folder: String { dir.file("tips") }

    init(triggers: String, maxBrightness: String = "255") throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try set("trigger", triggers)
        try set("max_brightness", maxBrightness)
        try set("brightness", "0")
        try set("delay_on", "500")
        try set("delay_off", "500")
    }

    func set(_ file: String, _ value: String) throws {
        try Data((value + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/" + file))
    }

    func value(_ file: String) -> String {
        ((try? String(contentsOfFile: folder + "/" + file, encoding: .utf8)) ?? "<missing>")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var trigger: String { value("trigger") }
    var brightness: String { value("brightness") }
    var delayOn: String { value("delay_on") }
    var delayOff: String { value("delay_off") }
}

/// A FIFO with a reader that never reads unless asked: a device that takes bytes, or (`full`) one that is stuck,
/// its pipe filled so that every write gets EAGAIN.
final class ReaderFIFO: @unchecked Sendable {
    let path: String
    private let reader: Int32
    private var filler: Int32 = -1

    init(in dir: TempDir, full: Bool = false) throws {
        path = dir.file("fifo")
        #expect(mkfifo(path, 0o600) == 0)
        reader = open(path, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        guard full else { return }
        filler = open(path, O_WRONLY | O_NONBLOCK)
        #expect(filler >= 0)
        let chunk = [UInt8](repeating: 0x2E, count: 4096)
        while write(filler, chunk, chunk.count) > 0 {}
        #expect(errno == EAGAIN)
    }

    deinit {
        close(reader)
        if filler >= 0 { close(filler) }
    }

    /// What is in the pipe now (up to 4 KiB).
    func read() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = Glibc.read(reader, &buffer, buffer.count)
        return Array(buffer[0..<max(0, n)])
    }
}

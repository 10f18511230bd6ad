import Glibc
import KioskLog

/// The status light through the Linux LED class: the files `brightness`, `trigger`, and (for blinking, with the
/// kernel's `timer` trigger) `delay_on` and `delay_off` in `<leds_root>/<name>/`.
///
/// Writes only when the state changes. Blinking is the kernel's: the process does nothing while the light
/// blinks, and it goes on blinking if the process hangs. Without the `timer` trigger (not built into the
/// kernel, or the module not loaded) it says so once in the log and shows steady instead. A write that fails
/// (the udev rule has not made a new file writable yet) is logged once and tried again at the next `show`.
/// Not `Sendable`: use it from one thread.
public final class LEDClassLight {
    /// `<leds_root>/<name>`.
    public let folder: String
    /// The state last written completely; nil before the first `show` (or after one that failed).
    public private(set) var shown: StatusLight.State?
    /// Whether the LED offers the kernel's `timer` trigger (read from `trigger` when opened).
    public let hasTimerTrigger: Bool
    private let maxBrightness: String
    private var toldNoTimer = false
    private var toldFailure: StatusLight.State?

    /// The LED whose sysfs folder is `folder` (`[hardware]`'s `statusLEDFolder`, `<leds_root>/<status_led>`).
    /// Reads `trigger` and `max_brightness`; writes nothing yet.
    public init(folder: String) {
        self.folder = folder
        let triggers = Self.read(folder + "/trigger") ?? ""
        hasTimerTrigger = Self.triggerNames(triggers).contains("timer")
        let max = (Self.read(folder + "/max_brightness") ?? "").filter { $0 != " " && $0 != "\n" }
        maxBrightness = Int(max).map { $0 > 0 ? String($0) : "1" } ?? "1"
    }

    /// The trigger names in the text of a `trigger` file (the one in force is in brackets: `none [timer]`).
    public static func triggerNames(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { word in
            String(word.drop(while: { $0 == "[" }).prefix(while: { $0 != "]" }))
        }
    }

    /// Shows `state`, writing the files only when it differs from what is shown.
    public func show(_ wanted: StatusLight.State) {
        var state = wanted
        if state.blinkMillis != nil && !hasTimerTrigger {
            if !toldNoTimer {
                Log.warning("status light \(folder): the kernel's timer trigger is not available (modprobe ledtrig-timer); showing steady instead of blinking")
                toldNoTimer = true
            }
            state = .steady
        }
        guard state != shown else { return }
        var writes: [(String, String)]
        switch state {
        case .off: writes = [("trigger", "none"), ("brightness", "0")]
        case .steady: writes = [("trigger", "none"), ("brightness", maxBrightness)]
        case .slowBlink, .fastBlink:
            let (on, off) = state.blinkMillis!
            writes = [("trigger", "timer"), ("delay_on", String(on)), ("delay_off", String(off))]
        }
        for (file, value) in writes {
            let error = Self.write(folder + "/" + file, value + "\n")
            if error != 0 {
                if toldFailure != state {
                    Log.warning("status light: cannot write \(value) to \(folder)/\(file) (\(String(cString: strerror(error)))); trying again at the next change of status")
                    toldFailure = state
                }
                shown = nil
                return
            }
        }
        toldFailure = nil
        shown = state
    }

    /// Writes `text` to a sysfs attribute (or, in tests, a plain file); 0 or the errno.
    static func write(_ path: String, _ text: String) -> Int32 {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        return n == bytes.count ? 0 : (n < 0 ? errno : EIO)
    }

    /// A small file's text, nil when it cannot be read.
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = Glibc.read(fd, &buffer, buffer.count)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}

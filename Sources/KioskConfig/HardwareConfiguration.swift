#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ReportModel
#if canImport(Glibc)
import Glibc
#endif

extension Configuration {
    /// The `[hardware]` table (docs/CONTRACT.md §2, docs/HARDWARE.md): a status light, a hardware watchdog and a
    /// receipt printer, each off unless its key is set (an empty string is "not set" too).
    public struct Hardware: Sendable, Equatable {
        /// `leds_root`: the folder of the Linux LED class.
        public var ledsRoot: String
        /// `status_led`: the name of the status light's LED under `ledsRoot` (the gateway drives it); nil: none.
        public var statusLED: String?
        /// `watchdog`: the hardware watchdog device the gateway opens and pets; nil: none.
        public var watchdog: String?
        /// `watchdog_timeout_s`: the timeout to ask the watchdog's driver for; nil: the driver's own.
        public var watchdogTimeoutSeconds: Int?
        /// `receipt_printer`: the ESC/POS printer (or file) the prompt prints a receipt on after each tip; nil: none.
        public var receiptPrinter: String?

        /// `leds_root` when the file does not set it.
        public static let defaultLEDsRoot = "/sys/class/leds"

        /// Every part off.
        public init(ledsRoot: String = defaultLEDsRoot, statusLED: String? = nil, watchdog: String? = nil,
                    watchdogTimeoutSeconds: Int? = nil, receiptPrinter: String? = nil) {
            self.ledsRoot = ledsRoot
            self.statusLED = statusLED
            self.watchdog = watchdog
            self.watchdogTimeoutSeconds = watchdogTimeoutSeconds
            self.receiptPrinter = receiptPrinter
        }

        /// The status light's folder, `<leds_root>/<status_led>`; nil when there is no status light.
        public var statusLEDFolder: String? { statusLED.map { ledsRoot.hasSuffix("/") ? ledsRoot + $0 : ledsRoot + "/" + $0 } }

        /// The parts that are on, for `check-config` (e.g. "status light /sys/class/leds/tips, receipt printer
        /// /dev/usb/lp0"); nil when none is.
        public var summary: String? {
            var parts: [String] = []
            if let folder = statusLEDFolder { parts.append("status light \(folder)") }
            if let watchdog {
                parts.append("hardware watchdog \(watchdog)" + (watchdogTimeoutSeconds.map { " (\($0) s)" } ?? ""))
            }
            if let receiptPrinter { parts.append("receipt printer \(receiptPrinter)") }
            return parts.isEmpty ? nil : parts.joined(separator: ", ")
        }

        /// The keys of the table.
        static let keys: Set<String> = ["leds_root", "status_led", "watchdog", "watchdog_timeout_s", "receipt_printer"]
    }
}

extension Reader {
    /// The `[hardware]` table. With `checkFiles`, a device or LED that is not there (yet) or cannot be written is
    /// a note for `check-config`, not an error: a USB printer may be unplugged, and the daemons say it again.
    mutating func hardware(baseDir: String) -> Configuration.Hardware {
        var h = Configuration.Hardware()
        h.ledsRoot = path("hardware", "leds_root", baseDir: baseDir) ?? Configuration.Hardware.defaultLEDsRoot
        h.statusLED = string("hardware", "status_led", check: { name in
            name.isEmpty || (name != "." && name != ".." && !name.contains("/"))
                ? nil : "must be the name of one LED under leds_root (as in ls \(Configuration.Hardware.defaultLEDsRoot)), not a path"
        }).flatMap { $0.isEmpty ? nil : $0 }
        h.watchdog = path("hardware", "watchdog", baseDir: baseDir)
        h.watchdogTimeoutSeconds = int("hardware", "watchdog_timeout_s", range: 5...3600,
                                       hint: "the box is reset when the gateway has not petted the watchdog for this long")
        if h.watchdogTimeoutSeconds != nil && h.watchdog == nil && !errors.contains(where: { $0.key == "hardware.watchdog" }) {
            fail("hardware", "watchdog_timeout_s", "is set, but watchdog is not (set watchdog = \"/dev/watchdog\")")
        }
        h.receiptPrinter = path("hardware", "receipt_printer", baseDir: baseDir)
        guard checkFiles else { return h }

        if let folder = h.statusLEDFolder {
            let brightness = folder + "/brightness"
            if !FileManager.default.fileExists(atPath: brightness) {
                note("hardware", "status_led", "\(folder) is not an LED (no brightness file there): the gateway shows no status light")
            } else if access(brightness, W_OK) != 0 || access(folder + "/trigger", W_OK) != 0 {
                note("hardware", "status_led", "\(folder)/brightness or trigger cannot be written by this user; the gateway's user needs it (hardware/udev/)")
            } else if let triggers = try? String(contentsOfFile: folder + "/trigger", encoding: .utf8),
                      !triggers.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains(where: { $0.trimming(where: { $0 == "[" || $0 == "]" }) == "timer" }) {
                note("hardware", "status_led", "the kernel's timer trigger is not available for \(folder) (modprobe ledtrig-timer): the light shows steady instead of blinking")
            }
        }
        for (key, device) in [("watchdog", h.watchdog), ("receipt_printer", h.receiptPrinter)] {
            guard let device else { continue }
            if !FileManager.default.fileExists(atPath: device) {
                note("hardware", key, "\(device) does not exist (now)" + (key == "watchdog"
                    ? ": the gateway runs without a hardware watchdog" : ": no receipts are printed until it is there"))
            } else if access(device, W_OK) != 0 {
                note("hardware", key, "\(device) cannot be written by this user; the \(key == "watchdog" ? "gateway" : "prompt")'s user needs it (hardware/udev/)")
            }
        }
        return h
    }
}

import Foundation
import KioskConfig
import Testing
import TestSupport

@Suite struct HardwareConfigTests {
    static let base = """
        [kiosk]
        id = "k1"
        site = "Testgården"

        [mqtt]
        host = "127.0.0.1"

        """

    static func parse(_ hardware: String, checkFiles: Bool = false, path: String = "/etc/tipskiosk/tipskiosk.toml") throws(ConfigErrors) -> Configuration {
        try Configuration.parse(text: base + hardware, path: path, checkFiles: checkFiles)
    }

    static func errors(_ hardware: String) -> [String] {
        do {
            _ = try parse(hardware)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func everyPartIsOffByDefault() throws {
        let c = try Self.parse("")
        #expect(c.hardware == Configuration.Hardware())
        #expect(c.hardware.ledsRoot == "/sys/class/leds")
        #expect(c.hardware.statusLED == nil && c.hardware.watchdog == nil && c.hardware.receiptPrinter == nil)
        #expect(c.hardware.watchdogTimeoutSeconds == nil)
        #expect(c.hardware.summary == nil)
        // Empty strings are "not set" too.
        let empty = try Self.parse("[hardware]\nstatus_led = \"\"\nwatchdog = \"\"\nreceipt_printer = \"\"\n")
        #expect(empty.hardware == Configuration.Hardware())
        #expect(empty.warnings.isEmpty)
    }

    @Test func theKeysAreRead() throws {
        let c = try Self.parse("""
            [hardware]
            leds_root = "leds"
            status_led = "tipskiosk:green"
            watchdog = "/dev/watchdog"
            watchdog_timeout_s = 15
            receipt_printer = "/dev/usb/lp0"
            """)
        #expect(c.warnings.isEmpty, "\(c.warnings)")
        #expect(c.hardware.ledsRoot == "/etc/tipskiosk/leds", "relative to the file's folder")
        #expect(c.hardware.statusLEDFolder == "/etc/tipskiosk/leds/tipskiosk:green")
        #expect(c.hardware.watchdog == "/dev/watchdog")
        #expect(c.hardware.watchdogTimeoutSeconds == 15)
        #expect(c.hardware.receiptPrinter == "/dev/usb/lp0")
        #expect(c.hardware.summary == "status light /etc/tipskiosk/leds/tipskiosk:green, hardware watchdog /dev/watchdog (15 s), receipt printer /dev/usb/lp0")
    }

    @Test func problemsNameFileLineAndKey() {
        let file = "/etc/tipskiosk/tipskiosk.toml"
        #expect(Self.errors("[hardware]\nstatus_led = \"../x\"\n")
            == ["\(file):8: hardware.status_led: must be the name of one LED under leds_root (as in ls /sys/class/leds), not a path"])
        #expect(Self.errors("[hardware]\nwatchdog = \"/dev/watchdog\"\nwatchdog_timeout_s = 2\n")
            == ["\(file):9: hardware.watchdog_timeout_s: must be between 5 and 3600, not 2 (the box is reset when the gateway has not petted the watchdog for this long)"])
        #expect(Self.errors("[hardware]\nwatchdog_timeout_s = 15\n")
            == ["\(file):8: hardware.watchdog_timeout_s: is set, but watchdog is not (set watchdog = \"/dev/watchdog\")"])
        #expect(Self.errors("[hardware]\nreceipt_printer = 1\n")
            == ["\(file):8: hardware.receipt_printer: must be a string in quotes, not an integer"])
        #expect(Self.errors("[hardware]\nwatchdog = true\nwatchdog_timeout_s = 15\n")
            == ["\(file):8: hardware.watchdog: must be a string in quotes, not true or false"])
    }

    @Test func anUnknownKeyIsAWarning() throws {
        let c = try Self.parse("[hardware]\nstatus_light = \"x\"\n")
        #expect(c.warnings.map(\.description) == ["/etc/tipskiosk/tipskiosk.toml:8: hardware.status_light: unknown key (ignored); check the spelling"])
    }

    @Test func missingDevicesAreNotesNotErrors() throws {
        let dir = TempDir("hwconf")
        let path = dir.file("tipskiosk.toml")
        let c = try Self.parse("""
            [hardware]
            leds_root = "leds"
            status_led = "tips"
            watchdog = "watchdog"
            receipt_printer = "lp0"
            """, checkFiles: true, path: path)
        let notes = c.warnings.map(\.description)
        #expect(notes.count == 3, "\(notes)")
        #expect(notes.contains { $0.hasPrefix("\(path):9: hardware.status_led: \(dir.path)/leds/tips is not an LED") })
        #expect(notes.contains { $0.hasPrefix("\(path):10: hardware.watchdog: \(dir.path)/watchdog does not exist") })
        #expect(notes.contains { $0.hasPrefix("\(path):11: hardware.receipt_printer: \(dir.path)/lp0 does not exist") })

        // There, with a LED without the timer trigger: one note about that, none about the devices.
        let led = try FakeLED(triggers: "[none] heartbeat")
        for name in ["watchdog", "lp0"] { #expect(FileManager.default.createFile(atPath: dir.file(name), contents: nil)) }
        let there = try Self.parse("""
            [hardware]
            leds_root = "\(led.root)"
            status_led = "tips"
            watchdog = "watchdog"
            receipt_printer = "lp0"
            """, checkFiles: true, path: path)
        #expect(there.warnings.map(\.description) == ["\(path):9: hardware.status_led: the kernel's timer trigger is not available for \(led.folder) (modprobe ledtrig-timer): the light shows steady instead of blinking"])
    }

    @Test func checkConfigMentionsTheHardware() throws {
        let dir = TempDir("hwconf")
        let led = try FakeLED(triggers: "[none] timer")
        let config = writeTestConfig(in: dir, extra: """
            [hardware]
            leds_root = "\(led.root)"
            status_led = "tips"
            receipt_printer = "\(dir.file("lp0"))"
            """)
        let r = try tipskiosk(["check-config", "--config", config])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("; status light \(led.folder), receipt printer \(dir.file("lp0")))"), "\(r.stdout)")
        #expect(r.stderr.contains("hardware.receipt_printer: \(dir.file("lp0")) does not exist"), "\(r.stderr)")
    }
}

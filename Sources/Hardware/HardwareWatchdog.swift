import Glibc
import KioskLog

/// A hardware watchdog (`/dev/watchdog`, the kernel's watchdog API), beside systemd's `WatchdogSec=`.
///
/// Opening the device starts it: from then on the machine is reset unless something is written to it within
/// the timeout. The gateway pets it where it sends `WATCHDOG=1` to systemd, that is only while its loop runs.
/// A clean stop writes the magic character `V` before closing, which stops the watchdog (unless the driver was
/// built or loaded with `nowayout`). Any other end of the process (a crash, `kill -9`, an exit after an outbox
/// error) closes it without `V`: the watchdog keeps running, and the box resets unless a restarted gateway opens
/// it again and pets it in time. So systemd's `RestartSec=` must stay well below the timeout.
///
/// Not `Sendable`: use it from one thread.
public final class HardwareWatchdog {
    /// Why the device could not be opened.
    public struct OpenError: Error, CustomStringConvertible, Sendable {
        /// The device that could not be opened.
        public var path: String
        /// The `errno` of `open`.
        public var errorNumber: Int32
        /// The reason, with a hint for the usual causes (busy, no access).
        public var description: String {
            var s = "cannot open the hardware watchdog \(path): \(String(cString: strerror(errorNumber)))"
            if errorNumber == EBUSY { s += " (another process holds it: systemd's RuntimeWatchdogSec= or a watchdog daemon?)" }
            if errorNumber == EACCES { s += " (see hardware/udev/ for a rule giving the tipskiosk group access)" }
            return s
        }
    }

    /// The device (or, in tests, a plain file or FIFO).
    public let path: String
    /// The timeout in force, in seconds, as the driver reports it; nil when it cannot tell (a plain file).
    public let timeoutSeconds: Int?
    /// How often to pet it: a third of the timeout (1 to 10 s), or every second when the timeout is unknown.
    public var petInterval: Double { timeoutSeconds.map { Double(min(10, max(1, $0 / 3))) } ?? 1 }
    /// The byte written by `pet` (anything but `V`).
    public static let petByte = UInt8(ascii: ".")
    /// The magic close: written just before a clean close, it stops the watchdog.
    public static let magicClose = UInt8(ascii: "V")
    /// `WDIOC_SETTIMEOUT` and `WDIOC_GETTIMEOUT` of linux/watchdog.h (`_IOWR('W', 6, int)`, `_IOR('W', 7, int)`),
    /// as numbers: Swift cannot import the macros. The same on x86, arm and arm64.
    static let setTimeoutRequest: UInt = 0xC004_5706
    static let getTimeoutRequest: UInt = 0x8004_5707

    private var fd: Int32
    private var toldPetFailure = false

    /// Opens (and so starts) the watchdog; with `timeoutSeconds`, asks the driver for that timeout
    /// (`WDIOC_SETTIMEOUT`). A path that is no watchdog device (a plain file) takes no timeout, which is not an
    /// error; a driver that refuses the value is logged and keeps its own.
    public init(path: String, timeoutSeconds: Int?) throws(OpenError) {
        self.path = path
        fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)   // O_NONBLOCK: a FIFO without a reader fails instead of hanging
        guard fd >= 0 else { throw OpenError(path: path, errorNumber: errno) }
        if var wanted = timeoutSeconds.map(Int32.init), ioctl(fd, Self.setTimeoutRequest, &wanted) != 0 {
            let e = errno
            // ENOTTY: no watchdog device (a plain file in tests), nothing to set.
            if e != ENOTTY {
                Log.warning("hardware watchdog \(path): cannot set the timeout to \(timeoutSeconds!) s (\(String(cString: strerror(e)))); the driver keeps its own")
            }
        }
        var actual: Int32 = 0
        self.timeoutSeconds = ioctl(fd, Self.getTimeoutRequest, &actual) == 0 && actual > 0 ? Int(actual) : nil
    }

    deinit {
        // Not a clean stop (that is `closeCleanly`): no `V`, the watchdog keeps running.
        if fd >= 0 { close(fd) }
    }

    /// Tells the watchdog the process is alive (one byte). A failed write is logged once.
    public func pet() {
        guard fd >= 0 else { return }
        var byte = Self.petByte
        if Glibc.write(fd, &byte, 1) != 1 && !toldPetFailure {
            Log.error("hardware watchdog \(path): cannot pet it (\(String(cString: strerror(errno)))); the box will be reset")
            toldPetFailure = true
        }
    }

    /// A clean stop: writes the magic `V` and closes, which stops the watchdog. Nothing more can be written.
    public func closeCleanly() {
        guard fd >= 0 else { return }
        var byte = Self.magicClose
        if Glibc.write(fd, &byte, 1) != 1 {
            Log.warning("hardware watchdog \(path): cannot write the magic close (\(String(cString: strerror(errno)))); it keeps running")
        }
        close(fd)
        fd = -1
    }
}

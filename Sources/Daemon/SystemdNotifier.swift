import Glibc

/// The sd_notify protocol (a documented, stable interface): datagrams such as `READY=1`, `STATUS=…`,
/// `WATCHDOG=1` and `STOPPING=1` to the socket in `$NOTIFY_SOCKET`. Does nothing when not run by systemd.
public final class SystemdNotifier {
    private let fd: Int32
    private var address = sockaddr_un()
    private var addressLength: socklen_t = 0
    /// Half of `$WATCHDOG_USEC` (when set for this process), the interval for `WATCHDOG=1`.
    public let watchdogInterval: Double?

    /// Reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID` from `environment`.
    public init(environment: [String: String]) {
        if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init),
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            watchdogInterval = usec / 2_000_000
        } else {
            watchdogInterval = nil
        }
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108 else {
            fd = -1
            return
        }
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }   // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// True when run by systemd with a notify socket.
    public var isActive: Bool { fd >= 0 }

    /// Sends one message, e.g. `notify("READY=1\nSTATUS=Connected")`. Best effort: systemd may be gone.
    public func notify(_ message: String) {
        guard fd >= 0 else { return }
        let bytes = Array(message.utf8)
        withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                _ = sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), sa, addressLength)
            }
        }
    }
}

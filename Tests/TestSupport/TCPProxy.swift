import Foundation
import Glibc

/// A loopback TCP proxy for fault tests: forwards 127.0.0.1:`port` to 127.0.0.1:`target`, and can cut every
/// connection (RST), refuse new ones, or stall (hold the sockets open and forward nothing: a half-open link).
public final class TCPProxy: @unchecked Sendable {
    public enum Mode: Sendable { case forward, refuse, stall }

    public let port: Int
    public let target: Int
    private let listenFD: Int32
    private let lock = NSLock()
    private var pairs: [(Int32, Int32)] = []
    private var mode: Mode = .forward
    private var cutRequested = false
    private var running = true
    private var thread: Thread?
    private var wakeFDs: [Int32] = [-1, -1]
    /// Connections accepted so far.
    public private(set) var accepted = 0
    /// Behave like a broker that speaks only MQTT 3.1.1: an MQTT 5 CONNECT gets the 3.1.1 CONNACK
    /// "unacceptable protocol version" (0x01) and the connection is closed; 3.1.1 passes through.
    public var refuseMQTT5 = false
    /// A slow link: each chunk waits this long before it is passed on (both directions).
    public var latencyMillis: UInt32 = 0
    /// MQTT 5 CONNECTs refused so far.
    public private(set) var refusedMQTT5 = 0
    private var inspected: Set<Int32> = []

    public init(target: Int) throws {
        self.target = target
        let lfd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        listenFD = lfd
        var one: Int32 = 1
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(lfd, sa, len) == 0 && listen(lfd, 16) == 0 && getsockname(lfd, sa, &len) == 0
            }
        }
        guard ok else { throw TestBrokerError("proxy: cannot listen: \(String(cString: strerror(errno)))") }
        port = Int(UInt16(bigEndian: addr.sin_port))
        _ = pipe(&wakeFDs)
        for fd in wakeFDs { _ = fcntl(fd, F_SETFL, O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let t = Thread { [weak self] in self?.loop() }
        thread = t
        t.start()
    }

    deinit { close() }

    public func close() {
        lock.lock()
        guard running else { lock.unlock(); return }
        running = false
        lock.unlock()
        wake()
        usleep(50_000)
    }

    public func setMode(_ m: Mode) {
        lock.lock(); mode = m; lock.unlock()
        wake()
    }

    /// Resets every open connection (RST to both sides) at once.
    public func cutAll() {
        lock.lock(); cutRequested = true; lock.unlock()
        wake()
        _ = waitUntil(timeout: 2) { lock.lock(); defer { lock.unlock() }; return !cutRequested }
    }

    public var openConnections: Int { lock.lock(); defer { lock.unlock() }; return pairs.count }

    private func wake() { var b: UInt8 = 1; _ = write(wakeFDs[1], &b, 1) }

    private static func reset(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        Glibc.close(fd)
    }

    /// CONNECT: 0x10, remaining length (varint), 00 04 "MQTT", protocol level.
    static func isMQTT5Connect(_ bytes: ArraySlice<UInt8>) -> Bool {
        let b = Array(bytes)
        guard b.first == 0x10 else { return false }
        var i = 1
        while i < b.count && b[i] & 0x80 != 0 { i += 1 }
        i += 1
        guard b.count > i + 6, b[i] == 0, b[i + 1] == 4 else { return false }
        return b[i + 6] == 5
    }

    private func connectTarget() -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(target).bigEndian
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 { Glibc.close(fd); return -1 }
        return fd
    }

    private func loop() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            lock.lock()
            if !running {
                for (a, b) in pairs { Self.reset(a); Self.reset(b) }
                pairs.removeAll()
                lock.unlock()
                Glibc.close(listenFD)
                Glibc.close(wakeFDs[0]); Glibc.close(wakeFDs[1])
                return
            }
            if cutRequested {
                for (a, b) in pairs { Self.reset(a); Self.reset(b) }
                pairs.removeAll()
                cutRequested = false
            }
            let currentMode = mode
            let current = pairs
            lock.unlock()

            var fds = [pollfd(fd: wakeFDs[0], events: Int16(POLLIN), revents: 0),
                       pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)]
            if currentMode != .stall {
                for (a, b) in current {
                    fds.append(pollfd(fd: a, events: Int16(POLLIN), revents: 0))
                    fds.append(pollfd(fd: b, events: Int16(POLLIN), revents: 0))
                }
            }
            _ = poll(&fds, nfds_t(fds.count), 200)
            if fds[0].revents != 0 { while read(wakeFDs[0], &buffer, 64) > 0 {} }
            if fds[1].revents != 0 {
                let c = accept(listenFD, nil, nil)
                if c >= 0 {
                    if currentMode == .refuse {
                        Self.reset(c)
                    } else {
                        let t = connectTarget()
                        if t < 0 { Self.reset(c) } else {
                            lock.lock(); pairs.append((c, t)); accepted += 1; lock.unlock()
                        }
                    }
                }
            }
            guard currentMode != .stall else { continue }
            var dead: Set<Int32> = []
            for i in stride(from: 2, to: fds.count, by: 2) {
                let a = fds[i].fd, b = fds[i + 1].fd
                for (from, to, ev) in [(a, b, fds[i].revents), (b, a, fds[i + 1].revents)] where ev != 0 {
                    let n = read(from, &buffer, buffer.count)
                    if from == a && !inspected.contains(a) && n > 0 {
                        inspected.insert(a)
                        if refuseMQTT5 && Self.isMQTT5Connect(buffer[0..<n]) {
                            let connack: [UInt8] = [0x20, 0x02, 0x00, 0x01]
                            _ = send(a, connack, connack.count, Int32(MSG_NOSIGNAL))
                            lock.lock(); refusedMQTT5 += 1; lock.unlock()
                            dead.insert(a)
                            break
                        }
                    }
                    if n > 0 && latencyMillis > 0 { usleep(latencyMillis * 1000) }
                    if n <= 0 || send(to, buffer, n, Int32(MSG_NOSIGNAL)) != n { dead.insert(a) }
                }
            }
            if !dead.isEmpty {
                lock.lock()
                pairs.removeAll { pair in
                    guard dead.contains(pair.0) else { return false }
                    inspected.remove(pair.0)
                    Glibc.close(pair.0); Glibc.close(pair.1)
                    return true
                }
                lock.unlock()
            }
        }
    }
}

/// A `tipskiosk gateway` child process (or, with `program` and `command`, another daemon of the project:
/// `lagesbild collect`), with its output appended to `log`.
public final class GatewayProcess: @unchecked Sendable {
    public let configPath: String
    public let logPath: String
    private let program: String
    private let arguments: [String]
    private var process: Process?

    public init(config: String, log: String, program: String = tipskioskBinary(), command: String = "gateway") {
        configPath = config
        logPath = log
        self.program = program
        arguments = [command, "--config", config]
    }

    /// Any other program in the background (a raw client of a test): `program arguments`; `configPath` is empty.
    public init(program: String, arguments: [String], log: String) {
        configPath = ""
        logPath = log
        self.program = program
        self.arguments = arguments
    }
    deinit { kill9() }

    /// A `lagesbild collect` child process.
    public static func collector(config: String, log: String) -> GatewayProcess {
        GatewayProcess(config: config, log: log, program: lagesbildBinary(), command: "collect")
    }

    public func start(environment: [String: String] = [:]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let h = FileHandle(forWritingAtPath: logPath)
        h?.seekToEndOfFile()
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        try p.run()
        process = p
    }

    public var pid: Int32? { process.flatMap { $0.isRunning ? $0.processIdentifier : nil } }
    public var isRunning: Bool { process?.isRunning ?? false }

    public func kill9() {
        guard let p = process else { return }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    public func terminate(timeout: Double = 10) -> Int32? {
        guard let p = process else { return nil }
        kill(p.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
        return p.terminationReason == .exit ? p.terminationStatus : -p.terminationStatus
    }

    public func signal(_ s: Int32) { if let pid { kill(pid, s) } }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

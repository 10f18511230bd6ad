// Test helpers for MQTT: a real mosquitto broker on a free loopback port, and a
// mosquitto_sub child process that collects what it receives.
//
// Every child process is killed when its owner is deinitialised, and at
// process exit (atexit), so no test leaves a broker running.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of ``TestBroker`` and ``TestSubscriber``.
public struct TestBrokerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Finds programs and free ports for the MQTT test helpers.
public enum TestBrokerTools {
    /// The full path of `name`: `$PATH`, then /usr/sbin, /usr/local/sbin, /usr/bin, /usr/local/bin.
    public static func findExecutable(_ name: String) -> String? {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        dirs += ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin", "/opt/homebrew/sbin"]
        for dir in dirs where !dir.isEmpty {
            let path = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestBrokerError("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ptr -> Int32 in
                guard bind(fd, ptr, len) == 0 else { return -1 }
                return getsockname(fd, ptr, &len)
            }
        }
        guard rc == 0 else { throw TestBrokerError("bind/getsockname: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// True if something accepts TCP connections on 127.0.0.1:`port` now.
    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Kills registered child processes at exit, in case a test never released them.
private final class TestChildRegistry: @unchecked Sendable {
    static let shared = TestChildRegistry()
    private let lock = NSLock()
    private var pids = Set<pid_t>()

    private init() {
        atexit {
            TestChildRegistry.shared.killAll()
        }
    }

    func add(_ pid: pid_t) { lock.lock(); pids.insert(pid); lock.unlock() }
    func remove(_ pid: pid_t) { lock.lock(); pids.remove(pid); lock.unlock() }
    func killAll() {
        lock.lock(); let all = pids; pids.removeAll(); lock.unlock()
        for pid in all { posixKill(pid, SIGKILL) }
    }
}

/// `kill(2)`, under a name that does not clash with `TestBroker.kill()`.
private func posixKill(_ pid: pid_t, _ signal: Int32) {
    _ = kill(pid, signal)
}

/// Wait (bounded) for `process` to exit; SIGKILL it if it does not.
private func reap(_ process: Process, timeout: TimeInterval) {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        posixKill(process.processIdentifier, SIGKILL)
        let hard = Date().addingTimeInterval(5)
        while process.isRunning && Date() < hard { usleep(10_000) }
    }
}

/// A real `mosquitto` broker for tests, listening on 127.0.0.1 on a free port,
/// with a generated config file in its own temporary directory.
///
/// ```swift
/// let broker = try TestBroker(extraConfig: ["max_inflight_messages 10"])
/// defer { broker.stop() }
/// // ... connect to 127.0.0.1:broker.port
/// ```
/// Thread-safe: all state is behind a lock.
public final class TestBroker: @unchecked Sendable {
    /// The loopback port; the same across ``restart()``.
    public let port: Int
    /// The temporary directory with `mosquitto.conf` and `mosquitto.log`;
    /// use it for `acl_file`, `persistence_location`, etc.
    public let directory: URL
    /// The generated config file.
    public let configPath: String
    /// The broker's log (stdout and stderr, `log_type all`).
    public let logPath: String

    private let executable: String
    private let lock = NSLock()
    private var process: Process?

    /// Start a broker and wait (up to `startTimeout`) until it accepts connections.
    ///
    /// - Parameters:
    ///   - extraConfig: config lines appended after `listener PORT 127.0.0.1`
    ///     and `allow_anonymous true`, e.g. `"acl_file /path"`,
    ///     `"persistence true"`, `"max_inflight_messages 5"`. The token
    ///     `$DIR` in a line is replaced by ``directory``.
    ///   - files: extra files written into ``directory`` before start
    ///     (name -> contents), e.g. `["acl": "topic readwrite a/#\n"]`.
    ///   - logTypes: mosquitto `log_type` values.
    public init(extraConfig: [String] = [], files: [String: String] = [:],
                logTypes: [String] = ["all"], startTimeout: TimeInterval = 5) throws {
        guard let exe = TestBrokerTools.findExecutable("mosquitto") else {
            throw TestBrokerError("mosquitto not found in PATH or /usr/sbin (apt install mosquitto)")
        }
        executable = exe
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tipskiosk-broker-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("mosquitto.conf").path
        logPath = directory.appendingPathComponent("mosquitto.log").path
        port = try TestBrokerTools.freeLoopbackPort()

        for (name, contents) in files {
            try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        var lines = [
            "# generated by TestBroker",
            "listener \(port) 127.0.0.1",
            "allow_anonymous true",
            "log_dest stderr",
            "log_timestamp true",
        ]
        lines += logTypes.map { "log_type \($0)" }
        if geteuid() == 0 {
            // mosquitto drops root privileges to user "mosquitto", which could
            // not write into our temporary directory.
            lines.append("user root")
        }
        lines += extraConfig.map { $0.replacingOccurrences(of: "$DIR", with: directory.path) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)

        try start(timeout: startTimeout)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Everything the broker logged so far.
    public var logText: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// The broker's pid, or nil when it is not running.
    public var pid: pid_t? {
        lock.lock(); defer { lock.unlock() }
        guard let process, process.isRunning else { return nil }
        return process.processIdentifier
    }

    /// True while the broker process runs.
    public var isRunning: Bool { pid != nil }

    private func start(timeout: TimeInterval) throws {
        lock.lock()
        defer { lock.unlock() }
        if let process, process.isRunning { return }
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: executable)
        proc.arguments = ["-c", configPath]
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw TestBrokerError("cannot open \(logPath)")
        }
        log.seekToEndOfFile()
        proc.standardOutput = log
        proc.standardError = log
        proc.standardInput = FileHandle.nullDevice
        try proc.run()
        try? log.close()
        process = proc
        TestChildRegistry.shared.add(proc.processIdentifier)

        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !proc.isRunning {
                TestChildRegistry.shared.remove(proc.processIdentifier)
                process = nil
                throw TestBrokerError("mosquitto exited with status \(proc.terminationStatus) on start; log:\n\(logText)")
            }
            if TestBrokerTools.canConnect(port: port) { return }
            usleep(20_000)
        }
        posixKill(proc.processIdentifier, SIGKILL)
        reap(proc, timeout: 5)
        TestChildRegistry.shared.remove(proc.processIdentifier)
        process = nil
        throw TestBrokerError("mosquitto did not accept connections on 127.0.0.1:\(port) within \(timeout) s; log:\n\(logText)")
    }

    private func signalAndWait(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        guard let proc = process else { return }
        if proc.isRunning {
            posixKill(proc.processIdentifier, signal)
            reap(proc, timeout: 5)
        }
        TestChildRegistry.shared.remove(proc.processIdentifier)
        process = nil
    }

    /// SIGTERM and wait for exit (the broker saves persistence, if configured).
    public func stop() { signalAndWait(SIGTERM) }

    /// SIGKILL and wait: a crash, nothing saved, no clean socket shutdown.
    public func kill() { signalAndWait(SIGKILL) }

    /// SIGSTOP: the broker freezes (sockets stay open, nothing is read or acknowledged).
    public func pause() { if let pid { posixKill(pid, SIGSTOP) } }

    /// SIGCONT after ``pause()``.
    public func resume() { if let pid { posixKill(pid, SIGCONT) } }

    /// Start again with the same port and config (after ``stop()`` or ``kill()``;
    /// stops a running broker first).
    public func restart(timeout: TimeInterval = 5) throws {
        stop()
        try start(timeout: timeout)
    }
}

/// A `mosquitto_sub` child process (MQTT 5, QoS 1) that collects the lines it
/// prints. By default one line per message: `topic payload` (`-v`).
///
/// ```swift
/// let sub = try TestSubscriber(port: broker.port, topics: ["lagesbild/v1/reports/#"])
/// ... publish ...
/// let lines = sub.waitFor(count: 3, timeout: 5)
/// ```
/// The subscription is acknowledged (SUBACK seen) before `init` returns.
public final class TestSubscriber: @unchecked Sendable {
    private let process: Process
    private let lock = NSLock()
    private var buffer = Data()
    private var collected: [String] = []
    private var subscribed = false
    private var debugOutput: [String] = []
    private let clientID: String

    /// - Parameters:
    ///   - topics: topic filters (`-t`, repeatable).
    ///   - format: a mosquitto_sub `-F` format (e.g. `"%r %t %P %p"`: retain
    ///     flag, topic, user properties as `key:value`, payload); `nil` for `-v`.
    ///   - extraArguments: more mosquitto_sub arguments (e.g. `["-R"]`).
    ///   - subscribeTimeout: how long to wait for the SUBACK.
    public init(port: Int, topics: [String], format: String? = nil, qos: Int = 1,
                extraArguments: [String] = [], subscribeTimeout: TimeInterval = 5) throws {
        guard let exe = TestBrokerTools.findExecutable("mosquitto_sub") else {
            throw TestBrokerError("mosquitto_sub not found (apt install mosquitto-clients)")
        }
        clientID = "tsub-" + UUID().uuidString.prefix(8).lowercased()
        var args = ["-V", "mqttv5", "-h", "127.0.0.1", "-p", String(port), "-q", String(qos),
                    "-i", clientID, "-d"]
        for topic in topics { args += ["-t", topic] }
        if let format { args += ["-F", format] } else { args.append("-v") }
        args += extraArguments
        // mosquitto_sub block-buffers its -d lines on a pipe (it flushes only
        // after a message); stdbuf -oL makes them arrive at once, so that we
        // can see the SUBACK. Without stdbuf we wait a fixed half second.
        let stdbuf = TestBrokerTools.findExecutable("stdbuf")
        process = Process()
        if let stdbuf {
            process.executableURL = URL(fileURLWithPath: stdbuf)
            process.arguments = ["-oL", exe] + args
        } else {
            process.executableURL = URL(fileURLWithPath: exe)
            process.arguments = args
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                return
            }
            self?.append(data)
        }
        try process.run()
        TestChildRegistry.shared.add(process.processIdentifier)

        if stdbuf == nil {
            usleep(500_000)
            if process.isRunning { return }
        }
        let deadline = Date().addingTimeInterval(subscribeTimeout)
        while Date() < deadline {
            lock.lock(); let ok = subscribed; lock.unlock()
            if ok { return }
            if !process.isRunning { break }
            usleep(10_000)
        }
        let debug = debugLines.joined(separator: "\n")
        stop()
        throw TestBrokerError("mosquitto_sub \(args.joined(separator: " ")) did not subscribe in time; output:\n\(debug)")
    }

    deinit { stop() }

    private func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        buffer.append(data)
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let lineData = buffer[buffer.startIndex..<newline]
            buffer.removeSubrange(buffer.startIndex...newline)
            let line = String(decoding: lineData, as: UTF8.self)
            // -d debug lines ("Client tsub-xxxx sending CONNECT") are kept apart.
            if line.hasPrefix("Client \(clientID) ") || line.hasPrefix("Client (null) ")
                || line.hasPrefix("Subscribed (mid") {
                debugOutput.append(line)
                if line.contains("received SUBACK") { subscribed = true }
            } else {
                collected.append(line)
            }
        }
    }

    /// Message lines received so far.
    public var lines: [String] {
        lock.lock(); defer { lock.unlock() }
        return collected
    }

    /// mosquitto_sub's `-d` debug lines (CONNECT, SUBACK, PUBLISH headers).
    public var debugLines: [String] {
        lock.lock(); defer { lock.unlock() }
        return debugOutput
    }

    /// Wait until at least `count` message lines arrived or `timeout` passed;
    /// returns the lines received (check the count).
    @discardableResult
    public func waitFor(count: Int, timeout: TimeInterval) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let current = lines
            if current.count >= count { return current }
            usleep(10_000)
        }
        return lines
    }

    /// Kill mosquitto_sub (SIGKILL) and wait for it.
    public func stop() {
        if process.isRunning {
            posixKill(process.processIdentifier, SIGKILL)
            reap(process, timeout: 5)
        }
        TestChildRegistry.shared.remove(process.processIdentifier)
    }
}

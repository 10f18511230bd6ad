import Foundation
import Glibc

/// A temporary folder for one test, removed when the value goes away (set TIPSKIOSK_KEEP_TEST_DATA=1 to keep it).
public final class TempDir: @unchecked Sendable {
    public let path: String
    public init(_ name: String = "t") {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/tipskiosk-\(name)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: p!)
    }
    deinit {
        if ProcessInfo.processInfo.environment["TIPSKIOSK_KEEP_TEST_DATA"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
    public func file(_ name: String) -> String { "\(path)/\(name)" }
}

/// The `tipskiosk` executable built beside the test bundle (or `$TIPSKIOSK_BIN`).
public func tipskioskBinary() -> String { builtBinary("tipskiosk", override: "TIPSKIOSK_BIN") }

/// The `lagesbild` executable built beside the test bundle (or `$LAGESBILD_BIN`).
public func lagesbildBinary() -> String { builtBinary("lagesbild", override: "LAGESBILD_BIN") }

private func builtBinary(_ name: String, override: String) -> String {
    if let env = ProcessInfo.processInfo.environment[override] { return env }
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
        let p = candidate.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return dir.appendingPathComponent(name).path
}

/// Runs `lagesbild` with arguments.
public func lagesbild(_ args: [String], input: Data? = nil) throws -> ProcessResult {
    try runProcess(lagesbildBinary(), args, input: input)
}

/// Writes a central (`lagesbild`) configuration for tests: a database in `dir`, a broker on `port`. The daily
/// quota is raised for the load tests (thousands of reports per kiosk in a minute); a quota test sets its own
/// (`dailyQuota`, or `daily_quota` in `extraCentral`).
@discardableResult
public func writeCentralConfig(in dir: TempDir, port: Int, clientID: String = "test-collector", extraCentral: String = "",
                               extraMQTT: String = "", name: String = "lagesbild.toml", dailyQuota: Int = 1_000_000) -> String {
    let text = """
        [storage]
        path = "central.sqlite"

        [mqtt]
        host = "127.0.0.1"
        port = \(port)
        topic_prefix = "lagesbild/v1"
        keepalive_s = 5
        \(extraMQTT)

        [central]
        client_id = "\(clientID)"
        \(extraCentral.contains("daily_quota") ? "" : "daily_quota = \(dailyQuota)")
        \(extraCentral)
        """
    let path = dir.file(name)
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

/// Writes a kiosk configuration for tests: an outbox in `dir`, a broker on `port`, and any extra lines. Receipts
/// are off (`await_receipts = false`, written out) unless the extra lines set `await_receipts`: a kiosk with
/// receipts on needs a collector answering, and most tests have a broker and a subscriber only.
@discardableResult
public func writeTestConfig(in dir: TempDir, kiosk: String = "test-kiosk-1", port: Int = 1883,
                            maxPending: Int = 100_000, extraKiosk: String = "", extraMQTT: String = "",
                            extra: String = "") -> String {
    let text = """
        [kiosk]
        id = "\(kiosk)"
        site = "Testgården, Götene"
        languages = ["sv", "en"]
        idle_timeout_s = 90
        places = ["Ungdomsgården", "Centrum"]
        \(extraKiosk)

        [storage]
        path = "outbox.sqlite"
        max_pending = \(maxPending)

        [mqtt]
        host = "127.0.0.1"
        port = \(port)
        topic_prefix = "lagesbild/v1"
        qos = 1
        keepalive_s = 5
        \((extraMQTT + extra).contains("await_receipts") ? "" : "await_receipts = false")
        \(extraMQTT)
        \(extra)
        """
    let path = dir.file("tipskiosk.toml")
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

/// The result of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion with `input` on its standard input.
public func runProcess(_ path: String, _ args: [String], input: Data? = nil,
                       environment: [String: String]? = nil) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let environment { p.environment = environment }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    // Read both pipes concurrently with the writer so that a large output never blocks the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()   // each written by one block, read after wait()
    group.enter()
    DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    if let input { try? inp.fileHandleForWriting.write(contentsOf: input) }
    try? inp.fileHandleForWriting.close()
    group.wait()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs `tipskiosk` with arguments.
public func tipskiosk(_ args: [String], input: Data? = nil) throws -> ProcessResult {
    try runProcess(tipskioskBinary(), args, input: input)
}

/// JSON Lines of `n` valid submit inputs, numbered in the text so that a test can tell them apart.
public func submitLines(_ n: Int, from start: Int = 0, category: String = "drugs") -> Data {
    var s = ""
    s.reserveCapacity(n * 120)
    for i in start..<(start + n) {
        s += #"{"category":"\#(category)","place":"Centrum","occurred":"today","text":"rapport nummer \#(i)","reporter":{"role":"visitor","age_group":"youth"}}"# + "\n"
    }
    return Data(s.utf8)
}

/// Parses a JSON object from text (tests only).
public func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
public func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// SplitMix64: a small deterministic random number generator, for repeatable garbage and jitter in tests.
public struct SplitMix: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `systemd-analyze security --offline` of a unit file: its exposure score (nil if none was printed) and the
/// output; nil when systemd-analyze is not installed (then nothing can be checked here, and it says so).
public func unitExposure(_ unitPath: String) throws -> (score: Double?, output: String)? {
    let unit = (unitPath as NSString).lastPathComponent
    guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        print("systemd-analyze is not installed: the exposure score of \(unit) is not checked here")
        return nil
    }
    let r = try runProcess(analyze, ["security", "--offline=yes", "--threshold=20", unitPath])
    let score = r.stdout.components(separatedBy: "Overall exposure level for \(unit): ").last?
        .split(separator: " ").first.flatMap { Double($0) }
    print("systemd-analyze security: \(unit) exposure \(score.map { String($0) } ?? "?")")
    return (score, r.stdout)
}

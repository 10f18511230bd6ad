import ArgumentParser
import Daemon
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import KioskConfig
import KioskLog
import Prompt

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Everything on one machine: a loopback broker, the gateway, the central collector, and the prompt.",
        discussion: """
            Starts mosquitto on a free loopback port, the gateway (waiting for receipts), and the central collector
            `lagesbild collect`; then the prompt in this terminal. Without a terminal on standard input, reports are
            read as JSON Lines (as `submit` takes them) instead, and the demo ends once the collector has confirmed
            them. On the way out it writes the lägesbild of the demo as HTML and prints its path. Data stays under
            ./.tipskiosk-demo/. Everything stops when the demo ends.
            """
    )
    @Option(help: ArgumentHelp("Where the demo keeps its files.", valueName: "dir"))
    var dataDir = ".tipskiosk-demo"

    func run() throws {
        guard let mosquitto = findProgram("mosquitto", extra: ["/usr/sbin/mosquitto"]) else {
            printError("tipskiosk demo needs the mosquitto broker: sudo apt-get install mosquitto")
            throw Exit.unavailable
        }
        let lagesbild = URL(fileURLWithPath: executablePath()).deletingLastPathComponent().appendingPathComponent("lagesbild").path
        guard FileManager.default.isExecutableFile(atPath: lagesbild) else {
            printError("tipskiosk demo needs the central program beside it, \(lagesbild): build both with ./scripts/demo")
            throw Exit.unavailable
        }
        let dir = URL(fileURLWithPath: dataDir).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let port = try freeLoopbackPort()
        let brokerConfig = "\(dir)/mosquitto.conf"
        try "listener \(port) 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest file \(dir)/mosquitto.log\n"
            .write(toFile: brokerConfig, atomically: true, encoding: .utf8)
        let configPath = "\(dir)/tipskiosk.toml"
        try demoConfig(port: port).write(toFile: configPath, atomically: true, encoding: .utf8)
        let centralConfig = "\(dir)/lagesbild.toml"
        try centralDemoConfig(port: port).write(toFile: centralConfig, atomically: true, encoding: .utf8)

        var children = Children()
        defer { children.stopAll() }
        try children.start(mosquitto, ["-c", brokerConfig], log: "\(dir)/mosquitto.out")
        guard waitForPort(port, seconds: 5) else {
            printError("tipskiosk demo: mosquitto did not start; see \(dir)/mosquitto.log")
            throw Exit.unavailable
        }
        try children.start(lagesbild, ["collect", "--config", centralConfig], log: "\(dir)/collect.log")
        // The collector subscribes first, so that the first reports find it (else they wait for a resend).
        let subscribed = Date().addingTimeInterval(5)
        while Date() < subscribed,
              !((try? String(contentsOfFile: "\(dir)/collect.log", encoding: .utf8)) ?? "").contains("connected to") {
            usleep(20_000)
        }
        try children.start(executablePath(), ["gateway", "--config", configPath], log: "\(dir)/gateway.log")
        // The centre's word back to the visitors, through the broker and the gateway to the welcome screen.
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        if let feedback = try? ChildProcess(lagesbild, ["feedback", "--config", centralConfig,
                                                        "--sv", "Demo: belysningen i gångtunneln vid stationen är lagad efter era tips.",
                                                        "--en", "Demo: the lights in the underpass by the station are fixed after your tips."],
                                            stdout: devNull) {
            _ = feedback.wait()
        }
        if devNull >= 0 { close(devNull) }

        print("""
            tipskiosk demo
              broker:   mosquitto on 127.0.0.1:\(port)
              gateway:  log in \(dir)/gateway.log (a report leaves the outbox on the collector's receipt)
              central:  lagesbild collect, database \(dir)/lagesbild.sqlite, log in \(dir)/collect.log
              config:   \(configPath)   (try: tipskiosk status --config \(configPath))
                        \(centralConfig)   (try: lagesbild report --config \(centralConfig))
              feedback: on the welcome screen (try: lagesbild feedback --config \(centralConfig) --sv "…")
            """)
        fflush(nil)
        let outcome = Result { () throws -> Void in
            if isatty(0) == 1 {
                try runPromptForDemo(configPath: configPath)
            } else {
                try submitFromStandardInput(configPath: configPath, centralConfig: centralConfig, lagesbild: lagesbild)
            }
        }
        let html = "\(dir)/lagesbild.html"
        if let report = try? ChildProcess(lagesbild, ["report", "--config", centralConfig, "--format", "html", "--output", html]),
           report.wait() == 0 {
            print("the lägesbild of this demo: \(html)")
        }
        try outcome.get()
    }

    /// Without a terminal: store the JSON Lines from stdin, wait until the collector has confirmed them (the
    /// outbox is empty: with receipts on, a report leaves it only on the collector's receipt), and show the picture.
    private func submitFromStandardInput(configPath: String, centralConfig: String, lagesbild: String) throws {
        // The input is read whole first; `submit`'s output (one short line a report) goes to a file, so no
        // pipe can fill up while the other end is not read.
        let input = readAll()
        let inPath = "\(dataDir)/.submit-in", outPath = "\(dataDir)/.submit-out"
        defer { unlink(inPath); unlink(outPath) }
        let inFD = open(inPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard inFD >= 0, writeAll(input, fd: inFD) else { close(inFD); throw Exit.ioError }
        close(inFD)
        let readFD = open(inPath, O_RDONLY | O_CLOEXEC)
        let outFD = open(outPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(readFD); close(outFD) }
        let submit = try ChildProcess(executablePath(), ["submit", "--config", configPath], stdin: readFD, stdout: outFD)
        let status = submit.wait()
        guard status == 0 else { throw ExitCode(status) }
        lseek(outFD, 0, SEEK_SET)
        let stored = String(decoding: readAll(fd: outFD), as: UTF8.self)
        let count = stored.split(separator: "\n").count
        print("stored \(count) report(s) in the outbox; waiting for the collector's receipts …")
        let config = try ConfigOption(config: configPath).load()
        let outbox = try config.openOutbox(role: .reader, verify: false, command: "demo")
        let deadline = Date().addingTimeInterval(15)
        var pending = count
        while Date() < deadline {
            pending = (try? outbox.stats().pending) ?? pending
            if pending == 0 { break }
            usleep(50_000)
        }
        guard pending == 0 else {
            printError("tipskiosk demo: \(pending) report(s) not confirmed by the collector within 15 s; they stay in the outbox")
            throw Exit.unavailable
        }
        print("the collector confirmed all \(count) report(s); the outbox is empty.\n")
        fflush(nil)
        try ChildProcess(lagesbild, ["report", "--config", centralConfig, "--format", "text"]).wait()
    }

    /// With a terminal: the prompt runs here until Ctrl-Q; then everything stops.
    private func runPromptForDemo(configPath: String) throws {
        print("""

            The prompt starts in 3 seconds. Type a tip as a visitor would; Ctrl-Q ends the demo.
            Staff mode: Ctrl-A then *, PIN 123456. The lägesbild is written when the demo ends.
            """)
        sleep(3)
        // In this process: the prompt needs to be in the terminal's foreground process group.
        let config = try ConfigOption(config: configPath).load()
        var settings = PromptCommand.settings(for: config)
        settings.quitKey = .control("q")
        _ = PromptProgram.run(settings: settings, store: OutboxPromptStore(config: config), input: 0, output: 1)
        // Give the last tip time to reach the collector before the picture is drawn (receipts are on: a report
        // leaves the outbox only once the collector has committed it).
        let outbox = try config.openOutbox(role: .reader, verify: false, command: "demo")
        var pending = (try? outbox.stats().pending) ?? 0
        if pending > 0 {
            print("waiting up to 15 s for the collector to confirm \(pending) report(s) …")
            fflush(nil)
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, pending > 0 {
                usleep(50_000)
                pending = (try? outbox.stats().pending) ?? pending
            }
            if pending > 0 {
                print("\(pending) report(s) not confirmed by the collector yet; they stay in the outbox (\(configPath)).")
            }
        }
        print("demo ended.")
    }

    /// The demo kiosk's quick-pick places, which its centre knows too (`[central] places`: the shareable
    /// lägesbild names them however few reports they have).
    static let places = ["Ungdomsgården", "Centrum", "Busstationen", "Skolan"]
    static var placesTOML: String { "[" + places.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }

    private func demoConfig(port: Int) -> String {
        """
        # Made by `tipskiosk demo`; rewritten on every run.
        [kiosk]
        id = "demo-kiosk-1"
        site = "Demogården"
        event = "Demo"
        languages = ["sv", "en"]
        idle_timeout_s = 90
        places = \(Self.placesTOML)

        [storage]
        path = "outbox.sqlite"
        max_pending = 100000

        [mqtt]
        host = "127.0.0.1"
        port = \(port)
        topic_prefix = "lagesbild/v1"
        qos = 1
        keepalive_s = 30
        receipt_timeout_s = 10

        [prompt]
        # PIN 123456 for the demo's staff mode.
        staff_pin_hash = "\(StaffPIN.hash(pin: "123456"))"
        """
    }
}

extension DemoCommand {
    private func centralDemoConfig(port: Int) -> String {
        """
        # Made by `tipskiosk demo`; rewritten on every run. The central side: `lagesbild collect` and `report`.
        [storage]
        path = "lagesbild.sqlite"

        [mqtt]
        host = "127.0.0.1"
        port = \(port)
        topic_prefix = "lagesbild/v1"
        keepalive_s = 30

        [central]
        client_id = "demo-collector"
        silent_after_h = 24
        places = \(Self.placesTOML)
        """
    }
}

/// Child processes of the demo, stopped (SIGTERM, then SIGKILL) in reverse order.
struct Children {
    private var processes: [ChildProcess] = []

    mutating func start(_ path: String, _ args: [String], log: String) throws {
        let out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(out); close(null) }
        processes.append(try ChildProcess(path, args, stdin: null, stdout: out, stderr: out))
    }

    func stopAll() {
        for p in processes.reversed() where p.isRunning {
            kill(p.pid, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while p.isRunning && Date() < deadline { usleep(20_000) }
            if p.isRunning { kill(p.pid, SIGKILL) }
            p.wait()
        }
    }
}

func findProgram(_ name: String, extra: [String]) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let dirs: [String] = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
    for dir in dirs {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return extra.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The path of this executable (for starting `tipskiosk gateway` and friends).
func executablePath() -> String { Daemon.executablePath() ?? CommandLine.arguments[0] }

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
            bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
        }
    }
    guard ok else { throw Exit.unavailable }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// True once something accepts TCP connections on 127.0.0.1:port.
func waitForPort(_ port: Int, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(fd)
        if rc == 0 { return true }
        usleep(50_000)
    }
    return false
}

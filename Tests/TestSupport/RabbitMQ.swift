import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A second broker implementation for interop tests: Debian's RabbitMQ with its MQTT plugin (MQTT 3.1.1 only),
/// on free loopback ports, with its own node name, data folder and epmd, started in a process group of its own and
/// stopped with it (RabbitMQ takes about 10 s to start on a small machine).
public final class TestRabbitMQ: @unchecked Sendable {
    /// The MQTT listener's port on 127.0.0.1.
    public let mqttPort: Int
    public let directory: TempDir
    private let pgid: pid_t
    private let epmdPort: Int

    /// The server script of Debian's package, or nil when it is not installed.
    public static var server: String? {
        let path = "/usr/lib/rabbitmq/bin/rabbitmq-server"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    public init(startTimeout: Double = 90) throws {
        guard let server = Self.server else {
            throw TestBrokerError("rabbitmq-server is not installed (apt-get install rabbitmq-server)")
        }
        directory = TempDir("rabbitmq")
        mqttPort = try TestBrokerTools.freeLoopbackPort()
        let amqpPort = try TestBrokerTools.freeLoopbackPort()
        let distPort = try TestBrokerTools.freeLoopbackPort()
        epmdPort = try TestBrokerTools.freeLoopbackPort()
        let d = directory.path
        try "[rabbitmq_mqtt].\n".write(toFile: "\(d)/enabled_plugins", atomically: true, encoding: .utf8)
        try """
            listeners.tcp.default = 127.0.0.1:\(amqpPort)
            mqtt.listeners.tcp.default = 127.0.0.1:\(mqttPort)
            mqtt.allow_anonymous = true
            loopback_users = none
            """.write(toFile: "\(d)/rabbitmq.conf", atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        let node = "tk\(getpid())x\(mqttPort)"
        env["HOME"] = d
        env["RABBITMQ_NODENAME"] = "\(node)@localhost"
        env["RABBITMQ_NODE_PORT"] = String(amqpPort)
        env["RABBITMQ_DIST_PORT"] = String(distPort)
        env["ERL_EPMD_PORT"] = String(epmdPort)
        env["RABBITMQ_MNESIA_BASE"] = "\(d)/mnesia"
        env["RABBITMQ_LOG_BASE"] = "\(d)/log"
        env["RABBITMQ_CONFIG_FILE"] = "\(d)/rabbitmq"
        env["RABBITMQ_ENABLED_PLUGINS_FILE"] = "\(d)/enabled_plugins"
        env["RABBITMQ_PID_FILE"] = "\(d)/pid"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: server)
        p.environment = env
        let log = FileHandle(forWritingAtPath: "\(d)/out.log") ?? {
            _ = FileManager.default.createFile(atPath: "\(d)/out.log", contents: nil)
            return FileHandle(forWritingAtPath: "\(d)/out.log")!
        }()
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        pgid = p.processIdentifier   // Foundation starts a child as the leader of a process group of its own
        let deadline = Date().addingTimeInterval(startTimeout)
        while Date() < deadline && !TestBrokerTools.canConnect(port: mqttPort) { usleep(200_000) }
        guard TestBrokerTools.canConnect(port: mqttPort) else {
            stop()
            throw TestBrokerError("RabbitMQ did not open its MQTT port within \(Int(startTimeout)) s: \(log)")
        }
    }

    deinit { stop() }

    /// Stops RabbitMQ (its whole process group, and the Erlang VM by its pid file) and its own epmd.
    public func stop() {
        if let text = try? String(contentsOfFile: directory.file("pid"), encoding: .utf8),
           let beam = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(beam, SIGKILL)
        }
        kill(-pgid, SIGKILL)
        if let epmd = TestBrokerTools.findExecutable("epmd") {
            var env = ProcessInfo.processInfo.environment
            env["ERL_EPMD_PORT"] = String(epmdPort)
            _ = try? runProcess(epmd, ["-kill"], environment: env)
        }
    }

    /// What RabbitMQ wrote to its console.
    public var log: String { (try? String(contentsOfFile: directory.file("out.log"), encoding: .utf8)) ?? "" }
}

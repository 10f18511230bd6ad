import Daemon
import Glibc
import KioskConfig
import MQTTClient

/// `lagesbild feedback`: publishes one retained message on a feedback topic and returns once the broker has
/// acknowledged it (PUBACK), or says why not. A short-lived client of its own, under a client id of its own, so
/// that it never takes over the collector's session.
public final class FeedbackPublisher: MQTTClientDelegate {
    /// Why the message did not reach the broker, in words for the person at the terminal.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    private let config: CentralConfiguration
    private let password: String?
    private var link: BrokerLink
    private var client: MQTTClient?
    private var retired: [MQTTClient] = []
    private var failure: String?
    private var connected = false
    private var messageID: Int32?
    private var acknowledged: Int32?

    public init(config: CentralConfiguration, password: String?) {
        self.config = config
        self.password = password
        self.link = BrokerLink(protocolVersion: config.mqtt.protocolVersion == 4 ? .v311 : .v5)
    }

    /// Publishes `payload` (empty: clears what is retained) retained at QoS 1 on `topic`, and waits at most
    /// `timeout` seconds for the broker's acknowledgement.
    public func publish(topic: String, payload: [UInt8], timeout: Double = 20) throws(Failure) {
        let deadline = monotonicSeconds() + timeout
        var attempts = 0
        while acknowledged == nil {
            let now = monotonicSeconds()
            if now >= deadline {
                throw Failure(reason: failure.map { "no answer from the broker in time (\($0))" }
                              ?? "no answer from \(config.mqtt.host):\(config.mqtt.port) within \(Int(timeout)) s")
            }
            if client == nil {
                // One more attempt only when the broker refused MQTT 5 (then with 3.1.1); any other failure is final.
                guard attempts == 0 || link.protocolVersion != link.preferredVersion else {
                    throw Failure(reason: failure ?? "the connection failed")
                }
                attempts += 1
                try connect(now: now)
                continue
            }
            if connected, messageID == nil {
                do {
                    messageID = try client!.publish(topic: topic, payload: payload, qos: 1, retain: true)
                } catch {
                    throw Failure(reason: "cannot publish to \(topic): \(error)")
                }
            }
            guard let c = client else { continue }
            var fds = [pollfd(fd: c.socket, events: c.pollEvents, revents: 0)]
            _ = poll(&fds, 1, 100)
            do { try c.processEvents(fds[0].revents); try c.loopMisc() } catch { /* the delegate was told */ }
            retired.removeAll()
        }
        if let code = acknowledged, MQTTClient.isFailure(reasonCode: code) {
            client?.disconnect()
            throw Failure(reason: "the broker refused the message on \(topic): \(MQTTClient.describeReason(code: code))"
                          + (code == 0x87 ? " (the broker's ACL must let this user write it)" : ""))
        }
        client?.disconnect()
    }

    private func connect(now: Double) throws(Failure) {
        let options = config.mqttOptions(clientID: "\(config.central.clientID)-feedback-\(getpid())",
                                         protocolVersion: link.protocolVersion, password: password, keepSession: false)
        do {
            let c = try MQTTClient(options: options)
            c.delegate = self
            client = c
            link.startedConnecting(now: now)
            try c.connect()
        } catch {
            throw Failure(reason: client?.describeConnectError(error)
                          ?? "cannot connect to \(config.mqtt.host):\(config.mqtt.port): \(error)")
        }
    }

    private func failed(_ why: String, retryNow: Bool = false, disconnectCode: Int32? = nil) {
        if let c = client { retired.append(c); client = nil }
        var rng = SystemRandomNumberGenerator()
        _ = link.failed(why, now: monotonicSeconds(), retryNow: retryNow, disconnectCode: disconnectCode, using: &rng)
        failure = why
        connected = false
    }

    public func mqttDidConnect(_ client: MQTTClient, reasonCode: Int32, receiveMaximum: Int?, sessionPresent: Bool) {
        switch link.connack(reasonCode: reasonCode) {
        case .retryWithOlderProtocol(let why): failed(why, retryNow: true)
        case .refused(let why): failed(why)
        case .accepted: connected = true
        }
    }

    public func mqttDidDisconnect(_ client: MQTTClient, reasonCode: Int32) {
        guard client === self.client, acknowledged == nil else { return }
        failed(client.describeFailure(reasonCode: reasonCode), disconnectCode: reasonCode)
    }

    public func mqttDidPublish(_ client: MQTTClient, messageID: Int32, reasonCode: Int32) {
        if messageID == self.messageID { acknowledged = reasonCode }
    }
}

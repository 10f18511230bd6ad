import BrokerSession
import BrokerSettings
import Daemon
import Glibc
import KioskConfig
import MQTTClient

/// `lagesbild feedback`: publishes one retained message on a feedback topic and returns once the broker has
/// acknowledged it (PUBACK), or says why not. A short-lived ``BrokerSession`` of its own, as the feedback user
/// (`[central] feedback_username`, which may write feedback and nothing else) under a client id of its own, so
/// that it never takes over the collector's session.
public final class FeedbackPublisher: BrokerSessionDelegate {
    /// Why the message did not reach the broker, in words for the person at the terminal.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    private let config: CentralConfiguration
    private var session: BrokerSession!
    private var failure: String?
    private var attempts = 0
    private var messageID: Int32?
    private var acknowledged: Int32?

    public init(config: CentralConfiguration, password: String?) {
        self.config = config
        session = BrokerSession(settings: .init(
            endpoint: "\(config.mqtt.host):\(config.mqtt.port)", protocolVersion: config.mqtt.protocolVersion == 4 ? .v311 : .v5,
            options: { version in
                config.feedbackMQTT.clientOptions(clientID: "\(config.central.feedbackUsername)-\(getpid())",
                                                  protocolVersion: version, password: password)
            },
            logsFailures: false, reconnects: false))
        session.delegate = self
    }

    /// Publishes `payload` (empty: clears what is retained) retained at QoS 1 on `topic`, and waits at most
    /// `timeout` seconds for the broker's acknowledgement.
    public func publish(topic: String, payload: [UInt8], timeout: Double = 20) throws(Failure) {
        defer { session.close() }
        let deadline = monotonicSeconds() + timeout
        while acknowledged == nil {
            let now = monotonicSeconds()
            if now >= deadline {
                throw Failure(reason: failure.map { "no answer from the broker in time (\($0))" }
                              ?? "no answer from \(config.mqtt.host):\(config.mqtt.port) within \(Int(timeout)) s")
            }
            if session.client == nil {
                // One more attempt only when the broker refused MQTT 5 (then with 3.1.1); any other failure is final.
                guard attempts == 0 || session.link.protocolVersion != session.link.preferredVersion else {
                    throw Failure(reason: failure ?? "the connection failed")
                }
                attempts += 1
                session.connect(now: now)
                continue
            }
            if let c = session.connectedClient, messageID == nil {
                do {
                    messageID = try c.publish(topic: topic, payload: payload, qos: 1, retain: true)
                } catch {
                    throw Failure(reason: "cannot publish to \(topic): \(error)")
                }
            }
            var fds = [session.pollDescriptor()]
            _ = poll(&fds, 1, 100)
            session.process(fds[0].revents)
            session.tick(now: monotonicSeconds())
        }
        if let code = acknowledged, MQTTClient.isFailure(reasonCode: code) {
            throw Failure(reason: "the broker refused the message on \(topic): \(MQTTClient.describeReason(code: code))"
                          + (code == 0x87 ? " (the broker's ACL must let this user write it)" : ""))
        }
    }

    public func sessionDidConnect(_ session: BrokerSession, client: MQTTClient, receiveMaximum: Int?, sessionPresent: Bool) {}

    public func sessionDidGoDown(_ session: BrokerSession, why: String) { failure = why }

    public func sessionDidPublish(_ session: BrokerSession, messageID: Int32, reasonCode: Int32) {
        if messageID == self.messageID { acknowledged = reasonCode }
    }
}

/// The state of a daemon's link to its broker, without I/O: when to connect, when to give an attempt up, how
/// long to back off (exponential, full jitter, 1 s to 60 s), and which protocol to speak (MQTT 5, falling back to
/// 3.1.1 when the broker refuses 5). The gateway and the collector each keep one and do the I/O around it.
public struct BrokerLink: Sendable {
    public enum State: Sendable, Equatable {
        /// Not connected; the next attempt is due at this monotonic time (seconds).
        case waiting(until: Double)
        /// An attempt is under way since this time.
        case connecting(since: Double)
        case connected
    }

    /// What to make of a CONNACK.
    public enum ConnackOutcome: Sendable, Equatable {
        case accepted
        /// The broker does not speak the protocol asked for; try again at once with MQTT 3.1.1.
        case retryWithOlderProtocol(String)
        /// Refused (bad credentials, not authorized, …): back off and try again.
        case refused(String)
    }

    /// An attempt without a CONNACK within this many seconds is given up (libmosquitto never gives up itself).
    public static let connectTimeout = 20.0

    public private(set) var state: State = .waiting(until: 0)
    /// The protocol of the next attempt.
    public private(set) var protocolVersion: MQTTOptions.ProtocolVersion
    /// The protocol to try first (`[mqtt] protocol`); a fallback to 3.1.1 lasts only until it is tried again.
    public let preferredVersion: MQTTOptions.ProtocolVersion
    /// Why the last attempt or connection failed; nil once connected.
    public private(set) var lastFailure: String?
    private var backoff = Backoff(initial: 1, maximum: 60)

    /// `protocolVersion` is the one to try first (`[mqtt] protocol`: 5 or 4).
    public init(protocolVersion: MQTTOptions.ProtocolVersion) {
        self.protocolVersion = protocolVersion
        self.preferredVersion = protocolVersion
    }

    public var isConnected: Bool { state == .connected }
    /// "MQTT 5" or "MQTT 3.1.1", for logs and status.
    public var protocolName: String { protocolVersion == .v5 ? "MQTT 5" : "MQTT 3.1.1" }

    /// True when not connected and the next attempt is due.
    public func isDue(now: Double) -> Bool {
        if case .waiting(let until) = state { return now >= until }
        return false
    }

    /// True when an attempt has waited for its CONNACK longer than `connectTimeout`.
    public func hasTimedOut(now: Double) -> Bool {
        if case .connecting(let since) = state { return now - since > Self.connectTimeout }
        return false
    }

    /// Seconds until the next attempt is due, when waiting (for the poll timeout).
    public func secondsUntilAttempt(now: Double) -> Double? {
        if case .waiting(let until) = state { return max(0, until - now) }
        return nil
    }

    public mutating func startedConnecting(now: Double) { state = .connecting(since: now) }

    /// Records a failed attempt or a lost connection and schedules the next attempt (at once with `retryNow`,
    /// else after the backoff). Returns the delay, and whether it is news worth a log line (a new reason, or a
    /// connection that was up). `disconnectCode` is libmosquitto's code when the socket closed.
    ///
    /// Which protocol comes next: a connection that was up, or an attempt under 3.1.1 that failed, goes back to
    /// the preferred one (one refusal of MQTT 5 does not pin 3.1.1 for good); an MQTT 5 attempt that the broker
    /// closed without any CONNACK (a 3.1.1-only broker that drops an MQTT 5 CONNECT, as RabbitMQ's MQTT plugin
    /// does) is followed at once by a 3.1.1 attempt.
    public mutating func failed(_ why: String, now: Double, retryNow: Bool = false, disconnectCode: Int32? = nil,
                                using rng: inout some RandomNumberGenerator) -> (delay: Double, isNews: Bool) {
        let isNews = why != lastFailure || state == .connected
        var retryNow = retryNow
        if case .connecting = state, !retryNow {
            if protocolVersion == .v5, disconnectCode == Self.connectionLost {
                protocolVersion = .v311
                retryNow = true
            } else {
                protocolVersion = preferredVersion
            }
        } else if state == .connected {
            protocolVersion = preferredVersion
        }
        let delay = retryNow ? 0 : backoff.nextDelay(using: &rng)
        state = .waiting(until: now + delay)
        lastFailure = why
        return (delay, isNews)
    }

    /// libmosquitto's MOSQ_ERR_CONN_LOST: the broker closed the socket.
    static let connectionLost: Int32 = 7

    /// Reads a CONNACK's reason code: connected, or what to do instead.
    public mutating func connack(reasonCode: Int32) -> ConnackOutcome {
        guard reasonCode == 0 else {
            if protocolVersion == .v5 && MQTTClient.isUnsupportedProtocol(reasonCode: reasonCode) {
                protocolVersion = .v311
                return .retryWithOlderProtocol("the broker does not speak MQTT 5; using MQTT 3.1.1")
            }
            return .refused("refused: " + MQTTClient.describeConnack(reasonCode: reasonCode, protocolVersion: protocolVersion))
        }
        state = .connected
        backoff.reset()
        lastFailure = nil
        return .accepted
    }
}

import Daemon
import Glibc
import KioskLog
import MQTTClient

/// What a daemon does with its broker session: the session connects, backs off and gives up attempts; the
/// daemon only hears that the link came up or went down, and what the broker sent.
///
/// Called on the session's thread, from inside ``BrokerSession/tick(now:)`` or ``BrokerSession/process(_:)``.
public protocol BrokerSessionDelegate: AnyObject {
    /// The broker accepted the connection: subscribe, send what waits. `client` is the session's client.
    func sessionDidConnect(_ session: BrokerSession, client: MQTTClient, receiveMaximum: Int?, sessionPresent: Bool)
    /// An attempt or the connection failed (`why` in words); the next attempt is scheduled already.
    func sessionDidGoDown(_ session: BrokerSession, why: String)
    /// A PUBACK (or a QoS 0 publish written).
    func sessionDidPublish(_ session: BrokerSession, messageID: Int32, reasonCode: Int32)
    /// A SUBACK.
    func sessionDidSubscribe(_ session: BrokerSession, messageID: Int32, grantedQoS: [Int32])
    /// A message; the payload is valid only during the call.
    func sessionDidReceive(_ session: BrokerSession, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool)
}

extension BrokerSessionDelegate {
    public func sessionDidPublish(_ session: BrokerSession, messageID: Int32, reasonCode: Int32) {}
    public func sessionDidSubscribe(_ session: BrokerSession, messageID: Int32, grantedQoS: [Int32]) {}
    public func sessionDidReceive(_ session: BrokerSession, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool) {}
}

/// One daemon's session with its broker, shared by the gateway, the collector and `lagesbild feedback`: the
/// libmosquitto client of the current attempt, the clients given up (destroyed outside their own callbacks),
/// the ``BrokerLink`` (when to try, backoff, MQTT 5 or 3.1.1), the connect timeout, and what a CONNACK or a
/// lost connection means. Each attempt is a fresh client made from ``Settings/options``.
///
/// Driven from the owner's poll() loop (``ServiceLoop``, or a loop of its own): ``tick(now:)`` once a turn,
/// ``pollDescriptor`` in the poll set, ``process(_:)`` with what poll() returned for it.
public final class BrokerSession: MQTTClientDelegate {
    public struct Settings {
        /// `host:port`, for the log and the status lines.
        public var endpoint: String
        /// `[mqtt] protocol`: 5, or 4 for 3.1.1.
        public var protocolVersion: MQTTOptions.ProtocolVersion
        /// The options of a new client, for the protocol of the attempt.
        public var options: (MQTTOptions.ProtocolVersion) -> MQTTOptions
        /// Set up a new client before it connects (log handler, quiet mode).
        public var prepare: (MQTTClient) -> Void
        /// Log a failure that is news (a new reason, or a connection that was up) with the retry delay; off for a
        /// one-shot client that reports failures to its caller instead.
        public var logsFailures: Bool
        /// Whether ``BrokerSession/tick(now:)`` starts the next attempt when it is due; off for a one-shot client
        /// whose caller decides (``BrokerSession/connect(now:)``).
        public var reconnects: Bool
        public init(endpoint: String, protocolVersion: MQTTOptions.ProtocolVersion,
                    options: @escaping (MQTTOptions.ProtocolVersion) -> MQTTOptions,
                    prepare: @escaping (MQTTClient) -> Void = { _ in }, logsFailures: Bool = true, reconnects: Bool = true) {
            self.reconnects = reconnects
            self.endpoint = endpoint
            self.protocolVersion = protocolVersion
            self.options = options
            self.prepare = prepare
            self.logsFailures = logsFailures
        }
    }

    public let settings: Settings
    public weak var delegate: BrokerSessionDelegate?
    /// The client of the current attempt or connection; nil between attempts.
    public private(set) var client: MQTTClient?
    /// Clients given up inside their own callbacks, destroyed on the next ``tick(now:)``.
    private var retired: [MQTTClient] = []
    public private(set) var link: BrokerLink
    /// Set by ``close()``: no more attempts, and the clean DISCONNECT that follows is not a failure.
    public private(set) var isClosing = false
    private var rng = SystemRandomNumberGenerator()

    public init(settings: Settings) {
        self.settings = settings
        self.link = BrokerLink(protocolVersion: settings.protocolVersion)
    }

    public var isConnected: Bool { link.isConnected }
    public var state: BrokerLink.State { link.state }
    /// "MQTT 5" or "MQTT 3.1.1".
    public var protocolName: String { link.protocolName }
    /// Why the last attempt or connection failed; nil once connected.
    public var lastFailure: String? { link.lastFailure }

    /// The client once connected, nil otherwise.
    public var connectedClient: MQTTClient? { link.isConnected ? client : nil }

    /// Once a loop turn: starts an attempt that is due, gives up one without a CONNACK in time, lets
    /// libmosquitto do its timed work (keepalive), and destroys clients given up.
    public func tick(now: Double) {
        if !isClosing, settings.reconnects, link.isDue(now: now) { connect(now: now) }
        if link.hasTimedOut(now: now) {
            fail("no answer from the broker within \(Int(BrokerLink.connectTimeout)) s", now: now)
        }
        if let c = client { do { try c.loopMisc() } catch { /* the delegate was told */ } }
        retired.removeAll()
    }

    /// Seconds until the next attempt is due (for the poll timeout), nil when one is not waited for.
    public func secondsUntilAttempt(now: Double) -> Double? {
        isClosing || !settings.reconnects ? nil : link.secondsUntilAttempt(now: now)
    }

    /// The broker socket for poll(): fd -1 between attempts. `reading` false leaves the socket unread (the
    /// broker keeps what is not read; the collector stops reading while its database refuses commits).
    public func pollDescriptor(reading: Bool = true) -> pollfd {
        var events = client?.pollEvents ?? 0
        if !reading { events &= ~Int16(POLLIN) }
        return pollfd(fd: client?.socket ?? -1, events: events, revents: 0)
    }

    /// Handles what poll() returned for ``pollDescriptor(reading:)``.
    public func process(_ revents: Int16) {
        guard let c = client, revents != 0 else { return }
        do { try c.processEvents(revents) } catch { /* the delegate was told */ }
    }

    /// Reads on while more is waiting on the socket and `more()` allows (so that one commit covers many
    /// messages), at most `turns` reads.
    public func readOn(turns: Int, while more: () -> Bool) {
        guard let c = client else { return }
        var n = 0
        while n < turns, more(), client === c, Self.readable(c.socket) {
            do { try c.loopRead() } catch { return }
            n += 1
        }
    }

    private static func readable(_ fd: Int32) -> Bool {
        guard fd >= 0 else { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0 && p.revents & Int16(POLLIN) != 0
    }

    /// Starts an attempt now (``tick(now:)`` does when one is due).
    public func connect(now: Double) {
        do {
            let c = try MQTTClient(options: settings.options(link.protocolVersion))
            c.delegate = self
            settings.prepare(c)
            client = c
            link.startedConnecting(now: now)
            try c.connect()
        } catch {
            fail(client?.describeConnectError(error) ?? "cannot connect to \(settings.endpoint): \(error)", now: now)
        }
    }

    /// Gives up this attempt or connection (the owner's reason, or the session's) and schedules the next one
    /// with backoff; the delegate hears ``BrokerSessionDelegate/sessionDidGoDown(_:why:)``.
    public func fail(_ why: String, now: Double, retryNow: Bool = false, disconnectCode: Int32? = nil) {
        if let c = client { retired.append(c); client = nil }
        let (delay, isNews) = link.failed(why, now: now, retryNow: retryNow, disconnectCode: disconnectCode, using: &rng)
        if isNews && settings.logsFailures {
            Log.warning("broker \(settings.endpoint): \(why); retrying in \(String(format1: delay)) s")
        }
        delegate?.sessionDidGoDown(self, why: why)
    }

    /// Ends the session: a clean DISCONNECT when connected, no more attempts.
    public func close() {
        isClosing = true
        if let c = client, link.isConnected { c.disconnect() }
        if let c = client { retired.append(c); client = nil }
        retired.removeAll()
    }

    /// No more attempts; the clean DISCONNECT the owner sends later is not a failure.
    public func beginClosing() { isClosing = true }

    // MARK: MQTTClientDelegate

    public func mqttDidConnect(_ client: MQTTClient, reasonCode: Int32, receiveMaximum: Int?, sessionPresent: Bool) {
        guard client === self.client else { return }
        let now = monotonicSeconds()
        switch link.connack(reasonCode: reasonCode) {
        case .retryWithOlderProtocol(let why): fail(why, now: now, retryNow: true)
        case .refused(let why): fail(why, now: now)
        case .accepted: delegate?.sessionDidConnect(self, client: client, receiveMaximum: receiveMaximum, sessionPresent: sessionPresent)
        }
    }

    public func mqttDidDisconnect(_ client: MQTTClient, reasonCode: Int32) {
        guard client === self.client else { return }
        if isClosing && reasonCode == 0 { return }
        let why = link.isConnected || reasonCode != 0 ? client.describeFailure(reasonCode: reasonCode) : "connection closed"
        fail(why, now: monotonicSeconds(), disconnectCode: reasonCode)
    }

    public func mqttDidPublish(_ client: MQTTClient, messageID: Int32, reasonCode: Int32) {
        delegate?.sessionDidPublish(self, messageID: messageID, reasonCode: reasonCode)
    }

    public func mqttDidSubscribe(_ client: MQTTClient, messageID: Int32, grantedQoS: [Int32]) {
        delegate?.sessionDidSubscribe(self, messageID: messageID, grantedQoS: grantedQoS)
    }

    public func mqttDidReceive(_ client: MQTTClient, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool) {
        delegate?.sessionDidReceive(self, topic: topic, payload: payload, qos: qos, retain: retain)
    }
}

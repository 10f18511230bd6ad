import CentralStore
import Daemon
import Glibc
import BrokerSettings
import KioskConfig
import KioskLog
import MQTTClient
import ReportModel

/// `lagesbild collect`: the central collector. Subscribes (QoS 1, a kept session under a fixed client id) to
/// every kiosk's reports and status, stores each loop turn's messages in one synced SQLite commit, and then
/// confirms to each kiosk what it stored with a receipt on `{prefix}/receipts/{kiosk}` (QoS 1, not retained),
/// duplicates included. A kiosk that awaits receipts deletes a report only then, so a report survives a
/// collector that dies between the broker's PUBACK and its own commit.
///
/// One thread, one poll() loop over the broker socket and a signalfd, like the gateway. Payloads that are not
/// reports go to the rejects table (reason, topic, time); nothing received is ever dropped silently, and no
/// payload makes the collector stop. Logs name kiosks, seqs, counts and reasons, never the text of a tip.
public final class Collector: MQTTClientDelegate {
    public struct Settings: Sendable {
        public var config: CentralConfiguration
        public var version: String
        public var password: String?
        public var environment: [String: String]
        public init(config: CentralConfiguration, version: String, password: String?, environment: [String: String]) {
            self.config = config
            self.version = version
            self.password = password
            self.environment = environment
        }
    }

    let settings: Settings
    var config: CentralConfiguration { settings.config }
    let store: CentralStore
    let notifier: SystemdNotifier
    private var client: MQTTClient?
    private var retired: [MQTTClient] = []
    private var link: BrokerLink
    private var rng = SystemRandomNumberGenerator()
    private var lastError: String?

    /// Received, not committed yet.
    private var batch = CentralStore.Batch()
    /// A commit failed (full disk, lock held): stop reading until it succeeds, so the broker keeps the rest.
    private var commitFailingSince: Double?
    private var nextCommitTry = 0.0
    private var stopping = false
    private var nextWatchdog = 0.0
    private var lastSystemdStatus = ""
    private let reportsPrefix: String
    private let statusPrefix: String

    /// Counters since start, for the status line and the log.
    public private(set) var storedReports = 0
    public private(set) var duplicates = 0
    public private(set) var rejected = 0

    public init(settings: Settings, store: CentralStore) {
        self.settings = settings
        self.store = store
        self.notifier = SystemdNotifier(environment: settings.environment)
        self.link = BrokerLink(protocolVersion: settings.config.mqtt.protocolVersion == 4 ? .v311 : .v5)
        reportsPrefix = settings.config.mqtt.topicPrefix + "/reports/"
        statusPrefix = settings.config.mqtt.topicPrefix + "/status/"
    }

    /// Runs until SIGTERM, SIGINT or SIGHUP; returns the exit status (0 on a clean stop).
    public func run() -> Int32 {
        guard let signals = SignalFD([SIGTERM, SIGINT, SIGHUP]) else {
            Log.error("cannot receive SIGTERM through a signalfd (\(String(cString: strerror(errno)))); not starting, as the stop could not be clean")
            return 71
        }
        notifier.notify("READY=1\nSTATUS=Database open; connecting to \(config.mqtt.host):\(config.mqtt.port)")
        Log.info("lagesbild collect \(settings.version): database \(store.path), broker \(config.mqtt.host):\(config.mqtt.port), client id \(config.central.clientID)"
                 + (config.central.shareGroup.map { ", shared subscription group \($0)" } ?? ""))
        while true {
            let now = monotonicSeconds()
            if !stopping, link.isDue(now: now) { startConnect(now: now) }
            if link.hasTimedOut(now: now) {
                connectionFailed("no answer from the broker within \(Int(BrokerLink.connectTimeout)) s", now: now)
            }
            if let c = client { do { try c.loopMisc() } catch {} }
            retired.removeAll()
            if let interval = notifier.watchdogInterval, now >= nextWatchdog {
                notifier.notify("WATCHDOG=1")
                nextWatchdog = now + interval
            }
            if !batch.isEmpty && now >= nextCommitTry { commit(now: now) }
            if stopping && (batch.isEmpty || commitFailingSince != nil) { break }
            updateSystemdStatus()

            var timeout = 1.0
            if let wait = link.secondsUntilAttempt(now: now) { timeout = min(timeout, wait) }
            if notifier.watchdogInterval != nil { timeout = min(timeout, max(0, nextWatchdog - now)) }
            if !batch.isEmpty { timeout = min(timeout, max(0, nextCommitTry - now)) }
            var events = client?.pollEvents ?? 0
            if commitFailingSince != nil { events &= ~Int16(POLLIN) }
            var fds = [pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: client?.socket ?? -1, events: events, revents: 0)]
            let n = poll(&fds, nfds_t(fds.count), Int32(timeout * 1000) + (timeout > 0 ? 1 : 0))
            if n < 0 && errno != EINTR {
                Log.error("poll: \(String(cString: strerror(errno)))")
                return 71
            }
            if fds[0].revents != 0 {
                for s in signals.drain() where !stopping {
                    Log.info("signal \(s): stopping; what was received is committed first")
                    notifier.notify("STOPPING=1\nSTATUS=Stopping")
                    stopping = true
                }
            }
            if let c = client, fds[1].revents != 0 {
                do {
                    try c.processEvents(fds[1].revents)
                    // Read on while more is waiting (up to a batch), so that one commit covers many reports.
                    var turns = 0
                    while fds[1].revents & Int16(POLLIN) != 0, batch.reports.count < 2000, turns < 4000,
                          client === c, Self.readable(c.socket) {
                        try c.loopRead()
                        turns += 1
                    }
                } catch { /* the delegate was told */ }
            }
        }
        if !batch.isEmpty {
            Log.error("stopping with \(batch.reports.count) reports not stored (\(lastError ?? "the database refused")); their kiosks send them again")
        }
        if let c = client, link.isConnected { c.disconnect() }
        client = nil
        retired.removeAll()
        Log.info("lagesbild collect stopped: \(storedReports) reports stored, \(duplicates) duplicates, \(rejected) rejected")
        return 0
    }

    private static func readable(_ fd: Int32) -> Bool {
        guard fd >= 0 else { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0 && p.revents & Int16(POLLIN) != 0
    }

    // MARK: Commit and receipts

    private func commit(now: Double) {
        let reports = batch.reports.count
        let committed: CentralStore.Committed
        do {
            committed = try store.commit(batch, at: WallClock.system.now().unixMillis)
        } catch {
            if commitFailingSince == nil {
                commitFailingSince = now
                Log.error("database: \(error); holding \(reports) received reports in memory and reading no more until it works (retry every second)")
            }
            lastError = "database: \(error)"
            nextCommitTry = now + 1
            return
        }
        if commitFailingSince != nil { Log.notice("database works again; \(reports) held reports stored") }
        commitFailingSince = nil
        rejected += batch.rejects.count
        storedReports += committed.new
        duplicates += committed.duplicates
        batch = CentralStore.Batch()
        sendReceipts(committed.held)
    }

    /// One receipt per kiosk for what this commit holds. Lost receipts are harmless: the kiosk sends the
    /// report again after its timeout, and the duplicate gets a receipt.
    private func sendReceipts(_ held: [String: [Int64]]) {
        guard let c = client, link.isConnected, !held.isEmpty else { return }
        let at = RFC3339.format(unixMillis: WallClock.system.now().unixMillis, utcOffsetSeconds: 0)
        for (kiosk, seqs) in held {
            let receipt = DeliveryReceipt(kiosk: kiosk, seqs: seqs, at: at)
            do {
                try c.publish(topic: config.receiptsTopic(kiosk: kiosk), payload: Array(receipt.json.utf8), qos: 1, retain: false)
            } catch {
                Log.warning("cannot send the receipt to kiosk \(kiosk): \(error); it will send those reports again")
            }
        }
    }

    // MARK: MQTT

    private func startConnect(now: Double) {
        let options = config.mqttOptions(clientID: config.central.clientID, protocolVersion: link.protocolVersion,
                                         password: settings.password, keepSession: true)
        do {
            let c = try MQTTClient(options: options)
            c.delegate = self
            client = c
            link.startedConnecting(now: now)
            try c.connect()
        } catch {
            connectionFailed(client?.describeConnectError(error) ?? "\(error)", now: now)
        }
    }

    private func connectionFailed(_ why: String, now: Double, retryNow: Bool = false, disconnectCode: Int32? = nil) {
        if let c = client { retired.append(c); client = nil }
        let (delay, isNews) = link.failed(why, now: now, retryNow: retryNow, disconnectCode: disconnectCode, using: &rng)
        if isNews {
            Log.warning("broker \(config.mqtt.host):\(config.mqtt.port): \(why); retrying in \(Int(delay.rounded(.up))) s")
        }
        lastError = why
    }

    public func mqttDidConnect(_ client: MQTTClient, reasonCode: Int32, receiveMaximum: Int?, sessionPresent: Bool) {
        let now = monotonicSeconds()
        switch link.connack(reasonCode: reasonCode) {
        case .retryWithOlderProtocol(let why): connectionFailed(why, now: now, retryNow: true); return
        case .refused(let why): connectionFailed(why, now: now); return
        case .accepted: break
        }
        lastError = nil
        // Subscribe every time: a broker that restarted without persistence has forgotten the session.
        for filter in [config.reportsFilter(), config.statusFilter()] {
            do { try client.subscribe(topic: filter, qos: 1) } catch {
                connectionFailed("cannot subscribe to \(filter): \(error)", now: now)
                return
            }
        }
        Log.notice("connected to \(config.mqtt.host):\(config.mqtt.port) (\(link.protocolName))"
                   + (sessionPresent ? "; the broker kept our session" : "; new session"))
    }

    public func mqttDidDisconnect(_ client: MQTTClient, reasonCode: Int32) {
        guard client === self.client else { return }
        if stopping && reasonCode == 0 { return }
        connectionFailed(client.describeFailure(reasonCode: reasonCode), now: monotonicSeconds(), disconnectCode: reasonCode)
    }

    public func mqttDidPublish(_ client: MQTTClient, messageID: Int32, reasonCode: Int32) {
        if MQTTClient.isFailure(reasonCode: reasonCode) {
            Log.warning("the broker refused a receipt: \(MQTTClient.describeReason(code: reasonCode)); check the ACL lets the collector write {prefix}/receipts/+")
        }
    }

    public func mqttDidSubscribe(_ client: MQTTClient, messageID: Int32, grantedQoS: [Int32]) {
        for code in grantedQoS where code >= 0x80 {
            lastError = "the broker refused a subscription: \(MQTTClient.describeReason(code: code))"
            Log.error(lastError! + "; check the ACL (the collector reads {prefix}/reports/+ and {prefix}/status/+)")
        }
    }

    public func mqttDidReceive(_ client: MQTTClient, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool) {
        if topic.hasPrefix(reportsPrefix) {
            let kiosk = String(topic.dropFirst(reportsPrefix.count))
            do {
                batch.reports.append(try ReceivedReport.decode(payload, topicKiosk: kiosk))
            } catch {
                reject(topic: topic, reason: error.reason, payload: payload)
            }
        } else if topic.hasPrefix(statusPrefix) {
            guard payload.count > 0 else { return }  // a cleared retained status
            let kiosk = String(topic.dropFirst(statusPrefix.count))
            switch CentralStore.KioskStatus.decode(payload, topicKiosk: kiosk) {
            case .success(let s): batch.statuses.append(s)
            case .failure(let e): reject(topic: topic, reason: "status: " + e.reason, payload: payload)
            }
        } else {
            reject(topic: topic, reason: "a topic the collector does not know", payload: payload)
        }
    }

    private func reject(topic: String, reason: String, payload: UnsafeRawBufferPointer) {
        Log.warning("rejected a payload of \(payload.count) bytes on \(topic): \(reason)")
        batch.rejects.append(CentralStore.Reject(topic: topic, reason: reason, payload: payload))
    }

    private func updateSystemdStatus() {
        guard notifier.isActive else { return }
        let text: String
        switch link.state {
        case .connected:
            text = "Connected to \(config.mqtt.host):\(config.mqtt.port); \(storedReports) reports stored, \(rejected) rejected"
                + (commitFailingSince != nil ? "; database: \(lastError ?? "failing")" : "")
        case .connecting: text = "Connecting to \(config.mqtt.host):\(config.mqtt.port)"
        case .waiting: text = "Not connected: \(lastError ?? "starting")"
        }
        if text != lastSystemdStatus {
            lastSystemdStatus = text
            notifier.notify("STATUS=\(text)")
        }
    }
}

extension CentralConfiguration {
    /// The MQTT options of the central side's clients, from `[mqtt]`: the collector's (a kept session under its
    /// fixed client id) and `lagesbild feedback`'s (a clean start under a client id of its own).
    public func mqttOptions(clientID: String, protocolVersion: MQTTOptions.ProtocolVersion, password: String?,
                            keepSession: Bool) -> MQTTOptions {
        mqtt.clientOptions(clientID: clientID, protocolVersion: protocolVersion, password: password,
                           sessionExpirySeconds: keepSession ? UInt32(central.sessionExpirySeconds) : nil)
    }
}

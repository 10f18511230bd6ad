import BrokerSession
import CentralStore
import Daemon
import Glibc
import BrokerSettings
import KioskConfig
import KioskLog
import MQTTClient
import ReportModel

/// `lagesbild collect`: the central collector. Subscribes (QoS 1, a kept session under a fixed client id) to
/// every kiosk's reports and status, stores each loop turn's messages in one durable commit (a synced SQLite
/// commit, or a PostgreSQL COMMIT sent without blocking the loop: ``CentralCommit``), and then
/// confirms to each kiosk what it stored with a receipt on `{prefix}/receipts/{kiosk}` (QoS 1, not retained),
/// duplicates included. A kiosk that awaits receipts deletes a report only then, so a report survives a
/// collector that dies between the broker's PUBACK and its own commit.
///
/// One thread, one poll() loop (``ServiceLoop``) over the broker socket of its ``BrokerSession`` and a
/// signalfd, like the gateway. Payloads that are not reports go to the rejects table (reason, topic, time), and
/// so does a retained report (a report is never retained; one that is would come back on every subscription);
/// nothing received is ever dropped silently, and no payload makes the collector stop. Logs name kiosks (cleaned
/// of control characters), seqs, counts and reasons, never the text of a tip.
public final class Collector: ServiceLoopBody, BrokerSessionDelegate {
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
    let store: any CentralDatabase
    /// The commit under way (PostgreSQL's is driven by the loop); reading from the broker waits for it.
    private var pending: (any CentralCommit)?
    private var pendingSince = 0.0
    /// How long a commit may take before it is given up (and tried again).
    static let commitTimeout = 30.0
    let notifier: SystemdNotifier
    let topics: Topics
    private var session: BrokerSession!
    private var lastError: String?

    /// Received, not committed yet.
    private var batch = CentralStore.Batch()
    /// A commit failed (full disk, lock held): stop reading until it succeeds, so the broker keeps the rest.
    private var commitFailingSince: Double?
    private var nextCommitTry = 0.0
    private var stopping = false
    private var stoppingSince = 0.0
    /// A stop waits this long at most for the last commit (systemd's TimeoutStopSec is longer).
    static let stopTimeout = 20.0
    private var lastSystemdStatus = ""

    /// Counters since start, for the status line and the log.
    public private(set) var storedReports = 0
    public private(set) var duplicates = 0
    public private(set) var rejected = 0
    public private(set) var overQuota = 0

    public init(settings: Settings, store: any CentralDatabase) {
        self.settings = settings
        self.store = store
        self.notifier = SystemdNotifier(environment: settings.environment)
        self.topics = settings.config.topics
        let config = settings.config
        session = BrokerSession(settings: .init(
            endpoint: "\(config.mqtt.host):\(config.mqtt.port)", protocolVersion: config.mqtt.protocolVersion == 4 ? .v311 : .v5,
            options: { version in
                config.mqttOptions(clientID: config.central.clientID, protocolVersion: version,
                                   password: settings.password, keepSession: true)
            }))
        session.delegate = self
    }

    /// Runs until SIGTERM, SIGINT or SIGHUP; returns the exit status (0 on a clean stop).
    public func run() -> Int32 {
        ServiceLoop(session: session, notifier: notifier).run(self)
    }

    public func start() -> Int32? {
        notifier.notify("READY=1\nSTATUS=Database open; connecting to \(config.mqtt.host):\(config.mqtt.port)")
        Log.info("lagesbild collect \(settings.version): database \(store.location), broker \(config.mqtt.host):\(config.mqtt.port), client id \(config.central.clientID)"
                 + (config.central.shareGroup.map { ", shared subscription group \($0)" } ?? ""))
        return nil
    }

    public func turn(now: Double) -> ServiceLoop.Step {
        if !batch.isEmpty && (pending != nil || now >= nextCommitTry) { commit(now: now) }
        if stopping && (batch.isEmpty || commitFailingSince != nil || now - stoppingSince > Self.stopTimeout) {
            pending?.abandon()
            return .finish(finish())
        }
        updateSystemdStatus()
        if pending != nil { return .wait(max(0, min(1, pendingSince + Self.commitTimeout - now))) }
        return .wait(batch.isEmpty ? 1.0 : max(0, nextCommitTry - now))
    }

    public func stopRequested(by signal: Int32) {
        Log.info("signal \(signal): stopping; what was received is committed first")
        stopping = true
        stoppingSince = monotonicSeconds()
    }

    /// While a commit is under way or fails, the broker keeps what is not read.
    public var readsBroker: Bool { commitFailingSince == nil && pending == nil }

    /// The database's socket while a commit waits for it.
    public var descriptors: [pollfd] {
        guard let p = pending, p.socket >= 0 else { return [] }
        return [pollfd(fd: p.socket, events: Int16(POLLIN) | (p.wantsWrite ? Int16(POLLOUT) : 0), revents: 0)]
    }

    public func ready(_ revents: [Int16]) {
        if pending != nil { commit(now: monotonicSeconds()) }
    }

    /// Reads on while more is waiting (up to a batch), so that one commit covers many reports.
    public func readsOn() -> Bool { batch.reports.count < 2000 }

    private func finish() -> Int32 {
        if !batch.isEmpty {
            Log.error("stopping with \(batch.reports.count) reports not stored (\(lastError ?? "the database refused")); their kiosks send them again")
        }
        session.close()
        Log.info("lagesbild collect stopped: \(storedReports) reports stored, \(duplicates) duplicates, \(rejected) rejected, \(overQuota) over the daily quota")
        return 0
    }

    // MARK: Commit and receipts

    /// Starts the batch's commit, or drives the one under way; once it is durable, counts and confirms.
    private func commit(now: Double) {
        let reports = batch.reports.count
        let committed: CentralStore.Committed
        do {
            if pending == nil {
                pending = store.beginCommit(batch, at: WallClock.system.now().unixMillis)
                pendingSince = now
            }
            guard let done = try pending!.advance() else {
                if now - pendingSince > Self.commitTimeout {
                    pending!.abandon()
                    throw CentralStoreError(message: "no answer from \(store.location) within \(Int(Self.commitTimeout)) s")
                }
                return
            }
            pending = nil
            committed = done
        } catch {
            pending = nil
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
        overQuota += committed.overQuota
        for (kiosk, seqs) in committed.refused.sorted(by: { $0.key < $1.key }) {
            Log.warning("kiosk \(TextCleaner.line(kiosk)): \(seqs.count) reports not stored (seq \(seqs.min()!)…\(seqs.max()!): over its daily quota or dated too far ahead); not confirmed, so the kiosk keeps them")
        }
        batch = CentralStore.Batch()
        sendReceipts(committed.held)
    }

    /// One receipt per kiosk for what this commit holds. Lost receipts are harmless: the kiosk sends the
    /// report again after its timeout, and the duplicate gets a receipt.
    private func sendReceipts(_ held: [String: [Int64]]) {
        guard let c = session.connectedClient, !held.isEmpty else { return }
        let at = RFC3339.format(unixMillis: WallClock.system.now().unixMillis, utcOffsetSeconds: 0)
        for (kiosk, seqs) in held {
            let receipt = DeliveryReceipt(kiosk: kiosk, seqs: seqs, at: at)
            do {
                try c.publish(topic: topics.receipts(kiosk: kiosk), payload: Array(receipt.json.utf8), qos: 1, retain: false)
            } catch {
                Log.warning("cannot send the receipt to kiosk \(TextCleaner.line(kiosk)): \(error); it will send those reports again")
            }
        }
    }

    // MARK: Broker session

    public func sessionDidConnect(_ session: BrokerSession, client: MQTTClient, receiveMaximum: Int?, sessionPresent: Bool) {
        lastError = nil
        // Subscribe every time: a broker that restarted without persistence has forgotten the session. Under
        // MQTT 5 the retain flag of a report comes as its kiosk set it, so that a retained one is seen as such.
        let v5 = session.link.protocolVersion == .v5
        for filter in [config.reportsFilter(), config.statusFilter()] {
            do { try client.subscribe(topic: filter, qos: 1, retainAsPublished: v5) } catch {
                session.fail("cannot subscribe to \(filter): \(error)", now: monotonicSeconds())
                return
            }
        }
        Log.notice("connected to \(config.mqtt.host):\(config.mqtt.port) (\(session.protocolName))"
                   + (sessionPresent ? "; the broker kept our session" : "; new session"))
    }

    public func sessionDidGoDown(_ session: BrokerSession, why: String) {
        lastError = why
    }

    public func sessionDidPublish(_ session: BrokerSession, messageID: Int32, reasonCode: Int32) {
        if MQTTClient.isFailure(reasonCode: reasonCode) {
            Log.warning("the broker refused a receipt: \(MQTTClient.describeReason(code: reasonCode)); check the ACL lets the collector write {prefix}/receipts/+")
        }
    }

    public func sessionDidSubscribe(_ session: BrokerSession, messageID: Int32, grantedQoS: [Int32]) {
        for code in grantedQoS where code >= 0x80 {
            lastError = "the broker refused a subscription: \(MQTTClient.describeReason(code: code))"
            Log.error(lastError! + "; check the ACL (the collector reads {prefix}/reports/+ and {prefix}/status/+)")
        }
    }

    public func sessionDidReceive(_ session: BrokerSession, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool) {
        switch topics.parse(topic) {
        case .reports(let kiosk)?:
            guard !retain else {
                reject(topic: topic, reason: "a retained report (a kiosk never retains one; refused, so that it cannot come back on every subscription)", payload: payload)
                return
            }
            do {
                batch.reports.append(try ReceivedReport.decode(payload, topicKiosk: kiosk))
            } catch {
                reject(topic: topic, reason: error.reason, payload: payload)
            }
        case .status(let kiosk)?:
            guard payload.count > 0 else { return }  // a cleared retained status
            switch ReceivedStatus.decode(payload, topicKiosk: kiosk) {
            case .success(let s): batch.statuses.append(s)
            case .failure(let e): reject(topic: topic, reason: "status: " + e.reason, payload: payload)
            }
        default:
            reject(topic: topic, reason: "a topic the collector does not know", payload: payload)
        }
    }

    private func reject(topic: String, reason: String, payload: UnsafeRawBufferPointer) {
        Log.warning("rejected a payload of \(payload.count) bytes on \(TextCleaner.line(topic)): \(TextCleaner.line(reason))")
        batch.rejects.append(CentralStore.Reject(topic: topic, reason: reason, payload: payload))
    }


    private func updateSystemdStatus() {
        guard notifier.isActive else { return }
        let text: String
        switch session.state {
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

import BrokerSession
import Daemon
import Delivery
import Glibc
import Hardware
import BrokerSettings
import KioskConfig
import KioskLog
import MQTTClient
import Outbox
import ReportModel

/// The gateway daemon: delivers the outbox to the MQTT broker, at least once and in order, and tells the truth
/// about how it is doing (retained status, `tipskiosk status`, systemd's `STATUS=`).
///
/// One thread, one poll() loop (``ServiceLoop``) over: the broker socket of its ``BrokerSession``, a signalfd
/// (SIGTERM/SIGINT/SIGHUP), and an inotify watch on the outbox folder (a report stored by another process wakes
/// the loop at once). With nothing to do it wakes once a second for the MQTT keepalive, nothing more.
///
/// The files of this folder: this one (the loop's turn and the stop), `Gateway+Session` (connecting,
/// subscribing, what the broker sends), `Gateway+Delivery` (the delivery machine's effects), `Gateway+Feedback`
/// (the centre's feedback for the welcome screen) and `Gateway+Status` (the retained status, the outbox's
/// gateway row, systemd's status line and the status light).
///
/// Delivery is decided by a pure state machine (`DeliveryMachine`); this class is its I/O: the poll loop, the
/// outbox, libmosquitto. Oldest first, a window of reports in flight (`mqtt.window`, at most the broker's
/// Receive Maximum). A row is deleted only after a PUBACK whose reason code is success (< 0x80), or, with
/// `[mqtt] await_receipts`, only after the collector's receipt on `{prefix}/receipts/{kiosk}` (sent again when
/// none came within `receipt_timeout_s`); a refusal (>= 0x80) moves the row to the dead letters with its code,
/// never retried in a loop. A lost connection puts what was in flight back in the queue, and the next connection
/// (a fresh libmosquitto handle, clean start) sends it again with the same `id` and `seq`; so does the next start
/// after a `kill -9`.
///
/// With `[hardware]` it also shows its state on a status light and pets a hardware watchdog (docs/HARDWARE.md).
public final class Gateway: ServiceLoopBody {
    public struct Settings: Sendable {
        public var config: Configuration
        public var version: String
        public var password: String?
        public var environment: [String: String]
        public init(config: Configuration, version: String, password: String?, environment: [String: String]) {
            self.config = config
            self.version = version
            self.password = password
            self.environment = environment
        }
    }

    let settings: Settings
    var config: Configuration { settings.config }
    let outbox: Outbox
    let notifier: SystemdNotifier
    let topics: Topics
    /// The broker session (made in `init`, which needs `self` for the last will's payload).
    var session: BrokerSession!

    var machine: DeliveryMachine<Outbox.Pending>
    /// libmosquitto's message id of each report in flight → its seq.
    var seqOfMessage: [Int32: Int64] = [:]
    var statusMessageIDs: Set<Int32> = []
    /// Subscriptions waiting for their SUBACK, by message id: the topic.
    var subscriptions: [Int32: String] = [:]
    /// The feedback topics whose retained message (or clearing) arrived on this connection.
    var feedbackSeen: Set<FeedbackScope> = []
    /// When stored feedback not sent again on this connection is forgotten (see `feedbackSweep`).
    var feedbackSweepAt: Double?
    var lastError: String?
    /// Set when the loop must end with this exit status (the command exits with it).
    var exitStatus: Int32?
    var lastDataVersion: Int64 = 0

    var stopping = false
    var stopDeadline = 0.0
    var offlineSent = false
    var statusDirty = true
    var lastStatusAt = -10.0
    var lastSystemdStatus = ""
    var nextFallbackCheck = 0.0
    var dbErrorSince: Double?
    var nextReclaim = 0.0
    var nextWALTruncate = 0.0
    /// When the gateway last connected (the `since` of the online status).
    var onlineSince: String?
    /// Times to look at `data_version` again after a file event: the WAL is written before the commit is
    /// published in the shared-memory index (which makes no file event), so the first look can be too early.
    var rechecks: [Double] = []
    /// The inotify watch on the outbox's folder; nil without inotify (then the 2 s fallback check).
    var watch: FolderWatch?
    /// `[hardware] status_led`: the status light (docs/HARDWARE.md), nil without one.
    let light: LEDClassLight?
    var lightDirty = true
    var lastLightCheck = -10.0
    /// `[hardware] watchdog`, petted where systemd gets `WATCHDOG=1`, closed with `V` on a clean stop only.
    let watchdog: HardwareWatchdog?
    var nextHardwarePet = 0.0

    /// `watchdog`: the hardware watchdog, already open (the command opens it before the outbox, whose opening
    /// may wait for disk space while petting it).
    public init(settings: Settings, outbox: Outbox, watchdog: HardwareWatchdog? = nil) {
        self.settings = settings
        self.outbox = outbox
        self.watchdog = watchdog
        self.light = settings.config.hardware.statusLEDFolder.map { LEDClassLight(folder: $0) }
        self.notifier = SystemdNotifier(environment: settings.environment)
        self.topics = Topics(prefix: settings.config.mqtt.topicPrefix)
        let mqtt = settings.config.mqtt
        self.machine = DeliveryMachine(settings: .init(receipts: mqtt.awaitReceipts
            ? .init(timeout: Double(mqtt.receiptTimeoutSeconds), limit: max(1000, 10 * mqtt.window)) : nil))
        session = BrokerSession(settings: .init(
            endpoint: "\(mqtt.host):\(mqtt.port)", protocolVersion: mqtt.protocolVersion == 4 ? .v311 : .v5,
            options: { [unowned self] version in
                let will = MQTTOptions.Will(topic: topics.status(kiosk: config.kiosk.id),
                                            payload: Array(statusPayload(online: false, withCounts: false).utf8),
                                            qos: 1, retain: true)
                return config.mqtt.clientOptions(clientID: config.kiosk.id, protocolVersion: version,
                                                 password: settings.password, will: will)
            },
            prepare: { [unowned self] c in
                c.logHandler = { _, text in Log.debug("libmosquitto: \(text)") }
                c.logLevels = 8   // MOSQ_LOG_ERR
                // Every report would cost a formatted log line in libmosquitto; errors while connected still
                // arrive as codes (on_disconnect, publish results).
                c.quietWhileConnected = true
                setGatewayState(.connecting)
            }))
        session.delegate = self
    }

    // MARK: Loop

    /// Runs until SIGTERM, SIGINT or SIGHUP. Returns the exit status (0 on a clean stop).
    public func run() -> Int32 {
        defer { light?.show(.off) }
        return ServiceLoop(session: session, notifier: notifier).run(self)
    }

    public func start() -> Int32? {
        let dir = outbox.folder
        let file = String(outbox.path.split(separator: "/").last ?? "")
        watch = FolderWatch(folder: dir, names: [file, file + "-wal"])
        if watch == nil { Log.warning("cannot watch \(dir) with inotify; new reports are noticed within 2 s instead") }

        do {
            let requeued = try outbox.requeueInFlight()
            if requeued > 0 { Log.notice("\(requeued) reports were in flight when the gateway last stopped; they are sent again") }
            if config.mqtt.awaitReceipts {
                let awaiting = try outbox.awaitingReceipt()
                if !awaiting.isEmpty {
                    Log.notice("\(awaiting.count) reports await the collector's receipt; sent again if none comes within \(config.mqtt.receiptTimeoutSeconds) s")
                    _ = machine.handle(.awaitingAtStart(seqs: awaiting, now: monotonicSeconds()))
                }
            } else {
                let back = try outbox.requeueAwaitingReceipt()
                if back > 0 { Log.notice("\(back) reports awaited a receipt, but receipts are off now; they are sent again") }
            }
        } catch {
            Log.error("outbox: \(error)")
            return 74
        }
        lastDataVersion = outbox.dataVersion()
        if let moved = outbox.recoveredFrom { Log.warning("this outbox was started fresh after a damaged one was moved aside to \(moved)") }
        notifier.notify("READY=1\nSTATUS=Outbox open; connecting to \(config.mqtt.host):\(config.mqtt.port)")
        setGatewayState(.disconnected)
        Log.info("gateway \(settings.version) for kiosk \(config.kiosk.id): outbox \(outbox.path), broker \(config.mqtt.host):\(config.mqtt.port)")
        return nil
    }

    public func turn(now: Double) -> ServiceLoop.Step {
        if let watchdog, now >= nextHardwarePet {
            watchdog.pet()
            nextHardwarePet = now + watchdog.petInterval
        }
        if let first = rechecks.first, now >= first {
            rechecks.removeAll { $0 <= now }
            if checkForNewReports() { rechecks.removeAll() }
        }
        if now >= nextFallbackCheck {
            if !outbox.isStillAtPath() {
                Log.error("the outbox file \(outbox.path) was replaced (a damaged file moved aside?); exiting so that the new one is opened on restart")
                flushAcks(now: now)
                notifier.notify("STATUS=Outbox file replaced; restarting")
                return .finish(75)
            }
            checkForNewReports()
            nextFallbackCheck = now + 2
        }
        deliver(.turn(now: now))
        if let status = exitStatus { return .finish(status) }
        if session.isConnected { feedbackSweep(now: now) }
        if session.isConnected && (statusDirty || now - lastStatusAt >= Self.statusHeartbeat) && now - lastStatusAt >= 1.0 {
            publishStatus(online: true, now: now)
        }
        if stopping {
            if !session.isConnected || now >= stopDeadline { return .finish(finish()) }
            if machine.inFlightCount == 0 && !offlineSent { publishStatus(online: false, now: now); offlineSent = true }
            if machine.inFlightCount == 0 && offlineSent && statusMessageIDs.isEmpty { return .finish(finish()) }
        }
        updateSystemdStatus()
        updateStatusLight(now: now)

        var timeout = 1.0
        if statusDirty && session.isConnected { timeout = min(timeout, max(0, lastStatusAt + 1.0 - now)) }
        if stopping { timeout = min(timeout, 0.1) }
        if let first = rechecks.first { timeout = min(timeout, max(0, first - now)) }
        if let deadline = machine.nextDeadline { timeout = min(timeout, max(0, deadline - now)) }
        if let at = feedbackSweepAt { timeout = min(timeout, max(0, at - now)) }
        if watchdog != nil { timeout = min(timeout, max(0, nextHardwarePet - now)) }
        return .wait(timeout)
    }

    public func stopRequested(by signal: Int32) {
        Log.info("signal \(signal): stopping; reports in flight finish or stay pending")
        stopping = true
        deliver(.stop)
        stopDeadline = monotonicSeconds() + 3
    }

    public var descriptors: [pollfd] { [pollfd(fd: watch?.fd ?? -1, events: Int16(POLLIN), revents: 0)] }

    public func ready(_ revents: [Int16]) {
        if revents[0] != 0, watch?.drain() == true {
            if !checkForNewReports() {
                let t = monotonicSeconds()
                rechecks = [t + 0.003, t + 0.015, t + 0.060, t + 0.250]
            }
        }
    }

    /// The clean stop: what was acknowledged is written, the session closed, the outbox told.
    private func finish() -> Int32 {
        flushAcks(now: monotonicSeconds())
        session.close()
        setGatewayState(.stopped)
        watchdog?.closeCleanly()
        Log.info("gateway stopped")
        return 0
    }

    /// True when another process committed since the last look.
    @discardableResult
    func checkForNewReports() -> Bool {
        let v = outbox.dataVersion()
        guard v != lastDataVersion else { return false }
        lastDataVersion = v
        deliver(.newReports)
        return true
    }

    /// How long after the SUBACK the retained feedback has to arrive before the stored copy counts as cleared.
    static let feedbackGrace = 5.0

    /// The retained status is published again at least this often (seconds), also when nothing changed: the
    /// centre tells a kiosk that is up and idle from one that went silent (`[central] silent_after_h`).
    static let statusHeartbeat = 600.0
}

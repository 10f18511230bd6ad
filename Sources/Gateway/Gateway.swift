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
/// One thread, one poll() loop over: the broker socket, a signalfd (SIGTERM/SIGINT/SIGHUP), and an inotify
/// watch on the outbox folder (a report stored by another process wakes the loop at once). With nothing to do
/// it wakes once a second for the MQTT keepalive, nothing more.
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
public final class Gateway: MQTTClientDelegate {
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
    private var client: MQTTClient?
    private var retiredClients: [MQTTClient] = []
    private var link: BrokerLink
    private var rng = SystemRandomNumberGenerator()

    private var machine: DeliveryMachine<Outbox.Pending>
    /// libmosquitto's message id of each report in flight → its seq.
    private var seqOfMessage: [Int32: Int64] = [:]
    private var statusMessageIDs: Set<Int32> = []
    /// Subscriptions waiting for their SUBACK, by message id: the topic.
    private var subscriptions: [Int32: String] = [:]
    /// The feedback topics whose retained message (or clearing) arrived on this connection.
    private var feedbackSeen: Set<FeedbackScope> = []
    /// When stored feedback not sent again on this connection is forgotten (see `feedbackSweep`).
    private var feedbackSweepAt: Double?
    private var lastError: String?
    /// Set when the loop must end with this exit status (the command exits with it).
    private var exitStatus: Int32?
    private var lastDataVersion: Int64 = 0

    private var stopping = false
    private var stopDeadline = 0.0
    private var offlineSent = false
    private var statusDirty = true
    private var lastStatusAt = -10.0
    private var lastSystemdStatus = ""
    private var nextWatchdog = 0.0
    private var nextFallbackCheck = 0.0
    private var dbErrorSince: Double?
    private var nextReclaim = 0.0
    /// Times to look at `data_version` again after a file event: the WAL is written before the commit is
    /// published in the shared-memory index (which makes no file event), so the first look can be too early.
    private var rechecks: [Double] = []
    /// `[hardware] status_led`: the status light (docs/HARDWARE.md), nil without one.
    private let light: LEDClassLight?
    private var lightDirty = true
    private var lastLightCheck = -10.0
    /// `[hardware] watchdog`, petted where systemd gets `WATCHDOG=1`, closed with `V` on a clean stop only.
    private let watchdog: HardwareWatchdog?
    private var nextHardwarePet = 0.0

    /// `watchdog`: the hardware watchdog, already open (the command opens it before the outbox, whose opening
    /// may wait for disk space while petting it).
    public init(settings: Settings, outbox: Outbox, watchdog: HardwareWatchdog? = nil) {
        self.settings = settings
        self.outbox = outbox
        self.watchdog = watchdog
        let hardware = settings.config.hardware
        self.light = hardware.statusLEDFolder.map { LEDClassLight(folder: $0) }
        self.notifier = SystemdNotifier(environment: settings.environment)
        self.link = BrokerLink(protocolVersion: settings.config.mqtt.protocolVersion == 4 ? .v311 : .v5)
        let mqtt = settings.config.mqtt
        self.machine = DeliveryMachine(settings: .init(receipts: mqtt.awaitReceipts
            ? .init(timeout: Double(mqtt.receiptTimeoutSeconds), limit: max(1000, 10 * mqtt.window)) : nil))
    }

    // MARK: Loop

    /// Runs until SIGTERM, SIGINT or SIGHUP. Returns the exit status (0 on a clean stop).
    public func run() -> Int32 {
        defer { light?.show(.off) }
        guard let signals = SignalFD([SIGTERM, SIGINT, SIGHUP]) else {
            Log.error("cannot receive SIGTERM through a signalfd (\(String(cString: strerror(errno)))); not starting, as the stop could not be clean")
            return 71
        }
        let dir = outbox.folder
        let file = String(outbox.path.split(separator: "/").last ?? "")
        let watch = FolderWatch(folder: dir, names: [file, file + "-wal"])
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
        setGatewayState("disconnected")
        Log.info("gateway \(settings.version) for kiosk \(config.kiosk.id): outbox \(outbox.path), broker \(config.mqtt.host):\(config.mqtt.port)")

        while true {
            let now = monotonicSeconds()
            if !stopping, link.isDue(now: now) { startConnect(now: now) }
            if link.hasTimedOut(now: now) {
                connectionFailed("no answer from the broker within \(Int(BrokerLink.connectTimeout)) s", now: now)
            }
            if let c = client {
                do { try c.loopMisc() } catch { /* the delegate was told; teardown below */ }
            }
            teardownRetired()
            if let interval = notifier.watchdogInterval, now >= nextWatchdog {
                notifier.notify("WATCHDOG=1")
                nextWatchdog = now + interval
            }
            if let watchdog, now >= nextHardwarePet {
                watchdog.pet()
                nextHardwarePet = now + watchdog.petInterval
            }
            deliver(.turn(now: now))
            if let status = exitStatus { return status }
            if link.isConnected { feedbackSweep(now: now) }
            if link.isConnected && (statusDirty || now - lastStatusAt >= Self.statusHeartbeat) && now - lastStatusAt >= 1.0 {
                publishStatus(online: true, now: now)
            }
            if stopping {
                if !link.isConnected || now >= stopDeadline { break }
                if machine.inFlightCount == 0 && !offlineSent { publishStatus(online: false, now: now); offlineSent = true }
                if machine.inFlightCount == 0 && offlineSent && statusMessageIDs.isEmpty { break }
            }
            updateSystemdStatus()
            updateStatusLight(now: now)

            var timeout = 1.0
            if let wait = link.secondsUntilAttempt(now: now), !stopping { timeout = min(timeout, wait) }
            if statusDirty && link.isConnected { timeout = min(timeout, max(0, lastStatusAt + 1.0 - now)) }
            if let _ = notifier.watchdogInterval { timeout = min(timeout, max(0, nextWatchdog - now)) }
            if stopping { timeout = min(timeout, 0.1) }
            if let first = rechecks.first { timeout = min(timeout, max(0, first - now)) }
            if let deadline = machine.nextDeadline { timeout = min(timeout, max(0, deadline - now)) }
            if let at = feedbackSweepAt { timeout = min(timeout, max(0, at - now)) }

            var fds = [pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: watch?.fd ?? -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: client?.socket ?? -1, events: client?.pollEvents ?? 0, revents: 0)]
            let n = poll(&fds, nfds_t(fds.count), Int32(timeout * 1000) + (timeout > 0 ? 1 : 0))
            if n < 0 && errno != EINTR {
                Log.error("poll: \(String(cString: strerror(errno)))")
                return 71
            }
            if fds[0].revents != 0 {
                for s in signals.drain() where !stopping {
                    Log.info("signal \(s): stopping; reports in flight finish or stay pending")
                    notifier.notify("STOPPING=1\nSTATUS=Stopping")
                    stopping = true
                    deliver(.stop)
                    stopDeadline = monotonicSeconds() + 3
                }
            }
            if fds[1].revents != 0, watch?.drain() == true {
                if !checkForNewReports() {
                    let t = monotonicSeconds()
                    rechecks = [t + 0.003, t + 0.015, t + 0.060, t + 0.250]
                }
            }
            if let first = rechecks.first, monotonicSeconds() >= first {
                rechecks.removeAll { $0 <= monotonicSeconds() }
                if checkForNewReports() { rechecks.removeAll() }
            }
            if monotonicSeconds() >= nextFallbackCheck {
                if !outbox.isStillAtPath() {
                    Log.error("the outbox file \(outbox.path) was replaced (a damaged file moved aside?); exiting so that the new one is opened on restart")
                    flushAcks(now: monotonicSeconds())
                    notifier.notify("STATUS=Outbox file replaced; restarting")
                    return 75
                }
                checkForNewReports()
                nextFallbackCheck = monotonicSeconds() + 2
            }
            if let c = client, fds[2].revents != 0 {
                do { try c.processEvents(fds[2].revents) } catch { /* the delegate was told */ }
            }
        }

        flushAcks(now: monotonicSeconds())
        if let c = client, link.isConnected { c.disconnect() }
        client = nil
        teardownRetired()
        setGatewayState("stopped")
        watchdog?.closeCleanly()
        Log.info("gateway stopped")
        return 0
    }

    /// True when another process committed since the last look.
    @discardableResult
    private func checkForNewReports() -> Bool {
        let v = outbox.dataVersion()
        guard v != lastDataVersion else { return false }
        lastDataVersion = v
        deliver(.newReports)
        return true
    }

    // MARK: Connection

    private func startConnect(now: Double) {
        let will = MQTTOptions.Will(topic: config.statusTopic(), payload: Array(statusPayload(online: false, withCounts: false).utf8),
                                    qos: 1, retain: true)
        let options = config.mqtt.clientOptions(clientID: config.kiosk.id, protocolVersion: link.protocolVersion,
                                                password: settings.password, will: will)
        do {
            let c = try MQTTClient(options: options)
            c.delegate = self
            c.logHandler = { _, text in Log.debug("libmosquitto: \(text)") }
            c.logLevels = 8   // MOSQ_LOG_ERR
            // Every report would cost a formatted log line in libmosquitto; errors while connected still
            // arrive as codes (on_disconnect, publish results).
            c.quietWhileConnected = true
            client = c
            link.startedConnecting(now: now)
            try c.connect()
            setGatewayState("connecting")
        } catch {
            connectionFailed(client?.describeConnectError(error) ?? "\(error)", now: now)
        }
    }

    /// Gives up this connection attempt or connection and schedules the next one with backoff.
    private func connectionFailed(_ why: String, now: Double, retryNow: Bool = false, disconnectCode: Int32? = nil) {
        if let c = client { retiredClients.append(c); client = nil }
        deliver(.linkDown)
        seqOfMessage.removeAll()
        statusMessageIDs.removeAll()
        let (delay, isNews) = link.failed(why, now: now, retryNow: retryNow, disconnectCode: disconnectCode, using: &rng)
        if isNews {
            Log.warning("broker \(config.mqtt.host):\(config.mqtt.port): \(why); retrying in \(String(format1: delay)) s")
        }
        lastError = why
        setGatewayState("disconnected")
    }

    /// Destroys libmosquitto handles outside of their own callbacks.
    private func teardownRetired() { retiredClients.removeAll() }

    public func mqttDidConnect(_ client: MQTTClient, reasonCode: Int32, receiveMaximum: Int?, sessionPresent: Bool) {
        let now = monotonicSeconds()
        switch link.connack(reasonCode: reasonCode) {
        case .retryWithOlderProtocol(let why): connectionFailed(why, now: now, retryNow: true); return
        case .refused(let why): connectionFailed(why, now: now); return
        case .accepted: break
        }
        flushAcks(now: now)
        lastError = nil
        seqOfMessage.removeAll()
        let window = max(1, min(config.mqtt.window, receiveMaximum ?? 65535))
        deliver(.linkUp(window: window))
        subscriptions.removeAll()
        if config.mqtt.awaitReceipts {
            do {
                subscriptions[try client.subscribe(topic: receiptsTopic, qos: 1)] = receiptsTopic
            } catch {
                Log.warning("cannot subscribe to \(receiptsTopic): \(error); reports are sent again after \(config.mqtt.receiptTimeoutSeconds) s")
            }
        }
        // The centre's feedback: the broker sends what is retained right after the SUBACK. What was stored
        // from an earlier connection and is not sent again was cleared at the centre meanwhile (`feedbackSweep`).
        feedbackSeen.removeAll()
        feedbackSweepAt = nil
        for scope in FeedbackScope.allCases {
            let topic = feedbackTopic(scope)
            do {
                subscriptions[try client.subscribe(topic: topic, qos: 1)] = topic
            } catch {
                Log.warning("cannot subscribe to \(topic): \(error); the welcome screen keeps the feedback it has")
            }
        }
        Log.notice("connected to \(config.mqtt.host):\(config.mqtt.port) (\(protocolName)); window \(window)"
                   + (config.mqtt.awaitReceipts ? "; deleting on the collector's receipt" : ""))
        setGatewayState("connected")
        publishStatus(online: true, now: now)
    }

    public func mqttDidDisconnect(_ client: MQTTClient, reasonCode: Int32) {
        guard client === self.client else { return }
        if stopping && reasonCode == 0 { return }
        let now = monotonicSeconds()
        if link.isConnected || reasonCode != 0 {
            connectionFailed(client.describeFailure(reasonCode: reasonCode), now: now, disconnectCode: reasonCode)
        } else {
            connectionFailed("connection closed", now: now)
        }
    }

    public func mqttDidPublish(_ client: MQTTClient, messageID: Int32, reasonCode: Int32) {
        if statusMessageIDs.remove(messageID) != nil {
            if MQTTClient.isFailure(reasonCode: reasonCode) {
                Log.warning("the broker refused the status message: \(MQTTClient.describeReason(code: reasonCode))")
            }
            return
        }
        guard let seq = seqOfMessage.removeValue(forKey: messageID) else { return }
        deliver(.puback(seq: seq, reasonCode: reasonCode))
    }

    public func mqttDidSubscribe(_ client: MQTTClient, messageID: Int32, grantedQoS: [Int32]) {
        let topic = subscriptions.removeValue(forKey: messageID)
        if let topic, topic != receiptsTopic {
            if let code = grantedQoS.first, code >= 0x80 {
                Log.warning("the broker refused the subscription to \(topic): \(MQTTClient.describeReason(code: code)); the welcome screen keeps the feedback it has (check the broker's ACL)")
            } else if !subscriptions.values.contains(where: { $0 != receiptsTopic }) {
                // Both feedback topics are subscribed: what is retained has been sent, or is on its way.
                feedbackSweepAt = monotonicSeconds() + Self.feedbackGrace
            }
            return
        }
        if let code = grantedQoS.first, code >= 0x80 {
            lastError = "the broker refused the subscription to \(receiptsTopic): \(MQTTClient.describeReason(code: code)); reports are sent again every \(config.mqtt.receiptTimeoutSeconds) s"
            Log.warning(lastError!)
            setGatewayState("connected")
        }
    }

    public func mqttDidReceive(_ client: MQTTClient, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool) {
        if let scope = FeedbackScope.allCases.first(where: { feedbackTopic($0) == topic }) {
            receiveFeedback(scope: scope, topic: topic, payload: payload)
            return
        }
        guard config.mqtt.awaitReceipts, topic == receiptsTopic else { return }
        do {
            let receipt = try DeliveryReceipt.decode(payload)
            guard receipt.kiosk == config.kiosk.id else {
                Log.warning("ignored a receipt for kiosk \(receipt.kiosk) on \(topic)")
                return
            }
            deliver(.receipt(seqs: receipt.seqs, now: monotonicSeconds()))
        } catch {
            Log.warning("ignored a receipt on \(topic) that is not valid: \(error)")
        }
    }

    // MARK: Feedback

    /// Checks, cleans and stores the centre's feedback for the prompt; an empty message clears it. A message
    /// that is not valid is logged (never its text) and ignored: the screen keeps what it had.
    private func receiveFeedback(scope: FeedbackScope, topic: String, payload: UnsafeRawBufferPointer) {
        feedbackSeen.insert(scope)
        let feedback: Feedback?
        if payload.count == 0 {
            feedback = nil
        } else {
            do {
                feedback = try Feedback.decode(payload)
            } catch {
                Log.warning("ignored the feedback on \(topic): \(error)")
                return
            }
        }
        do {
            if try outbox.setFeedback(feedback, scope: scope) {
                if let f = feedback {
                    Log.info("feedback from \(topic) stored for the welcome screen (published \(f.publishedAt)"
                             + (f.until.map { ", shown until \($0)" } ?? "") + ", languages \(f.text.keys.sorted().joined(separator: " ")))")
                } else {
                    Log.info("feedback from \(topic) cleared by the centre")
                }
            }
        } catch {
            Log.warning("outbox: cannot store the feedback from \(topic): \(error)")
        }
    }

    /// Forgets stored feedback that the broker did not send again after this connection's subscription: the
    /// centre cleared it while this kiosk was away (a cleared retained message is not sent to a new subscriber).
    private func feedbackSweep(now: Double) {
        guard let at = feedbackSweepAt, now >= at else { return }
        feedbackSweepAt = nil
        for scope in FeedbackScope.allCases where !feedbackSeen.contains(scope) {
            do {
                if try outbox.setFeedback(nil, scope: scope) {
                    Log.info("feedback from \(feedbackTopic(scope)) is no longer at the broker: cleared")
                }
            } catch {
                Log.warning("outbox: cannot clear the feedback from \(feedbackTopic(scope)): \(error)")
            }
        }
    }

    private func feedbackTopic(_ scope: FeedbackScope) -> String { config.feedbackTopic(own: scope == .own) }

    /// How long after the SUBACK the retained feedback has to arrive before the stored copy counts as cleared.
    static let feedbackGrace = 5.0

    /// The retained status is published again at least this often (seconds), also when nothing changed: the
    /// centre tells a kiosk that is up and idle from one that went silent (`[central] silent_after_h`).
    static let statusHeartbeat = 600.0

    private var protocolName: String { link.protocolName }
    private lazy var reportsTopic = config.reportsTopic()
    private lazy var receiptsTopic = config.receiptsTopic()

    // MARK: Delivery

    /// Feeds the delivery machine and carries out what it asks: the outbox transaction of a loop turn,
    /// publishes, dead letters, status.
    private func deliver(_ event: DeliveryEvent<Outbox.Pending>) {
        for effect in machine.handle(event) {
            switch effect {
            case .exchange(let work):
                if !work.requeue.isEmpty {
                    Log.notice("\(work.requeue.count) reports had no receipt from the collector within \(config.mqtt.receiptTimeoutSeconds) s (seq \(work.requeue.first!)…\(work.requeue.last!)); sending them again")
                }
                do {
                    let rows = try outbox.exchange(work, at: outbox.clock.now().unixMillis)
                    dbErrorSince = nil
                    if !work.delete.isEmpty || !work.deleteRanges.isEmpty { truncateWALWhenDrained(taken: rows.count, work: work) }
                    deliver(.exchanged(taken: rows))
                } catch {
                    deliver(.exchangeFailed)
                    noteDatabaseError(error)
                }
            case .publish(let row):
                guard let c = client else {
                    deliver(.publishFailed(seq: row.seq))
                    continue
                }
                do {
                    let mid = try c.publish(topic: reportsTopic, payload: row.payloadBytes, qos: Int32(config.mqtt.qos),
                                            retain: false,
                                            userProperties: [("id", row.id), ("kiosk", config.kiosk.id), ("seq", String(row.seq))])
                    seqOfMessage[mid] = row.seq
                } catch {
                    // Not connected any more: the row stays pending in the outbox and is sent again after the
                    // reconnect. The delegate has been or will be told.
                    deliver(.publishFailed(seq: row.seq))
                }
            case .deadLetter(let seq, let code):
                let reason = MQTTClient.describeReason(code: code)
                Log.warning("the broker refused report seq \(seq): \(reason); kept as a dead letter")
                do {
                    try outbox.markDead(seq: seq, reasonCode: Int(code), reason: reason, at: outbox.clock.now().unixMillis)
                } catch {
                    Log.error("outbox: cannot record the dead letter for seq \(seq): \(error); it will be sent again")
                }
                lastError = "report seq \(seq) refused: \(reason)"
                setGatewayState("connected")
            case .refusedForNow(let seq, let code, let retryIn):
                let reason = MQTTClient.describeReason(code: code)
                Log.warning("the broker refused report seq \(seq) for now: \(reason); sending again in \(String(format1: retryIn)) s")
                lastError = "report seq \(seq) refused for now: \(reason); sending again in \(String(format1: retryIn)) s"
                setGatewayState("connected")
            case .statusChanged:
                statusDirty = true
                lightDirty = true
            }
        }
    }

    /// When a drain has emptied the queue, the WAL still holds the delivered reports' pages: a checkpoint that
    /// truncates it lets them go (at most every 10 s; best effort, a reader may hold it back).
    private func truncateWALWhenDrained(taken: Int, work: OutboxWork) {
        let now = monotonicSeconds()
        guard taken == 0, work.takeLimit > 0 || !link.isConnected, now >= nextWALTruncate else { return }
        nextWALTruncate = now + 10
        if (try? outbox.stats().pending) == 0 { outbox.reclaimSpace() }
    }
    private var nextWALTruncate = 0.0

    /// Deletes what was acknowledged, taking nothing (before a reconnect, at the stop).
    private func flushAcks(now: Double) {
        guard machine.hasUnwrittenAcks else { return }
        deliver(.flush(now: now))
    }

    /// A failed outbox read or write (delete after PUBACK, taking pending rows). Nothing is lost: acknowledged
    /// rows stay in memory and are deleted on the next turn; a row whose delete never lands is sent again.
    /// A full disk or a busy lock is waited out (a restart cannot fix either, and the errors of a full disk
    /// alternate between the two); an unusable file for a minute ends the process so that systemd opens the
    /// outbox afresh.
    private func noteDatabaseError(_ error: OutboxError) {
        let now = monotonicSeconds()
        if error == .diskFull && now >= nextReclaim {
            // The outbox's own WAL may have taken the room: a checkpoint lets it start over.
            if outbox.reclaimSpace() { Log.notice("outbox: checkpointed the WAL to make room") }
            nextReclaim = now + 1
        }
        if dbErrorSince == nil {
            dbErrorSince = now
            Log.error("outbox: cannot record deliveries (\(error)); retrying, reports stay pending and may be sent twice")
            notifier.notify("STATUS=Outbox: \(error); retrying")
        } else if let since = dbErrorSince, now - since > 60, case .unusable = error {
            Log.error("outbox unusable for a minute (\(error)); exiting so that systemd restarts the gateway")
            exitStatus = 74
        }
    }

    // MARK: Status

    /// The §4.2 payload. `since` is when the current state began; the last will carries no counts (they would
    /// be stale by the time the broker sends it).
    private func statusPayload(online: Bool, withCounts: Bool, since: String? = nil) -> String {
        let clock = outbox.clock
        var message = StatusMessage(kiosk: config.kiosk.id, online: online, pending: nil, oldestPendingAt: nil,
                                    lastAckAt: nil, deadLetters: nil, version: settings.version, since: since)
        if withCounts, let stats = try? outbox.stats() {
            message.pending = stats.pending
            message.oldestPendingAt = stats.oldestPendingAt.map(clock.format)
            message.deadLetters = stats.deadLetters
            message.awaitingReceipt = stats.awaitingReceipt
            message.lastSeq = stats.nextSeq - 1
            message.lastAckAt = outbox.gatewayState()?.lastAckAt.map(clock.format)
        }
        return message.json
    }

    /// When the gateway last connected (the `since` of the online status).
    private var onlineSince: String?

    private func publishStatus(online: Bool, now: Double) {
        guard let c = client, link.isConnected else { return }
        let since = online ? onlineSince : outbox.clock.format(outbox.clock.now().unixMillis)
        let payload = statusPayload(online: online, withCounts: true, since: since)
        do {
            let mid = try c.publish(topic: config.statusTopic(), payload: Array(payload.utf8), qos: 1, retain: true)
            statusMessageIDs.insert(mid)
        } catch {
            return
        }
        statusDirty = false
        lastStatusAt = now
    }

    private func setGatewayState(_ broker: String) {
        let ms = outbox.clock.now().unixMillis
        // `since` is when the connection was made: a later word about it (a dead letter) does not move it.
        if broker != "connected" { onlineSince = nil } else if onlineSince == nil { onlineSince = outbox.clock.format(ms) }
        let previous = outbox.gatewayState()
        let since = previous?.broker == broker ? previous?.since ?? ms : ms
        do {
            try outbox.setGatewayState(GatewayState(broker: broker, since: since, lastAckAt: nil, lastError: lastError,
                                                    protocolName: broker == "connected" ? protocolName : nil,
                                                    pid: getpid(), updatedAt: ms))
        } catch {
            Log.warning("outbox: cannot record the gateway state: \(error)")
        }
        updateSystemdStatus()
        lightDirty = true
    }

    /// Shows the status on the light (docs/HARDWARE.md): after a change at most once a second, else every 10 s
    /// (the outbox's counts also change in other processes). The light writes its files only on a change.
    private func updateStatusLight(now: Double) {
        guard let light, now - lastLightCheck >= (lightDirty ? 1 : 10) else { return }
        lightDirty = false
        lastLightCheck = now
        let stats = try? outbox.stats()
        let refuses = stats.map { $0.pending >= outbox.maxPending } ?? true
        light.show(StatusLight.state(for: StatusLight.Snapshot(
            connected: link.isConnected, pending: stats?.pending ?? 0, deadLetters: stats?.deadLetters ?? 0,
            outboxRefuses: refuses || dbErrorSince != nil)))
    }

    private func updateSystemdStatus() {
        guard notifier.isActive else { return }
        let text: String
        switch link.state {
        case .connected:
            text = "Connected to \(config.mqtt.host):\(config.mqtt.port) (\(protocolName)); \(machine.inFlightCount) in flight"
                + (config.mqtt.awaitReceipts ? ", \(machine.awaitingCount) awaiting a receipt" : "")
        case .connecting: text = "Connecting to \(config.mqtt.host):\(config.mqtt.port)"
        case .waiting(let until):
            text = "Not connected: \(lastError ?? "starting"); next try in \(Int(max(0, until - monotonicSeconds()).rounded(.up))) s"
        }
        if text != lastSystemdStatus {
            lastSystemdStatus = text
            notifier.notify("STATUS=\(text)")
        }
    }
}

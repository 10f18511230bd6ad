import Daemon
import Hardware
import Glibc
import KioskLog
import MQTTClient
import Outbox
import ReportModel

/// How the gateway tells the truth about itself: the retained status (§4.2), the outbox's gateway row (read by
/// the prompt and `tipskiosk status`), systemd's status line and the status light.
extension Gateway {
    /// The §4.2 payload. `since` is when the current state began; the last will carries no counts (they would
    /// be stale by the time the broker sends it).
    func statusPayload(online: Bool, withCounts: Bool, since: String? = nil) -> String {
        let clock = outbox.clock
        var message = StatusMessage(kiosk: config.kiosk.id, state: online ? .online : .offline,
                                    version: settings.version, since: since)
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


    func publishStatus(online: Bool, now: Double) {
        guard let c = session.connectedClient else { return }
        let since = online ? onlineSince : outbox.clock.format(outbox.clock.now().unixMillis)
        let payload = statusPayload(online: online, withCounts: true, since: since)
        do {
            let mid = try c.publish(topic: topics.status(kiosk: config.kiosk.id), payload: Array(payload.utf8), qos: 1, retain: true)
            statusMessageIDs.insert(mid)
        } catch {
            return
        }
        statusDirty = false
        lastStatusAt = now
    }

    func setGatewayState(_ broker: BrokerState) {
        let ms = outbox.clock.now().unixMillis
        // `since` is when the connection was made: a later word about it (a dead letter) does not move it.
        if broker != .connected { onlineSince = nil } else if onlineSince == nil { onlineSince = outbox.clock.format(ms) }
        let previous = outbox.gatewayState()
        let since = previous?.broker == broker ? previous?.since ?? ms : ms
        do {
            try outbox.setGatewayState(GatewayState(broker: broker, since: since, lastAckAt: nil, lastError: lastError,
                                                    protocolName: broker == .connected ? session.protocolName : nil,
                                                    pid: getpid(), updatedAt: ms))
        } catch {
            Log.warning("outbox: cannot record the gateway state: \(error)")
        }
        updateSystemdStatus()
        lightDirty = true
    }

    /// Shows the status on the light (docs/HARDWARE.md): after a change at most once a second, else every 10 s
    /// (the outbox's counts also change in other processes). The light writes its files only on a change.
    func updateStatusLight(now: Double) {
        guard let light, now - lastLightCheck >= (lightDirty ? 1 : 10) else { return }
        lightDirty = false
        lastLightCheck = now
        let stats = try? outbox.stats()
        let refuses = stats.map { $0.pending >= outbox.maxPending } ?? true
        light.show(StatusLight.state(for: StatusLight.Snapshot(
            connected: session.isConnected, pending: stats?.pending ?? 0, deadLetters: stats?.deadLetters ?? 0,
            outboxRefuses: refuses || dbErrorSince != nil)))
    }

    func updateSystemdStatus() {
        guard notifier.isActive else { return }
        let text: String
        switch session.state {
        case .connected:
            text = "Connected to \(config.mqtt.host):\(config.mqtt.port) (\(session.protocolName)); \(machine.inFlightCount) in flight"
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

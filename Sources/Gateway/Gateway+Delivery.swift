import Daemon
import Delivery
import Glibc
import KioskLog
import MQTTClient
import Outbox
import ReportModel

/// What the delivery machine asks for, carried out: the outbox transaction of a loop turn, publishes, dead
/// letters; and what to do when the outbox cannot be written.
extension Gateway {
    /// Feeds the delivery machine and carries out what it asks: the outbox transaction of a loop turn,
    /// publishes, dead letters, status.
    func deliver(_ event: DeliveryEvent<Outbox.Pending>) {
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
                guard let c = session.connectedClient else {
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
                setGatewayState(.connected)
            case .refusedForNow(let seq, let code, let retryIn):
                let reason = MQTTClient.describeReason(code: code)
                Log.warning("the broker refused report seq \(seq) for now: \(reason); sending again in \(String(format1: retryIn)) s")
                lastError = "report seq \(seq) refused for now: \(reason); sending again in \(String(format1: retryIn)) s"
                setGatewayState(.connected)
            case .statusChanged:
                statusDirty = true
                lightDirty = true
            }
        }
    }

    /// When a drain has emptied the queue, the WAL still holds the delivered reports' pages: a checkpoint that
    /// truncates it lets them go (at most every 10 s; best effort, a reader may hold it back).
    func truncateWALWhenDrained(taken: Int, work: OutboxWork) {
        let now = monotonicSeconds()
        guard taken == 0, work.takeLimit > 0 || !session.isConnected, now >= nextWALTruncate else { return }
        nextWALTruncate = now + 10
        if (try? outbox.stats().pending) == 0 { outbox.reclaimSpace() }
    }

    /// Deletes what was acknowledged, taking nothing (before a reconnect, at the stop).
    func flushAcks(now: Double) {
        guard machine.hasUnwrittenAcks else { return }
        deliver(.flush(now: now))
    }

    /// A failed outbox read or write (delete after PUBACK, taking pending rows). Nothing is lost: acknowledged
    /// rows stay in memory and are deleted on the next turn; a row whose delete never lands is sent again.
    /// A full disk or a busy lock is waited out (a restart cannot fix either, and the errors of a full disk
    /// alternate between the two); an unusable file for a minute ends the process so that systemd opens the
    /// outbox afresh.
    func noteDatabaseError(_ error: OutboxError) {
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
}

import BrokerSession
import Daemon
import Delivery
import KioskLog
import MQTTClient
import Outbox
import ReportModel

/// The gateway's side of its broker session: on connect it subscribes to its receipts and the centre's
/// feedback and sends what waits; what the broker sends back goes to the delivery machine or the feedback store.
extension Gateway: BrokerSessionDelegate {
    var reportsTopic: String { topics.reports(kiosk: config.kiosk.id) }
    var receiptsTopic: String { topics.receipts(kiosk: config.kiosk.id) }

    public func sessionDidConnect(_ session: BrokerSession, client: MQTTClient, receiveMaximum: Int?, sessionPresent: Bool) {
        let now = monotonicSeconds()
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
        Log.notice("connected to \(config.mqtt.host):\(config.mqtt.port) (\(session.protocolName)); window \(window)"
                   + (config.mqtt.awaitReceipts ? "; deleting on the collector's receipt" : ""))
        setGatewayState(.connected)
        publishStatus(online: true, now: now)
    }

    public func sessionDidGoDown(_ session: BrokerSession, why: String) {
        deliver(.linkDown)
        seqOfMessage.removeAll()
        statusMessageIDs.removeAll()
        lastError = why
        setGatewayState(.disconnected)
    }

    public func sessionDidPublish(_ session: BrokerSession, messageID: Int32, reasonCode: Int32) {
        if statusMessageIDs.remove(messageID) != nil {
            if MQTTClient.isFailure(reasonCode: reasonCode) {
                Log.warning("the broker refused the status message: \(MQTTClient.describeReason(code: reasonCode))")
            }
            return
        }
        guard let seq = seqOfMessage.removeValue(forKey: messageID) else { return }
        deliver(.puback(seq: seq, reasonCode: reasonCode))
    }

    public func sessionDidSubscribe(_ session: BrokerSession, messageID: Int32, grantedQoS: [Int32]) {
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
            setGatewayState(.connected)
        }
    }

    public func sessionDidReceive(_ session: BrokerSession, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool) {
        if let scope = FeedbackScope.allCases.first(where: { feedbackTopic($0) == topic }) {
            receiveFeedback(scope: scope, topic: topic, payload: payload)
            return
        }
        guard config.mqtt.awaitReceipts, topic == receiptsTopic else { return }
        do {
            let receipt = try DeliveryReceipt.decode(payload)
            guard receipt.kiosk == config.kiosk.id else {
                deliver(.receiptRefused)
                Log.warning("ignored a receipt for kiosk \(TextCleaner.line(receipt.kiosk)) on \(topic) (\(machine.refusedReceipts) refused since the start)")
                return
            }
            deliver(.receipt(seqs: receipt.seqs, now: monotonicSeconds()))
        } catch {
            deliver(.receiptRefused)
            Log.warning("ignored a receipt on \(topic) that is not valid: \(error) (\(machine.refusedReceipts) refused since the start)")
        }
    }
}

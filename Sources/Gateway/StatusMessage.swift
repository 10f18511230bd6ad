import Outbox
import ReportModel

/// The retained status payload of docs/CONTRACT.md §5.
struct StatusMessage {
    var kiosk: String
    var online: Bool
    var pending: Int?
    var oldestPendingAt: String?
    var lastAckAt: String?
    var deadLetters: Int?
    /// Sent, PUBACKed, waiting for the collector's receipt (0 with receipts off).
    var awaitingReceipt: Int?
    /// The highest seq this kiosk has handed out: the centre sees a gap at the end of what it holds with it.
    var lastSeq: Int64?
    var version: String
    var since: String?

    var json: String {
        var w = JSONWriter()
        w.object {
            $0.field("kiosk", kiosk)
            $0.field("state", online ? "online" : "offline")
            $0.field("pending", pending.map(Int64.init))
            $0.field("oldest_pending_at", oldestPendingAt)
            $0.field("last_ack_at", lastAckAt)
            $0.field("dead_letters", deadLetters.map(Int64.init))
            if let awaitingReceipt { $0.field("awaiting_receipt", awaitingReceipt) }
            if let lastSeq { $0.field("last_seq", lastSeq) }
            $0.field("version", version)
            $0.field("since", since)
        }
        return w.output
    }
}

/// The gateway's link to its broker, in the words of `tipskiosk status` (docs/CONTRACT.md §1.4) and of the
/// outbox's `gateway` row, where the prompt and `status` read it.
public enum BrokerState: String, Sendable, CaseIterable {
    case connected
    case connecting
    case disconnected
    /// The gateway stopped cleanly (the outbox keeps the word; a running gateway never says it).
    case stopped
}

/// A kiosk's retained status message (docs/CONTRACT.md §4.2) as the gateway sends it.
public struct StatusMessage: Sendable, Equatable {
    /// §4.2's `state`: online on every connect, offline in the last will and at a clean stop.
    public enum State: String, Sendable {
        case online
        case offline
    }

    public var kiosk: String
    public var state: State
    public var pending: Int?
    public var oldestPendingAt: String?
    public var lastAckAt: String?
    public var deadLetters: Int?
    /// Sent, PUBACKed, waiting for the collector's receipt (0 with receipts off).
    public var awaitingReceipt: Int?
    /// The highest seq this kiosk has handed out: the centre sees a gap at the end of what it holds with it.
    public var lastSeq: Int64?
    public var version: String
    public var since: String?

    public init(kiosk: String, state: State, pending: Int? = nil, oldestPendingAt: String? = nil, lastAckAt: String? = nil,
                deadLetters: Int? = nil, awaitingReceipt: Int? = nil, lastSeq: Int64? = nil, version: String, since: String?) {
        self.kiosk = kiosk
        self.state = state
        self.pending = pending
        self.oldestPendingAt = oldestPendingAt
        self.lastAckAt = lastAckAt
        self.deadLetters = deadLetters
        self.awaitingReceipt = awaitingReceipt
        self.lastSeq = lastSeq
        self.version = version
        self.since = since
    }

    /// The payload. The last will carries no counts: `pending`, `oldest_pending_at`, `last_ack_at` and
    /// `dead_letters` are null there, and `awaiting_receipt` and `last_seq` absent.
    public var json: String {
        var w = JSONWriter()
        w.object {
            $0.field("kiosk", kiosk)
            $0.field("state", state.rawValue)
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

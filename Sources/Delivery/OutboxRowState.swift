/// Where a stored report stands on its way to the centre. The outbox's `reports.state` column holds the raw
/// value; every SQL statement names a state through this type (`\(OutboxRowState.pending.sql)`), never a bare
/// number. A delivered report is deleted, so it has no state.
public enum OutboxRowState: Int64, Sendable, CaseIterable {
    /// Stored and not delivered yet. Which of these are in flight (published, no PUBACK yet) is the running
    /// gateway's memory, not a state: every pending row goes out again after a restart.
    case pending = 0
    /// Published, no PUBACK yet: written only by gateways before outbox migration 3, and put back to pending
    /// when the gateway starts.
    case inFlight = 1
    /// The broker refused it for good (PUBACK reason code >= 0x80): kept with its code, never sent again
    /// automatically, counted in the status until staff requeue it.
    case deadLetter = 2
    /// The broker's PUBACK said success and `[mqtt] await_receipts` is on: kept until the collector's receipt
    /// names it (the only state a receipt deletes), or sent again when none came in time.
    case awaitingReceipt = 3

    /// The raw value as SQL text, for a statement: `"… WHERE state = \(OutboxRowState.pending.sql)"`.
    public var sql: String { String(rawValue) }
}

import ReportModel
import SQLite

// The centre's public feedback, as the gateway last received it, kept in the `meta` table (no schema change):
// the gateway is the only process with a network, the prompt reads it from here for the welcome screen.

/// Which retained feedback topic a message came from: `{prefix}/feedback/all` or the kiosk's own.
public enum FeedbackScope: String, Sendable, CaseIterable {
    case all, own

    var metaKey: String { "feedback_\(rawValue)" }
}

extension Outbox {
    /// Stores (or with nil forgets) the feedback of one topic, already checked and cleaned. Returns false when
    /// it was stored already, so that nothing is written (or logged) for a retained message seen again.
    @discardableResult
    public func setFeedback(_ feedback: Feedback?, scope: FeedbackScope) throws(OutboxError) -> Bool {
        do {
            return try db.writeTransaction { () throws(SQLiteError) -> Bool in
                let value = feedback?.json
                guard try meta(scope.metaKey) != value else { return false }
                try setMeta(scope.metaKey, value)
                return true
            }
        } catch {
            throw Self.mapError(error)
        }
    }

    /// The feedback stored for one topic; nil when none, or when what is stored does not read as feedback.
    public func storedFeedback(scope: FeedbackScope) -> Feedback? {
        guard let json = try? db.readTransaction({ () throws(SQLiteError) -> String? in try meta(scope.metaKey) }) else {
            return nil
        }
        return try? Array(json.utf8).withUnsafeBytes { (b) throws(Feedback.Problem) -> Feedback in try Feedback.decode(b) }
    }

    /// The feedback the welcome screen shows at the outbox clock's now: the kiosk's own while it lasts, else
    /// the one for all kiosks (`Feedback.inForce`).
    public func feedbackInForce() -> Feedback? {
        let (now, offset) = clock.now()
        return Feedback.inForce(own: storedFeedback(scope: .own), all: storedFeedback(scope: .all),
                                atUnixMillis: now, utcOffsetSeconds: offset)
    }
}

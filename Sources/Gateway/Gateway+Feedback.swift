import Daemon
import Delivery
import Glibc
import KioskLog
import MQTTClient
import Outbox
import ReportModel

/// The centre's feedback (docs/CONTRACT.md §4.4) for the welcome screen: checked, cleaned and kept in the
/// outbox, where the prompt reads it.
extension Gateway {
    /// Checks, cleans and stores the centre's feedback for the prompt; an empty message clears it. A message
    /// that is not valid is logged (never its text) and ignored: the screen keeps what it had.
    func receiveFeedback(scope: FeedbackScope, topic: String, payload: UnsafeRawBufferPointer) {
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
    func feedbackSweep(now: Double) {
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

    func feedbackTopic(_ scope: FeedbackScope) -> String { topics.feedback(kiosk: scope == .own ? config.kiosk.id : nil) }
}

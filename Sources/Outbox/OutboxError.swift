/// Why the outbox refused. Every case has a sentence a person can act on (`description`), worded for any
/// operation (a caller that stores adds "nothing was stored"); the prompt shows its own translated text per case.
public enum OutboxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `max_pending` undelivered reports are stored: nothing more is taken until the gateway delivers some.
    case full(maxPending: Int, pending: Int)
    /// The file system is full.
    case diskFull
    /// Another process held the database longer than the busy timeout.
    case busy
    /// The file cannot be used (permissions, read-only file system, I/O error, damage found while running).
    case unusable(String)

    public var description: String {
        switch self {
        case .full(let max, let pending):
            "the outbox is full: \(pending) reports wait for delivery (max_pending = \(max))"
        case .diskFull: "the disk is full"
        case .busy: "the outbox was busy for too long (another process held it)"
        case .unusable(let why): "the outbox cannot be used: \(why)"
        }
    }
}

/// A commit of one batch in progress, as `lagesbild collect` drives it from its poll() loop: SQLite's is made
/// whole by the first ``advance()`` (a synced commit on a local disk); PostgreSQL's goes out without blocking and
/// finishes when the server has answered (`PostgresStore.PendingCommit`).
public protocol CentralCommit: AnyObject {
    /// The socket to poll while the commit waits for the server; -1 when there is none.
    var socket: Int32 { get }
    /// Poll for writability too.
    var wantsWrite: Bool { get }
    /// Does whatever can be done now: what was stored once the commit is durable, nil while more is to come. A
    /// thrown error means nothing of the batch is confirmed; the same batch may be committed again (by id).
    func advance() throws(CentralStoreError) -> CentralStore.Committed?
    /// Gives the commit up; nothing of it is confirmed.
    func abandon()
}

extension PostgresStore.PendingCommit: CentralCommit {}

/// SQLite's commit, made at the first ``advance()``.
final class ImmediateCommit: CentralCommit {
    private let store: CentralStore
    private let batch: CentralStore.Batch
    private let now: Int64
    init(store: CentralStore, batch: CentralStore.Batch, now: Int64) {
        self.store = store
        self.batch = batch
        self.now = now
    }
    var socket: Int32 { -1 }
    var wantsWrite: Bool { false }
    func advance() throws(CentralStoreError) -> CentralStore.Committed? { try store.commit(batch, at: now) }
    func abandon() {}
}

extension CentralStore {
    /// The batch's commit, for the collector's loop: made at its first `advance()`.
    public func beginCommit(_ batch: Batch, at now: Int64) -> any CentralCommit {
        ImmediateCommit(store: self, batch: batch, now: now)
    }
}

extension PostgresStore {
    /// The batch's commit, for the collector's loop: sent without blocking, driven by `advance()`.
    public func beginCommit(_ batch: CentralStore.Batch, at now: Int64) -> any CentralCommit {
        startCommit(batch, at: now)
    }
}

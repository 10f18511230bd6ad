import PostgreSQL

extension PostgresStore {
    /// One commit driven from the collector's poll() loop, without blocking: connecting when there is no
    /// connection (`PQconnectStart`/`PQconnectPoll`, every host of the conninfo), then BEGIN, the commit's
    /// reads the daily quota needs sent at once in pipeline mode, their results read, then the writes `IntakeLedger`
    /// decided and COMMIT at once (two round trips in all). Poll `socket` for readability (and
    /// for writability while `wantsWrite`), and call `advance()` when it is ready, or when the loop wakes anyway;
    /// it returns what was stored once COMMIT has succeeded. Only then may receipts go out.
    ///
    /// On an error `advance()` throws: the connection is closed, which rolls the transaction back (or it died
    /// already), and nothing of the batch is confirmed. A lost connection (or a primary that became read-only) is `isBusy`; the store
    /// connects anew on the next commit, so the caller keeps the batch and starts the same commit again later
    /// (inserting by id makes that safe even if the lost COMMIT had in fact been made).
    public final class PendingCommit {
        private unowned let store: PostgresStore
        private var steps: [PostgresStore.Statement]
        private let batch: CentralStore.Batch
        private let now: Int64
        private let policy: IntakePolicy
        /// Reading what the quota needs (BEGIN and `intakeReads`), or writing (`commitWrites` and COMMIT).
        private var admitted: IntakeLedger.Admitted?
        private var results: [PGResult] = []   // the first result of each statement of the current pipeline
        private var next = 0          // the statement whose results are being read
        private var connecting: PGConnection?
        private var connectProgress = PGConnection.ConnectProgress.waitWritable
        private var started = false
        private var sending = false
        private var failure: PGError?
        private var done: CentralStore.Committed?

        init(store: PostgresStore, batch: CentralStore.Batch, now: Int64) {
            self.store = store
            self.batch = batch
            self.now = now
            policy = store.intake
            steps = [("BEGIN", [])] + PostgresStore.intakeReads(batch, at: now)
            if batch.isEmpty { done = CentralStore.Committed(held: [:], new: 0) }
        }

        /// The socket to poll: the connection's, or the one being connected.
        public var socket: Int32 { connecting?.socket ?? store.socket }
        /// Poll for writability too (connecting, or a statement not yet sent whole).
        public var wantsWrite: Bool { connecting != nil ? connectProgress == .waitWritable : sending }

        /// Does whatever can be done now; the result once COMMIT succeeded, nil while more is to come.
        public func advance() throws(CentralStoreError) -> CentralStore.Committed? {
            if let done { return done }
            do {
                return try step()
            } catch {
                if error.needsReconnect { store.drop() }
                throw CentralStoreError(error, location: store.location)
            }
        }

        /// Sends the current phase's statements and a sync point.
        private func send(_ c: PGConnection) throws(PGError) {
            next = 0
            results = []
            for step in steps { try c.send(step.sql, step.params) }
            try c.pipelineSync()
            sending = try !c.flush()
        }

        /// Gives the commit up (it took too long): the connection is closed, which rolls back whatever the server
        /// had not committed yet; nothing of the batch is confirmed, and the next commit connects anew.
        public func abandon() {
            guard done == nil else { return }
            connecting = nil
            store.drop()
        }

        private func step() throws(PGError) -> CentralStore.Committed? {
            if store.openConnection == nil {
                if connecting == nil {
                    connecting = try PGConnection.start(store.conninfo)
                    connectProgress = .waitWritable
                }
                guard let c = connecting else { return nil }
                connectProgress = try c.continueConnecting()
                guard connectProgress == .ready else { return nil }
                connecting = nil
                // The session settings go first, in the same queue.
                steps.insert(contentsOf: PostgresStore.sessionSettings(readOnly: false).map { ($0, []) }, at: 0)
                store.adopt(c)
            }
            guard let c = store.openConnection else { return nil }
            if !started {
                // Every statement of a phase at once, in one pipeline: one round trip each.
                started = true
                try c.enterPipelineMode()
                try send(c)
            }
            if sending { sending = try !c.flush() }
            try c.consumeInput()
            while !c.isBusy {
                guard let r = c.nextResult() else {
                    next += 1   // a statement's results are done
                    continue
                }
                if r.isPipelineSync {
                    // The end of a phase: every statement of it has answered.
                    if let failure {
                        // Closing the connection rolls the transaction back, without a blocking ROLLBACK here; the
                        // next commit connects anew.
                        store.drop()
                        throw failure
                    }
                    guard next == steps.count, results.count == steps.count else {
                        store.drop()
                        throw PGError(kind: .connectionLost, sqlState: nil, message: "the pipeline ended early", context: "commit")
                    }
                    if let admitted {
                        try c.exitPipelineMode()
                        // The rows of the statement before COMMIT: the new reports per kiosk.
                        done = PostgresStore.committed(admitted, newRows: results[results.count - 2])
                        return done
                    }
                    // The reads answered: decide, then send the writes and COMMIT (the transaction stays open).
                    let decided = PostgresStore.admit(batch, policy: policy, now: now, reads: results)
                    admitted = decided
                    steps = PostgresStore.commitWrites(decided, at: now) + [("COMMIT", [])]
                    try send(c)
                    try c.consumeInput()
                    continue
                }
                guard next < steps.count else { continue }
                if failure == nil, let e = r.error(context: steps[next].sql) { failure = e }
                if results.count == next { results.append(r) }
            }
            return nil
        }
    }

    /// Starts a commit to be driven from a poll() loop (`PendingCommit`).
    public func startCommit(_ batch: CentralStore.Batch, at now: Int64) -> PendingCommit {
        PendingCommit(store: self, batch: batch, now: now)
    }
}

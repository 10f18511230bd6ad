import CentralStore
import Glibc
import ReportModel
import Testing
import TestSupport

/// The centre surviving the loss of its database machine: two collectors (two stores, each its own connection)
/// write one PostgreSQL through a multi-host conninfo with target_session_attrs=read-write; the primary has a
/// synchronous streaming standby; the primary is killed mid-stream and the standby promoted. Every batch is kept
/// until its COMMIT succeeded and sent again otherwise, some are delivered to both collectors: at the end every
/// report is held exactly once, with no gap.
@Suite(.serialized) struct PostgresFailoverTests {
    /// Drives one commit from a poll() loop as the collector does; throws what the commit threw.
    /// `midway` runs once the commit's first statement is on its way.
    static func drive(_ store: PostgresStore, _ batch: CentralStore.Batch, at now: Int64,
                      midway: () -> Void = {}) throws(CentralStoreError) -> CentralStore.Committed {
        let pending = store.startCommit(batch, at: now)
        let deadline = ContinuousClock.now + .seconds(30)
        var first = true
        while ContinuousClock.now < deadline {
            if let done = try pending.advance() { return done }
            if first { midway() }
            first = false
            var p = pollfd(fd: pending.socket, events: Int16(POLLIN) | (pending.wantsWrite ? Int16(POLLOUT) : 0), revents: 0)
            _ = poll(&p, 1, 200)
        }
        throw CentralStoreError(message: "commit not done within 30 s")
    }

    @Test("kill -9 the primary mid-stream, promote the standby: exact counts, no gaps, no report held twice")
    func primaryKilledAndStandbyPromoted() throws {
        let primary = try TestPostgres()
        let standby = try primary.standby()
        try primary.setSynchronousStandbys("*")
        let conninfo = TestPostgres.conninfo(readWriteAmong: [primary, standby])
        let collectors = [try PostgresStore.open(conninfo: conninfo), try PostgresStore.open(conninfo: conninfo)]

        let kiosks = ["k-1", "k-2", "k-3", "k-4"], perKiosk: Int64 = 300, chunk: Int64 = 25
        var batches: [CentralStore.Batch] = []
        for start in stride(from: Int64(1), through: perKiosk, by: Int(chunk)) {
            for k in kiosks {
                batches.append(CentralStoreTests.batch((start..<(start + chunk)).map {
                    CentralStoreTests.report(kiosk: k, seq: $0, at: CentralStoreTests.t0)
                }))
            }
        }
        var failures = 0, promoted = false, confirmed = 0, duplicates = 0
        let started = ContinuousClock.now
        for (i, batch) in batches.enumerated() {
            // Every fifth batch reaches both collectors (a redelivery); the rest one of them, in turn.
            let takers = i % 5 == 0 ? [0, 1] : [i % 2]
            for t in takers {
                while true {
                    let result = Result { () throws(CentralStoreError) in
                        // A third of the way through, the primary's machine is lost with a commit in flight.
                        try Self.drive(collectors[t], batch, at: CentralStoreTests.t0,
                                       midway: { if i == batches.count / 3 && failures == 0 { primary.kill() } })
                    }
                    switch result {
                    case .success(let c):
                        confirmed += c.held.values.reduce(0) { $0 + $1.count }
                        duplicates += c.duplicates
                    case .failure(let error):
                        // Not confirmed: the batch is kept and sent again. The operator's promotion comes once.
                        failures += 1
                        #expect(error.isBusy, "\(error)")
                        if !promoted {
                            try standby.promote()
                            try standby.setSynchronousStandbys("")
                            promoted = true
                        }
                        #expect(failures < 200, "the commit never got through: \(error)")
                        if failures >= 200 { return }
                        usleep(50_000)   // a retry's pause, as the collector's
                        continue
                    }
                    break
                }
            }
        }
        #expect(promoted && failures > 0, "the primary's loss was felt")
        print("failover: \(failures) failed attempts, \(ContinuousClock.now - started) in all")
        let total = kiosks.count * Int(perKiosk)
        // Each report was new to exactly one commit, except those of a commit whose COMMIT was made on the server
        // (and the synchronous standby) but whose answer died with the primary: sent again, they are duplicates.
        // There is at most one such batch (one commit in flight at the kill).
        let new = confirmed - duplicates
        #expect(new <= total && new >= total - Int(chunk), "new \(new) of \(total)")
        let after = try PostgresStore.open(conninfo: standby.conninfo, readOnly: true)
        #expect(try after.reportCount() == total, "every report exactly once")
        #expect(try after.heldRanges() == Dictionary(uniqueKeysWithValues: kiosks.map { ($0, [1...perKiosk]) }))
        #expect(try after.gaps().isEmpty)
    }
}

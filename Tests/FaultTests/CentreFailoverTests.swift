import CentralStore
import Foundation
import Glibc
import Testing
import TestSupport

/// A region's centre that survives losing a machine (docs/CENTRAL.md): two `lagesbild collect`, each with its own
/// kept broker session, writing one PostgreSQL through a multi-host conninfo (`target_session_attrs=read-write`) to a
/// primary with a synchronous streaming standby. Kiosks with receipts stream reports through it all; one collector is
/// killed with `kill -9`, then the primary, mid-stream, and the standby promoted. Every report is held exactly once,
/// with no gap, and every kiosk's outbox empties: what a kiosk deleted, the centre had committed on both machines.
@Suite(.serialized)
struct CentreFailoverTests {
    @Test("Failover: kill -9 of one of two collectors, then of the PostgreSQL primary mid-stream, the standby promoted; exact counts, no gaps, no report held twice")
    func collectorAndPrimaryLost() throws {
        let primary = try TestPostgres()
        let standby = try primary.standby()
        try primary.setSynchronousStandbys("*")
        let conninfo = TestPostgres.conninfo(readWriteAmong: [primary, standby])
        let broker = try TestBroker(extraConfig: ["max_queued_messages 0"], logTypes: ["error"])

        let central = TempDir("central")
        var collectors: [GatewayProcess] = []
        for n in 1...2 {
            let config = writeCentralConfig(in: central, port: broker.port, clientID: "lagesbild-collect-\(n)",
                                            extraCentral: "database = \"\(conninfo)\"", name: "collect-\(n).toml")
            let p = GatewayProcess.collector(config: config, log: central.file("collect-\(n).log"))
            try p.start()
            collectors.append(p)
        }
        defer { for c in collectors { c.terminate() } }
        #expect(waitUntil(timeout: 20) { collectors.allSatisfy { $0.log.contains("connected to") } },
                "\(collectors.map(\.log))")

        let kiosks = (1...3).map { n -> (TempDir, String, GatewayProcess) in
            let dir = TempDir("kiosk-\(n)")
            let config = writeTestConfig(in: dir, kiosk: "failover-kiosk-\(n)", port: broker.port,
                                         extraMQTT: "await_receipts = true\nreceipt_timeout_s = 5")
            return (dir, config, GatewayProcess(config: config, log: dir.file("gateway.log")))
        }
        for (_, _, gw) in kiosks { try gw.start() }
        defer { for (_, _, gw) in kiosks { gw.terminate() } }

        // The stream: each kiosk stores 400 reports in 8 rounds; the faults come between rounds.
        let perRound = 50, rounds = 8
        for round in 0..<rounds {
            for (_, config, _) in kiosks {
                let r = try tipskiosk(["submit", "--config", config], input: submitLines(perRound, from: round * perRound))
                #expect(r.status == 0, "\(r.stderr)")
            }
            if round == 2 { collectors[0].kill9() }
            if round == 4 {
                primary.kill()
                try standby.promote()
                try standby.setSynchronousStandbys("")
            }
            usleep(300_000)
        }
        let total = kiosks.count * perRound * rounds
        let drained = waitUntil(timeout: 120) {
            kiosks.allSatisfy { (try? status($0.1)["pending"] as? Int) == 0 }
        }
        #expect(drained, "outboxes: \(kiosks.map { (try? status($0.1)["pending"]) ?? "?" })\n\(collectors[1].log)")

        let store = try PostgresStore.open(conninfo: conninfo, readOnly: true)
        #expect(try store.reportCount() == total)
        let gaps = try store.gaps()
        #expect(gaps.isEmpty, "\(gaps)")
        let ranges = try store.heldRanges()
        for n in 1...3 {
            #expect(ranges["failover-kiosk-\(n)"] == [1...Int64(perRound * rounds)], "\(ranges)")
        }
        // The surviving collector met the lost primary (a commit failed, nothing of it confirmed) and went on
        // with the promoted standby.
        #expect(collectors[1].isRunning && collectors[1].log.contains("database works again"), "\(collectors[1].log)")
    }
}

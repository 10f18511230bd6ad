// The centre's disk fills up: the collector's commit fails, so it confirms nothing and reads no more; with
// receipts on, the kiosks keep every report until the collector has committed it, once space returns.

import CentralStore
import Foundation
import Glibc
import Testing
import TestSupport

@Suite(.serialized, .enabled(if: SmallDisk.canMount, "mounting a tmpfs needs root (CI runs as root)"))
struct CentralDiskFullTests {
    @Test(.timeLimit(.minutes(3)))
    func collectorOnAFullDiskConfirmsNothingAndLosesNothing() throws {
        let broker = try TestBroker()
        let disk = try SmallDisk(sizeKiB: 2048)
        defer { disk.unmount() }
        let centralConfig = writeCentralConfig(in: disk.dir, port: broker.port)
        let collector = GatewayProcess.collector(config: centralConfig, log: disk.file("collect.log"))
        try collector.start()
        defer { collector.terminate() }
        #expect(waitUntil(timeout: 10) { collector.log.contains("connected to") })

        let kiosk = TempDir("kiosk")
        let config = writeTestConfig(in: kiosk, kiosk: "k-full", port: broker.port,
                                     extraMQTT: "await_receipts = true\nreceipt_timeout_s = 5")
        let gateway = GatewayProcess(config: config, log: kiosk.file("gateway.log"))
        try gateway.start()
        defer { gateway.terminate() }
        func pending() -> Int? { (try? status(config))?["pending"] as? Int }
        func held() -> Int {
            (try? CentralStore.open(path: disk.file("central.sqlite"), readOnly: true).reportCount()) ?? -1
        }

        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(200)).status == 0)
        #expect(waitUntil(timeout: 20) { pending() == 0 }, "\(gateway.log.suffix(1500))")
        #expect(held() == 200)

        try disk.fill()
        #expect(try tipskiosk(["submit", "--config", config], input: submitLines(300, from: 200)).status == 0)
        // The collector cannot commit: it says so, stays up, and the kiosk keeps every report.
        #expect(waitUntil(timeout: 15) { collector.log.contains("is full") }, "\(collector.log.suffix(1500))")
        usleep(2_000_000)
        #expect(collector.isRunning)
        #expect((pending() ?? 0) > 0, "nothing was confirmed, so the kiosk still holds them")
        let whileFull = pending() ?? -1

        disk.removeFiller()
        #expect(waitUntil(timeout: 60) { pending() == 0 }, "\(collector.log.suffix(1500))")
        #expect(held() == 500)
        fxFigures("central-disk-full", ["stored_before": 200, "pending_while_full": whileFull, "held_after": held()])
    }
}

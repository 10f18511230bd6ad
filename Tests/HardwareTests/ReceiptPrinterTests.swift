import Foundation
import Glibc
import Hardware
import Testing
import TestSupport

@Suite struct ReceiptPrinterTests {
    static let job = ESCPOS.bytes(for: Receipt(title: "Tack för ditt tips!", reference: "Ditt nummer: 0001",
                                               time: "2025-03-01 14:05", footer: ["Vid akut fara: ring 112"]))

    @Test func jobsReachTheFileInOrder() throws {
        let dir = TempDir("lp")
        let path = dir.file("lp0")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let printer = ReceiptPrinter(path: path)
        defer { printer.stop() }
        printer.submit(Self.job)
        printer.submit([0x41, 0x0A])
        #expect(printer.waitUntilIdle(seconds: 5))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == Self.job + [0x41, 0x0A])
        #expect(printer.dropped == 0)
    }

    @Test func aMissingPrinterOrAFIFOWithoutReaderNeverBlocks() throws {
        let dir = TempDir("lp")
        let fifo = dir.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        for path in [dir.file("no-such-printer"), fifo] {
            let printer = ReceiptPrinter(path: path)
            defer { printer.stop() }
            let start = Date()
            printer.submit(Self.job)
            #expect(Date().timeIntervalSince(start) < 0.1)
            // Given up at once (ENOENT, ENXIO), not after the timeout.
            #expect(printer.waitUntilIdle(seconds: 2), "\(path)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("no-such-printer")), "a missing printer is not created")
    }

    /// A printer that takes nothing (a FIFO whose reader never reads, its buffer full): `submit` still returns at
    /// once, the queue stays at its limit (the oldest jobs are dropped), and each stuck job is given up after the
    /// timeout.
    @Test func aStuckPrinterDropsTheOldestAndNeverHoldsUpTheCaller() throws {
        let dir = TempDir("lp")
        let stuck = try ReaderFIFO(in: dir, full: true)
        let printer = ReceiptPrinter(path: stuck.path, queueLimit: 3, timeoutSeconds: 0.3)
        defer { printer.stop() }
        var slowest = 0.0
        for _ in 0..<200 {
            let start = Date()
            printer.submit(Self.job)
            slowest = max(slowest, Date().timeIntervalSince(start))
            #expect(printer.waitingCount <= 3)
        }
        #expect(slowest < 0.05, "submit took \(slowest) s")
        // 200 jobs: at most one being written and three waiting; the rest were dropped.
        #expect(printer.dropped >= 196)
        // The stuck job and the three waiting are each given up after 0.3 s.
        #expect(printer.waitUntilIdle(seconds: 5))
        #expect(printer.waitingCount == 0)
    }
}

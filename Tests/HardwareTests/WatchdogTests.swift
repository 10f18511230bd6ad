import Foundation
import Glibc
import Hardware
import Testing
import TestSupport

@Suite struct WatchdogTests {
    @Test func petsThenTheMagicCloseOnACleanStop() throws {
        let dir = TempDir("wdt")
        let path = dir.file("watchdog")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        // A plain file takes no timeout: that is not an error, and the timeout is unknown.
        let w = try HardwareWatchdog(path: path, timeoutSeconds: 15)
        #expect(w.timeoutSeconds == nil)
        #expect(w.petInterval == 1)
        w.pet()
        w.pet()
        w.pet()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("...".utf8))
        w.closeCleanly()
        w.pet() // closed: nothing more is written
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("...V".utf8))
    }

    @Test func withoutACleanStopThereIsNoMagicClose() throws {
        let dir = TempDir("wdt")
        let path = dir.file("watchdog")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        do {
            let w = try HardwareWatchdog(path: path, timeoutSeconds: nil)
            w.pet()
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(".".utf8))
    }

    @Test func aMissingDeviceOrAFIFOWithoutReaderFailsAtOnce() throws {
        let dir = TempDir("wdt")
        #expect(throws: HardwareWatchdog.OpenError.self) { try HardwareWatchdog(path: dir.file("none"), timeoutSeconds: nil) }
        let fifo = dir.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let start = Date()
        do {
            _ = try HardwareWatchdog(path: fifo, timeoutSeconds: 10)
            Issue.record("opened a FIFO without a reader")
        } catch {
            #expect(error.errorNumber == ENXIO)
            #expect(error.description.contains(fifo))
        }
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test func aFIFOWithAReaderGetsThePetsAndTheV() throws {
        let dir = TempDir("wdt")
        let fifo = try ReaderFIFO(in: dir)
        let w = try HardwareWatchdog(path: fifo.path, timeoutSeconds: 10)
        w.pet()
        w.closeCleanly()
        #expect(fifo.read() == [UInt8(ascii: "."), UInt8(ascii: "V")])
    }
}

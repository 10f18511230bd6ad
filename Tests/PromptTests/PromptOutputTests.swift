import Foundation
import Testing
@testable import Prompt
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Output that does not go out: the prompt's loop must never wait for it. In this process (so part of the
/// serialized `PromptRunTests`: one prompt at a time), keys on a real pseudo-terminal, the screen into a pipe of
/// one page that the test reads only when it chooses: a terminal whose far end stopped reading (a stuck SSH
/// session), which no `tcflow` can start again.
extension PromptRunTests {
    struct PipeError: Error {}

    final class Stuck: @unchecked Sendable { // `status` and `readerOpen` are guarded by `lock`
        let pty: PseudoTerminal
        let slave: Int32
        let readEnd: Int32
        let writeEnd: Int32
        let store = MemoryStore()
        private let lock = NSLock()
        private var _status: Int32?
        private var readerOpen = true
        private let done = DispatchSemaphore(value: 0)

        init(idle: Int) throws {
            pty = try PseudoTerminal(rows: 24, columns: 80)
            slave = try pty.openSlave()
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw PipeError() }
            readEnd = fds[0]
            writeEnd = fds[1]
            let F_SETPIPE_SZ: Int32 = 1031 // F_LINUX_SPECIFIC_BASE + 7
            _ = fcntl(writeEnd, F_SETPIPE_SZ, 4096)
            let settings = PromptSettings(kioskID: "test-kiosk-1", site: "Testgården", languages: ["sv", "en"],
                                          idleTimeoutSeconds: idle, places: ["Ungdomsgården", "Centrum"])
            let (slave, out, store) = (slave, writeEnd, store)
            let thread = Thread { [self] in
                let s = PromptProgram.run(settings: settings, store: store, input: slave, output: out)
                lock.withLock { _status = s }
                done.signal()
            }
            thread.start()
        }

        deinit {
            closeReader()
            close(slave)
            close(writeEnd)
        }

        /// Closes the reading end: a write into the pipe fails with EPIPE from now on.
        func closeReader() {
            lock.withLock {
                if readerOpen { close(readEnd) }
                readerOpen = false
            }
        }

        var status: Int32? { lock.withLock { _status } }

        func waitForEnd(timeout: Double) -> Int32? {
            _ = done.wait(timeout: .now() + timeout)
            return status
        }

        /// Bytes waiting in the pipe.
        var unread: Int {
            var n: Int32 = 0
            return ioctl(readEnd, UInt(FIONREAD), &n) == 0 ? Int(n) : -1
        }

        /// Fills the pipe to the brim with NUL bytes (which a terminal ignores): the prompt can write nothing more.
        func fill() {
            let F_GETPIPE_SZ: Int32 = 1032
            let room = Int(fcntl(writeEnd, F_GETPIPE_SZ)) - unread
            if room > 0 { _ = Glibc.write(writeEnd, [UInt8](repeating: 0, count: room), room) }
        }

        /// Reads what is in the pipe now (at most `limit` bytes), waiting up to `timeout` for the first byte.
        func read(timeout: Double, limit: Int = 65536) -> [UInt8] {
            var out: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: limit)
            var p = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            var wait = Int32(timeout * 1000)
            while poll(&p, 1, wait) == 1 {
                let n = Glibc.read(readEnd, &buf, limit - out.count)
                if n <= 0 { break }
                out += buf[0..<n]
                if out.count >= limit { break }
                wait = 100
            }
            return out
        }
    }

    /// Waits until the prompt has stopped writing: the bytes in the pipe stay the same for 0.5 s.
    static func settled(_ s: Stuck) -> Int {
        var last = -1
        for _ in 0..<40 {
            let now = s.unread
            if now == last { return now }
            last = now
            usleep(500_000)
        }
        return last
    }

    @Test func aTerminalThatTakesNothingDoesNotStopTheIdleWipe() throws {
        let s = try Stuck(idle: 2)
        #expect(Self.settled(s) > 0) // the welcome screen: the prompt is up (keys typed before raw mode are lost)
        // From now on nothing the prompt writes gets through: the one-page pipe is full.
        s.fill()
        let full = s.unread
        #expect(full == 4096)
        s.pty.write("x1Hemlig plats\r1\r")
        s.pty.write("\u{1B}[200~" + String(repeating: "HEMLIGT ", count: 250) + "\u{1B}[201~")
        // Wait past the idle timeout with the output stuck all the while.
        usleep(3_000_000)
        #expect(s.unread == full)
        #expect(s.status == nil)
        // Now the far end reads again: what was stuck behind the full pipe is the welcome screen, not the draft.
        var screen = TerminalScreen(rows: 24, columns: 80)
        let before = s.read(timeout: 1, limit: full)
        #expect(before.count == full)
        screen.feed(before)
        var later: [UInt8] = []
        for _ in 0..<30 {
            later += s.read(timeout: 0.2)
            if String(decoding: later, as: UTF8.self).contains("Tryck på valfri tangent") { break }
        }
        screen.feed(later)
        let text = PseudoTerminal.stripANSI(later)
        #expect(text.contains("Tryck på valfri tangent"), "\(text)")
        #expect(!text.contains("HEMLIGT") && !text.contains("Hemlig"), "\(text)")
        #expect(String(decoding: later, as: UTF8.self).contains("\u{1B}[3J"))
        #expect(screen.lines.contains { $0.contains("Tryck på valfri tangent") })
        #expect(!screen.lines.contains { $0.contains("HEMLIGT") })
        #expect(s.store.stored.isEmpty)
        #expect(s.status == nil)
        // The loop never waited for the output: while it is stuck again, SIGTERM ends the prompt at once.
        _ = Self.settled(s)
        s.fill()
        s.pty.write("x1Nytt utkast\r1\r")
        s.pty.write("\u{1B}[200~" + String(repeating: "HEMLIGT ", count: 250) + "\u{1B}[201~")
        usleep(500_000)
        #expect(s.unread == 4096)
        let sent = Date()
        kill(getpid(), SIGTERM)
        let status = s.waitForEnd(timeout: 3)
        if status == nil { s.closeReader() } // a loop stuck in write() gets EPIPE and ends
        #expect(status == 0)
        #expect(Date().timeIntervalSince(sent) < 2)
        #expect(s.store.stored.isEmpty)
    }
}

import Daemon
import Glibc
import KioskLog

/// Sends print jobs to a receipt printer (`/dev/usb/lp0`, or any file) from a thread of its own, so that a
/// printer that is missing, out of paper or stuck never holds up the caller.
///
/// `submit` only puts the job in a queue of at most `queueLimit` jobs (when full, the oldest is dropped and
/// logged, without its content) and returns. The thread opens the device for each job with `O_NONBLOCK` (a
/// missing printer or a FIFO without a reader fails at once instead of hanging), writes while the device takes
/// bytes, and gives the job up after `timeoutSeconds` without progress. Failures are logged, never retried: a
/// receipt is a courtesy, the report itself is already stored.
public final class ReceiptPrinter: @unchecked Sendable {
    /// The device or file written to.
    public let path: String
    /// At most this many jobs wait; a further one pushes out the oldest.
    public let queueLimit: Int
    /// A job the device takes no byte of for this long is given up.
    public let timeoutSeconds: Double

    private let condition = ThreadCondition()
    // Guarded by `condition`.
    private var queue: [[UInt8]] = []
    private var writing = false
    private var stopped = false
    private var droppedCount = 0
    private var lastFailure: String?

    /// Starts the printer's thread. Nothing is opened until the first job.
    public init(path: String, queueLimit: Int = 4, timeoutSeconds: Double = 10) {
        self.path = path
        self.queueLimit = max(1, queueLimit)
        self.timeoutSeconds = timeoutSeconds
        ThreadCondition.detach { [self] in self.work() }
    }

    /// Queues one job and returns at once.
    public func submit(_ job: [UInt8]) {
        condition.lock()
        var dropped = 0
        while queue.count >= queueLimit {
            queue.removeFirst()
            droppedCount += 1
            dropped += 1
        }
        queue.append(job)
        let waiting = queue.count
        condition.signal()
        condition.unlock()
        if dropped > 0 {
            Log.warning("receipt printer \(path): \(waiting) receipts waiting; dropped the oldest (the printer is slow, stuck or out of paper)")
        }
    }

    /// Jobs queued and not yet started.
    public var waitingCount: Int { condition.withLock { queue.count } }

    /// Jobs dropped because the queue was full, since the start.
    public var dropped: Int { condition.withLock { droppedCount } }

    /// Waits until every queued job has been written or given up, at most `seconds`. True when idle.
    @discardableResult
    public func waitUntilIdle(seconds: Double) -> Bool {
        let deadline = monotonicSeconds() + seconds
        condition.lock()
        defer { condition.unlock() }
        while !queue.isEmpty || writing {
            if !condition.wait(untilMonotonic: deadline) { return queue.isEmpty && !writing }
        }
        return true
    }

    /// Ends the thread after the job being written (queued jobs are dropped).
    public func stop() {
        condition.withLock {
            stopped = true
            queue.removeAll()
            condition.broadcast()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if stopped { condition.unlock(); return }
            let job = queue.removeFirst()
            writing = true
            condition.unlock()

            let failure = write(job)
            if let failure, failure != lastFailure {
                Log.warning("receipt printer \(path): \(failure); the receipt was not printed")
            } else if failure == nil, lastFailure != nil {
                Log.notice("receipt printer \(path): printing again")
            }
            lastFailure = failure

            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Writes one job; nil when all of it went out, else why not.
    private func write(_ job: [UInt8]) -> String? {
        let fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            let e = errno
            return "cannot open it (\(String(cString: strerror(e))))" + (e == ENXIO || e == ENOENT ? ", is it plugged in and on?" : "")
        }
        defer { close(fd) }
        var sent = 0
        var lastProgress = monotonicSeconds()
        while sent < job.count {
            let n = job.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + sent, $0.count - sent) }
            if n > 0 {
                sent += n
                lastProgress = monotonicSeconds()
                continue
            }
            if n < 0 && errno != EAGAIN && errno != EINTR {
                return "cannot write to it (\(String(cString: strerror(errno))))"
            }
            let left = timeoutSeconds - (monotonicSeconds() - lastProgress)
            if left <= 0 { return "it took nothing for \(String(format1: timeoutSeconds)) s (out of paper, or offline?)" }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&p, 1, Int32(min(left, 1) * 1000) + 1)
            if stoppedNow() { return "stopped" }
        }
        return nil
    }

    private func stoppedNow() -> Bool { condition.withLock { stopped } }
}

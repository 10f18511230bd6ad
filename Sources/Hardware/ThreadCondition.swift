import Daemon
import Glibc

/// A mutex with a condition variable, on pthreads (Foundation's `NSCondition` would bring Foundation, and with
/// it ICU, into the kiosk). Timed waits use the monotonic clock, so a step of the wall clock does not cut them
/// short or stretch them.
public final class ThreadCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    /// Takes the lock if nobody holds it; true when it did.
    public func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }
    public func signal() { pthread_cond_signal(cond) }
    public func broadcast() { pthread_cond_broadcast(cond) }
    /// Waits for a signal (the lock held).
    public func wait() { pthread_cond_wait(cond, mutex) }

    /// Waits for a signal until the monotonic time `deadline` (seconds, as `monotonicSeconds()`), the lock held.
    /// False when the deadline passed.
    public func wait(untilMonotonic deadline: Double) -> Bool {
        var ts = timespec()
        ts.tv_sec = Int(deadline)
        ts.tv_nsec = Int((deadline - Double(ts.tv_sec)) * 1e9)
        return pthread_cond_timedwait(cond, mutex, &ts) == 0
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Starts `body` on a new detached thread. False when no thread could be made.
    @discardableResult
    public static func detach(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        guard rc == 0 else { Unmanaged<Box>.fromOpaque(box).release(); return false }
        pthread_detach(thread)
        return true
    }
}

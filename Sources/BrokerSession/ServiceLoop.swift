import Daemon
import Glibc
import KioskLog

/// The work of a daemon around its broker session, driven by ``ServiceLoop``.
public protocol ServiceLoopBody: AnyObject {
    /// Once, after the signals are caught and before the first turn: nil to run, or an exit status.
    func start() -> Int32?
    /// One loop turn's work before waiting (the session has had its ``BrokerSession/tick(now:)``).
    func turn(now: Double) -> ServiceLoop.Step
    /// The first stop signal arrived (SIGTERM, SIGINT or SIGHUP): systemd has been told, the session makes no
    /// more attempts; finish what is under way and then return ``ServiceLoop/Step/finish(_:)``.
    func stopRequested(by signal: Int32)
    /// The body's own descriptors to wait on besides the signals and the broker socket (fd -1 to skip one).
    var descriptors: [pollfd] { get }
    /// What poll() returned for ``descriptors``, in their order.
    func ready(_ revents: [Int16])
    /// Whether to read from the broker now (default true).
    var readsBroker: Bool { get }
    /// After a read from the broker: whether to read on while more is waiting (default false).
    func readsOn() -> Bool
}

extension ServiceLoopBody {
    public func start() -> Int32? { nil }
    public var descriptors: [pollfd] { [] }
    public func ready(_ revents: [Int16]) {}
    public var readsBroker: Bool { true }
    public func readsOn() -> Bool { false }
}

/// The one poll() loop of a daemon with a broker session (the gateway, the collector): a signalfd for the stop
/// signals, systemd's watchdog, the broker socket and the body's own descriptors. With nothing to do it wakes
/// once a second for the MQTT keepalive, nothing more.
public struct ServiceLoop {
    /// What a turn asks for.
    public enum Step: Sendable, Equatable {
        /// Wait at most this many seconds for an event, then turn again.
        case wait(Double)
        /// Leave the loop with this exit status.
        case finish(Int32)
    }

    public let session: BrokerSession
    public let notifier: SystemdNotifier

    public init(session: BrokerSession, notifier: SystemdNotifier) {
        self.session = session
        self.notifier = notifier
    }

    /// Runs `body` until it finishes; returns its exit status (71 when the signals cannot be caught, or poll()
    /// fails: then the stop could not be clean, and the daemon must not run).
    public func run(_ body: ServiceLoopBody) -> Int32 {
        guard let signals = SignalFD([SIGTERM, SIGINT, SIGHUP]) else {
            Log.error("cannot receive SIGTERM through a signalfd (\(String(cString: strerror(errno)))); not starting, as the stop could not be clean")
            return 71
        }
        if let status = body.start() { return status }
        var nextWatchdog = 0.0
        var stopping = false
        while true {
            let now = monotonicSeconds()
            session.tick(now: now)
            if let interval = notifier.watchdogInterval, now >= nextWatchdog {
                notifier.notify("WATCHDOG=1")
                nextWatchdog = now + interval
            }
            var timeout: Double
            switch body.turn(now: now) {
            case .finish(let status): return status
            case .wait(let seconds): timeout = min(1.0, seconds)
            }
            if let wait = session.secondsUntilAttempt(now: now) { timeout = min(timeout, wait) }
            if notifier.watchdogInterval != nil { timeout = min(timeout, max(0, nextWatchdog - now)) }
            timeout = max(0, timeout)

            let own = body.descriptors
            var fds = [pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
                       session.pollDescriptor(reading: body.readsBroker)] + own
            let n = poll(&fds, nfds_t(fds.count), Int32(timeout * 1000) + (timeout > 0 ? 1 : 0))
            if n < 0 && errno != EINTR {
                Log.error("poll: \(String(cString: strerror(errno)))")
                return 71
            }
            if fds[0].revents != 0 {
                for s in signals.drain() where !stopping {
                    stopping = true
                    notifier.notify("STOPPING=1\nSTATUS=Stopping")
                    session.beginClosing()
                    body.stopRequested(by: s)
                }
            }
            if !own.isEmpty { body.ready(fds[2...].map(\.revents)) }
            if fds[1].revents != 0 {
                session.process(fds[1].revents)
                if fds[1].revents & Int16(POLLIN) != 0 { session.readOn(turns: 4000) { body.readsOn() } }
            }
        }
    }
}

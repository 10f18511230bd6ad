/// The kiosk's status light: what it shows, decided from the gateway's status by a pure function.
///
/// | light | meaning |
/// | --- | --- |
/// | off | the gateway is not running (stopped cleanly or on a signal) |
/// | steady | connected to the broker, nothing waiting: every tip has been delivered |
/// | slow blink | tips are waiting to be delivered, or the broker is not reachable |
/// | fast blink | staff are needed: the outbox refuses new tips (full, or it cannot be written), or dead letters exist |
///
/// docs/HARDWARE.md has the same table for staff.
public enum StatusLight {
    /// What the light shows.
    public enum State: Sendable, Equatable {
        /// The gateway is not running.
        case off
        /// Connected, everything delivered.
        case steady
        /// Tips waiting, or no broker.
        case slowBlink
        /// Staff needed: the outbox refuses tips, or dead letters.
        case fastBlink

        /// The timer trigger's on and off times (milliseconds) of a blinking state, nil for off and steady.
        public var blinkMillis: (on: Int, off: Int)? {
            switch self {
            case .off, .steady: nil
            case .slowBlink: (1000, 1000)
            case .fastBlink: (125, 125)
            }
        }
    }

    /// The part of the gateway's status the light depends on.
    public struct Snapshot: Sendable, Equatable {
        /// False once the gateway stops.
        public var running: Bool
        /// Connected to the broker (CONNACK accepted).
        public var connected: Bool
        /// Reports stored and not yet delivered (waiting, in flight, awaiting a receipt).
        public var pending: Int
        /// Reports the broker refused for good.
        public var deadLetters: Int
        /// The outbox refuses new reports: `max_pending` is reached, or it cannot be read or written (a full
        /// disk); visitors are turned away until staff act.
        public var outboxRefuses: Bool

        /// A snapshot of a running gateway.
        public init(running: Bool = true, connected: Bool, pending: Int, deadLetters: Int, outboxRefuses: Bool) {
            self.running = running
            self.connected = connected
            self.pending = pending
            self.deadLetters = deadLetters
            self.outboxRefuses = outboxRefuses
        }
    }

    /// The light for a snapshot. Staff's attention first (fast), then "not all delivered yet" (slow).
    public static func state(for s: Snapshot) -> State {
        if !s.running { return .off }
        if s.outboxRefuses || s.deadLetters > 0 { return .fastBlink }
        if s.pending > 0 || !s.connected { return .slowBlink }
        return .steady
    }
}

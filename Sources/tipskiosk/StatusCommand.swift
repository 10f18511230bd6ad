import ArgumentParser
import Daemon
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import KioskConfig
import KioskLog
import Outbox
import ReportModel

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the outbox and the gateway's view of the broker.",
        discussion: "With --json, one object with at least pending, oldest_pending_at, dead_letters, broker, last_ack_at and last_error."
    )
    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    func run() throws {
        let config = try options.load(checkFiles: false)
        // No outbox yet (nothing stored, no gateway started): say so and create nothing. Opening would make the
        // file, and the folder too, owned by whoever asked (often root, before the package's folder exists).
        if access(config.storage.path, F_OK) != 0 && errno == ENOENT {
            let snapshot = StatusSnapshot(config: config, noOutboxAt: config.storage.path)
            print(json ? snapshot.json : snapshot.text)
            return
        }
        let outbox = try config.openOutbox(role: .reader, verify: false, command: "status")
        let stats: OutboxStats
        do { stats = try outbox.stats() } catch {
            printError("tipskiosk status: \(error)")
            throw Exit.ioError
        }
        let snapshot = StatusSnapshot(config: config, outbox: outbox, stats: stats)
        print(json ? snapshot.json : snapshot.text)
    }
}

/// Everything `status` shows, gathered once; the prompt's staff screen shows the same numbers.
struct StatusSnapshot {
    let kiosk: String
    let stats: OutboxStats
    let gateway: GatewayState?
    let gatewayRunning: Bool
    let event: String?
    let recoveredFrom: String?
    let clock: WallClock
    /// Where the outbox would be, when there is none yet (nil when there is one).
    let missingOutbox: String?

    init(config: Configuration, outbox: Outbox, stats: OutboxStats) {
        self.kiosk = config.kiosk.id
        self.stats = stats
        self.gateway = outbox.gatewayState()
        self.gatewayRunning = gateway?.isGatewayRunning ?? false
        self.event = outbox.eventLabelInForce()
        self.recoveredFrom = outbox.recoveredFrom
        self.clock = outbox.clock
        self.missingOutbox = nil
    }

    /// Where no outbox exists yet: nothing pending, no gateway has run; the event label of the configuration,
    /// and the seq the first report will get.
    init(config: Configuration, noOutboxAt path: String) {
        self.kiosk = config.kiosk.id
        self.stats = OutboxStats(pending: 0, inFlight: 0, awaitingReceipt: 0, oldestPendingAt: nil, deadLetters: 0,
                                 nextSeq: Outbox.firstSeqOfNewFile(at: path), deadLetterCodes: [:])
        self.gateway = nil
        self.gatewayRunning = false
        self.event = config.kiosk.event
        self.recoveredFrom = nil
        self.clock = .system
        self.missingOutbox = path
    }

    /// The broker state as the gateway last saw it; "unknown" when no gateway runs (its word would be stale).
    var broker: String? { gateway?.brokerForDisplay }

    var json: String {
        var w = JSONWriter()
        w.object {
            $0.field("kiosk", kiosk)
            $0.field("pending", stats.pending)
            $0.field("in_flight", stats.inFlight)
            $0.field("awaiting_receipt", stats.awaitingReceipt)
            $0.field("oldest_pending_at", stats.oldestPendingAt.map(clock.format))
            $0.field("dead_letters", stats.deadLetters)
            $0.field("broker", broker)
            $0.field("gateway_running", gatewayRunning)
            $0.field("last_ack_at", gateway?.lastAckAt.map(clock.format))
            $0.field("last_error", gateway?.lastError)
            $0.field("broker_since", gateway.map { clock.format($0.since) })
            $0.field("protocol", gateway?.protocolName)
            $0.field("next_seq", stats.nextSeq)
            $0.field("event", event)
            $0.field("recovered_from", recoveredFrom)
        }
        return w.output
    }

    var text: String {
        var lines: [String] = []
        lines.append("kiosk:         \(kiosk)")
        if let missingOutbox { lines.append("outbox:        none yet at \(missingOutbox) (nothing stored so far)") }
        var parts: [String] = []
        if stats.inFlight > 0 { parts.append("\(stats.inFlight) in flight") }
        if stats.awaitingReceipt > 0 { parts.append("\(stats.awaitingReceipt) sent, awaiting the collector's receipt") }
        lines.append("pending:       \(stats.pending)" + (parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"))
        if let o = stats.oldestPendingAt {
            let age = max(0, clock.now().unixMillis - o) / 1000
            lines.append("oldest:        \(clock.format(o)) (\(age) s ago)")
        }
        lines.append("dead letters:  \(stats.deadLetters)" + (stats.deadLetters > 0
            ? " (refused by the broker: " + stats.deadLetterCodes.sorted { $0.key < $1.key }
                .map { "0x" + String($0.key, radix: 16) + " ×\($0.value)" }.joined(separator: ", ") + ")" : ""))
        lines.append("broker:        \(broker ?? "unknown (no gateway has run)")")
        if let a = gateway?.lastAckAt { lines.append("last delivery: \(clock.format(a))") }
        if let e = gateway?.lastError, !e.isEmpty { lines.append("last error:    \(e)") }
        lines.append("event:         \(event ?? "(none)")")
        if let r = recoveredFrom { lines.append("note:          a damaged outbox was moved aside to \(r)") }
        return lines.joined(separator: "\n")
    }
}

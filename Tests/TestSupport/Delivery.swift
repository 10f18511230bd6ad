import Foundation

/// What a subscriber line `topic payload` (mosquitto_sub -F "%t %p") carries.
public struct Received: @unchecked Sendable {
    public var topic: String
    public var payload: String
    public var object: [String: Any]
    public init?(_ line: String) {
        guard let space = line.firstIndex(of: " ") else { return nil }
        topic = String(line[..<space])
        payload = String(line[line.index(after: space)...])
        guard let o = jsonObject(payload) else { return nil }
        object = o
    }
    public var id: String { object["id"] as? String ?? "" }
    public var seq: Int { object["seq"] as? Int ?? -1 }
}

/// The stored (id, seq) pairs `submit` printed.
public func parseReceipts(_ stdout: String) -> [(id: String, seq: Int)] {
    stdout.split(separator: "\n").compactMap { line in
        let parts = line.split(separator: " ")
        guard parts.count == 2, let seq = Int(parts[1]) else { return nil }
        return (String(parts[0]), seq)
    }
}

/// `tipskiosk status --json` as an object.
public func status(_ config: String) throws -> [String: Any] {
    let r = try tipskiosk(["status", "--json", "--config", config])
    return jsonObject(r.stdout) ?? [:]
}

/// How a run of deliveries went: every seq once at least, first arrivals in order, duplicates consistent.
public struct DeliveryCheck: Sendable {
    public var received: Int
    public var unique: Int
    public var duplicates: Int
    public var missing: [Int]
    /// The first place where first arrivals are not in seq order, if any.
    public var firstOutOfOrder: Int?
    /// Duplicates whose id differs from the first arrival of the same seq.
    public var inconsistent: Int
    /// The id each seq first arrived with.
    public var idOfSeq: [Int: String]

    public init(_ lines: [String], expected: ClosedRange<Int>) {
        var firstSeen: [Int] = []
        var idOfSeq: [Int: String] = [:]
        var inconsistent = 0
        let parsed = lines.compactMap(Received.init)
        for r in parsed {
            if let known = idOfSeq[r.seq] {
                if known != r.id { inconsistent += 1 }
            } else {
                idOfSeq[r.seq] = r.id
                firstSeen.append(r.seq)
            }
        }
        received = parsed.count
        unique = firstSeen.count
        duplicates = parsed.count - firstSeen.count
        missing = expected.filter { idOfSeq[$0] == nil }
        firstOutOfOrder = zip(firstSeen, firstSeen.dropFirst()).first { $0 >= $1 }?.1
        self.inconsistent = inconsistent
        self.idOfSeq = idOfSeq
    }

    public var complete: Bool { missing.isEmpty }
}

/// Lines from several subscribers (e.g. one per broker life), in arrival order per subscriber.
public func waitForAll(_ subscribers: () -> [TestSubscriber], total: Int, timeout: Double) -> [String] {
    let deadline = Date().addingTimeInterval(timeout)
    var lines: [String] = []
    repeat {
        lines = subscribers().flatMap(\.lines)
        if Set(lines.compactMap(Received.init).map(\.seq)).count >= total { break }
        usleep(50_000)
    } while Date() < deadline
    return lines
}

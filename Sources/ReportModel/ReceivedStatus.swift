/// A kiosk's retained status (docs/CONTRACT.md §4.2) as the centre reads it (the gateway writes it as
/// ``StatusMessage``): checked, every number bounded, the payload kept whole.
public struct ReceivedStatus: Sendable, Equatable {
    public var kiosk: String
    public var state: String?
    public var pending: Int64?
    public var deadLetters: Int64?
    public var awaitingReceipt: Int64?
    public var lastSeq: Int64?
    public var version: String?
    public var payload: String

    public init(kiosk: String, state: String?, pending: Int64?, deadLetters: Int64?, awaitingReceipt: Int64?,
                lastSeq: Int64?, version: String?, payload: String) {
        self.kiosk = kiosk
        self.state = state
        self.pending = pending
        self.deadLetters = deadLetters
        self.awaitingReceipt = awaitingReceipt
        self.lastSeq = lastSeq
        self.version = version
        self.payload = payload
    }

    /// Reads a status payload from `{prefix}/status/{kiosk}`; nil with the reason when it is not one.
    public static func decode(_ payload: UnsafeRawBufferPointer, topicKiosk: String) -> Result<ReceivedStatus, ReceivedReport.Rejection> {
        guard payload.count <= 16 * 1024 else { return .failure(.init("too large for a status: \(payload.count) bytes")) }
        let v: JSONValue
        do { v = try JSONParser.parse(payload) } catch { return .failure(.init(error.description)) }
        guard case .object = v else { return .failure(.init("not a JSON object")) }
        if let k = v["kiosk"]?.string, k != topicKiosk {
            return .failure(.init("kiosk: \"\(TextCleaner.prefix(TextCleaner.line(k), scalars: 40))\" does not match the topic's kiosk"))
        }
        // Every number bounded: a status out of range is refused whole, the last good one stays.
        var numbers: [String: Int64] = [:]
        for key in ["pending", "dead_letters", "awaiting_receipt", "last_seq"] {
            switch number(v[key], key: key) {
            case .failure(let why): return .failure(why)
            case .success(let n): numbers[key] = n
            }
        }
        return .success(ReceivedStatus(kiosk: topicKiosk, state: v["state"]?.string, pending: numbers["pending"],
                                    deadLetters: numbers["dead_letters"], awaitingReceipt: numbers["awaiting_receipt"],
                                    lastSeq: numbers["last_seq"], version: v["version"]?.string,
                                    payload: String(decoding: payload, as: UTF8.self)))
    }

    /// The largest count a status may carry in `pending`, `dead_letters` and `awaiting_receipt`: far more than
    /// any kiosk's outbox holds, and small enough that the sum over any fleet cannot overflow.
    public static let maxCount: Int64 = 1_000_000_000

    /// A status number (`pending`, `dead_letters`, `awaiting_receipt`, `last_seq`) checked against its bound:
    /// nil when the key is absent or null, the number when it is a whole number in range, else why not.
    public static func number(_ value: JSONValue?, key: String) -> Result<Int64?, ReceivedReport.Rejection> {
        guard let value, !value.isNull else { return .success(nil) }
        let limit = key == "last_seq" ? ReceivedReport.maxSeq : maxCount
        guard let n = value.int, (0...limit).contains(n) else {
            return .failure(.init("\(key): is not a whole number from 0 to \(limit)"))
        }
        return .success(n)
    }
}

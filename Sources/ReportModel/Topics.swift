/// The MQTT topics of docs/CONTRACT.md §3, under the site's prefix (`[mqtt] topic_prefix`, e.g. `lagesbild/v1`).
/// The one place a topic is spelled: the gateway, the collector, `lagesbild feedback` and the broker's ACL
/// (config/broker/acl, by hand) follow it.
public struct Topics: Sendable, Equatable {
    /// What a topic is about (``Topics/parse(_:)``).
    public enum Kind: Sendable, Equatable {
        /// A kiosk's reports (§4.1), QoS 1, never retained.
        case reports(kiosk: String)
        /// A kiosk's status (§4.2), retained.
        case status(kiosk: String)
        /// The collector's receipts to one kiosk (§4.3).
        case receipts(kiosk: String)
        /// The centre's feedback (§4.4), retained: to every kiosk (nil) or to one.
        case feedback(kiosk: String?)
    }

    public let prefix: String
    public init(prefix: String) { self.prefix = prefix }

    public func reports(kiosk: String) -> String { "\(prefix)/reports/\(kiosk)" }
    public func status(kiosk: String) -> String { "\(prefix)/status/\(kiosk)" }
    public func receipts(kiosk: String) -> String { "\(prefix)/receipts/\(kiosk)" }
    /// The feedback for every kiosk (`kiosk` nil: `…/feedback/all`), or for one (which wins over `all` there).
    public func feedback(kiosk: String?) -> String { "\(prefix)/feedback/\(kiosk ?? Self.everyKiosk)" }

    /// Every kiosk's reports (the collector's subscription).
    public var everyKiosksReports: String { reports(kiosk: "+") }
    /// Every kiosk's status (the collector's subscription).
    public var everyKiosksStatus: String { status(kiosk: "+") }

    /// The last level of the feedback topic for every kiosk; no kiosk may have this id.
    public static let everyKiosk = "all"

    /// What `topic` is, or nil when it is none of §3's (another prefix, another level, an empty kiosk id).
    public func parse(_ topic: String) -> Kind? {
        guard topic.hasPrefix(prefix + "/") else { return nil }
        let rest = topic.dropFirst(prefix.count + 1)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let kind = rest[..<slash]
        let kiosk = String(rest[rest.index(after: slash)...])
        guard !kiosk.isEmpty, !kiosk.contains("/") else { return nil }
        switch kind {
        case "reports": return .reports(kiosk: kiosk)
        case "status": return .status(kiosk: kiosk)
        case "receipts": return .receipts(kiosk: kiosk)
        case "feedback": return .feedback(kiosk: kiosk == Self.everyKiosk ? nil : kiosk)
        default: return nil
        }
    }
}

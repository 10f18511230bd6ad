import CentralStore
import Foundation
import KioskConfig
import TestSupport

// What the centre's attack files (issue 22, attacks 1, 3, 5 store side, 6 and 7) share: payloads a kiosk with valid
// credentials publishes by hand, and what the centre then holds.

enum KioskAttack {
    /// A report payload of `kiosk` as a raw client sends it; every value may be replaced by an attacker's.
    static func report(kiosk: String, seq: String, id: String = UUID().uuidString.lowercased(),
                       submittedAt: String = RFC3339Now.string(), category: String = "drugs", place: String = "Centrum",
                       occurred: String = "today", extra: String = "") -> String {
        func q(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                default:
                    if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
                }
            }
            return out + "\""
        }
        return #"{"schema":"tipskiosk.report.v1","id":"\#(id)","kiosk":\#(q(kiosk)),"seq":\#(seq),"submitted_at":\#(q(submittedAt)),"category":\#(q(category)),"place":\#(q(place)),"occurred":\#(q(occurred)),"text":"hej"\#(extra)}"#
    }

    /// `mosquitto_pub` as the kiosk `user` (its own client id), QoS 1, one message per line of `lines`.
    static func publish(_ site: Site, as user: String, topic: String, _ lines: [String], retain: Bool = false) throws -> ProcessResult {
        try site.mosquittoPub(user: user, clientID: user, ["-q", "1", "-t", topic, "-l"] + (retain ? ["-r"] : []),
                              input: Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}

/// Now as RFC 3339 in UTC with milliseconds.
enum RFC3339Now {
    static func string(offsetDays: Double = 0) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date().addingTimeInterval(offsetDays * 86_400))
    }
}

extension Centre {
    /// The rejected payloads the database of the central file `config` holds (0 when it cannot be read yet).
    static func rejects(_ config: String) -> Int {
        guard let c = try? CentralConfiguration.load(path: config, secrets: .skip),
              let store = try? CentralStore.open(path: c.databasePath, readOnly: true) else { return 0 }
        return (try? store.rejects(limit: 1_000_000).count) ?? 0
    }
}

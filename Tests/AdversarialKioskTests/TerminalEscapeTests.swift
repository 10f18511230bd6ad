import Foundation
import Testing
import TestSupport

/// Attack 6, the operator's terminal: kiosk-supplied category, age group, source, `state` and the rest reached
/// `lagesbild report`'s text output unescaped, so an OSC 52 sequence wrote the operator's clipboard. Every kiosk
/// string now goes through ReportModel's one cleaning (TextCleaner) before any output.
@Suite(.serialized, .enabled(if: Site.canRun))
struct TerminalEscapeTests {
    static let osc52 = "\u{1B}]52;c;cm0gLXJmIH4K\u{07}"
    static let evil = "x\(osc52)\u{9B}31m\u{9D}0;t\u{9C}\u{202E}gpj.exe\u{1B}[2J"
    /// For the fields of at most 32 characters (age group, source, masked).
    static let short = "\u{1B}]52;c;cm0K\u{07}\u{9B}1m\u{202E}"

    @Test("Attack 6, terminal escapes: OSC 52, C1 controls and bidi overrides in a kiosk's report and status never reach the operator's terminal")
    func terminalEscape() throws {
        let site = try Site()
        let (cdir, central, collector) = try site.collector()
        defer { _ = collector.terminate(); withExtendedLifetime(cdir) {} }
        func q(_ s: String) -> String {
            s.unicodeScalars.map { $0.value < 0x20 ? String(format: "\\u%04x", $0.value) : String($0) }.joined()
        }
        let e = q(Self.evil), s = q(Self.short)
        let report = KioskAttack.report(kiosk: "tls-kiosk-1", seq: "1", category: "drugs" + Self.evil, place: "Torget" + Self.evil,
                                        occurred: "now" + Self.evil,
                                        extra: #","reporter":{"role":"visitor","age_group":"youth\#(s)"},"source":"saw\#(s)","site":"Gården\#(e)","event":"Mässa\#(e)","masked":["phone\#(s)"]"#)
        let status = #"{"kiosk":"tls-kiosk-1","state":"online\#(e)","pending":0,"dead_letters":1,"version":"0.2\#(e)"}"#
        #expect(try KioskAttack.publish(site, as: "tls-kiosk-1", topic: "lagesbild/v1/reports/tls-kiosk-1", [report]).status == 0)
        #expect(try KioskAttack.publish(site, as: "tls-kiosk-1", topic: "lagesbild/v1/status/tls-kiosk-1", [status], retain: true).status == 0)
        #expect(waitUntil(timeout: 15) { Centre.held(central) == 1 && Centre.rejects(central) == 0 }, "\(collector.log)")
        #expect(waitUntil(timeout: 15) {
            (try? lagesbild(["report", "--config", central, "--format", "text"]))?.stdout.contains("1 döda brev") == true
        }, "the status is held")
        for format in ["text", "csv", "html", "json"] {
            let r = try lagesbild(["report", "--config", central, "--format", format, "--include-text"])
            #expect(r.status == 0, "\(r.stderr)")
            let bad = r.stdout.unicodeScalars.filter {
                ($0.value < 0x20 && $0 != "\n" && $0 != "\r") || (0x7F...0x9F).contains($0.value)
                    || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
            }
            #expect(bad.isEmpty, "\(format): \(bad.map { String($0.value, radix: 16) })")
            #expect(!r.stdout.contains("]52;"), "\(format): the OSC 52 body is removed whole")
            #expect(r.stdout.contains("Torget"), "\(format)")
        }
    }
}

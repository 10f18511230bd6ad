import Foundation
import Glibc
import Testing
import TestSupport

/// Attack 7, the shareable HTML: it showed free-text places as typed (a name, a home address) and an exact total
/// beside a "< 3" cell, and `-o` created the file with the umask, so `--include-text` tips could land
/// world-readable. Now only `[central] places` and places with at least 3 reports are named, the rest are "Annan
/// plats", no total gives a hidden cell away, and the file is 0600 with text and 0640 without, whatever the umask.
@Suite(.serialized, .enabled(if: Site.canRun))
struct ShareableHTMLTests {
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    @Test("Attack 7, shareable HTML: a home address typed once is not named, no exact total beside \"< 3\", files 0600/0640 under umask 000")
    func shareableHTML() throws {
        let site = try Site()
        let (cdir, central, collector) = try site.collector(extraCentral: #"places = ["Busstationen"]"#)
        defer { _ = collector.terminate(); withExtendedLifetime(cdir) {} }
        var reports = [KioskAttack.report(kiosk: "tls-kiosk-1", seq: "1", category: "theft", place: "Storgatan 12 lgh 1102")]
        reports += (2...5).map { KioskAttack.report(kiosk: "tls-kiosk-1", seq: "\($0)", place: "Centrum") }
        reports.append(KioskAttack.report(kiosk: "tls-kiosk-1", seq: "6", category: "theft", place: "Centrum"))
        reports.append(KioskAttack.report(kiosk: "tls-kiosk-1", seq: "7", category: "theft", place: "busstationen"))
        #expect(try KioskAttack.publish(site, as: "tls-kiosk-1", topic: "lagesbild/v1/reports/tls-kiosk-1", reports).status == 0)
        #expect(waitUntil(timeout: 15) { Centre.held(central) == 7 }, "\(collector.log)")
        let out = cdir.file("lagesbild.html")
        for (extra, want) in [([String](), mode_t(0o640)), (["--include-text"], mode_t(0o600))] {
            let args = ["report", "--config", central, "--format", "html", "-o", out] + extra
            let r = try runProcess("/bin/sh", ["-c", "umask 000; exec \"$0\" \"$@\"", lagesbildBinary()] + args)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.mode(out) == want, "\(extra): \(String(Self.mode(out) ?? 0, radix: 8))")
            guard extra.isEmpty else { continue }
            let html = try String(contentsOfFile: out, encoding: .utf8)
            #expect(!html.contains("Storgatan"), "a free-text place with one report is not named")
            #expect(html.contains("Annan plats"))
            #expect(html.contains(">busstationen<") || html.contains(">Busstationen<"), "a configured quick pick is named")
            // Centrum: 4 drugs and 1 theft: the 1 is "< 3", so its total 5 is not shown exactly.
            let rows = html.components(separatedBy: "<tr").filter { $0.contains("&lt; 3") }
            #expect(!rows.isEmpty)
            for row in rows { #expect(!row.contains(#/<td class="num total">\d+</td>/#), "\(row)") }
        }
    }
}

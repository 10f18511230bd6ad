import CentralStore
import Foundation
import Glibc
import Testing
import TestSupport

/// Issue 22, attack 7: `lagesbild report -o FILE` gives the file the mode its content needs whatever the umask:
/// 0600 with the tips' text, 0640 without. Failed before the fix (the file had 0666 & ~umask).
@Suite struct ReportFileModeTests {
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    @Test("Attack 7: report files are 0600 with --include-text and 0640 without, under umask 000, replacing a looser file")
    func reportFileMode() throws {
        let dir = TempDir("report-mode")
        let config = writeCentralConfig(in: dir, port: 1)
        _ = try CentralStore.open(path: dir.file("central.sqlite"))
        let out = dir.file("bild.html")
        _ = FileManager.default.createFile(atPath: out, contents: Data("old".utf8), attributes: [.posixPermissions: 0o666])
        for (extra, want) in [(["--include-text"], mode_t(0o600)), ([], mode_t(0o640))] {
            let args = ["report", "--config", config, "--format", "html", "-o", out] + extra
            let r = try runProcess("/bin/sh", ["-c", "umask 000; exec \"$0\" \"$@\"", lagesbildBinary()] + args)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Self.mode(out) == want, "\(extra): \(String(Self.mode(out) ?? 0, radix: 8))")
            #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }.isEmpty)
    }
}

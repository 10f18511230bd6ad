import Foundation
import Glibc
import Testing
import TestSupport

/// The centre's public feedback end to end (issue 14): `lagesbild feedback` → retained on the broker → the
/// kiosk's gateway checks, cleans and stores it → the prompt's welcome screen, on a real terminal.
@Suite(.serialized) struct FeedbackTests {
    final class Site: @unchecked Sendable {
        let broker: TestBroker
        let dir = TempDir("feedback")
        let config: String
        let central: String
        let gateway: GatewayProcess
        let pty: PseudoTerminal

        init() throws {
            broker = try TestBroker()
            config = writeTestConfig(in: dir, kiosk: "fb-kiosk", port: broker.port)
            central = writeCentralConfig(in: dir, port: broker.port)
            gateway = GatewayProcess(config: config, log: dir.file("gateway.log"))
            try gateway.start()
            var env = ProcessInfo.processInfo.environment
            env["TERM"] = "xterm-256color"
            pty = try PseudoTerminal.spawn(tipskioskBinary(), ["prompt", "--config", config], environment: env,
                                           rows: 30, columns: 100)
        }
        deinit {
            pty.signal(SIGTERM)
            _ = pty.waitForExit(timeout: 5)
            gateway.terminate()
        }

        func feedback(_ args: [String]) throws -> ProcessResult {
            try lagesbild(["feedback", "--config", central] + args)
        }

        func publishRaw(_ payload: Data, topic: String = "lagesbild/v1/feedback/all") throws {
            let pub = try #require(TestBrokerTools.findExecutable("mosquitto_pub"))
            let file = dir.file("raw-\(UUID().uuidString)")
            try payload.write(to: URL(fileURLWithPath: file))
            let r = try runProcess(pub, ["-h", "127.0.0.1", "-p", String(broker.port), "-q", "1", "-r", "-t", topic, "-f", file])
            #expect(r.status == 0, "\(r.stderr)")
        }
    }

    /// The prompt reads the stored feedback every 5 s: a change is on screen within about that.
    static let shows = 15.0

    @Test("Feedback reaches the welcome screen in Swedish and English, is replaced by a newer one (the kiosk's own wins), and cleared by an empty one")
    func publishReplaceClear() throws {
        let site = try Site()
        #expect(site.pty.waitForScreen("Tryck på valfri tangent för att börja", timeout: 10))
        #expect(!site.pty.screenText.contains("Det här har hänt"))

        let r = try site.feedback(["--sv", "Lampan vid tunneln är lagad.", "--en", "The lamp by the tunnel is fixed."])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("published on lagesbild/v1/feedback/all (retained)"))
        #expect(site.pty.waitForScreen("Det här har hänt efter era tips", timeout: Self.shows), "\(site.gateway.log)")
        #expect(site.pty.waitForScreen("Lampan vid tunneln är lagad.", timeout: 1))
        site.pty.write("L")
        #expect(site.pty.waitForScreen("What has happened after your tips", timeout: 5))
        #expect(site.pty.waitForScreen("The lamp by the tunnel is fixed.", timeout: 1))
        site.pty.write("L")
        #expect(site.pty.waitForScreen("Lampan vid tunneln är lagad.", timeout: 5))

        // The kiosk's own message wins over the one for all; Swedish shows in English when there is no English.
        #expect(try site.feedback(["--kiosk", "fb-kiosk", "--sv", "Polisen har varit vid skolan varje fredag."]).status == 0)
        #expect(site.pty.waitForScreen("Polisen har varit vid skolan varje fredag.", timeout: Self.shows))
        #expect(!site.pty.screenText.contains("Lampan vid tunneln"))
        site.pty.write("L")
        #expect(site.pty.waitForScreen("What has happened after your tips", timeout: 5))
        #expect(site.pty.screenText.contains("Polisen har varit vid skolan varje fredag."))
        site.pty.write("L")

        // Cleared: the kiosk's own goes, the one for all comes back; then that one goes too.
        #expect(try site.feedback(["--kiosk", "fb-kiosk", "--clear"]).status == 0)
        #expect(site.pty.waitForScreen("Lampan vid tunneln är lagad.", timeout: Self.shows))
        let cleared = try site.feedback(["--clear"])
        #expect(cleared.status == 0 && cleared.stdout.contains("cleared lagesbild/v1/feedback/all"))
        #expect(site.pty.waitForScreen(timeout: Self.shows) { rows in !rows.contains { $0.contains("Det här har hänt") } },
                "\(site.pty.screenText)")
        #expect(site.pty.screenText.contains("Tryck på valfri tangent för att börja"))
    }

    @Test("Feedback cleared at the centre while the gateway was stopped goes from the screen once it is back")
    func clearedWhileAway() throws {
        let site = try Site()
        #expect(try site.feedback(["--sv", "Parkbelysningen är lagad."]).status == 0)
        #expect(site.pty.waitForScreen("Parkbelysningen är lagad.", timeout: Self.shows), "\(site.gateway.log)")
        site.gateway.terminate()
        #expect(try site.feedback(["--clear"]).status == 0)
        usleep(6_000_000)
        #expect(site.pty.screenText.contains("Parkbelysningen är lagad."), "the prompt keeps what the outbox holds")
        try site.gateway.start()
        #expect(site.pty.waitForScreen(timeout: Self.shows + 5) { rows in !rows.contains { $0.contains("Parkbelysningen") } },
                "\(site.gateway.log)")
        #expect(site.gateway.log.contains("is no longer at the broker: cleared"))
    }

    @Test("Feedback with escape sequences is shown cleaned, never raw; 10 KiB of text is ignored and logged without its text")
    func hostileFeedbackIsNeverShownRaw() throws {
        let site = try Site()
        #expect(site.pty.waitForScreen("Tryck på valfri tangent för att börja", timeout: 10))
        let now = "2026-11-25T10:00:00.000+01:00"
        let hostile = #"{"schema":"lagesbild.feedback.v1","text":{"sv":"Klottret \u001b[2J\u001b]0;pwned\u0007är borta\u001b[31m."},"published_at":"\#(now)","until":null}"#
        try site.publishRaw(Data(hostile.utf8))
        #expect(site.pty.waitForScreen("Klottret är borta.", timeout: Self.shows), "\(site.pty.screenText)\n\(site.gateway.log)")
        let raw = String(decoding: site.pty.output, as: UTF8.self)
        #expect(!raw.contains("pwned") && !raw.contains("\u{1B}]0;") && !raw.contains("\u{1B}[31m"))

        // 10 KiB of text: refused whole by the gateway; the screen keeps what it had.
        let huge = #"{"schema":"lagesbild.feedback.v1","text":{"sv":""# + String(repeating: "A", count: 10 * 1024)
            + #""},"published_at":"\#(now)","until":null}"#
        try site.publishRaw(Data(huge.utf8))
        #expect(waitUntil(timeout: 10) { site.gateway.log.contains("ignored the feedback on lagesbild/v1/feedback/all") },
                "\(site.gateway.log)")
        usleep(6_000_000) // longer than the prompt's reading interval
        #expect(site.pty.screenText.contains("Klottret är borta."))
        #expect(!site.pty.screenText.contains("AAAAAAAAAA"))
        // Not JSON, and 401 characters: ignored too; the log never holds the text.
        try site.publishRaw(Data("Hej <script>".utf8))
        try site.publishRaw(Data((#"{"schema":"lagesbild.feedback.v1","text":{"sv":""# + String(repeating: "ö", count: 401)
                                  + #""},"published_at":"\#(now)"}"#).utf8))
        #expect(waitUntil(timeout: 10) { site.gateway.log.components(separatedBy: "ignored the feedback").count >= 4 },
                "\(site.gateway.log)")
        #expect(!site.gateway.log.contains("AAAA") && !site.gateway.log.contains("öööö") && !site.gateway.log.contains("script"))
        #expect(site.pty.screenText.contains("Klottret är borta."))
    }

    @Test("lagesbild feedback refuses more than 400 characters, a date that has passed, and a bad kiosk id, and says so")
    func feedbackCommandRefusals() throws {
        let dir = TempDir("feedback-cmd")
        let central = writeCentralConfig(in: dir, port: 1) // never reached: every case is refused first
        let long = try lagesbild(["feedback", "--config", central, "--sv", String(repeating: "a", count: 401)])
        #expect(long.status == 65)
        #expect(long.stderr.contains("the sv text is 401 characters long; at most 400 fit on the kiosk's screen"), "\(long.stderr)")
        let past = try lagesbild(["feedback", "--config", central, "--sv", "x", "--until", "2020-01-01"])
        #expect(past.status == 64 && past.stderr.contains("has passed already"), "\(past.stderr)")
        let kiosk = try lagesbild(["feedback", "--config", central, "--sv", "x", "--kiosk", "Bad Kiosk"])
        #expect(kiosk.status == 64 && kiosk.stderr.contains("is not a kiosk id"), "\(kiosk.stderr)")
        let none = try lagesbild(["feedback", "--config", central])
        #expect(none.status == 64 && none.stderr.contains("--sv is required"), "\(none.stderr)")
        // A broker that is not there: 69, with the reason.
        let down = try lagesbild(["feedback", "--config", central, "--sv", "x"])
        #expect(down.status == 69 && down.stderr.contains("lagesbild feedback:"), "\(down.stderr)")
        _ = dir
    }
}

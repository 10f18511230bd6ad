import ArgumentParser
import Daemon
import Foundation
import Glibc
import KioskConfig
import KioskLog
import LagesbildReport
import ReportModel

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw the lägesbild of a period (default: the last 14 days), compared with the period before it.",
        discussion: """
            Counts by category, place, kiosk, event, when it happened and age group; the change against the
            previous period of the same length; kiosks gone silent, dead letters the kiosks report, open seq gaps
            and rejected payloads. The free text of tips appears only with --include-text: the summary can be
            shared, the tips cannot. DATE is 2026-11-25 (midnight, local time) or an RFC 3339 date-time.
            """
    )
    enum Format: String, ExpressibleByArgument, CaseIterable { case text, csv, json, html }

    @OptionGroup var options: CentralConfigOption
    @Option(help: ArgumentHelp("Start of the period (inclusive).", valueName: "date")) var since: String?
    @Option(help: ArgumentHelp("End of the period (exclusive; default: now).", valueName: "date")) var until: String?
    @Option(help: ArgumentHelp("Length of the period when --since is not given.", valueName: "days")) var days: Int = 14
    @Option(help: "text for a terminal, csv and json for other tools, html for the meeting (one self-contained file).")
    var format: Format = .text
    @Option(help: ArgumentHelp("Labels in sv (default) or en.", valueName: "sv|en")) var language: String = "sv"
    @Flag(help: "Include the free text of every tip (not for sharing).") var includeText = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (atomically; mode 0600 with --include-text, else 0640) instead of standard output.", valueName: "file"))
    var output: String?

    func validate() throws {
        guard (1...3660).contains(days) else { throw ValidationError("--days must be between 1 and 3660") }
        guard ReportLanguage(rawValue: language) != nil else { throw ValidationError("--language must be sv or en") }
    }

    func run() throws {
        let config = try options.load(checkFiles: false)
        let (nowMillis, offset) = WallClock.system.now()
        func parse(_ option: String, _ value: String?) throws -> Int64? {
            guard let value else { return nil }
            guard let ms = RFC3339.parse(value, dateOffsetSeconds: offset) else {
                printError("lagesbild report: --\(option): \"\(value)\" is not a date such as 2026-11-25 or 2026-11-25T18:00:00+01:00")
                throw ExitCode(ExitStatus.usage)
            }
            return ms
        }
        let until = try parse("until", self.until) ?? nowMillis
        let since = try parse("since", self.since) ?? until - Int64(days) * 86_400_000
        guard since < until else {
            printError("lagesbild report: the period is empty: --since must be before --until")
            throw ExitCode(ExitStatus.usage)
        }
        let store = try config.openDatabase(readOnly: true, command: "report")
        let picture: Picture
        do {
            picture = try store.picture(period: .init(since: since, until: until, utcOffsetSeconds: offset), now: nowMillis,
                                        silentAfterHours: config.central.silentAfterHours, includeText: includeText)
        } catch {
            printError("lagesbild report: \(error)")
            throw ExitCode(ExitStatus.ioError)
        }
        let lang = ReportLanguage(rawValue: language) ?? .sv
        let text: String
        switch format {
        case .text: text = PictureRenderer.renderText(picture, language: lang)
        case .csv: text = PictureRenderer.renderCSV(picture, language: lang)
        case .json: text = PictureRenderer.renderJSON(picture, language: lang)
        case .html: text = PictureRenderer.renderHTML(picture, language: lang, quickPickPlaces: config.central.places)
        }
        guard let output else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            return
        }
        if let problem = ReportFile.write(text, to: output, mode: ReportFile.mode(includesText: includeText)) {
            printError("lagesbild report: \(problem)")
            throw ExitCode(ExitStatus.ioError)
        }
    }
}

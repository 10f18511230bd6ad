import ArgumentParser
import Collector
import Daemon
import KioskConfig
import KioskLog
import ReportModel

struct FeedbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Tell the visitors what happened after their tips: a short message on the kiosks' welcome screen.",
        discussion: """
            Publishes the message retained on {topic_prefix}/feedback/all, or with --kiosk on that kiosk's own \
            topic, which wins over the one for all. Each kiosk's gateway checks and cleans it and the prompt shows it \
            under "Det här har hänt efter era tips", in the visitor's language (Swedish when there is no text in \
            theirs), until --until. At most 400 characters a language, after cleaning. --clear takes a message \
            away. Tips are never quoted here: this is public.
            """
    )
    @OptionGroup var options: CentralConfigOption
    @Option(help: ArgumentHelp("Only for this kiosk (its [kiosk] id); without it, for every kiosk.", valueName: "id"))
    var kiosk: String?
    @Option(help: ArgumentHelp("The message in Swedish (required, unless --clear).", valueName: "text"))
    var sv: String?
    @Option(help: ArgumentHelp("The message in English.", valueName: "text"))
    var en: String?
    @Option(help: ArgumentHelp("Shown up to the end of this date (2026-12-31), or up to this RFC 3339 time; without it, until replaced or cleared.", valueName: "date"))
    var until: String?
    @Flag(help: "Take the message away (publishes an empty retained message).")
    var clear = false

    func validate() throws {
        if let kiosk, !(1...64).contains(kiosk.count) || !kiosk.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }) {
            throw ValidationError("--kiosk: \"\(kiosk)\" is not a kiosk id (1 to 64 of a-z, 0-9 and -)")
        }
        if clear && (sv != nil || en != nil || until != nil) { throw ValidationError("--clear takes no message, and no --until") }
        if !clear && sv == nil { throw ValidationError("--sv is required: the message in Swedish (or --clear)") }
        if let until {
            guard RFC3339.isValidDateOrDateTime(until) else {
                throw ValidationError("--until: \"\(until)\" is not a date such as 2026-12-31 or an RFC 3339 time")
            }
            let (now, offset) = WallClock.system.now()
            let probe = try? Feedback.make(text: ["sv": "x"], publishedAt: RFC3339.format(unixMillis: now, utcOffsetSeconds: offset), until: until)
            if probe?.isShown(atUnixMillis: now, utcOffsetSeconds: offset) != true {
                throw ValidationError("--until: \(until) has passed already; the kiosks would not show the message")
            }
        }
    }

    func run() throws {
        let (config, password) = try options.loadForFeedback()
        let topic = config.topics.feedback(kiosk: kiosk)
        var payload: [UInt8] = []
        var feedback: Feedback?
        if !clear {
            var text = ["sv": sv ?? ""]
            if let en { text["en"] = en }
            let (now, offset) = WallClock.system.now()
            do {
                feedback = try Feedback.make(text: text, publishedAt: RFC3339.format(unixMillis: now, utcOffsetSeconds: offset),
                                             until: until)
            } catch {
                printError("lagesbild feedback: \(error)")
                throw ExitCode(ExitStatus.dataError)
            }
            if feedback!.text["sv"] == nil {
                printError("lagesbild feedback: the Swedish text is empty after cleaning")
                throw ExitCode(ExitStatus.dataError)
            }
            payload = Array(feedback!.json.utf8)
        }
        do {
            try FeedbackPublisher(config: config, password: password).publish(topic: topic, payload: payload)
        } catch {
            printError("lagesbild feedback: \(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
        if let f = feedback {
            print("published on \(topic) (retained): shown on \(kiosk.map { "kiosk \($0)" } ?? "every kiosk") "
                  + (f.until.map { "until \($0)" } ?? "until replaced or cleared")
                  + " (languages: \(f.text.keys.sorted().joined(separator: ", ")))")
        } else {
            print("cleared \(topic): \(kiosk.map { "kiosk \($0)" } ?? "the kiosks") no longer show it")
        }
    }
}

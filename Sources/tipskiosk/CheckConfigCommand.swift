import Glibc
import ArgumentParser
import KioskConfig
import KioskLog
import Prompt
import Speech

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration file.",
        discussion: "Prints `file:line: key: what is wrong` for every problem and exits 78, or says it is fine and exits 0. Unknown keys, and secret files this shell cannot see (an unset $CREDENTIALS_DIRECTORY, a file only the gateway's user reads), are notes, not errors."
    )
    @OptionGroup var options: ConfigOption

    func run() throws {
        let path = options.resolvedPath
        do {
            let c = try Configuration.load(path: path, secrets: .note)
            for w in c.warnings { printError(w.description) }
            // The prompt's languages: a configured one without texts is left out; an extra file is offered.
            let files = Texts.languageFiles(languages: c.kiosk.languages, directory: c.prompt.languageDirectory)
            for tag in files.missing {
                printError(c.problem("kiosk.languages", "\"\(tag)\" has no language file (\(tag).txt) among the built-in ones"
                    + " (\(Texts.builtInTags.joined(separator: ", ")))"
                    + (c.prompt.languageDirectory.map { " or in \($0)" } ?? " (set [prompt] language_dir to a folder with it)")
                    + "; the prompt leaves it out").description)
            }
            for tag in files.unlisted {
                printError(c.problem("prompt.language_dir", "\(tag).txt: \"\(tag)\" is not in [kiosk] languages; the prompt "
                    + "offers it after the languages listed there (add it to the list to choose its place)").description)
            }
            if c.prompt.speech, let why = ESpeak.checkLibrary() {
                printError(c.problem("prompt.speech", "\(why); the prompt runs without speech (install libespeak-ng1)").description)
            }
            print("\(path): ok (kiosk \(c.kiosk.id), outbox \(c.storage.path), broker \(c.mqtt.host):\(c.mqtt.port)\(c.mqtt.tls ? " with TLS" : "")"
                  + (c.hardware.summary.map { "; \($0)" } ?? "") + (c.prompt.speech ? "; speech on" : "") + ")")
        } catch {
            for e in error.errors + error.warnings { printError(e.description) }
            throw Exit.config
        }
    }
}

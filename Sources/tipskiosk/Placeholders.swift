import ArgumentParser

struct PromptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prompt", abstract: "The visitor prompt on this terminal.")
    @OptionGroup var options: ConfigOption
    func run() throws { throw Exit.unavailable }
}
struct HashPINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hash-pin", abstract: "Make the staff PIN hash for the configuration file.")
    func run() throws { throw Exit.unavailable }
}

extension DemoCommand {
    static let demoPINHash = ""
    func runPromptForDemo(configPath: String, received: String) throws {
        printError("the prompt is not built yet; pipe JSON Lines into `tipskiosk demo` instead")
        throw Exit.unavailable
    }
}

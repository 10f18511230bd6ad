import ArgumentParser

struct PromptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prompt", abstract: "The visitor prompt on this terminal.")
    @OptionGroup var options: ConfigOption
    func run() throws { throw Exit.unavailable }
}
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gateway", abstract: "Deliver the outbox to the MQTT broker.")
    @OptionGroup var options: ConfigOption
    func run() throws { throw Exit.unavailable }
}
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Everything on one machine.")
    func run() throws { throw Exit.unavailable }
}
struct HashPINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hash-pin", abstract: "Make the staff PIN hash for the configuration file.")
    func run() throws { throw Exit.unavailable }
}

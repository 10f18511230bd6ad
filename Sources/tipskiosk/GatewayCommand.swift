import ArgumentParser
import Foundation
import Gateway
import KioskConfig
import KioskLog

struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Deliver the outbox to the MQTT broker (a foreground daemon; Type=notify under systemd).",
        discussion: """
            Publishes every stored report to {topic_prefix}/reports/{kiosk.id} (QoS 1), oldest first, and deletes
            it only after the broker's PUBACK says success. Keeps a retained status on {topic_prefix}/status/{kiosk.id}
            (also the last will, "offline"). Stops cleanly on SIGTERM or SIGINT.
            """
    )
    @OptionGroup var options: ConfigOption

    func run() throws {
        let config = try options.load()
        var password: String? = nil
        if let file = config.mqtt.passwordFile {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                printError("\(config.sourcePath): mqtt.password_file: \(file) cannot be read")
                throw Exit.config
            }
            password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        let outbox = try config.openOutbox(role: .gateway)
        let gateway = Gateway(settings: .init(config: config, version: TipsKiosk.version, password: password,
                                              environment: ProcessInfo.processInfo.environment),
                              outbox: outbox)
        let status = gateway.run()
        if status != 0 { throw ExitCode(status) }
    }
}

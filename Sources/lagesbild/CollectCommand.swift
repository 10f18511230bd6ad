import ArgumentParser
import CentralStore
import Collector
import Foundation
import KioskConfig
import KioskLog

struct CollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Collect every kiosk's reports into the central database (a foreground daemon; Type=notify under systemd).",
        discussion: """
            Subscribes (QoS 1, a kept session under [central] client_id) to {topic_prefix}/reports/+ and
            {topic_prefix}/status/+, stores each report once (by id) with a durable commit (SQLite's [storage] path, or
            PostgreSQL with [central] database), and after each commit
            publishes a receipt to {topic_prefix}/receipts/{kiosk} naming the seqs it stored. Payloads that are not
            reports are kept in the rejects table. Stops cleanly on SIGTERM or SIGINT.
            """
    )
    @OptionGroup var options: CentralConfigOption

    func run() throws {
        let (config, password) = try options.loadForBroker()
        let store = try config.openDatabase(readOnly: false, command: "collect")
        store.intake = IntakePolicy(dailyQuota: config.central.dailyQuota)
        let collector = Collector(settings: .init(config: config, version: Lagesbild.version, password: password,
                                                  environment: ProcessInfo.processInfo.environment),
                                  store: store)
        let status = collector.run()
        if status != 0 { throw ExitCode(status) }
    }
}

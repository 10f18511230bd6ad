// swift-tools-version: 6.0
// tipskiosk: a tip kiosk (terminal prompt) and an edge gateway (SQLite outbox -> MQTT).
//
// The folder tree is the architecture:
//   ReportModel      the payloads of docs/CONTRACT.md §4 (report, receipt, feedback): validation, cleaning, JSON. Pure.
//   KioskConfig      the TOML configuration of docs/CONTRACT.md §2, with `file:line: key: problem` errors.
//   SQLite, Daemon   a thin wrapper of system libsqlite3; signalfd, inotify, sd_notify and the clocks.
//   PostgreSQL       a thin wrapper of system libpq's asynchronous API (through CPostgres), for the centre.
//   Delivery         the gateway's delivery state machine: events in, effects out. Pure.
//   Outbox           the durable SQLite outbox.
//   MQTTClient       a small Swift client over libmosquitto (through CMosquitto), and the broker link's backoff.
//   BrokerSettings   the `[mqtt]` table as the client's options: one mapping for the kiosk and the centre.
//   BrokerSession    one daemon's session with its broker (client, backoff, CONNACK, lost connections) and the
//                    poll() loop around it (signals, systemd's watchdog): the gateway's, the collector's and
//                    `lagesbild feedback`'s.
//   Gateway          the kiosk's daemon: outbox -> MQTT, receipts, the centre's feedback, status, systemd notify.
//   Prompt           the visitor's terminal prompt (its state machine, `PromptFlow`, is pure).
//   Display          the kiosk's screen in large type: Terminus bitmaps drawn on the framebuffer (fonts and
//                    painting pure, `Framebuffer` the I/O).
//   EmbedTexts, EmbedTextsPlugin
//                    build time only: the prompt's Languages/*.txt compiled into the program as string literals.
//   Speech           spoken prompts: libespeak-ng opened with dlopen at run time, off the prompt's thread.
//   Hardware         the optional kiosk hardware: status light (LED class), hardware watchdog, receipt printer.
//   CentralStore, Collector, LagesbildReport
//                    the centre: its database, `lagesbild collect` and `feedback`, and the picture's renderers.
//   tipskiosk, lagesbild
//                    the two command lines (docs/CONTRACT.md §1).
import PackageDescription

let package = Package(
    name: "tipskiosk",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tipskiosk", targets: ["tipskiosk"]),
        .executable(name: "lagesbild", targets: ["lagesbild"]),
    ],
    dependencies: [
        // Subcommands, validation and help text for the command line.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "ReportModel"),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto",
                       providers: [.apt(["libmosquitto-dev"])]),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "KioskConfig", dependencies: ["ReportModel"]),
        .target(name: "KioskLog"),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "PostgreSQL", dependencies: ["CPostgres"]),
        .target(name: "Daemon", dependencies: ["CLinux"]),
        .target(name: "Delivery"),
        .target(name: "Display", dependencies: ["CLinux", "CZlib"]),
        .target(name: "Hardware", dependencies: ["KioskLog", "Daemon"]),
        .target(name: "Outbox", dependencies: ["ReportModel", "SQLite", "CSQLite", "Delivery", "Daemon"]),
        .target(name: "MQTTClient", dependencies: ["CMosquitto", "COpenSSL"]),
        .target(name: "BrokerSettings", dependencies: ["KioskConfig", "MQTTClient"]),
        .target(name: "BrokerSession", dependencies: ["MQTTClient", "Daemon", "KioskLog"]),
        .target(name: "Gateway", dependencies: ["ReportModel", "Outbox", "Delivery", "MQTTClient", "BrokerSession", "BrokerSettings", "KioskConfig", "KioskLog", "Daemon", "Hardware"]),
        // The staff PIN's PBKDF2 comes from OpenSSL's libcrypto (COpenSSL), which the kiosk links for TLS anyway.
        // The built-in language files (Languages/sv.txt, en.txt) are compiled in by EmbedTextsPlugin as string
        // literals, not SwiftPM resources: the generated resource accessor would link Foundation, and with it ICU,
        // into the kiosk, and an installed program would need the files beside it.
        // libespeak-ng is opened with dlopen only when `[prompt] speech = true`: nothing new is linked.
        .target(name: "Speech", dependencies: ["Hardware", "KioskLog", "Daemon", "ReportModel"]),
        .target(name: "Prompt", dependencies: ["ReportModel", "Outbox", "KioskConfig", "KioskLog", "Hardware", "Daemon", "Display", "CLinux", "COpenSSL", "Speech"],
                plugins: ["EmbedTextsPlugin"]),
        // Build time only: the tool that turns each Languages/<tag>.txt into Swift source, and the plugin that runs it.
        .executableTarget(name: "EmbedTexts"),
        .plugin(name: "EmbedTextsPlugin", capability: .buildTool(), dependencies: ["EmbedTexts"]),
        .target(name: "LagesbildReport", dependencies: ["ReportModel"]),
        .target(name: "CentralStore", dependencies: ["ReportModel", "SQLite", "CSQLite", "PostgreSQL", "LagesbildReport"]),
        .target(name: "Collector", dependencies: ["CentralStore", "ReportModel", "MQTTClient", "BrokerSession", "BrokerSettings", "KioskConfig", "KioskLog", "Daemon"]),
        .executableTarget(name: "tipskiosk", dependencies: [
            "ReportModel", "Outbox", "KioskConfig", "KioskLog", "Daemon", "Gateway", "Prompt", "CLinux", "Hardware", "Speech",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lagesbild", dependencies: [
            "CentralStore", "Collector", "Daemon", "KioskConfig", "KioskLog", "LagesbildReport", "ReportModel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", dependencies: ["Outbox", "KioskConfig", "PostgreSQL"], path: "Tests/TestSupport"),
        .testTarget(name: "ReportModelTests", dependencies: ["ReportModel"]),
        .testTarget(name: "KioskConfigTests", dependencies: ["KioskConfig", "TestSupport", "tipskiosk"]),
        .testTarget(name: "OutboxTests", dependencies: ["Outbox", "Delivery", "ReportModel", "TestSupport", "tipskiosk"]),
        .testTarget(name: "MQTTClientTests", dependencies: ["MQTTClient", "BrokerSettings", "KioskConfig", "TestSupport"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Delivery", "Outbox", "TestSupport", "tipskiosk"]),
        .testTarget(name: "PromptTests", dependencies: ["Prompt", "Speech", "Outbox", "TestSupport", "tipskiosk"]),
        .testTarget(name: "DeliveryTests", dependencies: ["Delivery"]),
        .testTarget(name: "DisplayTests", dependencies: ["Display"]),
        .testTarget(name: "PostgreSQLTests", dependencies: ["PostgreSQL", "TestSupport"]),
        .testTarget(name: "CentralStoreTests", dependencies: ["CentralStore", "LagesbildReport", "ReportModel", "PostgreSQL", "TestSupport"]),
        .testTarget(name: "CollectorTests", dependencies: ["CentralStore", "KioskConfig", "KioskLog", "TestSupport", "tipskiosk", "lagesbild"]),
        .testTarget(name: "LagesbildReportTests", dependencies: ["LagesbildReport", "ReportModel"]),
        .testTarget(name: "HardwareTests", dependencies: ["Hardware", "KioskConfig", "Prompt", "TestSupport", "tipskiosk"]),
        .testTarget(name: "FaultTests", dependencies: ["Outbox", "Delivery", "Daemon", "ReportModel", "CentralStore", "TestSupport", "tipskiosk", "lagesbild"]),
        // The adversarial-kiosk suite: one file per attack, against the shipped broker config and ACL (TestSupport's Site).
        .testTarget(name: "AdversarialKioskTests", dependencies: ["CentralStore", "Delivery", "KioskConfig", "TestSupport", "tipskiosk", "lagesbild"]),
    ]
)

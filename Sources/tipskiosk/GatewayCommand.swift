import ArgumentParser
import Daemon
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Gateway
import Hardware
import KioskConfig
import KioskLog
import Outbox

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
        let config = try options.load(secrets: .resolve)
        let password: String?
        do { password = try Configuration.readPassword(config.mqtt, sourcePath: config.sourcePath) } catch {
            printError(error.description)
            throw Exit.config
        }
        let watchdog = Self.openHardwareWatchdog(config)
        let outbox = try Self.openWaitingForSpace(config, watchdog: watchdog)
        let gateway = Gateway(settings: .init(config: config, version: TipsKiosk.version, password: password,
                                              environment: ProcessInfo.processInfo.environment),
                              outbox: outbox, watchdog: watchdog)
        let status = gateway.run()
        if status != 0 { throw ExitCode(status) }
    }

    /// Opens the outbox; on a full disk (or a lock held too long) keeps trying every 5 s, saying so to systemd
    /// and keeping its watchdog fed, instead of exiting into a restart loop that cannot help.
    /// Opens `[hardware] watchdog`, which starts it; nil without one, or when it cannot be opened (logged: the
    /// gateway delivers reports without it rather than not at all).
    static func openHardwareWatchdog(_ config: Configuration) -> HardwareWatchdog? {
        guard let path = config.hardware.watchdog else { return nil }
        do {
            let w = try HardwareWatchdog(path: path, timeoutSeconds: config.hardware.watchdogTimeoutSeconds)
            Log.info("hardware watchdog \(path): timeout \(w.timeoutSeconds.map { "\($0) s" } ?? "unknown"), petted every \(Int(w.petInterval)) s; only a clean stop disarms it")
            return w
        } catch {
            Log.error("\(error); running without it")
            return nil
        }
    }

    static func openWaitingForSpace(_ config: Configuration, watchdog: HardwareWatchdog? = nil) throws -> Outbox {
        let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
        var told = false
        while true {
            do {
                return try config.outbox(role: .gateway)
            } catch let e where e == .diskFull || e == .busy {
                let why = "cannot open the outbox \(config.storage.path): \(e)"
                if !told {
                    Log.error("\(why); retrying every 5 s")
                    notifier.notify("READY=1\nSTATUS=\(why); retrying every 5 s")
                    told = true
                }
                notifier.notify("WATCHDOG=1")
                watchdog?.pet()
                sleep(UInt32(max(1, min(5, notifier.watchdogInterval ?? 5, watchdog?.petInterval ?? 5))))
            } catch {
                printError("tipskiosk gateway: \(config.storage.path): \(error)")
                throw Exit.ioError
            }
        }
    }
}

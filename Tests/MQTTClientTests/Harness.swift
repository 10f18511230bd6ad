import Foundation
import MQTTClient
#if canImport(Glibc)
import Glibc
#endif

/// Records every delegate call, in order.
final class Recorder: MQTTClientDelegate {
    struct Connect: Equatable { var reasonCode: Int32; var receiveMaximum: Int?; var sessionPresent: Bool }
    var connects: [Connect] = []
    var disconnects: [Int32] = []
    var publishes: [(mid: Int32, reason: Int32)] = []
    var logs: [(Int32, String)] = []

    func mqttDidConnect(_ client: MQTTClient, reasonCode: Int32, receiveMaximum: Int?, sessionPresent: Bool) {
        connects.append(Connect(reasonCode: reasonCode, receiveMaximum: receiveMaximum, sessionPresent: sessionPresent))
    }
    func mqttDidDisconnect(_ client: MQTTClient, reasonCode: Int32) { disconnects.append(reasonCode) }
    func mqttDidPublish(_ client: MQTTClient, messageID: Int32, reasonCode: Int32) {
        publishes.append((messageID, reasonCode))
    }
}

/// A tiny single-threaded poll() loop, like the gateway's: polls the client's
/// socket until `done()` or the deadline. Returns the loop errors seen.
@discardableResult
func pump(_ client: MQTTClient, timeout: TimeInterval, onIteration: () throws -> Void = {},
          until done: () -> Bool) -> [MQTTError] {
    var errors: [MQTTError] = []
    let deadline = Date().addingTimeInterval(timeout)
    while !done() && Date() < deadline {
        do {
            try onIteration()
        } catch let error as MQTTError {
            errors.append(error)
        } catch {}
        let fd = client.socket
        if fd < 0 {
            usleep(10_000)
            continue
        }
        var pfd = pollfd(fd: fd, events: client.pollEvents, revents: 0)
        let n = poll(&pfd, 1, 50)
        do {
            if n > 0 { try client.processEvents(pfd.revents) }
            try client.loopMisc()
        } catch let error as MQTTError {
            errors.append(error)
        } catch {}
    }
    return errors
}

/// Client options for a test broker.
func testOptions(port: Int, id: String = "t-" + UUID().uuidString.prefix(8).lowercased(),
                 version: MQTTOptions.ProtocolVersion = .v5, keepalive: Int32 = 30,
                 will: MQTTOptions.Will? = nil) -> MQTTOptions {
    MQTTOptions(host: "127.0.0.1", port: Int32(port), clientID: id, keepaliveSeconds: keepalive,
                protocolVersion: version, will: will)
}

/// Connect and pump until the CONNACK (or timeout).
func connected(_ options: MQTTOptions, _ recorder: Recorder, timeout: TimeInterval = 5) throws -> MQTTClient {
    let client = try MQTTClient(options: options)
    client.delegate = recorder
    try client.connect()
    pump(client, timeout: timeout) { !recorder.connects.isEmpty || !recorder.disconnects.isEmpty }
    return client
}

/// Unique topic per test.
func uniqueTopic(_ prefix: String) -> String { "test/\(prefix)/\(UUID().uuidString.prefix(8).lowercased())" }

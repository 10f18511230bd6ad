import MQTTClient
import Testing
import TestSupport

@Suite("BrokerLink: when to connect, how long to back off, which protocol")
struct BrokerLinkTests {
    @Test func connectsAtOnceThenBacksOffAndResetsOnSuccess() {
        var rng = SplitMix(seed: 1)
        var link = BrokerLink(protocolVersion: .v5)
        #expect(link.isDue(now: 0))
        link.startedConnecting(now: 0)
        #expect(!link.isDue(now: 100))
        #expect(!link.hasTimedOut(now: 20))
        #expect(link.hasTimedOut(now: 20.5))
        let first = link.failed("Connection refused", now: 21, using: &rng)
        #expect(first.isNews)
        #expect(first.delay >= 0 && first.delay <= 1)
        #expect(abs(link.secondsUntilAttempt(now: 21)! - first.delay) < 1e-9)
        var delays: [Double] = []
        for i in 0..<8 {
            link.startedConnecting(now: Double(i))
            let f = link.failed("Connection refused", now: Double(i), using: &rng)
            #expect(!f.isNews, "the same reason again is not news")
            delays.append(f.delay)
        }
        #expect(delays.allSatisfy { $0 <= 60 })
        #expect(delays.max()! > 1, "the ceiling grows: \(delays)")
        link.startedConnecting(now: 50)
        #expect(link.connack(reasonCode: 0) == .accepted)
        #expect(link.isConnected && link.lastFailure == nil)
        let lost = link.failed("Connection refused", now: 60, using: &rng)
        #expect(lost.isNews, "losing a connection that was up is news, whatever the reason")
        #expect(lost.delay <= 1, "the backoff starts over after a success")
    }

    @Test func fallsBackToMQTT311WhenTheBrokerRefusesFive() {
        var link = BrokerLink(protocolVersion: .v5)
        link.startedConnecting(now: 0)
        guard case .retryWithOlderProtocol = link.connack(reasonCode: 0x84) else {
            Issue.record("0x84 must mean: try MQTT 3.1.1")
            return
        }
        #expect(link.protocolVersion == .v311)
        #expect(link.protocolName == "MQTT 3.1.1")
        // Under 3.1.1, code 5 (not authorized) is a refusal, not another fallback.
        guard case .refused(let why) = link.connack(reasonCode: 5) else {
            Issue.record("3.1.1 code 5 is a refusal")
            return
        }
        #expect(why.contains("refused"))
    }

    @Test func aRefusalIsNotAFallback() {
        var link = BrokerLink(protocolVersion: .v5)
        guard case .refused(let why) = link.connack(reasonCode: 0x87) else {
            Issue.record("0x87 is not authorized")
            return
        }
        #expect(link.protocolVersion == .v5)
        #expect(why.contains("0x87"))
    }
}

@Suite("BrokerLink: no protocol is pinned for good")
struct BrokerLinkProtocolTests {
    @Test func aFallbackLastsUntilTheConnectionIsLost() {
        var rng = SplitMix(seed: 2)
        var link = BrokerLink(protocolVersion: .v5)
        link.startedConnecting(now: 0)
        _ = link.connack(reasonCode: 0x84)
        _ = link.failed("the broker does not speak MQTT 5", now: 0, retryNow: true, using: &rng)
        #expect(link.protocolVersion == .v311)
        link.startedConnecting(now: 0)
        #expect(link.connack(reasonCode: 0) == .accepted)
        _ = link.failed("The connection was lost.", now: 10, disconnectCode: 7, using: &rng)
        #expect(link.protocolVersion == .v5, "the next connection tries MQTT 5 again")
    }

    @Test func aBrokerThatClosesAnMQTT5ConnectGetsA311AttemptAtOnce() {
        var rng = SplitMix(seed: 3)
        var link = BrokerLink(protocolVersion: .v5)
        link.startedConnecting(now: 0)
        let f = link.failed("The connection was lost.", now: 1, disconnectCode: 7, using: &rng)
        #expect(link.protocolVersion == .v311)
        #expect(f.delay == 0)
        // If 3.1.1 fails too (the broker is simply gone), the next attempt, after the backoff, tries 5 again.
        link.startedConnecting(now: 1)
        _ = link.failed("Connection refused", now: 2, disconnectCode: 14, using: &rng)
        #expect(link.protocolVersion == .v5)
        // A refused connection (nothing listening) under 5 is no reason to change protocol.
        link.startedConnecting(now: 5)
        _ = link.failed("Connection refused", now: 6, disconnectCode: 14, using: &rng)
        #expect(link.protocolVersion == .v5)
    }

    @Test func protocol4StaysOn311() {
        var rng = SplitMix(seed: 4)
        var link = BrokerLink(protocolVersion: .v311)
        link.startedConnecting(now: 0)
        _ = link.failed("The connection was lost.", now: 1, disconnectCode: 7, using: &rng)
        #expect(link.protocolVersion == .v311)
    }
}

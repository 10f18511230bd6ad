import Foundation
import Testing
import MQTTClient
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ClientTests {
    @Test func connectV5GetsReasonZeroAndReceiveMaximum() throws {
        let broker = try TestBroker()
        let rec = Recorder()
        let client = try connected(testOptions(port: broker.port), rec)
        #expect(rec.connects.count == 1)
        #expect(rec.connects.first?.reasonCode == 0)
        #expect(rec.connects.first?.sessionPresent == false)
        // mosquitto 2.0 sends its max_inflight_messages (default 20) as Receive Maximum.
        #expect(rec.connects.first?.receiveMaximum == 20)
        #expect(client.brokerReceiveMaximum == 20)
        #expect(client.isConnected)
        #expect(client.socket >= 0)

        let broker2 = try TestBroker(extraConfig: ["max_inflight_messages 7"])
        let rec2 = Recorder()
        let client2 = try connected(testOptions(port: broker2.port), rec2)
        #expect(rec2.connects.first?.receiveMaximum == 7)
        #expect(rec2.connects.first?.reasonCode == 0)
        #expect(client2.effectiveReceiveMaximum == 7)

        client.disconnect()
        pump(client, timeout: 2) { !rec.disconnects.isEmpty }
        #expect(rec.disconnects == [0])
        #expect(client.socket == -1)
        #expect(!client.isConnected)
    }

    @Test func thousandQoS1MessagesWithWindowArriveInOrder() throws {
        let broker = try TestBroker(logTypes: ["error", "warning", "notice", "information"])
        let topic = uniqueTopic("bulk")
        let sub = try TestSubscriber(port: broker.port, topics: [topic])
        let rec = Recorder()
        let client = try connected(testOptions(port: broker.port), rec)
        try #require(rec.connects.first?.reasonCode == 0)

        let total = 1000
        let window = min(client.effectiveReceiveMaximum, 50)
        var next = 0
        var sent: [Int32] = []
        var maxOutstanding = 0
        pump(client, timeout: 30, onIteration: {
            while next < total && sent.count - rec.publishes.count < window {
                let payload = Array(String(format: "msg-%04d", next).utf8)
                sent.append(try client.publish(topic: topic, payload: payload, qos: 1, retain: false))
                next += 1
            }
            maxOutstanding = max(maxOutstanding, sent.count - rec.publishes.count)
        }) { rec.publishes.count >= total }

        #expect(sent.count == total)
        #expect(rec.publishes.count == total)
        #expect(Set(rec.publishes.map(\.mid)) == Set(sent))
        #expect(Set(sent).count == total)   // mids unique within the window
        #expect(rec.publishes.allSatisfy { $0.reason == 0 })
        #expect(maxOutstanding <= window)

        let lines = sub.waitFor(count: total, timeout: 10)
        #expect(lines.count == total)
        let expected = (0..<total).map { "\(topic) " + String(format: "msg-%04d", $0) }
        #expect(lines == expected)
        client.disconnect()
    }

    @Test func userPropertiesArrive() throws {
        let broker = try TestBroker()
        let topic = uniqueTopic("props")
        let sub = try TestSubscriber(port: broker.port, topics: [topic], format: "%P|%p")
        let rec = Recorder()
        let client = try connected(testOptions(port: broker.port), rec)
        let mid = try client.publish(topic: topic, payload: Array("{}".utf8), qos: 1, retain: false,
                                     userProperties: [("id", "0190-abc"), ("kiosk", "k-1"), ("seq", "42")])
        pump(client, timeout: 5) { !rec.publishes.isEmpty }
        #expect(rec.publishes.first?.mid == mid)
        let lines = sub.waitFor(count: 1, timeout: 5)
        #expect(lines == ["id:0190-abc kiosk:k-1 seq:42|{}"])
    }

    @Test func userPropertiesAreDroppedWithV311() throws {
        let broker = try TestBroker()
        let topic = uniqueTopic("props311")
        let sub = try TestSubscriber(port: broker.port, topics: [topic], format: "%P|%p")
        let rec = Recorder()
        let client = try connected(testOptions(port: broker.port, version: .v311), rec)
        #expect(rec.connects.first?.reasonCode == 0)
        #expect(rec.connects.first?.receiveMaximum == nil)
        #expect(client.effectiveReceiveMaximum == 65535)
        try client.publish(topic: topic, payload: Array("x".utf8), qos: 1, retain: false,
                           userProperties: [("id", "1")])
        pump(client, timeout: 5) { !rec.publishes.isEmpty }
        #expect(rec.publishes.first?.reason == 0)
        #expect(sub.waitFor(count: 1, timeout: 5) == ["|x"])
    }

    /// What mosquitto 2.0.11 answers to a QoS 1 PUBLISH that its ACL denies.
    @Test(arguments: [MQTTOptions.ProtocolVersion.v5, .v311])
    func aclDeniedPublish(version: MQTTOptions.ProtocolVersion) throws {
        let broker = try TestBroker(extraConfig: ["acl_file $DIR/acl"],
                                    files: ["acl": "topic readwrite test/allowed/#\ntopic read #\n"])
        let sub = try TestSubscriber(port: broker.port, topics: ["test/#"])
        let rec = Recorder()
        let client = try connected(testOptions(port: broker.port, version: version), rec)
        try #require(rec.connects.first?.reasonCode == 0)

        let denied = try client.publish(topic: "test/denied/x", payload: Array("no".utf8), qos: 1, retain: false)
        let allowed = try client.publish(topic: "test/allowed/x", payload: Array("yes".utf8), qos: 1, retain: false)
        pump(client, timeout: 5) { rec.publishes.count >= 2 }
        let byMid = Dictionary(uniqueKeysWithValues: rec.publishes.map { ($0.mid, $0.reason) })
        if version == .v5 {
            #expect(byMid[denied] == 0x87)      // not authorized
            #expect(MQTTClient.isFailure(reasonCode: byMid[denied] ?? 0))
        } else {
            #expect(byMid[denied] == 0)         // 3.1.1 PUBACK has no reason code: looks like success
        }
        #expect(byMid[allowed] == 0)
        // The connection stays up after a denied publish.
        #expect(client.isConnected)
        #expect(rec.disconnects.isEmpty)
        let lines = sub.waitFor(count: 1, timeout: 5)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(sub.lines == ["test/allowed/x yes"])
        #expect(broker.logText.contains("Denied PUBLISH"))
        _ = lines
    }

    @Test func noMatchingSubscribersIsReported() throws {
        let broker = try TestBroker()
        let rec = Recorder()
        let client = try connected(testOptions(port: broker.port), rec)
        let mid = try client.publish(topic: uniqueTopic("nobody"), payload: [1, 2, 3], qos: 1, retain: false)
        pump(client, timeout: 5) { !rec.publishes.isEmpty }
        #expect(rec.publishes.first?.mid == mid)
        print("PUBACK reason without subscribers:", rec.publishes.first?.reason ?? -1)
    }

    @Test func willIsPublishedRetainedWhenConnectionDies() throws {
        let broker = try TestBroker()
        let topic = uniqueTopic("will")
        let sub = try TestSubscriber(port: broker.port, topics: [topic], format: "%r %t %p")
        let rec = Recorder()
        let will = MQTTOptions.Will(topic: topic, payload: Array(#"{"state":"offline"}"#.utf8), qos: 1, retain: true)
        let client = try connected(testOptions(port: broker.port, will: will), rec)
        try #require(rec.connects.first?.reasonCode == 0)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(sub.lines.isEmpty)

        // The connection dies without DISCONNECT: FIN from our side, fd stays valid.
        #expect(shutdown(client.socket, Int32(SHUT_RDWR)) == 0)
        let errors = pump(client, timeout: 5) { !rec.disconnects.isEmpty }
        #expect(rec.disconnects.count == 1)
        #expect(rec.disconnects.first != 0)
        #expect(client.socket == -1)
        #expect(!errors.isEmpty)
        print("after shutdown: disconnect code", rec.disconnects, errors.map(\.description))

        // mosquitto_sub shows the retain flag as it was published to a live subscriber.
        let lines = sub.waitFor(count: 1, timeout: 5)
        #expect(lines.count == 1)
        #expect(lines.first?.hasSuffix(#"\#(topic) {"state":"offline"}"#) == true)
        // A late subscriber gets it as a retained message.
        let late = try TestSubscriber(port: broker.port, topics: [topic], format: "%r %t %p")
        #expect(late.waitFor(count: 1, timeout: 5) == [#"1 \#(topic) {"state":"offline"}"#])
    }

    @Test func willIsNotPublishedAfterCleanDisconnect() throws {
        let broker = try TestBroker()
        let topic = uniqueTopic("nowill")
        let sentinel = topic + "/sentinel"
        let sub = try TestSubscriber(port: broker.port, topics: [topic, sentinel])
        let rec = Recorder()
        let will = MQTTOptions.Will(topic: topic, payload: Array("offline".utf8), qos: 1, retain: true)
        let client = try connected(testOptions(port: broker.port, will: will), rec)
        try #require(rec.connects.first?.reasonCode == 0)
        client.disconnect()
        pump(client, timeout: 5) { !rec.disconnects.isEmpty }
        #expect(rec.disconnects == [0])
        #expect(client.socket == -1)

        // Another client publishes a sentinel after our DISCONNECT; wait for it.
        let rec2 = Recorder()
        let other = try connected(testOptions(port: broker.port), rec2)
        try other.publish(topic: sentinel, payload: Array("s".utf8), qos: 1, retain: false)
        pump(other, timeout: 5) { !rec2.publishes.isEmpty }
        _ = sub.waitFor(count: 1, timeout: 5)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(sub.lines == ["\(sentinel) s"])
        // And nothing retained on the will topic.
        let late = try TestSubscriber(port: broker.port, topics: [topic])
        Thread.sleep(forTimeInterval: 0.5)
        #expect(late.lines.isEmpty)
        #expect(broker.logText.contains("disconnected"))
    }

    @Test func brokerEndsSilentClientAfterOneAndAHalfKeepalives() throws {
        let broker = try TestBroker()
        let topic = uniqueTopic("keepalive")
        let sub = try TestSubscriber(port: broker.port, topics: [topic])
        let rec = Recorder()
        let will = MQTTOptions.Will(topic: topic, payload: Array("offline".utf8), qos: 1, retain: true)
        let client = try connected(testOptions(port: broker.port, keepalive: 5, will: will), rec)
        try #require(rec.connects.first?.reasonCode == 0)
        let start = Date()
        // The client goes silent: no loopMisc, so no PINGREQ.
        let lines = sub.waitFor(count: 1, timeout: 20)
        let elapsed = Date().timeIntervalSince(start)
        #expect(lines == ["\(topic) offline"])
        // 1.5 x keepalive = 7.5 s, plus mosquitto's coarse keepalive check.
        #expect(elapsed > 7 && elapsed < 15)
        print("will after silent client: \(elapsed) s")
        pump(client, timeout: 3) { !rec.disconnects.isEmpty }
        #expect(rec.disconnects.count == 1)
        print("client saw disconnect code:", rec.disconnects)
    }

    @Test func pumpingClientKeepsConnectionAlive() throws {
        let broker = try TestBroker()
        let rec = Recorder()
        let client = try connected(testOptions(port: broker.port, keepalive: 5), rec)
        try #require(rec.connects.first?.reasonCode == 0)
        pump(client, timeout: 9) { !rec.disconnects.isEmpty }
        #expect(rec.disconnects.isEmpty)
        #expect(client.isConnected)
        #expect(broker.logText.contains("PINGREQ"))
    }

    @Test func nothingListeningFailsFastAndClearly() throws {
        let port = try TestBrokerTools.freeLoopbackPort()
        let rec = Recorder()
        let client = try MQTTClient(options: testOptions(port: port))
        client.delegate = rec
        let start = Date()
        var errors: [MQTTError] = []
        do {
            try client.connect()
            errors = pump(client, timeout: 5) { !rec.disconnects.isEmpty }
        } catch let error as MQTTError {
            errors.append(error)
        }
        let elapsed = Date().timeIntervalSince(start)
        print("nothing listening:", errors.map(\.description), rec.disconnects, elapsed)
        #expect(elapsed < 2)
        #expect(rec.connects.isEmpty)
        #expect(errors.first.map { $0.description.contains("refused") } == true)
        #expect(client.socket == -1)
    }

    @Test func publishWithoutConnection() throws {
        let client = try MQTTClient(options: testOptions(port: 1))
        do {
            let mid = try client.publish(topic: "a/b", payload: [1], qos: 1, retain: false)
            print("publish before connect returned mid", mid)
        } catch {
            print("publish before connect threw:", error)
        }
    }

    /// libmosquitto resends unacknowledged QoS 1 messages on the same handle
    /// after a reconnect, clean start or not. Documented in MQTTClient.
    @Test func sameHandleReconnectResendsInflight() throws {
        let broker = try TestBroker()
        let topic = uniqueTopic("resend")
        let rec = Recorder()
        let client = try connected(testOptions(port: broker.port), rec)
        try #require(rec.connects.first?.reasonCode == 0)

        broker.pause()     // nothing is read or acknowledged now
        var mids: [Int32] = []
        for i in 0..<5 {
            mids.append(try client.publish(topic: topic, payload: Array("m\(i)".utf8), qos: 1, retain: false))
        }
        pump(client, timeout: 0.3) { false }
        #expect(rec.publishes.isEmpty)
        broker.kill()      // the frozen broker dies; the 5 messages die with it
        pump(client, timeout: 5) { !rec.disconnects.isEmpty }
        #expect(rec.disconnects.count == 1)

        try broker.restart()
        let sub = try TestSubscriber(port: broker.port, topics: [topic])
        try client.connect()     // same handle
        pump(client, timeout: 5) { rec.connects.count >= 2 && rec.publishes.count >= 5 }
        #expect(rec.connects.count == 2)
        #expect(rec.connects.last?.sessionPresent == false)
        let lines = sub.waitFor(count: 5, timeout: 3)
        print("same handle after reconnect: resent \(lines.count) messages; PUBACKs for", rec.publishes.map(\.mid), "orig", mids)
        #expect(lines == (0..<5).map { "\(topic) m\($0)" })
        #expect(rec.publishes.map(\.mid) == mids)

        // A fresh handle sends nothing by itself.
        let rec2 = Recorder()
        let fresh = try connected(testOptions(port: broker.port), rec2)
        pump(fresh, timeout: 0.5) { false }
        #expect(rec2.publishes.isEmpty)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(sub.lines.count == 5)
    }

    @Test func unsupportedProtocolHelperAndTexts() {
        #expect(MQTTClient.isUnsupportedProtocol(reasonCode: 0x84))
        #expect(MQTTClient.isUnsupportedProtocol(reasonCode: 1))
        #expect(!MQTTClient.isUnsupportedProtocol(reasonCode: 0))
        #expect(!MQTTClient.isUnsupportedProtocol(reasonCode: 0x87))
        #expect(MQTTClient.describeConnack(reasonCode: 0x84, protocolVersion: .v5) == "Unsupported Protocol Version (0x84)")
        #expect(MQTTClient.describeConnack(reasonCode: 1, protocolVersion: .v311).contains("protocol"))
        #expect(MQTTClient.describeReason(code: 0x87) == "Not authorized (0x87)")
        #expect(MQTTClient.describeDisconnect(reasonCode: 0) == "disconnected cleanly")
        #expect(MQTTClient.describeDisconnect(reasonCode: 7) == "The connection was lost.")
        let refused = MQTTError.connectionRefused(reasonCode: 0x87, protocolVersion: .v5)
        #expect(refused.description == "broker refused the connection: Not authorized (0x87)")
        #expect(MQTTError.system(operation: "connect", errno: ECONNREFUSED).description == "connect: Connection refused")
    }

    @Test func badOptionsThrowClearErrors() throws {
        var opts = testOptions(port: 1883)
        opts.tls = .init(caFile: "/nonexistent/ca.pem")
        #expect(throws: MQTTError.self) { try MQTTClient(options: opts) }
        do { _ = try MQTTClient(options: opts) } catch { print("missing CA:", error) }

        var bad = testOptions(port: 1883)
        bad.keepaliveSeconds = 1
        #expect(throws: MQTTError.invalidArgument("keepalive 1 s is not in 5...65535")) { try MQTTClient(options: bad) }

        var wild = testOptions(port: 1883)
        wild.will = .init(topic: "a/#", payload: [])
        #expect(throws: MQTTError.self) { try MQTTClient(options: wild) }
    }

    @Test func connectDoesNotBlockOnUnreachableAddress() throws {
        // TEST-NET-1: either unreachable at once, or a pending connect.
        var opts = testOptions(port: 1883)
        opts.host = "192.0.2.1"
        let rec = Recorder()
        let client = try MQTTClient(options: opts)
        client.delegate = rec
        let start = Date()
        var thrown: MQTTError?
        do { try client.connect() } catch let e as MQTTError { thrown = e }
        #expect(Date().timeIntervalSince(start) < 0.5)
        if let thrown {
            print("192.0.2.1: connect threw at once:", thrown)
        } else {
            #expect(client.socket >= 0)
            #expect(client.wantsWrite)      // CONNECT queued behind the pending TCP connect
            let errors = pump(client, timeout: 1) { !rec.connects.isEmpty || !rec.disconnects.isEmpty }
            print("192.0.2.1 after 1 s:", rec.connects, rec.disconnects, errors)
            #expect(rec.connects.isEmpty)
        }
    }

    @Test func peerClosingBeforeConnackIsADisconnect() throws {
        // A TCP server that accepts and closes at once.
        let port = try TestBrokerTools.freeLoopbackPort()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(listener, 4) == 0)

        let rec = Recorder()
        let client = try MQTTClient(options: testOptions(port: port))
        client.delegate = rec
        try client.connect()
        let errors = pump(client, timeout: 3, onIteration: {
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 0) > 0 { close(accept(listener, nil, nil)) }
        }) { !rec.disconnects.isEmpty }
        #expect(rec.connects.isEmpty)
        #expect(rec.disconnects.count == 1)
        #expect(rec.disconnects.first != 0)
        #expect(client.socket == -1)
        #expect(errors.count == 1)
        print("peer closed before CONNACK:", rec.disconnects, errors.map(\.description))
    }
}

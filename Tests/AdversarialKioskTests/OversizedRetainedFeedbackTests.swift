import Foundation
import Glibc
import Testing
import TestSupport

/// Attack 5, broker side: a huge retained message on `feedback/all` (one was ~200 MB) is sent by the broker to
/// every gateway on each reconnect and pushes it past `MemoryMax`. The shipped broker refuses a packet over its
/// `max_packet_size`, so nothing huge is ever retained; and each gateway tells any broker its own Maximum Packet
/// Size (MQTT 5 CONNECT), so that a broker not configured by us does not send it one either.
@Suite(.serialized, .enabled(if: Site.canRun && Site.pahoPython != nil))
struct OversizedRetainedFeedbackTests {
    /// 32 MiB: far over every limit, and more than a gateway's whole memory.
    static let huge = 32 * 1024 * 1024

    /// A file of `size` bytes of JSON-looking text in `dir`.
    static func hugeFile(in dir: TempDir, size: Int = huge) throws -> String {
        let file = dir.file("huge.json")
        var data = Data(#"{"schema":"lagesbild.feedback.v1","text":{"sv":""#.utf8)
        data.append(Data(repeating: UInt8(ascii: "A"), count: size - data.count - 2))
        data.append(Data(#""}"#.utf8))
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }

    static let marker = #"{"schema":"lagesbild.feedback.v1","text":{"sv":"Markör"},"published_at":"2026-11-25T10:00:00.000+01:00","until":null}"#

    /// The peak resident memory of `pid` (VmHWM), in bytes.
    static func peakMemory(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return nil }
        return kb * 1024
    }

    @Test("Oversized retained feedback: the site broker refuses 32 MiB on feedback/all, so no gateway is ever sent it")
    func siteBrokerRefusesIt() throws {
        let site = try Site()
        let writer = try Centre.feedbackWriter()
        let pub = try site.mosquittoPub(user: writer, clientID: writer,
                                        ["-q", "1", "-r", "-t", "lagesbild/v1/feedback/all", "-f", try Self.hugeFile(in: site.dir)])
        let marked = try site.mosquittoPub(user: writer, clientID: writer,
                                           ["-q", "1", "-r", "-t", "lagesbild/v1/feedback/tls-kiosk-1", "-m", Self.marker])
        #expect(marked.status == 0, "\(marked.stderr)")
        // A kiosk subscribes to feedback/all, then to its own topic: the broker sends what is retained on each
        // right after each SUBACK, in order, so once the marker is in, anything on feedback/all came before it.
        let r = try site.python("""
            got = []
            marker = threading.Event()
            def on_message(client, userdata, msg):
                got.append((msg.topic, len(msg.payload)))
                if msg.topic.endswith("/tls-kiosk-1"):
                    marker.set()
            c = site_client("tls-kiosk-1", "tls-kiosk-1")
            c.on_message = on_message
            c.subscribe("lagesbild/v1/feedback/all", qos=1)
            c.subscribe("lagesbild/v1/feedback/tls-kiosk-1", qos=1)
            if not marker.wait(30):
                print("no marker")
            for topic, size in got:
                print(topic, size)
            c.disconnect()
            c.loop_stop()
            """)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("lagesbild/v1/feedback/tls-kiosk-1 \(Self.marker.utf8.count)"), "\(r.stdout)")
        #expect(!r.stdout.contains("lagesbild/v1/feedback/all"), "the broker kept the huge message and sent it: \(r.stdout)\n\(pub.stderr)")
    }

    @Test("Oversized retained feedback: a gateway tells a broker without limits its Maximum Packet Size and is not sent 32 MiB")
    func gatewayTellsItsMaximumPacketSize() throws {
        let broker = try TestBroker()
        let dir = TempDir("huge-feedback")
        let mosquittoPub = try #require(TestBrokerTools.findExecutable("mosquitto_pub"))
        let pub = try runProcess(mosquittoPub, ["-h", "127.0.0.1", "-p", String(broker.port), "-q", "1", "-r",
                                                "-t", "lagesbild/v1/feedback/all", "-f", try Self.hugeFile(in: dir)])
        #expect(pub.status == 0, "a broker without limits keeps it: \(pub.stderr)")
        let config = writeTestConfig(in: dir, kiosk: "huge-kiosk", port: broker.port)
        let gateway = GatewayProcess(config: config, log: dir.file("gateway.log"))
        try gateway.start()
        defer { gateway.terminate() }
        let received = "ignored the feedback on lagesbild/v1/feedback/all"
        // The broker either drops the packet for this client (it told its limit) or sends it (it did not).
        #expect(waitUntil(timeout: 30) {
            broker.logText.split(separator: "\n").contains { $0.contains("too large") && $0.contains("huge-kiosk") }
                || gateway.log.contains(received)
        }, "\(gateway.log)\n\(broker.logText.suffix(2000))")
        #expect(!gateway.log.contains(received), "the gateway was sent 32 MiB:\n\(gateway.log)")
        let peak = try #require(gateway.pid.flatMap(Self.peakMemory))
        #expect(peak < Self.huge, "the gateway's peak memory: \(peak) bytes")
    }
}

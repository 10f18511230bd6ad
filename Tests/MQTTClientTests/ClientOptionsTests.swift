import BrokerSettings
import KioskConfig
import MQTTClient
import Foundation
import Testing
import TestSupport

/// The one mapping from `[mqtt]` to the client's options, as the gateway and the centre's clients use it.
@Suite struct ClientOptionsTests {
    static func mqtt(_ table: String) throws -> Configuration.MQTT {
        try Configuration.parse(text: """
            [kiosk]
            id = "kiosk-1"
            site = "Testgården"

            [storage]
            path = "/tmp/outbox.sqlite"

            [mqtt]
            \(table)
            """, path: "/etc/tipskiosk/tipskiosk.toml", checkFiles: false).mqtt
    }

    @Test func plainWithUserAndAKeptSession() throws {
        let m = try Self.mqtt("host = \"broker.example\"\nport = 1884\nkeepalive_s = 45\nusername = \"k1\"\ntls = false")
        let o = m.clientOptions(clientID: "kiosk-1", protocolVersion: .v311, password: "hemligt",
                                sessionExpirySeconds: 3600)
        #expect(o.host == "broker.example" && o.port == 1884 && o.keepaliveSeconds == 45)
        #expect(o.clientID == "kiosk-1" && o.protocolVersion == .v311)
        #expect(o.username == "k1" && o.password == "hemligt")
        #expect(o.tls == nil && o.will == nil)
        #expect(!o.cleanStart && o.sessionExpirySeconds == 3600)
    }

    @Test func tlsWithItsFilesAWillAndACleanStart() throws {
        let m = try Self.mqtt("""
            host = "broker.example"
            port = 8883
            tls = true
            ca_file = "ca.crt"
            cert_file = "/etc/tipskiosk/kiosk-1.crt"
            key_file = "/etc/tipskiosk/kiosk-1.key"
            """)
        let will = MQTTOptions.Will(topic: "lagesbild/v1/status/kiosk-1", payload: Array("{}".utf8))
        let o = m.clientOptions(clientID: "kiosk-1", protocolVersion: .v5, password: nil, will: will)
        let tls = try #require(o.tls)
        #expect(tls.caFile == "/etc/tipskiosk/ca.crt", "relative to the configuration file's folder")
        #expect(tls.certFile == "/etc/tipskiosk/kiosk-1.crt" && tls.keyFile == "/etc/tipskiosk/kiosk-1.key")
        #expect(!tls.insecure)
        #expect(o.will?.topic == "lagesbild/v1/status/kiosk-1")
        #expect(o.cleanStart && o.sessionExpirySeconds == 0)
        #expect(o.host == "broker.example" && o.port == 8883)
    }

    @Test("Every client tells the broker the Maximum Packet Size that config/broker/ sets as max_packet_size")
    func maximumPacketSizeIsTheBrokersLimit() throws {
        let m = try Self.mqtt("host = \"127.0.0.1\"")
        #expect(m.clientOptions(clientID: "kiosk-1", protocolVersion: .v5, password: nil).maximumPacketSize
                == Configuration.MQTT.maximumPacketSize)
        for file in ["mosquitto.conf", "mosquitto-mtls.conf"] {
            let text = try String(contentsOfFile: Site.repository + "/config/broker/" + file, encoding: .utf8)
            let line = text.split(separator: "\n").first { $0.hasPrefix("max_packet_size ") }
            #expect(line.flatMap { UInt32($0.dropFirst("max_packet_size ".count)) } == Configuration.MQTT.maximumPacketSize, "\(file)")
        }
    }
}

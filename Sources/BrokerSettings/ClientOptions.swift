import KioskConfig
import MQTTClient

extension Configuration.MQTT {
    /// The largest MQTT packet the kiosk's gateway, the collector and `lagesbild feedback` accept: 256 KiB, four
    /// times the largest payload in use (a report, at most 64 KiB, docs/CONTRACT.md §4.1). Told to the broker in
    /// CONNECT (MQTT 5 Maximum Packet Size), so that no broker sends them more, a huge retained message included.
    /// config/broker/'s `max_packet_size` is the same figure (ClientOptionsTests checks).
    public static let maximumPacketSize: UInt32 = 256 * 1024

    /// The MQTT client's options for this `[mqtt]` table (docs/CONTRACT.md §2.4): the broker, its port, the
    /// keepalive, the user name, and TLS with its CA, certificate and key files when `tls` is on. The one mapping
    /// from the configuration to a connection, for the kiosk's gateway and for the centre's collector and
    /// `lagesbild feedback`.
    ///
    /// - Parameters:
    ///   - clientID: the MQTT client id (the kiosk id; the collector's fixed id; feedback's own).
    ///   - protocolVersion: MQTT 5, or 3.1.1 after a broker refused version 5.
    ///   - password: read from `password_file` by the caller (never kept in the configuration).
    ///   - will: the last will (the gateway's retained "offline" status), nil for none.
    ///   - sessionExpirySeconds: keep the session this long after a disconnect (clean start off); nil for a clean
    ///     start that keeps nothing.
    public func clientOptions(clientID: String, protocolVersion: MQTTOptions.ProtocolVersion, password: String?,
                              will: MQTTOptions.Will? = nil, sessionExpirySeconds: UInt32? = nil) -> MQTTOptions {
        MQTTOptions(host: host, port: Int32(port), clientID: clientID, keepaliveSeconds: Int32(keepaliveSeconds),
                    protocolVersion: protocolVersion, username: username, password: password,
                    tls: tls ? MQTTOptions.TLSOptions(caFile: caFile, certFile: certFile, keyFile: keyFile) : nil,
                    will: will, cleanStart: sessionExpirySeconds == nil,
                    sessionExpirySeconds: sessionExpirySeconds ?? 0, maximumPacketSize: Self.maximumPacketSize)
    }
}

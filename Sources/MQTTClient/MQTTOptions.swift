/// Everything needed to build one ``MQTTClient`` (one libmosquitto handle, one
/// connection attempt at a time).
///
/// A plain value: it can be built anywhere (e.g. from the configuration file)
/// and handed to the thread that will own the client.
public struct MQTTOptions: Sendable, Equatable {
    /// The MQTT protocol level spoken on the wire.
    public enum ProtocolVersion: Sendable, Equatable {
        /// MQTT 5.0: PUBACK reason codes, user properties, Receive Maximum.
        case v5
        /// MQTT 3.1.1: the fallback for brokers that refuse MQTT 5.
        case v311
    }

    /// TLS settings; when set, the connection is TLS 1.2 or newer and the
    /// broker certificate and host name are verified (unless `insecure`).
    public struct TLSOptions: Sendable, Equatable {
        /// PEM file of trusted CA certificates. `nil` means: trust the
        /// operating system's CA store (`MOSQ_OPT_TLS_USE_OS_CERTS`).
        public var caFile: String?
        /// PEM client certificate, for brokers that want client certificates.
        /// Must be given together with `keyFile`.
        public var certFile: String?
        /// PEM private key of `certFile` (unencrypted).
        public var keyFile: String?
        /// Skip host name verification (the certificate chain is still
        /// checked). Only for tests; never the default.
        public var insecure: Bool

        public init(caFile: String?, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    /// The last will: published by the broker when the connection dies without
    /// a clean DISCONNECT (socket closed, keepalive expired, process killed).
    public struct Will: Sendable, Equatable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: Int32
        public var retain: Bool

        public init(topic: String, payload: [UInt8], qos: Int32 = 1, retain: Bool = true) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// Broker host name or address (resolved with a blocking getaddrinfo in
    /// ``MQTTClient/connect()``; use an address or a local name).
    public var host: String
    /// Broker TCP port, 1..65535.
    public var port: Int32
    /// MQTT client identifier. Empty means: let libmosquitto make a random one.
    public var clientID: String
    /// Keepalive in seconds (libmosquitto requires >= 5). The caller must call
    /// ``MQTTClient/loopMisc()`` at least every second or so to send PINGREQ.
    public var keepaliveSeconds: Int32
    /// MQTT 5 by default.
    public var protocolVersion: ProtocolVersion
    /// User name; `nil` or empty for none.
    public var username: String?
    /// Password; only sent with a user name.
    public var password: String?
    /// TLS settings; `nil` for plain TCP.
    public var tls: TLSOptions?
    /// Last will; `nil` for none.
    public var will: Will?
    /// Local address to bind the outgoing socket to; `nil` for any.
    public var bindAddress: String?
    /// MQTT 5 clean start / 3.1.1 clean session. `false` asks the broker to keep the session (subscriptions
    /// and QoS 1 messages queued while away) under ``clientID``, which must then be set.
    public var cleanStart: Bool
    /// MQTT 5 Session Expiry Interval in seconds: how long the broker keeps the session after the connection
    /// ends (0: the session ends with the connection). Only with `cleanStart == false` does it matter.
    public var sessionExpirySeconds: UInt32
    /// MQTT 5 Maximum Packet Size in bytes: the largest packet this client accepts, told to the broker in CONNECT,
    /// which must then not send a larger one (MQTT 5 §3.1.2.11.4; mosquitto drops it). 0: no limit is told.
    /// libmosquitto does not itself refuse a larger packet, so against a broker that ignores it this guards nothing.
    public var maximumPacketSize: UInt32

    public init(host: String = "localhost", port: Int32 = 1883, clientID: String,
                keepaliveSeconds: Int32 = 30, protocolVersion: ProtocolVersion = .v5,
                username: String? = nil, password: String? = nil,
                tls: TLSOptions? = nil, will: Will? = nil, bindAddress: String? = nil,
                cleanStart: Bool = true, sessionExpirySeconds: UInt32 = 0, maximumPacketSize: UInt32 = 0) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.keepaliveSeconds = keepaliveSeconds
        self.protocolVersion = protocolVersion
        self.username = username
        self.password = password
        self.tls = tls
        self.will = will
        self.bindAddress = bindAddress
        self.cleanStart = cleanStart
        self.sessionExpirySeconds = sessionExpirySeconds
        self.maximumPacketSize = maximumPacketSize
    }
}

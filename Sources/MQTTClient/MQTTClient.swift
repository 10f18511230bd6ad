import CMosquitto
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Receives the events of one ``MQTTClient``. All methods are called
/// synchronously on the client's thread, from inside ``MQTTClient/loopRead()``,
/// ``MQTTClient/loopWrite()``, ``MQTTClient/loopMisc()``,
/// ``MQTTClient/processEvents(_:)`` or ``MQTTClient/disconnect()``.
///
/// A delegate may call ``MQTTClient/publish(topic:payload:qos:retain:userProperties:)``
/// from a callback (the packet is queued; poll for ``MQTTClient/wantsWrite``),
/// but must not drop the last reference to the client there.
public protocol MQTTClientDelegate: AnyObject {
    /// The broker answered CONNECT (from libmosquitto's `on_connect_v5`).
    ///
    /// - Parameters:
    ///   - reasonCode: 0 = accepted. Otherwise an MQTT 5 CONNACK reason code
    ///     (>= 0x80) or, with MQTT 3.1.1, a CONNACK return code 1...5; the
    ///     connection is then closed right after, with
    ///     ``mqttDidDisconnect(_:reasonCode:)``.
    ///     ``MQTTClient/isUnsupportedProtocol(reasonCode:)`` tells "speak 3.1.1".
    ///   - receiveMaximum: the broker's Receive Maximum property, `nil` when
    ///     the CONNACK has none (then the MQTT default 65535 applies; see
    ///     ``MQTTClient/effectiveReceiveMaximum``). Always `nil` with 3.1.1.
    ///   - sessionPresent: the CONNACK session-present flag (false with clean start).
    func mqttDidConnect(_ client: MQTTClient, reasonCode: Int32, receiveMaximum: Int?, sessionPresent: Bool)

    /// The connection is gone and ``MQTTClient/socket`` is -1 now (from
    /// `on_disconnect_v5`): after a clean ``MQTTClient/disconnect()``, a lost
    /// connection, a refused CONNECT, or a DISCONNECT from the broker.
    ///
    /// - Parameter reasonCode: 0 after ``MQTTClient/disconnect()``; otherwise a
    ///   `MOSQ_ERR_*` code (< 0x80, e.g. 7 = connection lost, 19 = keepalive) or
    ///   the reason code of a DISCONNECT sent by an MQTT 5 broker (>= 0x80).
    ///   ``MQTTClient/describeDisconnect(reasonCode:)`` gives the text.
    func mqttDidDisconnect(_ client: MQTTClient, reasonCode: Int32)

    /// A QoS 1 publish was acknowledged (PUBACK; `on_publish_v5`), or a QoS 0
    /// publish was written to the socket.
    ///
    /// - Parameters:
    ///   - messageID: the value returned by `publish`.
    ///   - reasonCode: the PUBACK reason code: 0 = success, 0x10 = no matching
    ///     subscribers (still accepted), >= 0x80 = refused (e.g. 0x87 not
    ///     authorized). Always 0 with MQTT 3.1.1, which has no reason codes.
    func mqttDidPublish(_ client: MQTTClient, messageID: Int32, reasonCode: Int32)

    /// The broker answered a SUBSCRIBE (SUBACK; `on_subscribe_v5`).
    ///
    /// - Parameters:
    ///   - messageID: the value returned by ``MQTTClient/subscribe(topic:qos:)``.
    ///   - grantedQoS: per topic filter, the QoS granted (0...2) or, with MQTT 5, a refusal (>= 0x80, e.g.
    ///     0x87 not authorized, 0x9E shared subscriptions not supported).
    func mqttDidSubscribe(_ client: MQTTClient, messageID: Int32, grantedQoS: [Int32])

    /// A message arrived (`on_message_v5`). The payload is valid only during the call: copy what you keep.
    ///
    /// libmosquitto 2.0 has already sent the PUBACK of a QoS 1 message when this is called: a process that
    /// dies before it has stored the message loses it unless the sender sends it again (the kiosk does when
    /// it waits for receipts).
    func mqttDidReceive(_ client: MQTTClient, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool)
}

extension MQTTClientDelegate {
    /// Publishers need not subscribe: by default a SUBACK is ignored.
    public func mqttDidSubscribe(_ client: MQTTClient, messageID: Int32, grantedQoS: [Int32]) {}
    /// Publishers need not subscribe: by default a message is ignored.
    public func mqttDidReceive(_ client: MQTTClient, topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool) {}
}

/// The global, once-only `mosquitto_lib_init()`. Swift initialises globals
/// lazily and thread-safely (swift_once), so this runs exactly once.
private let mosquittoLibraryInitResult: Int32 = mosquitto_lib_init()

/// A small MQTT client over libmosquitto, driven by the caller's own
/// single-threaded `poll()` loop (no libmosquitto threads).
///
/// **Thread confinement.** An `MQTTClient` is *not* `Sendable`: create it, use
/// it, and let it go on one thread (the thread that runs the poll loop).
/// libmosquitto calls back into it only from inside the methods below, on that
/// thread. Debug builds assert this.
///
/// **Driving it.**
/// ```swift
/// let client = try MQTTClient(options: opts)
/// client.delegate = self
/// try client.connect()                       // non-blocking TCP connect
/// while running {
///     var fds = [pollfd(fd: client.socket, events: client.pollEvents, revents: 0), ...]
///     poll(&fds, nfds, 1000)                 // at most ~1 s, for keepalive
///     try client.processEvents(fds[0].revents)   // loopRead / loopWrite
///     try client.loopMisc()                  // keepalive, PINGREQ
/// }
/// ```
/// Errors thrown by the loop methods mean the connection is gone; the delegate
/// has already received ``MQTTClientDelegate/mqttDidDisconnect(_:reasonCode:)``.
///
/// **One handle per connection.** With clean start, a reconnect on the *same*
/// handle (calling ``connect()`` again) makes libmosquitto re-send the QoS 1
/// messages that were still unacknowledged, under their old message ids. A
/// fresh `MQTTClient` per connection sends only what the caller publishes.
///
/// **No connect timeout.** libmosquitto does not give up on a TCP or TLS
/// connect that never completes; if ``MQTTClientDelegate/mqttDidConnect(_:reasonCode:receiveMaximum:sessionPresent:)``
/// has not come within your own deadline, drop the client.
///
/// **Going away.** Releasing the client without ``disconnect()`` closes the
/// socket without DISCONNECT, so the broker publishes the will (if any).
///
/// Payloads are never logged; ``logHandler`` gets libmosquitto's log lines,
/// which name topics, ids and sizes only.
public final class MQTTClient {
    /// The options this client was made with.
    public let options: MQTTOptions

    /// Receives connect/disconnect/publish events. Held weakly.
    public weak var delegate: (any MQTTClientDelegate)?

    /// libmosquitto's log lines: `(level, text)`, level being one of
    /// `MOSQ_LOG_ERR` (8), `MOSQ_LOG_WARNING` (4), `MOSQ_LOG_NOTICE` (2),
    /// `MOSQ_LOG_INFO` (1), `MOSQ_LOG_DEBUG` (16). Never contains payloads.
    public var logHandler: ((Int32, String) -> Void)?

    /// The levels (a mask of the `MOSQ_LOG_*` values) that reach ``logHandler``; the others are not even
    /// made into a `String`. All by default.
    public var logLevels: Int32 = ~0

    /// When true, libmosquitto's log is switched off from a successful CONNACK on: it formats a line for every
    /// packet (a `vsnprintf` and an allocation per report, and more when passed on), which a busy publisher does
    /// not need. The connection's own errors are still reported by their codes; only the OpenSSL text behind a
    /// TLS failure of an established connection (``lastErrorLogMessage``) is lost. False by default.
    public var quietWhileConnected = false

    /// The Receive Maximum of the last successful CONNACK, `nil` if absent
    /// (or MQTT 3.1.1, or not connected yet).
    public private(set) var brokerReceiveMaximum: Int?

    /// How many QoS 1 messages may be unacknowledged at once: the broker's
    /// Receive Maximum, or 65535 when it sent none. libmosquitto itself holds
    /// back publishes beyond this, but a caller that keeps its own window
    /// should keep it at or below this value.
    public var effectiveReceiveMaximum: Int { brokerReceiveMaximum ?? 65535 }

    /// True between a successful CONNACK and the disconnect callback.
    public private(set) var isConnected = false

    /// The reason code of the last CONNACK, `nil` before the first one.
    public private(set) var lastConnackReasonCode: Int32?

    /// The last line libmosquitto logged at `MOSQ_LOG_ERR` (e.g. the OpenSSL
    /// verification error behind a TLS failure); for "why not connected".
    public private(set) var lastErrorLogMessage: String?

    private let handle: OpaquePointer
    /// Counts on_disconnect calls, to notice failures libmosquitto does not report.
    private var disconnectCallbacks = 0
    #if DEBUG
    private let ownerThread = pthread_self()
    #endif

    /// Create the libmosquitto handle and apply every option (protocol
    /// version, credentials, will, TLS). Nothing is sent yet.
    ///
    /// - Throws: ``MQTTError`` when libmosquitto rejects an option (e.g. an
    ///   unreadable CA file, a will topic with wildcards).
    public init(options: MQTTOptions) throws {
        if mosquittoLibraryInitResult != Int32(MOSQ_ERR_SUCCESS.rawValue) {
            throw MQTTError.library(operation: "mosquitto_lib_init", code: mosquittoLibraryInitResult, detail: nil)
        }
        guard options.port > 0 && options.port <= 65535 else {
            throw MQTTError.invalidArgument("port \(options.port) is not in 1...65535")
        }
        guard options.keepaliveSeconds >= 5 && options.keepaliveSeconds <= 65535 else {
            throw MQTTError.invalidArgument("keepalive \(options.keepaliveSeconds) s is not in 5...65535")
        }
        let id: String? = options.clientID.isEmpty ? nil : options.clientID
        if !options.cleanStart && id == nil {
            throw MQTTError.invalidArgument("a kept session (clean start off) needs a fixed client id")
        }
        // clean_session: MQTT 5 clean start / 3.1.1 clean session.
        guard let handle = mosquitto_new(id, options.cleanStart, nil) else {
            let err = errno
            if err == EINVAL {
                throw MQTTError.invalidArgument("mosquitto_new rejected client id \"\(options.clientID)\"")
            }
            throw MQTTError.system(operation: "mosquitto_new", errno: err)
        }
        self.handle = handle
        self.options = options
        // From here on, deinit runs (and destroys the handle) if we throw.
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        installCallbacks()
        try configure()
    }

    deinit {
        // Detach first so that nothing can call back into a dead object.
        mosquitto_user_data_set(handle, nil)
        mosquitto_destroy(handle)
    }

    // MARK: - Setup

    private func installCallbacks() {
        mosquitto_connect_v5_callback_set(handle) { _, userdata, rc, flags, props in
            guard let userdata else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            client.didConnect(reasonCode: rc, flags: flags, properties: props)
        }
        mosquitto_disconnect_v5_callback_set(handle) { _, userdata, rc, _ in
            guard let userdata else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            client.didDisconnect(reasonCode: rc)
        }
        mosquitto_publish_v5_callback_set(handle) { _, userdata, mid, reasonCode, _ in
            guard let userdata else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            client.delegate?.mqttDidPublish(client, messageID: mid, reasonCode: reasonCode)
        }
        mosquitto_subscribe_v5_callback_set(handle) { _, userdata, mid, count, granted, _ in
            guard let userdata else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            let codes = (0..<Int(max(0, count))).map { granted?[$0] ?? 0x80 }
            client.delegate?.mqttDidSubscribe(client, messageID: mid, grantedQoS: codes)
        }
        mosquitto_message_v5_callback_set(handle) { _, userdata, message, _ in
            guard let userdata, let message else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            let m = message.pointee
            let topic = m.topic.map { String(cString: $0) } ?? ""
            let payload = UnsafeRawBufferPointer(start: m.payload, count: Int(max(0, m.payloadlen)))
            client.delegate?.mqttDidReceive(client, topic: topic, payload: payload, qos: m.qos, retain: m.retain)
        }
        mosquitto_log_callback_set(handle) { _, userdata, level, text in
            guard let userdata, let text else { return }
            let client = Unmanaged<MQTTClient>.fromOpaque(userdata).takeUnretainedValue()
            client.didLog(level: level, text: text)
        }
    }

    private func configure() throws {
        let version: Int32 = options.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        try check(mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, version), "set protocol version")

        if let username = options.username, !username.isEmpty {
            try check(mosquitto_username_pw_set(handle, username, options.password), "set username/password")
        }

        if let will = options.will {
            guard (0...2).contains(will.qos) else { throw MQTTError.invalidArgument("will QoS \(will.qos)") }
            guard will.payload.count <= 268_435_455 else { throw MQTTError.invalidArgument("will payload too large") }
            let rc = will.payload.withUnsafeBytes { buf in
                mosquitto_will_set_v5(handle, will.topic, Int32(buf.count), buf.baseAddress,
                                      will.qos, will.retain, nil)
            }
            try check(rc, "set will on \"\(will.topic)\"")
        }

        if let tls = options.tls {
            if tls.caFile == nil {
                try check(mosquitto_int_option(handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "use the system CA store")
                // mosquitto_tls_set needs a CA file or folder; only it sends a client certificate. The system's
                // folder of hashed certificates serves for the CA side here.
                if tls.certFile != nil {
                    try check(mosquitto_tls_set(handle, nil, Self.systemCAPath, tls.certFile, tls.keyFile, nil),
                              "TLS files (the system's CA store \(Self.systemCAPath), cert \(tls.certFile ?? "-"), key \(tls.keyFile ?? "-"))")
                }
            } else {
                try check(mosquitto_tls_set(handle, tls.caFile, nil, tls.certFile, tls.keyFile, nil),
                          "TLS files (ca \(tls.caFile ?? "-"), cert \(tls.certFile ?? "-"), key \(tls.keyFile ?? "-"))")
            }
            // 1 = SSL_VERIFY_PEER: the broker certificate must verify.
            try check(mosquitto_tls_opts_set(handle, 1, "tlsv1.2", nil), "set TLS options")
            // Host name verification stays on unless explicitly disabled.
            try check(mosquitto_tls_insecure_set(handle, tls.insecure), "set TLS host name verification")
        }
    }

    /// Throws the error `rc` stands for; `operation` (what was being done, for the message) is only built on a
    /// failure: this runs for every publish, and three user properties each.
    private func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws {
        guard rc != Int32(MOSQ_ERR_SUCCESS.rawValue) else { return }
        let savedErrno = errno   // building the text may touch errno; MQTTError.from reads it
        let text = operation()
        errno = savedErrno
        if let error = MQTTError.from(rc, operation: text, detail: lastErrorLogMessage) {
            throw error
        }
    }

    @inline(__always)
    private func assertOwnerThread() {
        #if DEBUG
        assert(pthread_equal(ownerThread, pthread_self()) != 0,
               "MQTTClient used from a thread other than the one that created it")
        #endif
    }

    // MARK: - Callbacks

    private func didConnect(reasonCode: Int32, flags: Int32, properties: OpaquePointer?) {
        lastConnackReasonCode = reasonCode
        var receiveMaximum: Int? = nil
        if options.protocolVersion == .v5, let properties {
            var value: UInt16 = 0
            if mosquitto_property_read_int16(properties, Int32(MQTT_PROP_RECEIVE_MAXIMUM.rawValue), &value, false) != nil {
                receiveMaximum = Int(value)
            }
        }
        if reasonCode == 0 {
            if quietWhileConnected { mosquitto_log_callback_set(handle, nil) }
            brokerReceiveMaximum = receiveMaximum
            isConnected = true
        }
        delegate?.mqttDidConnect(self, reasonCode: reasonCode, receiveMaximum: receiveMaximum,
                                 sessionPresent: flags & 1 != 0)
    }

    private func didDisconnect(reasonCode: Int32) {
        isConnected = false
        disconnectCallbacks &+= 1
        delegate?.mqttDidDisconnect(self, reasonCode: reasonCode)
    }

    private func didLog(level: Int32, text: UnsafePointer<CChar>) {
        if level == MOSQ_LOG_ERR {
            lastErrorLogMessage = String(cString: text)
        }
        if let logHandler, level & logLevels != 0 { logHandler(level, String(cString: text)) }
    }

    // MARK: - Connection

    /// Start connecting: resolve the host (blocking getaddrinfo), open a
    /// non-blocking TCP connection and queue CONNECT. Returns at once; the
    /// caller then polls ``socket`` (for writing, see ``wantsWrite``) and the
    /// outcome arrives at the delegate.
    ///
    /// Calling it again on the same client reconnects on the same handle
    /// (libmosquitto then re-sends unacknowledged QoS 1 messages; see the
    /// class documentation).
    ///
    /// - Throws: ``MQTTError`` when the attempt fails at once (unknown host,
    ///   refused on the spot); the delegate is not called then.
    public func connect() throws {
        assertOwnerThread()
        isConnected = false
        lastErrorLogMessage = nil
        lastConnackReasonCode = nil
        try setConnectProperties()
        let rc = mosquitto_connect_bind_async(handle, options.host, options.port,
                                              options.keepaliveSeconds, options.bindAddress)
        if rc == Int32(MOSQ_ERR_EAI.rawValue) {
            throw MQTTError.library(operation: "connect to \(options.host):\(options.port)", code: rc,
                                    detail: "cannot resolve \(options.host)")
        }
        try check(rc, "connect to \(options.host):\(options.port)")
    }

    /// MQTT 5 CONNECT properties (the Session Expiry Interval of a kept session, and the Maximum Packet Size
    /// this client accepts). libmosquitto 2.0 takes them only in the blocking `mosquitto_connect_bind_v5`, which
    /// stores them on the handle before it checks its host; called with no host it stores them and returns
    /// MOSQ_ERR_INVAL without connecting, and the non-blocking connect below then sends them (they stay on the
    /// handle for every CONNECT it makes).
    private func setConnectProperties() throws {
        guard options.protocolVersion == .v5 && (options.sessionExpirySeconds > 0 || options.maximumPacketSize > 0) else { return }
        var properties: OpaquePointer? = nil
        defer { mosquitto_property_free_all(&properties) }
        if options.sessionExpirySeconds > 0 {
            try check(mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue),
                                                   options.sessionExpirySeconds), "set the session expiry interval")
        }
        if options.maximumPacketSize > 0 {
            try check(mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_MAXIMUM_PACKET_SIZE.rawValue),
                                                   options.maximumPacketSize), "set the maximum packet size")
        }
        let rc = mosquitto_connect_bind_v5(handle, nil, -1, options.keepaliveSeconds, nil, properties)
        if rc != Int32(MOSQ_ERR_INVAL.rawValue) {
            try check(rc, "set the CONNECT properties")
        }
    }

    // MARK: - Subscribing

    /// Subscribe to one topic filter (`mosquitto_subscribe_v5`); the SUBACK arrives at
    /// ``MQTTClientDelegate/mqttDidSubscribe(_:messageID:grantedQoS:)`` under the returned id. A filter may be
    /// an MQTT 5 shared subscription, `$share/<group>/<filter>`. With `retainAsPublished` (MQTT 5) the broker
    /// keeps a message's retain flag as its publisher set it, also on an established subscription, so that the
    /// receiver can tell a retained message from others (MQTT 3.1.1 and the default set it only on what a new
    /// subscription gets).
    @discardableResult
    public func subscribe(topic: String, qos: Int32, retainAsPublished: Bool = false) throws -> Int32 {
        assertOwnerThread()
        guard (0...2).contains(qos) else { throw MQTTError.invalidArgument("QoS \(qos)") }
        var mid: Int32 = 0
        let options = retainAsPublished ? Int32(MQTT_SUB_OPT_RETAIN_AS_PUBLISHED.rawValue) : 0
        try check(mosquitto_subscribe_v5(handle, &mid, topic, qos, options, nil), "subscribe to \"\(topic)\"")
        return mid
    }

    /// Send DISCONNECT (reason 0, so the broker does *not* publish the will)
    /// and close the socket once it is written. Usually that happens inside
    /// this call and the delegate's ``MQTTClientDelegate/mqttDidDisconnect(_:reasonCode:)``
    /// (reason 0) runs before it returns; if the socket is full, keep polling
    /// until it does. Without a connection this does nothing.
    public func disconnect() {
        assertOwnerThread()
        _ = mosquitto_disconnect_v5(handle, Int32(MQTT_RC_NORMAL_DISCONNECTION.rawValue), nil)
    }

    // MARK: - Event loop

    /// The socket to poll, or -1 when there is no connection.
    public var socket: Int32 { mosquitto_socket(handle) }

    /// True when libmosquitto has bytes queued (CONNECT during a connect,
    /// publishes the kernel did not take yet): poll for `POLLOUT` then.
    public var wantsWrite: Bool { mosquitto_want_write(handle) }

    /// The `pollfd.events` to use for ``socket``: `POLLIN`, plus `POLLOUT`
    /// when ``wantsWrite``.
    public var pollEvents: Int16 {
        Int16(POLLIN) | (wantsWrite ? Int16(POLLOUT) : 0)
    }

    /// Handle the `revents` that `poll()` reported for ``socket``: reads on
    /// `POLLIN`, writes on `POLLOUT`, and on `POLLERR`/`POLLHUP` both (so that
    /// a failed non-blocking connect surfaces as an error and a disconnect
    /// callback, instead of a busy loop). Does nothing for `revents == 0`.
    public func processEvents(_ revents: Int16) throws {
        assertOwnerThread()
        if revents == 0 { return }
        let failed = revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0
        if revents & Int16(POLLOUT) != 0 || (failed && wantsWrite) {
            try loopWrite()
        }
        if revents & Int16(POLLIN) != 0 || failed {
            try loopRead()
        }
    }

    /// Read and handle what the socket has (`mosquitto_loop_read`). Call when
    /// poll() reports `POLLIN`. No-op without a socket.
    ///
    /// - Throws: ``MQTTError``: the connection is gone (the delegate was told),
    ///   or the broker refused CONNECT (``MQTTError/connectionRefused(reasonCode:protocolVersion:)``).
    public func loopRead() throws {
        assertOwnerThread()
        try withExtendedLifetime(self) {
            guard mosquitto_socket(handle) >= 0 else { return }
            let before = disconnectCallbacks
            let rc = mosquitto_loop_read(handle, 1)
            try loopCheck(rc, "read from broker", disconnectCallbacksBefore: before)
        }
    }

    /// Write queued packets (`mosquitto_loop_write`). Call when poll() reports
    /// `POLLOUT` (ask for it only while ``wantsWrite``). No-op without a socket.
    ///
    /// - Throws: ``MQTTError``: the connection is gone (the delegate was told).
    public func loopWrite() throws {
        assertOwnerThread()
        try withExtendedLifetime(self) {
            guard mosquitto_socket(handle) >= 0 else { return }
            let before = disconnectCallbacks
            let rc = mosquitto_loop_write(handle, 1)
            try loopCheck(rc, "write to broker", disconnectCallbacksBefore: before)
        }
    }

    /// Housekeeping (`mosquitto_loop_misc`): sends PINGREQ when the keepalive
    /// is due and drops the connection when the broker does not answer. Call
    /// after every poll() return and at least about once a second. No-op
    /// without a socket.
    ///
    /// - Throws: ``MQTTError/connectionLost(operation:code:)`` with
    ///   `MOSQ_ERR_KEEPALIVE` when the broker went silent (the delegate was told).
    public func loopMisc() throws {
        assertOwnerThread()
        try withExtendedLifetime(self) {
            guard mosquitto_socket(handle) >= 0 else { return }
            let before = disconnectCallbacks
            let rc = mosquitto_loop_misc(handle)
            try loopCheck(rc, "keepalive", disconnectCallbacksBefore: before)
        }
    }

    private func loopCheck(_ rc: Int32, _ operation: String, disconnectCallbacksBefore: Int) throws {
        if rc == Int32(MOSQ_ERR_SUCCESS.rawValue) { return }
        // libmosquitto 2.0.11 closes the socket on a failed TLS handshake in
        // mosquitto_loop_read without calling on_disconnect; make sure every
        // lost connection reaches the delegate exactly once.
        if disconnectCallbacks == disconnectCallbacksBefore && mosquitto_socket(handle) < 0 {
            didDisconnect(reasonCode: rc)
        }
        if let code = lastConnackReasonCode, code != 0,
           rc == Int32(MOSQ_ERR_CONN_REFUSED.rawValue) || rc == Int32(MOSQ_ERR_PROTOCOL.rawValue) {
            throw MQTTError.connectionRefused(reasonCode: code, protocolVersion: options.protocolVersion)
        }
        try check(rc, operation)
    }

    // MARK: - Publishing

    /// Publish one message (`mosquitto_publish_v5`). The packet is written at
    /// once if the socket takes it, else queued (poll for ``wantsWrite``).
    /// Beyond the broker's Receive Maximum, libmosquitto holds QoS 1 messages
    /// back and sends them as PUBACKs arrive.
    ///
    /// - Parameters:
    ///   - userProperties: MQTT 5 user properties, in order (ignored with 3.1.1).
    /// - Returns: the message id; ``MQTTClientDelegate/mqttDidPublish(_:messageID:reasonCode:)``
    ///   reports its PUBACK under the same id.
    /// - Throws: ``MQTTError``, e.g. `.connectionLost` with `MOSQ_ERR_NO_CONN`
    ///   when not connected, or `.library` for a bad topic / oversize payload.
    @discardableResult
    public func publish(topic: String, payload: UnsafeRawBufferPointer, qos: Int32, retain: Bool,
                        userProperties: [(String, String)] = []) throws -> Int32 {
        assertOwnerThread()
        guard (0...2).contains(qos) else { throw MQTTError.invalidArgument("QoS \(qos)") }
        guard payload.count <= 268_435_455 else {
            throw MQTTError.invalidArgument("payload of \(payload.count) bytes is larger than MQTT allows")
        }
        var mid: Int32 = 0
        var properties: OpaquePointer? = nil
        defer { mosquitto_property_free_all(&properties) }
        // `withCString` lends a String's own bytes; passing a String where C wants a `char *` would copy each
        // into a new array (seven allocations a report).
        if options.protocolVersion == .v5 {
            for (name, value) in userProperties {
                let rc = name.withCString { n in
                    value.withCString { v in
                        mosquitto_property_add_string_pair(&properties, Int32(MQTT_PROP_USER_PROPERTY.rawValue), n, v)
                    }
                }
                try check(rc, "add user property \"\(name)\"")
            }
        }
        let rc = withExtendedLifetime(self) { () -> Int32 in
            topic.withCString { t in
                if options.protocolVersion == .v5 {
                    return mosquitto_publish_v5(handle, &mid, t, Int32(payload.count), payload.baseAddress,
                                                qos, retain, properties)
                } else {
                    return mosquitto_publish(handle, &mid, t, Int32(payload.count), payload.baseAddress, qos, retain)
                }
            }
        }
        try check(rc, "publish to \"\(topic)\"")
        return mid
    }

    /// Publish one message; see ``publish(topic:payload:qos:retain:userProperties:)``.
    @discardableResult
    public func publish<Payload: Collection<UInt8>>(topic: String, payload: Payload, qos: Int32, retain: Bool,
                                                   userProperties: [(String, String)] = []) throws -> Int32 {
        if let mid = try payload.withContiguousStorageIfAvailable({ buffer in
            try publish(topic: topic, payload: UnsafeRawBufferPointer(buffer), qos: qos, retain: retain,
                        userProperties: userProperties)
        }) {
            return mid
        }
        return try Array(payload).withUnsafeBytes { buffer in
            try publish(topic: topic, payload: buffer, qos: qos, retain: retain, userProperties: userProperties)
        }
    }

    // MARK: - Reason codes for people

    /// The folder of the system's trusted CA certificates (Debian's ca-certificates).
    public static let systemCAPath = "/etc/ssl/certs"

    /// Why ``connect()`` threw, for `last_error` and the log. On loopback the TLS handshake can fail inside
    /// `connect()` already: then the same words as after a handshake (``describeFailure(reasonCode:)``).
    public func describeConnectError(_ error: any Error) -> String {
        if let e = error as? MQTTError, e.mosquittoCode == MQTTError.tlsCode {
            return describeFailure(reasonCode: MQTTError.tlsCode)
        }
        return "\(error)"
    }

    /// Why this client's connection failed, for `last_error` and the log: the text of the code of
    /// ``MQTTClientDelegate/mqttDidDisconnect(_:reasonCode:)``, and for a TLS failure the broker, OpenSSL's reason,
    /// why the certificate was not accepted (``TLSDiagnosis``: unknown issuer, expired, host name mismatch), and
    /// the CA file. May make one short TLS connection of its own for that (at most a few seconds).
    public func describeFailure(reasonCode: Int32) -> String {
        guard reasonCode == Int32(MOSQ_ERR_TLS.rawValue), let tls = options.tls else {
            return Self.describeDisconnect(reasonCode: reasonCode)
        }
        // "OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed" → "certificate verify failed"
        let openssl = lastErrorLogMessage.map { line in
            String(line.split(separator: ":", omittingEmptySubsequences: true).last ?? Substring(line))
        } ?? "the TLS handshake failed"
        var text = "TLS with \(options.host):\(options.port): \(openssl)"
        if openssl.contains("verify failed"),
           let why = TLSDiagnosis.diagnose(host: options.host, port: options.port, caFile: tls.caFile,
                                           certFile: tls.certFile, keyFile: tls.keyFile) {
            text += ": " + why
        }
        return text + " (CA: \(tls.caFile ?? "the system's CA store"))"
    }

    /// True when a CONNACK reason code means "this broker does not speak the
    /// protocol version we asked for": 0x84 (MQTT 5 *Unsupported Protocol
    /// Version*, which libmosquitto also reports when a 3.1.1 broker answers
    /// a v5 CONNECT with its own refusal) or 1 (3.1.1 *unacceptable protocol
    /// version*). The caller should then retry with ``MQTTOptions/ProtocolVersion/v311``
    /// on a new client.
    public static func isUnsupportedProtocol(reasonCode: Int32) -> Bool {
        reasonCode == Int32(MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION.rawValue) || reasonCode == 1
    }

    /// True when a PUBACK reason code means the broker refused the message
    /// (>= 0x80, e.g. 0x87 not authorized, 0x97 quota exceeded).
    public static func isFailure(reasonCode: Int32) -> Bool { reasonCode >= 0x80 }

    /// Text for a CONNACK code: `mosquitto_reason_string` for MQTT 5,
    /// `mosquitto_connack_string` for 3.1.1.
    public static func describeConnack(reasonCode: Int32, protocolVersion: MQTTOptions.ProtocolVersion) -> String {
        let text: UnsafePointer<CChar>?
        if protocolVersion == .v5 && (reasonCode == 0 || reasonCode >= 0x80) {
            text = mosquitto_reason_string(reasonCode)
        } else {
            text = mosquitto_connack_string(reasonCode)
        }
        return "\(text.map { String(cString: $0) } ?? "unknown") (\(String(format: reasonCode)))"
    }

    /// Text for an MQTT 5 reason code (PUBACK, DISCONNECT), `mosquitto_reason_string`.
    public static func describeReason(code: Int32) -> String {
        "\(mosquitto_reason_string(code).map { String(cString: $0) } ?? "unknown") (\(String(format: code)))"
    }

    /// Text for the code of ``MQTTClientDelegate/mqttDidDisconnect(_:reasonCode:)``.
    public static func describeDisconnect(reasonCode: Int32) -> String {
        if reasonCode == 0 { return "disconnected cleanly" }
        if reasonCode >= 0x80 { return "broker disconnected us: " + describeReason(code: reasonCode) }
        // libmosquitto 2.0's strerror has no text for some codes it uses here ("Unknown error.").
        switch reasonCode {
        case Int32(MOSQ_ERR_KEEPALIVE.rawValue):
            return "keepalive timeout: no answer from the broker (the link is dead or stalled)"
        default:
            return MQTTError.mosquittoText(reasonCode)
        }
    }
}

private extension String {
    init(format code: Int32) {
        let hex = String(code, radix: 16, uppercase: true)
        self = "0x" + (hex.count < 2 ? "0" + hex : hex)
    }
}

/// `MQTTClient` belongs to one thread; it must not cross isolation domains.
@available(*, unavailable)
extension MQTTClient: Sendable {}

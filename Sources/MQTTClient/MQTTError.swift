import CMosquitto
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of ``MQTTClient``, each with a sentence for people in `description`
/// (libmosquitto's `mosquitto_strerror`, `mosquitto_reason_string` /
/// `mosquitto_connack_string`, or the C library's `strerror`).
public enum MQTTError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A libmosquitto call failed with `MOSQ_ERR_*` `code`. `detail` is the
    /// last error line libmosquitto logged, if any (e.g. an OpenSSL
    /// certificate verification error for `MOSQ_ERR_TLS`).
    case library(operation: String, code: Int32, detail: String?)
    /// A system call failed (`MOSQ_ERR_ERRNO`), e.g. `ECONNREFUSED`.
    case system(operation: String, errno: Int32)
    /// The connection was lost or closed (`MOSQ_ERR_CONN_LOST`,
    /// `MOSQ_ERR_KEEPALIVE`, `MOSQ_ERR_NO_CONN`, ...). The delegate has already
    /// been told through ``MQTTClientDelegate/mqttDidDisconnect(_:reasonCode:)``.
    case connectionLost(operation: String, code: Int32)
    /// The broker answered CONNECT with a failure reason code. See
    /// ``MQTTClient/isUnsupportedProtocol(reasonCode:)`` for the MQTT 5 fallback.
    case connectionRefused(reasonCode: Int32, protocolVersion: MQTTOptions.ProtocolVersion)
    /// An option or argument was rejected before anything was sent.
    case invalidArgument(String)

    /// The `MOSQ_ERR_*` code behind the error, if there is one.
    /// libmosquitto's MOSQ_ERR_TLS: the TLS handshake or a TLS read or write failed.
    public static let tlsCode = Int32(MOSQ_ERR_TLS.rawValue)

    public var mosquittoCode: Int32? {
        switch self {
        case .library(_, let code, _), .connectionLost(_, let code): return code
        case .system: return Int32(MOSQ_ERR_ERRNO.rawValue)
        case .connectionRefused: return Int32(MOSQ_ERR_CONN_REFUSED.rawValue)
        case .invalidArgument: return Int32(MOSQ_ERR_INVAL.rawValue)
        }
    }

    public var description: String {
        switch self {
        case let .library(operation, code, detail):
            let base = "\(operation): \(MQTTError.mosquittoText(code))"
            if let detail, !detail.isEmpty { return base + " (\(detail))" }
            return base
        case let .system(operation, err):
            return "\(operation): \(String(cString: strerror(err)))"
        case let .connectionLost(operation, code):
            return "\(operation): \(MQTTError.mosquittoText(code))"
        case let .connectionRefused(reasonCode, version):
            return "broker refused the connection: \(MQTTClient.describeConnack(reasonCode: reasonCode, protocolVersion: version))"
        case let .invalidArgument(text):
            return "invalid argument: \(text)"
        }
    }

    /// `mosquitto_strerror` text for a `MOSQ_ERR_*` code.
    public static func mosquittoText(_ code: Int32) -> String {
        guard let text = mosquitto_strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// Map a libmosquitto return code to an error; `nil` for success.
    /// `MOSQ_ERR_ERRNO` reads `errno`, so call this right after the failing call.
    static func from(_ rc: Int32, operation: String, detail: String? = nil) -> MQTTError? {
        let savedErrno = errno
        switch rc {
        case Int32(MOSQ_ERR_SUCCESS.rawValue):
            return nil
        case Int32(MOSQ_ERR_ERRNO.rawValue):
            return .system(operation: operation, errno: savedErrno)
        case Int32(MOSQ_ERR_CONN_LOST.rawValue), Int32(MOSQ_ERR_NO_CONN.rawValue),
             Int32(MOSQ_ERR_KEEPALIVE.rawValue):
            return .connectionLost(operation: operation, code: rc)
        default:
            return .library(operation: operation, code: rc, detail: detail)
        }
    }
}

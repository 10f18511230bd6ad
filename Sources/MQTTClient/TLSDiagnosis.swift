import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// Why a broker's TLS certificate was not accepted, in words a technician can act on.
///
/// libmosquitto reports only OpenSSL's "certificate verify failed" and frees the connection before the reason
/// can be read. After such a failure, `diagnose` makes one short TLS connection of its own to the broker, with
/// the same CA file (or the system's store) and host name, lets the handshake finish without trusting anything,
/// and reads OpenSSL's verification result and the certificate the broker showed. It sends nothing over it.
public enum TLSDiagnosis {
    /// The reason for `host`'s certificate, e.g. "the broker's certificate expired on 2026-11-24 20:48 UTC";
    /// nil when it verifies (the failure was something else) or the broker cannot be reached within `timeout`.
    public static func diagnose(host: String, port: Int32, caFile: String?, certFile: String? = nil, keyFile: String? = nil,
                                timeout: Double = 3) -> String? {
        guard let fd = connectTCP(host: host, port: port, timeout: timeout) else { return nil }
        defer { close(fd) }
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { return nil }
        defer { SSL_CTX_free(ctx) }
        let store = caFile ?? "the system's CA store"
        if let caFile {
            guard SSL_CTX_load_verify_locations(ctx, caFile, nil) == 1 else { return "the CA file \(caFile) cannot be read as PEM certificates" }
        } else {
            SSL_CTX_set_default_verify_paths(ctx)
            _ = SSL_CTX_load_verify_locations(ctx, nil, "/etc/ssl/certs")
        }
        if let certFile, let keyFile {
            _ = SSL_CTX_use_certificate_chain_file(ctx, certFile)
            _ = SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM)
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)   // finish the handshake; the result is recorded anyway
        guard let ssl = SSL_new(ctx) else { return nil }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, fd)
        let isIP = host.contains(":") || host.split(separator: ".").allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
        if isIP {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host)
        } else {
            SSL_set1_host(ssl, host)
            host.withCString { p in _ = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: p)) }
        }
        guard SSL_connect(ssl) == 1 else { ERR_clear_error(); return nil }
        defer { SSL_shutdown(ssl) }
        let result = Int32(SSL_get_verify_result(ssl))
        guard result != X509_V_OK else { return nil }
        let cert = SSL_get1_peer_certificate(ssl)
        defer { if let cert { X509_free(cert) } }
        let subject = cert.map { name(X509_get_subject_name($0)) } ?? "?"
        let issuer = cert.map { name(X509_get_issuer_name($0)) } ?? "?"
        switch result {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
             X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return "unknown issuer: the broker's certificate (\(subject)) is signed by \(issuer), which is not a CA in \(store)"
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return "the broker's certificate (\(subject)) expired on \(cert.map { date(X509_get0_notAfter($0)) } ?? "?")"
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "the broker's certificate (\(subject)) is valid only from \(cert.map { date(X509_get0_notBefore($0)) } ?? "?") (is this box's clock right?)"
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            return "host name mismatch: the broker's certificate (\(subject)) is not for \(host)\(altNames(cert).map { "; it names \($0)" } ?? "")"
        default:
            return "the broker's certificate (\(subject)) was not accepted: \(String(cString: X509_verify_cert_error_string(Int(result))))"
        }
    }

    private static func name(_ n: OpaquePointer?) -> String {
        guard let n, let line = X509_NAME_oneline(n, nil, 0) else { return "?" }
        defer { CRYPTO_free(line, #fileID, #line) }
        let s = String(cString: line)
        return s.hasPrefix("/") ? s.dropFirst().split(separator: "/").joined(separator: ", ") : s
    }

    private static func date(_ t: UnsafePointer<ASN1_TIME>?) -> String {
        guard let t else { return "?" }
        var parts = tm()
        guard ASN1_TIME_to_tm(t, &parts) == 1 else { return "?" }
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)) UTC"
    }

    /// The DNS names and addresses the certificate's subjectAltName lists, comma-separated.
    private static func altNames(_ cert: OpaquePointer?) -> String? {
        guard let cert, let ext = X509_get_ext_d2i(cert, NID_subject_alt_name, nil, nil) else { return nil }
        let names = OpaquePointer(ext)
        defer { GENERAL_NAMES_free(names) }
        var out: [String] = []
        for i in 0..<OPENSSL_sk_num(names) {
            guard let raw = OPENSSL_sk_value(names, i) else { continue }
            let gn = raw.assumingMemoryBound(to: GENERAL_NAME.self).pointee
            if gn.type == GEN_DNS, let s = gn.d.dNSName, let data = ASN1_STRING_get0_data(s) {
                out.append(String(cString: data))
            } else if gn.type == GEN_IPADD, let s = gn.d.iPAddress, let data = ASN1_STRING_get0_data(s) {
                let n = Int(ASN1_STRING_length(s))
                if n == 4 { out.append((0..<4).map { String(data[$0]) }.joined(separator: ".")) }
            }
        }
        return out.isEmpty ? nil : out.joined(separator: ", ")
    }

    /// A TCP connection to host:port within `timeout` seconds, blocking afterwards; nil if none.
    private static func connectTCP(host: String, port: Int32, timeout: Double) -> Int32? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let first = res else { return nil }
        defer { freeaddrinfo(res) }
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd >= 0 {
                let flags = fcntl(fd, F_GETFL)
                _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
                var ok = connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0
                if !ok && errno == EINPROGRESS {
                    var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    ok = poll(&p, 1, Int32(timeout * 1000)) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0
                }
                if ok {
                    _ = fcntl(fd, F_SETFL, flags)
                    var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                    return fd
                }
                close(fd)
            }
            ai = a.pointee.ai_next
        }
        return nil
    }
}

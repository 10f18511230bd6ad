import Foundation
import Testing
import MQTTClient
import TestSupport

/// A throwaway CA and a server certificate for `DNS:localhost` only.
private func makeCertificates(in dir: URL) throws {
    let script = """
    set -e
    cd '\(dir.path)'
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj /CN=test-ca -days 2 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
    printf 'subjectAltName=DNS:localhost\\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext.cnf 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.crt -subj /CN=other-ca -days 2 2>/dev/null
    """
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", script]
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw TestBrokerError("openssl failed") }
}

@Suite struct TLSTests {
    @Test(.enabled(if: TestBrokerTools.findExecutable("openssl") != nil))
    func tlsVerifiesCertificateAndHostName() throws {
        let tlsPort = try TestBrokerTools.freeLoopbackPort()
        let certDir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: certDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: certDir) }
        try makeCertificates(in: certDir)
        let broker = try TestBroker(extraConfig: [
            "listener \(tlsPort) 127.0.0.1",
            "cafile \(certDir.path)/ca.crt",
            "certfile \(certDir.path)/server.crt",
            "keyfile \(certDir.path)/server.key",
        ])
        for _ in 0..<100 where !TestBrokerTools.canConnect(port: tlsPort) { usleep(20_000) }

        func attempt(host: String, ca: String, insecure: Bool = false) throws -> (Recorder, MQTTClient, [MQTTError]) {
            var opts = testOptions(port: tlsPort)
            opts.host = host
            opts.tls = .init(caFile: certDir.appendingPathComponent(ca).path, insecure: insecure)
            let rec = Recorder()
            let client = try MQTTClient(options: opts)
            client.delegate = rec
            var errors: [MQTTError] = []
            do {
                try client.connect()
                errors = pump(client, timeout: 5) { !rec.connects.isEmpty || !rec.disconnects.isEmpty }
            } catch let e as MQTTError { errors.append(e) }
            return (rec, client, errors)
        }

        // Right CA, right name: connected (handshake driven by loopRead/loopWrite only).
        let (ok, okClient, okErrors) = try attempt(host: "localhost", ca: "ca.crt")
        #expect(ok.connects.first?.reasonCode == 0)
        #expect(okErrors.isEmpty)
        okClient.disconnect()

        // Right CA, wrong name (the certificate is for localhost only): refused by us.
        let (badName, badNameClient, badNameErrors) = try attempt(host: "127.0.0.1", ca: "ca.crt")
        #expect(badName.connects.isEmpty)
        #expect(!badNameErrors.isEmpty)
        print("TLS wrong host name:", badNameErrors.map(\.description), badNameClient.lastErrorLogMessage ?? "-")
        #expect(badNameErrors.first?.description.lowercased().contains("tls") == true)
        #expect(badNameClient.socket == -1)
        // Every failure after connect() returned reaches the delegate.
        if badNameErrors.first?.description.hasPrefix("connect to") == false {
            #expect(badName.disconnects == [Int32(8)])   // MOSQ_ERR_TLS
        }

        // Same, with insecure: the name check is off, the chain is still checked.
        let (insecure, _, _) = try attempt(host: "127.0.0.1", ca: "ca.crt", insecure: true)
        #expect(insecure.connects.first?.reasonCode == 0)

        // Wrong CA: refused, with OpenSSL's reason in the error.
        let (badCA, badCAClient, badCAErrors) = try attempt(host: "localhost", ca: "other-ca.crt")
        #expect(badCA.connects.isEmpty)
        print("TLS wrong CA:", badCAErrors.map(\.description), badCAClient.lastErrorLogMessage ?? "-")
        #expect(badCAErrors.first?.description.contains("certificate verify failed") == true)
        #expect(badCAClient.socket == -1)
        if badCAErrors.first?.description.hasPrefix("connect to") == false {
            #expect(badCA.disconnects == [Int32(8)])
        }
        #expect(badCAClient.lastErrorLogMessage?.contains("certificate verify failed") == true)
        _ = broker
    }
}

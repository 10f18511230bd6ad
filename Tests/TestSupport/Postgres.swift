// Test helper for PostgreSQL: a real cluster (initdb + pg_ctl) in a temporary folder, on a free loopback port with
// its unix socket in that folder, fsync on; stop, kill -9 and restart; a streaming standby made with
// pg_basebackup -R, and its promotion.
//
// initdb and postgres refuse to run as root: as root (the tests' usual case in containers and CI), every command
// runs as the `postgres` user (runuser), in a folder owned by it. Each server is stopped (immediate) when its
// owner goes away, and at process exit, so no test leaves a server running.

import Foundation
import Glibc
import PostgreSQL

/// Errors of ``TestPostgres``.
public struct TestPostgresError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One PostgreSQL server of a test: a primary made with initdb, or a streaming standby of one.
public final class TestPostgres: @unchecked Sendable {
    /// The folder of PostgreSQL 15's programs (Debian's `postgresql-15`), or `$PG_BINDIR`.
    public static let binDir: String = {
        if let env = ProcessInfo.processInfo.environment["PG_BINDIR"] { return env }
        for v in ["17", "16", "15", "14"] where FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\(v)/bin/initdb") {
            return "/usr/lib/postgresql/\(v)/bin"
        }
        return "/usr/lib/postgresql/15/bin"
    }()

    /// The loopback port, the same across restarts.
    public let port: Int
    /// The folder holding `data/`, the server's log and its unix socket (`.s.PGSQL.<port>`).
    public let directory: String
    public var dataDir: String { directory + "/data" }
    public var logPath: String { directory + "/server.log" }
    /// The database superuser the tests connect as (no password: trust on loopback and the socket).
    public static let user = "postgres"

    /// A conninfo for this one server.
    public var conninfo: String { conninfo(database: "postgres") }
    /// A conninfo for one database of this server.
    public func conninfo(database: String) -> String {
        "postgresql://\(Self.user)@127.0.0.1:\(port)/\(database)?connect_timeout=3"
    }

    /// A new, empty database on this server (its name), for one test.
    public func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try PGConnection.connect(conninfo).execute("CREATE DATABASE \(name)")
        return name
    }

    /// A multi-host conninfo that reaches whichever of `servers` accepts writes.
    public static func conninfo(readWriteAmong servers: [TestPostgres]) -> String {
        let hosts = servers.map { "127.0.0.1:\($0.port)" }.joined(separator: ",")
        return "postgresql://\(user)@\(hosts)/postgres?target_session_attrs=read-write&connect_timeout=3"
    }

    /// Everything the server logged so far.
    public var logText: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// initdb into a new temporary folder (fsync on: commits are as durable as in production), and start.
    public init() throws {
        directory = try Self.makeFolder()
        port = try TestBrokerTools.freeLoopbackPort()
        let r = try Self.run("initdb", ["-D", dataDir, "-U", Self.user, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"])
        guard r.status == 0 else { throw TestPostgresError("initdb failed: \(r.stderr)") }
        // Streaming replication needs WAL senders and a replica WAL level (15's defaults, said here for clarity).
        let conf = """

            # TestPostgres
            fsync = on
            synchronous_commit = on
            wal_level = replica
            max_wal_senders = 5
            hot_standby = on
            wal_keep_size = '64MB'
            shared_buffers = '16MB'
            max_connections = 40

            """
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDir + "/postgresql.conf"))
        h.seekToEndOfFile()
        h.write(Data(conf.utf8))
        try h.close()
        try start()
    }

    /// A streaming standby of `primary`: pg_basebackup -R (which writes standby.signal and primary_conninfo), then
    /// started on a port of its own.
    public init(standbyOf primary: TestPostgres) throws {
        directory = try Self.makeFolder()
        port = try TestBrokerTools.freeLoopbackPort()
        let r = try Self.run("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primary.port), "-U", Self.user, "-D", dataDir,
                                               "-R", "-X", "stream", "-c", "fast", "--no-sync"])
        guard r.status == 0 else { throw TestPostgresError("pg_basebackup failed: \(r.stderr)") }
        try start()
    }

    deinit {
        _ = try? Self.run("pg_ctl", ["stop", "-D", dataDir, "-m", "immediate", "-w"])
        TestPostgresRegistry.shared.remove(dataDir)
        if ProcessInfo.processInfo.environment["TIPSKIOSK_KEEP_TEST_DATA"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// A standby of this server, started.
    public func standby() throws -> TestPostgres { try TestPostgres(standbyOf: self) }

    /// Starts the server and waits until it accepts connections (a standby: read-only ones).
    public func start() throws {
        let options = "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1"
        let r = try Self.run("pg_ctl", ["start", "-D", dataDir, "-l", logPath, "-w", "-t", "60", "-o", options])
        guard r.status == 0 else { throw TestPostgresError("pg_ctl start failed: \(r.stderr)\n\(logText)") }
        TestPostgresRegistry.shared.add(dataDir)
    }

    /// A clean shutdown (`-m fast`): every commit is on disk.
    public func stop() throws {
        let r = try Self.run("pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w"])
        guard r.status == 0 else { throw TestPostgresError("pg_ctl stop failed: \(r.stderr)") }
    }

    /// The machine is lost: SIGKILL to the postmaster and every process it started, no shutdown at all.
    public func kill() {
        guard let pid = postmasterPID else { return }
        let children = Self.children(of: pid)
        _ = Glibc.kill(pid, SIGKILL)
        for c in children { _ = Glibc.kill(c, SIGKILL) }
        // Wait for them to be gone (the postmaster is pg_ctl's orphan, reaped by init).
        _ = waitUntil(timeout: 10) { ([pid] + children).allSatisfy { !Self.isAlive($0) } }
        // In a container whose init does not reap orphans the dead postmaster stays a zombie, which the next
        // postmaster's lock-file check (kill(pid, 0)) takes for a running server: its pid file goes, as it would
        // with the machine, and so does its socket's lock file.
        unlink(dataDir + "/postmaster.pid")
        unlink("\(directory)/.s.PGSQL.\(port).lock")
    }

    /// Kill -9 and start again: crash recovery from the WAL.
    public func restart() throws {
        kill()
        try start()
    }

    /// Promotes a standby (`pg_ctl promote -w`) and waits until it accepts writes.
    public func promote(timeout: Double = 30) throws {
        let r = try Self.run("pg_ctl", ["promote", "-D", dataDir, "-w", "-t", "60"])
        guard r.status == 0 else { throw TestPostgresError("pg_ctl promote failed: \(r.stderr)") }
        try waitUntilReadWrite(timeout: timeout)
    }

    /// `synchronous_standby_names` (ALTER SYSTEM, reloaded): with `*` a commit is answered only once a standby
    /// has it too, so that nothing confirmed is lost with this machine; `""` after a promotion with no standby left.
    public func setSynchronousStandbys(_ names: String) throws {
        let c = try PGConnection.connect(conninfo)
        try c.execute("ALTER SYSTEM SET synchronous_standby_names = '\(names)'")
        try c.query("SELECT pg_reload_conf()")
    }

    /// Waits until the server answers and is out of recovery (`pg_is_in_recovery()` false).
    public func waitUntilReadWrite(timeout: Double = 30) throws {
        let ok = waitUntil(timeout: timeout) {
            guard let c = try? PGConnection.connect(conninfo, timeout: .seconds(2)),
                  let r = try? c.query("SELECT pg_is_in_recovery()") else { return false }
            return r.string(0, 0) == "f"
        }
        guard ok else { throw TestPostgresError("server on port \(port) not read-write within \(timeout) s:\n\(logText)") }
    }

    /// The postmaster's pid (the first line of postmaster.pid), nil when it is not running.
    public var postmasterPID: pid_t? {
        guard let text = try? String(contentsOfFile: dataDir + "/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = pid_t(first), Self.isAlive(pid) else { return nil }
        return pid
    }

    /// True while `pid` runs (a zombie, which a container's init may never reap, does not).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    /// The pids whose parent is `pid` (from /proc).
    static func children(of pid: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { name -> pid_t? in
            guard let p = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? p : nil
        }
    }

    /// A new folder for one server, owned by the user the servers run as.
    static func makeFolder() throws -> String {
        var template = Array("/tmp/tipskiosk-pg-XXXXXX".utf8CString)   // short: the unix socket's path lives here
        guard let p = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestPostgresError("mkdtemp: \(String(cString: strerror(errno)))")
        }
        let dir = String(cString: p)
        if geteuid() == 0 {
            guard let pw = getpwnam(runAsUser) else {
                throw TestPostgresError("as root the servers run as user \(runAsUser), which does not exist (apt install postgresql)")
            }
            guard chown(dir, pw.pointee.pw_uid, pw.pointee.pw_gid) == 0 else {
                throw TestPostgresError("chown \(dir): \(String(cString: strerror(errno)))")
            }
        }
        return dir
    }

    /// The system user the servers run as when the tests run as root.
    static let runAsUser = "postgres"

    /// Runs one of PostgreSQL's programs (as `postgres` when we are root).
    @discardableResult
    static func run(_ program: String, _ args: [String]) throws -> ProcessResult {
        let exe = binDir + "/" + program
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            throw TestPostgresError("\(exe) not found: install PostgreSQL (scripts/install-deps), or set PG_BINDIR")
        }
        // Through bash, which closes every descriptor above 2 first: the server that pg_ctl leaves running must
        // not hold one of ours (Foundation's Process waits for a socket of its own to close, and would wait for
        // the server to end).
        let closeAndRun = #"for f in /proc/$$/fd/*; do n=${f##*/}; if ((n > 2)); then eval "exec $n>&-"; fi; done; exec "$0" "$@""#
        let command = ["/bin/bash", "-c", closeAndRun, exe] + args
        if geteuid() == 0 { return try runProcess("/usr/sbin/runuser", ["-u", runAsUser, "--"] + command) }
        return try runProcess(command[0], Array(command.dropFirst()))
    }
}

/// Stops every server still running at process exit (one shared by a test run, or a test that failed before its
/// server's deinit), and removes its folder.
private final class TestPostgresRegistry: @unchecked Sendable {
    static let shared = TestPostgresRegistry()
    private let lock = NSLock()
    private var dataDirs = Set<String>()
    private init() { atexit { TestPostgresRegistry.shared.stopAll() } }
    func add(_ d: String) { lock.lock(); dataDirs.insert(d); lock.unlock() }
    func remove(_ d: String) { lock.lock(); dataDirs.remove(d); lock.unlock() }
    func stopAll() {
        lock.lock(); let all = dataDirs; dataDirs.removeAll(); lock.unlock()
        for d in all {
            _ = try? TestPostgres.run("pg_ctl", ["stop", "-D", d, "-m", "immediate", "-w"])
            // The server's folder (data/'s parent) goes too: a cluster shared by a whole test run is never deinited.
            if ProcessInfo.processInfo.environment["TIPSKIOSK_KEEP_TEST_DATA"] == nil {
                try? FileManager.default.removeItem(atPath: String(d.dropLast("/data".count)))
            }
        }
    }
}

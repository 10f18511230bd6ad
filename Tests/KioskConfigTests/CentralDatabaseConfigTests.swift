import KioskConfig
import Testing

/// `[central] database`: a PostgreSQL URI, or absent (the SQLite file at `[storage] path`).
@Suite struct CentralDatabaseConfigTests {
    static func parse(_ central: String) throws(ConfigErrors) -> CentralConfiguration {
        try CentralConfiguration.parse(text: """
            [storage]
            path = "/var/lib/lagesbild/lagesbild.sqlite"
            [mqtt]
            host = "broker.example"
            [central]
            \(central)
            """, path: "/etc/lagesbild/lagesbild.toml", checkFiles: false, secrets: .skip)
    }

    @Test func absentMeansTheSQLiteFile() throws {
        let c = try Self.parse("")
        #expect(c.central.database == nil)
        #expect(c.databasePath == "/var/lib/lagesbild/lagesbild.sqlite")
    }

    @Test func aMultiHostURIIsTaken() throws {
        let uri = "postgresql://lagesbild@db1:5432,db2:5432/lagesbild?target_session_attrs=read-write"
        #expect(try Self.parse("database = \"\(uri)\"").central.database == uri)
    }

    @Test func anythingElseIsRefusedWithItsLine() {
        for bad in ["/var/lib/x.sqlite", "mysql://x", "postgresql://a b@h/db"] {
            do {
                _ = try Self.parse("database = \"\(bad)\"")
                Issue.record("\(bad) must be refused")
            } catch {
                #expect(error.errors.contains { $0.description.hasPrefix("/etc/lagesbild/lagesbild.toml:6: central.database: must be") },
                        "\(error.errors)")
            }
        }
    }
}

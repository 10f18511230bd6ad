import CentralStore
import Testing
import TestSupport

/// The engines the store suite runs on: every test of the suite passes on both.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// One PostgreSQL cluster for the whole test run (started on first use); each test gets its own database.
    static let cluster = Result { try TestPostgres() }

    /// A new, empty store of this engine, with what keeps it alive (its folder, or nothing).
    func open() throws -> (store: any CentralDatabase, dir: TempDir) {
        let dir = TempDir("central")
        switch self {
        case .sqlite:
            return (try CentralStore.open(path: dir.file("c.sqlite")), dir)
        case .postgres:
            let pg = try Self.cluster.get()
            return (try PostgresStore.open(conninfo: pg.conninfo(database: try pg.createDatabase())), dir)
        }
    }
}

import LagesbildReport

/// What the collector and the report commands need of the centre's database, whichever engine holds it: SQLite
/// (`CentralStore`, one file, the embedded default) or PostgreSQL (`PostgresStore`, for a region's centre that
/// must survive the loss of a machine). Both keep the same tables (docs/CENTRAL.md) and pass the same store tests.
///
/// Not `Sendable`: one per thread.
public protocol CentralDatabase: AnyObject {
    /// Where the data lives, for logs and messages: a file's path, or a PostgreSQL server without its password.
    var location: String { get }
    /// The bounds and the daily quota `commit` applies (`[central] daily_quota`); the same on every engine.
    var intake: IntakePolicy { get set }
    /// Commits one batch in one durable transaction: reports inserted by id (a duplicate is stored once and
    /// confirmed again), the seq ranges merged, statuses and rejects. Only after it returns may receipts go out.
    func commit(_ batch: CentralStore.Batch, at now: Int64) throws(CentralStoreError) -> CentralStore.Committed
    /// The same commit for `lagesbild collect`'s poll() loop (``CentralCommit``): SQLite's is made at its first
    /// `advance()`, PostgreSQL's goes out without blocking the loop.
    func beginCommit(_ batch: CentralStore.Batch, at now: Int64) -> any CentralCommit
    /// The seq ranges held for each kiosk, ascending.
    func heldRanges() throws(CentralStoreError) -> [String: [ClosedRange<Int64>]]
    /// The open gaps: seqs missing between the ranges held, from 1, and up to the last seq a kiosk's status named.
    func gaps() throws(CentralStoreError) -> [Picture.Gap]
    /// How many reports the database holds.
    func reportCount() throws(CentralStoreError) -> Int
    /// The rejects, newest first.
    func rejects(limit: Int) throws(CentralStoreError) -> [(topic: String, reason: String, size: Int)]
    /// Deletes reports submitted, and rejects received, before `cutoff` (Unix ms); the seq ranges stay.
    func prune(before cutoff: Int64) throws(CentralStoreError) -> (reports: Int, rejects: Int)
    /// The lägesbild of `period` against the period before it.
    func picture(period: Picture.Period, now: Int64, silentAfterHours: Int, includeText: Bool) throws(CentralStoreError) -> Picture
}

extension CentralStore: CentralDatabase {
    public var location: String { path }
}

/// Opens the centre's database: PostgreSQL when `database` is a `postgresql://` (or `postgres://`) conninfo,
/// else the SQLite file at `path`.
public func openCentralDatabase(database: String?, path: String, readOnly: Bool) throws(CentralStoreError) -> any CentralDatabase {
    if let database { return try PostgresStore.open(conninfo: database, readOnly: readOnly) }
    return try CentralStore.open(path: path, readOnly: readOnly)
}

extension CentralStore.Batch {
    /// The kiosks of the batch's reports, each with the site its reports name (the last one named; a report
    /// without a site keeps the site an earlier report of the batch named; nil when none did).
    var sitesByKiosk: [String: String?] {
        var sites: [String: String?] = [:]
        for r in reports {
            if let site = r.site {
                sites[r.kiosk] = site
            } else if sites[r.kiosk] == nil {
                sites.updateValue(nil, forKey: r.kiosk)
            }
        }
        return sites
    }
}

/// SQL both engines run as it stands (SQLite reads `$N` as the N-th parameter, as PostgreSQL does).
enum SharedSQL {
    /// A kiosk's status: the last status wins (`last_seq` may go down, docs/CONTRACT.md §4.2); a number the
    /// status leaves out keeps its value. Parameters: kiosk, now, state, pending, dead_letters,
    /// awaiting_receipt, last_seq, version, the payload.
    static let statusUpsert = """
        INSERT INTO kiosks (kiosk, first_seen_at, status_at, state, pending, dead_letters, awaiting_receipt,
                            last_seq, version, status)
        VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (kiosk) DO UPDATE SET status_at = excluded.status_at, state = excluded.state,
          pending = coalesce(excluded.pending, kiosks.pending),
          dead_letters = coalesce(excluded.dead_letters, kiosks.dead_letters),
          awaiting_receipt = coalesce(excluded.awaiting_receipt, kiosks.awaiting_receipt),
          last_seq = coalesce(excluded.last_seq, kiosks.last_seq),
          version = coalesce(excluded.version, kiosks.version), status = excluded.status
        """

    /// Migration 3's clearing of the status numbers a kiosk poisoned before the centre bounded them
    /// (`IntakePolicy`: counts 0–1,000,000,000, `last_seq` 0–2^53 − 1), on both engines.
    static let clearPoisonedStatuses = """
        UPDATE kiosks SET last_seq = NULL WHERE last_seq < 0 OR last_seq > 9007199254740991;
        UPDATE kiosks SET pending = NULL WHERE pending < 0 OR pending > 1000000000;
        UPDATE kiosks SET dead_letters = NULL WHERE dead_letters < 0 OR dead_letters > 1000000000;
        UPDATE kiosks SET awaiting_receipt = NULL WHERE awaiting_receipt < 0 OR awaiting_receipt > 1000000000;
        """
}

import Foundation
import GRDB

/// The service's state: containers and their audit trail, in SQLite.
///
/// Every operation is one transaction; every status change writes an event in it.
public struct AppDatabase: Sendable {
    let writer: any DatabaseWriter
    /// Moves on at every commit: what the caches below check.
    let revision = StoreRevision()
    /// The live counts `/api/health` and `/api/queue` show, kept until the next commit.
    let liveCounts: RevisionCache<String, PoolCounts>

    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it; throws
    /// `StoreOpenError` saying why when it cannot.
    public static func open(path: String) throws(StoreOpenError) -> AppDatabase {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreOpenError(path: path, reason: "its directory \(directory.path) cannot be created (\(StoreOpenError.firstFileInTheWay(of: directory.path).map { "\($0) is not a directory" } ?? "\(error)"))")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // 1 MiB of page cache per connection (SQLite's default is 2 MiB, times six connections):
        // the hot pages are the live records, a few hundred at most. `WALCheckpointer` copies
        // the log back; a commit does it only past the backstop.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -1024; PRAGMA wal_autocheckpoint = \(walBackstopPages)")
        }
        do {
            return try AppDatabase(DatabasePool(path: path, configuration: configuration))
        } catch let error as DatabaseError {
            let what = switch error.resultCode {
            case .SQLITE_NOTADB: "the file is not an SQLite database"
            case .SQLITE_CANTOPEN: "the file cannot be opened or created (a directory, or no write permission)"
            case .SQLITE_READONLY, .SQLITE_PERM: "the file is not writable"
            default: "SQLite cannot use it"
            }
            throw StoreOpenError(path: path, reason: "\(what) (SQLite error \(error.resultCode.rawValue): \(error.message ?? "no message"))")
        } catch {
            throw StoreOpenError(path: path, reason: "\(error)")
        }
    }

    /// The log's size in pages past which a commit checkpoints it itself (SQLite's default is
    /// 1,000): reached only when `WALCheckpointer` falls behind.
    static let walBackstopPages = 10_000

    /// An empty in-memory database, for unit tests.
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue())
    }

    init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        liveCounts = RevisionCache(revision: revision, capacity: 1, maxAge: .seconds(1))
        writer.add(transactionObserver: revision, extent: .databaseLifetime)
        try Self.migrator.migrate(writer)
    }

    /// Answers when the database can be read.
    public func check() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    // MARK: - Writes

    /// Stores a new container with a `created` event.
    public func insert(_ record: ContainerRecord, reason: String) async throws {
        _ = try await insertIfAbsent(record, reason: reason)
    }

    /// Stores a new container unless one with its id exists; returns whether it was stored.
    public func insertIfAbsent(_ record: ContainerRecord, reason: String) async throws -> Bool {
        try await writer.write { db in
            guard try !ContainerRecord.isStored(db, id: record.id) else { return false }
            try record.insert(db)
            try ContainerEvent.append(db, containerId: record.id, at: record.createdAt, kind: "created", to: record.status, reason: reason)
            return true
        }
    }

    /// Moves a container to `status` if it is still in one of `from` (the status the caller
    /// observed) and `when` holds for it, applying `change`: a compare-and-set, decided inside
    /// the write transaction, so an action planned on old data changes nothing.
    ///
    /// Returns the updated record, or nil when the container is missing, moved on, or `when`
    /// is false. `epoch` marks the run that owns the new status's in-flight step.
    @discardableResult
    public func transition(
        _ id: String,
        from: Set<ContainerStatus>,
        to status: ContainerStatus,
        kind: String,
        reason: String? = nil,
        at now: Date = Date(),
        epoch: Epoch? = nil,
        when condition: RecordCheck = .always,
        change: @Sendable (inout ContainerRecord) -> Void = { _ in }
    ) async throws -> ContainerRecord? {
        try await writer.write { db in
            try Self.transition(db, id, from: from, to: status, kind: kind, reason: reason, at: now, epoch: epoch, when: condition.holds, change: change)
        }
    }

    static func transition(
        _ db: Database, _ id: String, from: Set<ContainerStatus>, to status: ContainerStatus, kind: String, reason: String?,
        at now: Date, epoch: Epoch?, when condition: (ContainerRecord) -> Bool, change: (inout ContainerRecord) -> Void
    ) throws -> ContainerRecord? {
        guard let stored = try ContainerRecord.fetch(db, id: id),
              from.contains(stored.status),
              stored.status == status || stored.status.successors.contains(status),
              condition(stored)
        else { return nil }
        var record = stored
        let previous = record.status
        record.status = status
        if previous != status { record.statusSince = now }
        record.ownerEpoch = epoch?.id
        if !status.isLive, record.stoppedAt == nil { record.stoppedAt = now }
        change(&record)
        try record.save(db, over: stored)
        try ContainerEvent.append(db, containerId: id, at: now, kind: kind, from: previous, to: status, reason: reason)
        return record
    }

    /// Updates fields that are not a status change (health figures, activity, addresses), if
    /// the container is still in one of `statuses`.
    @discardableResult
    public func update(
        _ id: String, in statuses: Set<ContainerStatus> = ContainerStatus.live, event: (kind: String, reason: String?)? = nil,
        at now: Date = Date(), change: @Sendable (inout ContainerRecord) -> Void
    ) async throws -> ContainerRecord? {
        try await writer.write { db in
            guard let stored = try ContainerRecord.fetch(db, id: id), statuses.contains(stored.status) else { return nil }
            var record = stored
            change(&record)
            try record.save(db, over: stored)
            if let event {
                try ContainerEvent.append(db, containerId: id, at: now, kind: event.kind, reason: event.reason)
            }
            return record
        }
    }

    /// Writes one health round in one transaction; each result applies only while the
    /// container is still in the status the round observed. Returns the updated records.
    public func recordHealth(_ results: [HealthResult], at now: Date = Date()) async throws -> [ContainerRecord] {
        try await writer.write { db in
            var updated: [ContainerRecord] = []
            for result in results {
                guard let stored = try ContainerRecord.fetch(db, id: result.id), stored.status == result.observedStatus else { continue }
                var record = stored
                result.apply(to: &record, at: now)
                try record.save(db, over: stored)
                updated.append(record)
            }
            return updated
        }
    }

}

import Foundation
import GRDB

/// The SQL of the claim path, prepared once per connection and reused: GRDB's query interface
/// compiles its statement on every call, and SQLite's authorizer then visits every column, which
/// cost more than the queries themselves.
enum RecordStatements {
    /// The stored columns, in `ContainerRecord.storedColumns` order.
    static let columns = ContainerRecord.storedColumns.joined(separator: ", ")
    static let byId = "SELECT \(columns) FROM container WHERE id = ?"
    static let exists = "SELECT EXISTS (SELECT 1 FROM container WHERE id = ?)"
    /// Sets the columns at these positions of `storedColumns` (never 0, `id`, which selects the row).
    static func update(columns positions: [Int]) -> String {
        "UPDATE container SET " + positions.map { "\(ContainerRecord.storedColumns[$0]) = ?" }.joined(separator: ", ") + " WHERE id = ?"
    }
    static let insertEvent = "INSERT INTO containerEvent (containerId, at, kind, fromStatus, toStatus, reason) VALUES (?, ?, ?, ?, ?, ?)"
    /// The oldest healthy ready container; `fresh` adds a lower bound on `readyAt`.
    static func claimCandidate(fresh: Bool) -> String {
        "SELECT \(columns) FROM container WHERE status = 'ready' AND healthStatus <> 'unhealthy'"
            + (fresh ? " AND readyAt >= ?" : "") + " ORDER BY readyAt, createdAt LIMIT 1"
    }
    static let bucketHolders = "SELECT \(columns) FROM container WHERE \(holdsBucket) ORDER BY assignedAt DESC"
    static let bucketHeld = "SELECT EXISTS (SELECT 1 FROM container WHERE \(holdsBucket))"
    /// A container holds the bucket bound to `?` while it is assigned (`assigning`, `running`)
    /// and, once it ends (`stopping`, `stopped`, `failed`), until its service is confirmed gone:
    /// its agent may still sync until then.
    private static let holdsBucket = "s3Bucket = ? AND (status IN (\(quoted(ContainerStatus.assigned))) OR (status IN (\(quoted(releasing))) AND serviceId IS NOT NULL AND serviceRemovedAt IS NULL))"
    /// Ended containers whose service is not yet confirmed gone, oldest first.
    static let unreleased = "SELECT \(columns) FROM container WHERE status IN (\(quoted(releasing))) AND serviceId IS NOT NULL AND serviceRemovedAt IS NULL ORDER BY statusSince LIMIT ?"
    static let confirmRemoved = "UPDATE container SET serviceRemovedAt = ? WHERE id = ? AND serviceRemovedAt IS NULL"
    /// The statuses of a container that has ended or is ending.
    static let releasing: Set<ContainerStatus> = [.stopping, .stopped, .failed]

    private static func quoted(_ statuses: Set<ContainerStatus>) -> String {
        statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
    }
}

extension ContainerRecord {
    /// The record with this id.
    static func fetch(_ db: Database, id: String) throws -> ContainerRecord? {
        try fetchOne(db, sql: RecordStatements.byId, arguments: [id])
    }

    /// Whether a record with this id is stored.
    static func isStored(_ db: Database, id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: RecordStatements.exists), arguments: [id]) ?? false
    }

    /// The first record a cached statement selects.
    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments) throws -> ContainerRecord? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments).map(ContainerRecord.init(row:))
    }

    /// The records a cached statement selects.
    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments) throws -> [ContainerRecord] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(ContainerRecord.init(row:))
    }

    /// Writes the columns that differ from `stored`, the record as read in this transaction;
    /// nothing when none does. Only the indexes over those columns change, and every index an
    /// update touches costs pages in the write-ahead log at each status change.
    func save(_ db: Database, over stored: ContainerRecord) throws {
        let (values, before) = (storedValues, stored.storedValues)
        let changed = values.indices.dropFirst().filter { values[$0] != before[$0] }
        guard !changed.isEmpty else { return }
        try db.cachedStatement(sql: RecordStatements.update(columns: changed)).execute(arguments: StatementArguments(changed.map { values[$0] } + [values[0]]))
        guard db.changesCount == 1 else { throw RecordError.recordNotFound(databaseTableName: Self.databaseTableName, key: ["id": id.databaseValue]) }
    }
}

extension ContainerEvent {
    /// Appends an event to the audit trail.
    static func append(
        _ db: Database, containerId: String, at date: Date, kind: String, from: ContainerStatus? = nil, to: ContainerStatus? = nil, reason: String?
    ) throws {
        try db.cachedStatement(sql: RecordStatements.insertEvent).execute(arguments: [
            containerId, StoredDate.databaseValue(date), kind, from?.rawValue, to?.rawValue, reason,
        ])
    }
}

import Foundation
import GRDB

extension AppDatabase {
    /// Records that container `id`'s Swarm service is gone with every task: from now on it no
    /// longer holds its bucket. Idempotent; the first confirmation's time stays.
    public func confirmServiceRemoved(_ id: String, at now: Date = Date()) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: RecordStatements.confirmRemoved).execute(arguments: [StoredDate.databaseValue(now), id])
        }
    }

    /// Ended (or ending) containers whose service is not yet confirmed gone, oldest first.
    public func unreleased(limit: Int = 100) async throws -> [ContainerRecord] {
        try await writer.read { db in
            try ContainerRecord.fetchAll(db, sql: RecordStatements.unreleased, arguments: [limit])
        }
    }

    /// The containers holding this bucket, whatever their user: assigned ones, and ended ones
    /// whose service is not yet confirmed gone.
    public func bucketHolders(bucket: String) async throws -> [ContainerRecord] {
        try await writer.read { db in
            try ContainerRecord.fetchAll(db, sql: RecordStatements.bucketHolders, arguments: [bucket])
        }
    }
}

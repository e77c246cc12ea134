import Foundation
import GRDB

/// What became of a request to delete a container's record.
public enum ForgetOutcome: Sendable, Equatable {
    /// The record and its events are gone.
    case forgotten
    /// The container is still live: it must be stopped first.
    case live(ContainerStatus)
    /// There is no such record.
    case notFound
}

extension AppDatabase {
    /// Deletes a stopped or failed container's record and its events, in one transaction;
    /// a live container is left alone.
    public func forget(_ id: String) async throws -> ForgetOutcome {
        try await writer.write { db in
            guard let record = try ContainerRecord.fetchOne(db, key: id) else { return .notFound }
            guard !record.status.isLive else { return .live(record.status) }
            try ContainerEvent.filter(ContainerEvent.Columns.containerId == id).deleteAll(db)
            try record.delete(db)
            return .forgotten
        }
    }

    /// Deletes stopped and failed records (and their events) that stopped before `cutoff` and
    /// no longer hold their bucket.
    @discardableResult
    public func pruneStopped(before cutoff: Date) async throws -> Int {
        try await writer.write { db in
            try ContainerRecord
                .filter([ContainerStatus.stopped, .failed].contains(ContainerRecord.Columns.status))
                .filter(ContainerRecord.Columns.stoppedAt < StoredDate.databaseValue(cutoff))
                // A record whose service is not confirmed gone still holds its bucket.
                .filter(sql: "serviceId IS NULL OR serviceRemovedAt IS NOT NULL")
                .deleteAll(db)
        }
    }
}

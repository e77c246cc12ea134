import Foundation
import GRDB

extension AppDatabase {
    /// One container.
    public func container(_ id: String) async throws -> ContainerRecord? {
        try await writer.read { db in try ContainerRecord.fetch(db, id: id) }
    }

    /// A page of containers, newest first, with the total matching count.
    public func containers(status: ContainerStatus?, limit: Int, offset: Int) async throws -> (records: [ContainerRecord], total: Int) {
        try await containers(status: status, search: nil, limit: limit, offset: offset)
    }

    /// Containers in any of the given statuses.
    public func containers(in statuses: Set<ContainerStatus>) async throws -> [ContainerRecord] {
        try await writer.read { db in
            try ContainerRecord.filter(statuses.contains(ContainerRecord.Columns.status)).order(ContainerRecord.Columns.createdAt).fetchAll(db)
        }
    }

    /// Ready containers, oldest first (`stale`: ready since before the cutoff) or newest first.
    public func readyPoolContainers(readyBefore cutoff: Date?) async throws -> [ContainerRecord] {
        try await writer.read { db in
            var request = ContainerRecord.filter(ContainerRecord.Columns.status == ContainerStatus.ready)
            if let cutoff {
                request = request.filter(ContainerRecord.Columns.readyAt < StoredDate.databaseValue(cutoff)).order(ContainerRecord.Columns.readyAt)
            } else {
                request = request.order(ContainerRecord.Columns.readyAt.desc)
            }
            return try request.fetchAll(db)
        }
    }

    /// Records with these ids, whatever their status.
    public func containers(ids: [String]) async throws -> [String: ContainerRecord] {
        try await writer.read { db in
            let records = try ContainerRecord.fetchAll(db, keys: ids)
            return Dictionary(records.map { ($0.id, $0) }) { a, _ in a }
        }
    }

    /// The most recent events of one container, newest first.
    public func events(of id: String, limit: Int = 50) async throws -> [ContainerEvent] {
        try await writer.read { db in
            try ContainerEvent.filter(ContainerEvent.Columns.containerId == id)
                .order(ContainerEvent.Columns.at.desc, Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// The most recently assigned containers.
    public func recentClaims(limit: Int) async throws -> [ContainerRecord] {
        try await writer.read { db in
            try ContainerRecord.filter(ContainerRecord.Columns.assignedAt != nil)
                .order(ContainerRecord.Columns.assignedAt.desc).limit(limit).fetchAll(db)
        }
    }
}

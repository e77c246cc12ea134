import GRDB

extension AppDatabase {
    /// The id of the newest event, or 0 when there is none; event ids only ever grow.
    public func latestEventID() async throws -> Int64 {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM containerEvent") ?? 0 }
    }

    /// Events with an id above `id`, oldest first, at most `limit` of them.
    public func events(after id: Int64, limit: Int) async throws -> [ContainerEvent] {
        try await writer.read { db in
            try ContainerEvent.filter(Column("id") > id).order(Column("id")).limit(limit).fetchAll(db)
        }
    }

    /// The newest `limit` events of every container, oldest first.
    public func recentEvents(limit: Int) async throws -> [ContainerEvent] {
        try await writer.read { db in
            try ContainerEvent.order(Column("id").desc).limit(limit).fetchAll(db).reversed()
        }
    }
}

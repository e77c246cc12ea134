import Foundation
import GRDB

extension AppDatabase {
    /// How many containers are in each status; launches are split by pool and cold start,
    /// and ready containers (of either origin) ready since before `staleBefore` count as stale.
    /// Without `staleBefore` the answer is reused until the store changes.
    public func poolCounts(staleBefore: Date? = nil) async throws -> PoolCounts {
        guard let staleBefore else {
            return try await liveCounts.value(for: "live") { try await countPool(staleBefore: .distantPast) }
        }
        return try await countPool(staleBefore: staleBefore)
    }

    private func countPool(staleBefore: Date) async throws -> PoolCounts {
        try await writer.read { db in
            // `IN` the live statuses reads them through the status index; `NOT IN` the ended
            // ones would scan every record the store keeps.
            let live = ContainerStatus.live.map(\.rawValue).sorted()
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT status, isPreWarmed, (status = 'ready' AND readyAt < ?) AS stale, COUNT(*) AS n FROM container
                WHERE status IN (\(databaseQuestionMarks(count: live.count))) GROUP BY status, isPreWarmed, stale
                """), arguments: StatementArguments([StoredDate.databaseValue(staleBefore)]) + StatementArguments(live))
            var counts = PoolCounts()
            for row in rows {
                let status = ContainerStatus(rawValue: row["status"]) ?? .failed
                let n: Int = row["n"]
                let pooled: Bool = row["isPreWarmed"]
                let stale: Bool = row["stale"] ?? false
                counts.add(status, pooled: pooled, stale: stale, count: n)
            }
            return counts
        }
    }
}

/// Live containers per status, for the pool and `/api/health`.
public struct PoolCounts: Sendable, Equatable {
    /// Pool containers being created.
    public var creating = 0
    /// Pool containers waiting for their agent.
    public var warming = 0
    /// Containers ready to claim (fresh and stale), whichever launch made them.
    public var ready = 0
    /// Ready pool containers past the warm TTL, waiting to be recycled.
    public var staleReady = 0
    /// Containers of any origin being assigned or running.
    public var assigned = 0
    /// Cold starts still launching.
    public var coldStarting = 0
    /// Containers being stopped.
    public var stopping = 0

    /// Pool containers that count toward the target: stale ones are being replaced.
    public var pooled: Int { creating + warming + ready - staleReady }

    /// Ready pool containers within the warm TTL.
    public var freshReady: Int { ready - staleReady }

    mutating func add(_ status: ContainerStatus, pooled: Bool, stale: Bool = false, count: Int) {
        switch status {
        case .creating where pooled: creating += count
        case .warming where pooled: warming += count
        case .ready:
            ready += count
            if stale { staleReady += count }
        case .creating, .warming: coldStarting += count
        case .assigning, .running: assigned += count
        case .stopping: stopping += count
        case .stopped, .failed: break
        }
    }
}

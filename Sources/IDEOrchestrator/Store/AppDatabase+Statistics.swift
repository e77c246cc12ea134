import Foundation
import GRDB

/// Claims made in one minute, from the warm pool and cold-started.
public struct ClaimsInMinute: Sendable, Equatable {
    /// The minute's start.
    public var minute: Date
    /// Containers handed out from the warm pool.
    public var warm: Int
    /// Containers cold-started for a request.
    public var cold: Int
}

extension AppDatabase {
    /// How many records are in each status, stopped and failed included; every status is present.
    public func statusCounts() async throws -> [ContainerStatus: Int] {
        try await writer.read { db in
            var counts = Dictionary(uniqueKeysWithValues: ContainerStatus.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM container GROUP BY status") {
                if let status = ContainerStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }

    /// Claims per minute over the `minutes` minutes up to `now`, oldest first, one entry per minute.
    public func claimsPerMinute(minutes: Int, now: Date = Date()) async throws -> [ClaimsInMinute] {
        let current = Int64(now.timeIntervalSince1970) / 60
        let first = current - Int64(minutes) + 1
        let since = Date(timeIntervalSince1970: TimeInterval(first * 60))
        return try await writer.read { db in
            var byMinute: [Int64: (warm: Int, cold: Int)] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT CAST(strftime('%s', assignedAt) AS INTEGER) / 60 AS minute, COALESCE(servedWarm, isPreWarmed) AS warm, COUNT(*) AS n
                FROM container WHERE assignedAt >= ? GROUP BY minute, warm
                """, arguments: [StoredDate.databaseValue(since)])
            for row in rows {
                let minute: Int64 = row["minute"]
                let warm: Bool = row["warm"]
                let n: Int = row["n"]
                if warm { byMinute[minute, default: (0, 0)].warm += n } else { byMinute[minute, default: (0, 0)].cold += n }
            }
            return (first...current).map { minute in
                ClaimsInMinute(minute: Date(timeIntervalSince1970: TimeInterval(minute * 60)), warm: byMinute[minute]?.warm ?? 0, cold: byMinute[minute]?.cold ?? 0)
            }
        }
    }
}

import Foundation
import GRDB

/// One audit event with the facts of its container that metrics need (nil once pruned).
public struct LifecycleEvent: Sendable, Equatable {
    /// The event's row id; ids only grow.
    public var id: Int64
    /// What happened (`created`, `claimed`, `assigned`, ...).
    public var kind: String
    /// The status before.
    public var fromStatus: ContainerStatus?
    /// The status after.
    public var toStatus: ContainerStatus?
    /// Why, in words.
    public var reason: String?
    /// Whether the container was made for the pool.
    public var isPreWarmed: Bool?
    /// The container's shutdown reason, once it has one.
    public var shutdownReason: ShutdownReason?
    /// Whether its claim found it ready, once claimed.
    public var servedWarm: Bool?
    /// The claim's duration, once assigned.
    public var claimMillis: Double?
    /// When the container was created.
    public var createdAt: Date?
    /// When it became ready.
    public var readyAt: Date?
}

extension AppDatabase {
    /// Events after `id`, oldest first, joined with their container's facts.
    public func lifecycleEvents(after id: Int64, limit: Int = 10_000) async throws -> [LifecycleEvent] {
        try await writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.id, e.kind, e.fromStatus, e.toStatus, e.reason,
                       c.isPreWarmed, c.servedWarm, c.shutdownReason, c.claimMillis, c.createdAt, c.readyAt
                FROM containerEvent e LEFT JOIN container c ON c.id = e.containerId
                WHERE e.id > ? ORDER BY e.id LIMIT ?
                """, arguments: [id, limit])
            return rows.map { row in
                LifecycleEvent(
                    id: row["id"], kind: row["kind"], fromStatus: row["fromStatus"], toStatus: row["toStatus"], reason: row["reason"],
                    isPreWarmed: row["isPreWarmed"], shutdownReason: row["shutdownReason"], servedWarm: row["servedWarm"], claimMillis: row["claimMillis"],
                    createdAt: StoredDate.date(from: row["createdAt"]), readyAt: StoredDate.date(from: row["readyAt"])
                )
            }
        }
    }
}

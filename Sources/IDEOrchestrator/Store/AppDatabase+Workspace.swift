import Foundation
import GRDB

extension AppDatabase {
    /// Running containers per workspace sync state (`WorkspaceSync.State`), plus `unknown` for
    /// those whose agent has reported none; every state is present.
    public func workspaceSyncCounts() async throws -> [String: Int] {
        try await writer.read { db in
            var counts = Dictionary(uniqueKeysWithValues: (WorkspaceSync.State.allCases.map(\.rawValue) + ["unknown"]).map { ($0, 0) })
            let sql = "SELECT workspaceSync FROM container WHERE status = 'running'"
            for text in try String?.fetchAll(db, sql: sql) {
                let state = WorkspaceSync(storedText: text)?.state.rawValue ?? "unknown"
                counts[state, default: 0] += 1
            }
            return counts
        }
    }

    /// Running containers whose agent holds temporary credentials (an expiry is recorded),
    /// soonest expiry first.
    public func containersWithExpiringCredentials() async throws -> [ContainerRecord] {
        try await writer.read { db in
            try ContainerRecord.fetchAll(
                db, sql: "SELECT \(RecordStatements.columns) FROM container WHERE status = 'running' AND credentialsExpireAt IS NOT NULL ORDER BY credentialsExpireAt",
                arguments: []
            )
        }
    }
}

import Foundation
import GRDB
import Testing
@testable import IDEOrchestrator

/// Every index costs each status change pages in the write-ahead log; the ones kept must
/// still serve every search by status.
@Suite struct StoreIndexTests {
    @Test func statusHasOneIndexAndSearchesByStatusStillUseIt() async throws {
        let store = try AppDatabase.inMemory()
        for n in 0..<50 {
            _ = try await AppDatabaseTests.insert(store, n, status: n < 45 ? .stopped : .ready)
        }
        try await store.writer.read { db in
            let indexes = try db.indexes(on: "container").map(\.name)
            #expect(!indexes.contains("container_on_status") && !indexes.contains("container_on_pool"))
            #expect(indexes.contains("container_on_status_readyAt"))
            for sql in [
                "SELECT * FROM container WHERE status IN ('creating', 'warming') ORDER BY createdAt",
                "SELECT status, COUNT(*) FROM container WHERE status IN ('ready', 'running') GROUP BY status",
                "SELECT * FROM container WHERE status = 'ready' ORDER BY readyAt LIMIT 1",
                "SELECT * FROM container WHERE status = 'ready' AND isPreWarmed = 1 AND readyAt < '2026' ORDER BY readyAt",
                RecordStatements.bucketHolders, RecordStatements.bucketHeld, RecordStatements.claimCandidate(fresh: true),
            ] {
                let bound = sql.replacingOccurrences(of: "?", with: "'2026-01-01'")
                let plan = try String.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + bound, adapter: ColumnMapping(["detail": "detail"])).joined(separator: "; ")
                #expect(plan.contains("SEARCH container USING") && !plan.contains("SCAN container"), "\(sql): \(plan)")
            }
        }
    }
}

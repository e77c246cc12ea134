import Foundation
import GRDB
import Testing
@testable import IDEOrchestrator

/// A status change writes the columns it changes, so only the indexes over them change and
/// fewer pages go to the write-ahead log.
@Suite struct StoreWriteTests {
    /// Installs triggers that note each column an UPDATE names (SQLite fires `UPDATE OF c`
    /// when `c` is in the SET list, whether or not its value changes).
    static func noteNamedColumns(_ store: AppDatabase, _ columns: [String]) async throws {
        try await store.writer.write { db in
            try db.execute(sql: "CREATE TEMP TABLE named (name TEXT)")
            for column in columns {
                try db.execute(sql: "CREATE TEMP TRIGGER named_\(column) AFTER UPDATE OF \(column) ON main.container BEGIN INSERT INTO named VALUES ('\(column)'); END")
            }
        }
    }

    static func named(_ store: AppDatabase) async throws -> Set<String> {
        try await store.writer.write { db in
            defer { try? db.execute(sql: "DELETE FROM named") }
            return Set(try String.fetchAll(db, sql: "SELECT name FROM named"))
        }
    }

    @Test func aClaimAndItsAssignmentNameOnlyTheColumnsTheyChange() async throws {
        let store = try AppDatabase.inMemory()
        let ready = try await AppDatabaseTests.insertReady(store, 1, readyAt: 100)
        try await Self.noteNamedColumns(store, ContainerRecord.storedColumns)

        let claimed = try #require(try await store.claim(AppDatabaseTests.intent("bucket-w"), at: AppDatabaseTests.at(200)))
        let claimColumns = try await Self.named(store)
        #expect(claimColumns.isSuperset(of: ["status", "statusSince", "s3Bucket", "ownerEpoch"]))
        // Unchanged, and indexed: createdAt, serviceId, serviceName, id.
        #expect(claimColumns.isDisjoint(with: ["id", "serviceName", "serviceId", "createdAt", "readyAt", "taskAddress", "codeUrl"]), "\(claimColumns.sorted())")

        try #require(try await store.transition(claimed.id, from: [.assigning], to: .running, kind: "assigned", at: AppDatabaseTests.at(201), epoch: nil) { $0.claimMillis = 1.5 } != nil)
        #expect(try await Self.named(store) == ["status", "statusSince", "claimMillis", "ownerEpoch"])

        // Every change is still stored.
        let running = try #require(try await store.container(ready.id))
        #expect(running.status == .running && running.s3Bucket == "bucket-w" && running.claimMillis == 1.5 && running.ownerEpoch == nil)
        #expect(running.serviceId == ready.serviceId && running.taskAddress == ready.taskAddress)
    }

    @Test func anUpdateThatChangesNothingWritesNothing() async throws {
        let store = try AppDatabase.inMemory()
        let ready = try await AppDatabaseTests.insertReady(store, 1, readyAt: 100)
        try await Self.noteNamedColumns(store, ContainerRecord.storedColumns)
        #expect(try await store.update(ready.id, in: [.ready]) { $0.taskAddress = ready.taskAddress }?.taskAddress == ready.taskAddress)
        #expect(try await Self.named(store).isEmpty)
        #expect(try await store.update(ready.id, in: [.ready]) { $0.taskAddress = "10.0.0.99" }?.taskAddress == "10.0.0.99")
        #expect(try await Self.named(store) == ["taskAddress"])
        #expect(try await store.container(ready.id)?.taskAddress == "10.0.0.99")
    }
}

import Foundation
import GRDB
import Testing
@testable import IDEOrchestrator

@Suite struct StoredDateTests {
    /// The hand-made conversion writes GRDB's text exactly and reads back what GRDB reads.
    @Test func matchesGRDBsDateStorage() throws {
        var generator = SplitMix64(seed: 2026)
        let fixed = [0, 1, 0.999, 0.0005, 951_782_400.5, 1_795_000_000.123, 4_102_444_799.999]
        let random = (0..<2000).map { _ in Double.random(in: 0..<4_102_444_800, using: &generator) }
        for seconds in fixed + random {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(StoredDate.databaseValue(date) == date.databaseValue, "\(seconds)")
            guard case .string(let text) = date.databaseValue.storage else { Issue.record("not text"); continue }
            // GRDB goes through a Calendar and may land one rounding step away: the store keeps
            // milliseconds, so a microsecond is equality here.
            let parsed = try #require(StoredDate.parse(text)), grdb = try #require(Date.fromDatabaseValue(date.databaseValue))
            #expect(abs(parsed.timeIntervalSince(grdb)) < 0.000_001, "\(text)")
        }
    }

    @Test func recordsRoundTripThroughTheStore() async throws {
        let store = try AppDatabase.inMemory()
        var record = ContainerRecord(id: "abcdefghijklmnop", isPreWarmed: true, cpuLimit: 0.5, memoryLimitBytes: 1 << 30, urls: RoutePlan(settings: try testSettings()).urls(for: "abcdefghijklmnop"), now: Date(timeIntervalSince1970: 1_795_000_000.25))
        record.readyAt = Date(timeIntervalSince1970: 1_795_000_001.5)
        record.s3Bucket = "bucket-one"
        record.claimMillis = 3.25
        record.shutdownReason = .replaced
        record.activityTracked = true
        try await store.insert(record, reason: "test")
        #expect(try await store.container(record.id) == record)
    }

    @Test func theTablesColumnsAreTheStoredColumnsInOrder() async throws {
        // `ContainerRecord(row:)` reads columns by position: a migration that adds a column
        // must add it to `storedColumns` too, at the end.
        let store = try AppDatabase.inMemory()
        let names = try await store.writer.read { db in try Row.fetchAll(db, sql: "PRAGMA table_info(container)").map { $0["name"] as String } }
        #expect(names == ContainerRecord.storedColumns)
    }

    @Test func eventsAndLifecycleFactsReadTheirTimesByHandAsGRDBWritesThem() async throws {
        let store = try AppDatabase.inMemory()
        let record = try await AppDatabaseTests.insert(store, 1, status: .ready)
        let when = Date(timeIntervalSince1970: 1_764_000_000.123)
        try await store.writer.write { db in
            // As GRDB binds a date (through its formatter), and as the store appends one.
            try db.execute(sql: "INSERT INTO containerEvent (containerId, at, kind) VALUES (?, ?, 'grdb')", arguments: [record.id, when])
            try ContainerEvent.append(db, containerId: record.id, at: when, kind: "ours", from: .warming, to: .ready, reason: "r")
        }
        let events = try await store.events(of: record.id)
        for kind in ["grdb", "ours"] {
            let event = try #require(events.first { $0.kind == kind })
            #expect(abs(event.at.timeIntervalSince(when)) < 0.0005)
        }
        let ours = try #require(events.first { $0.kind == "ours" })
        #expect(ours.fromStatus == .warming && ours.toStatus == .ready && ours.reason == "r" && ours.containerId == record.id)
        let facts = try await store.lifecycleEvents(after: 0).filter { $0.kind == "ours" }
        #expect(facts.first?.createdAt.map { abs($0.timeIntervalSince(record.createdAt)) < 0.0005 } == true)
    }
}


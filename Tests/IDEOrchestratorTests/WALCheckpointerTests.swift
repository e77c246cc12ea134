import Foundation
import Logging
import Testing
@testable import IDEOrchestrator

/// The log is copied back into the database file by the checkpointer, not by a commit.
@Suite struct WALCheckpointerTests {
    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    @Test func changesReachTheDatabaseFileWithoutACommitCheckpointing() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        let store = try AppDatabase.open(path: path)
        for n in 0..<200 {
            try await store.insert(AppDatabaseTests.record(n), reason: "test")
        }
        // Under the backstop, no commit has copied the log back: the file holds the schema only.
        let before = Self.size(path)
        #expect(Self.size(path + "-wal") > before)

        let checkpointer = WALCheckpointer(store: store, interval: .milliseconds(10), logger: Logger(label: "test"))
        let running = Task { try await checkpointer.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while Self.size(path) <= before, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(Self.size(path) > before, "the records never reached the database file")
        #expect(try await store.containers(status: nil, limit: 500, offset: 0).total == 200)
    }
}

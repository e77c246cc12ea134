import Foundation
import HummingbirdTesting
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Answers computed from the store are reused only while nothing was committed since and only
/// for a bounded time.
@Suite struct RevisionCacheTests {
    /// How often the computation ran.
    final class Counter: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func next() -> Int { count.withLock { $0 += 1; return $0 } }
    }

    @Test func anAnswerIsReusedUntilTheStoreCommitsAgain() async throws {
        let store = try AppDatabase.inMemory()
        let cache = RevisionCache<String, Int>(revision: store.revision, capacity: 4, maxAge: .seconds(60))
        let runs = Counter()
        #expect(await cache.value(for: "k") { runs.next() } == 1)
        #expect(await cache.value(for: "k") { runs.next() } == 1)
        try await store.insert(AppDatabaseTests.record(1), reason: "test")
        #expect(await cache.value(for: "k") { runs.next() } == 2)
        #expect(runs.value == 2)
    }

    @Test func anAnswerOlderThanMaxAgeIsComputedAgain() async throws {
        let store = try AppDatabase.inMemory()
        let cache = RevisionCache<String, Int>(revision: store.revision, capacity: 4, maxAge: .seconds(1))
        let runs = Counter()
        let start = ContinuousClock.now
        #expect(await cache.value(for: "k", now: start) { runs.next() } == 1)
        #expect(await cache.value(for: "k", now: start + .milliseconds(999)) { runs.next() } == 1)
        #expect(await cache.value(for: "k", now: start + .seconds(1)) { runs.next() } == 2)
    }

    @Test func keysAreKeptApartAndTheirNumberIsBounded() async throws {
        let store = try AppDatabase.inMemory()
        let cache = RevisionCache<Int, Int>(revision: store.revision, capacity: 2, maxAge: .seconds(60))
        let runs = Counter()
        #expect(await cache.value(for: 1) { runs.next() } == 1)
        #expect(await cache.value(for: 2) { runs.next() } == 2)
        #expect(await cache.value(for: 1) { runs.next() } == 1)
        // A third key makes room by dropping the others.
        #expect(await cache.value(for: 3) { runs.next() } == 3)
        #expect(await cache.value(for: 1) { runs.next() } == 4)
    }

    @Test func theHealthCountsAndTheListShowAChangeAtOnce() async throws {
        let harness = try APIRouterTests.Harness()
        try await harness.test { client in
            let before = try APIRouterTests.json(try await client.execute(uri: "/api/containers", method: .get, headers: APIRouterTests.keyOne))
            #expect(before["total"] as? Int == 0)
            let health = try APIRouterTests.json(try await client.execute(uri: "/api/health", method: .get, headers: APIRouterTests.keyOne))
            #expect((health["pool"] as? [String: Any])?["ready"] as? Int == 0)

            try await harness.insertReadyPoolContainer()

            let after = try APIRouterTests.json(try await client.execute(uri: "/api/containers", method: .get, headers: APIRouterTests.keyOne))
            #expect(after["total"] as? Int == 1)
            let healthAfter = try APIRouterTests.json(try await client.execute(uri: "/api/health", method: .get, headers: APIRouterTests.keyOne))
            #expect((healthAfter["pool"] as? [String: Any])?["ready"] as? Int == 1)
        }
    }
}

extension RevisionCacheTests {
    @Test func anAnswerThatIsNotToBeKeptIsComputedEachTime() async throws {
        let store = try AppDatabase.inMemory()
        let cache = RevisionCache<String, Int>(revision: store.revision, capacity: 4, maxAge: .seconds(60))
        let runs = Counter()
        #expect(await cache.value(for: "k", keep: { $0 < 2 }) { runs.next() } == 1)
        #expect(await cache.value(for: "k", keep: { $0 < 2 }) { runs.next() } == 1)
        #expect(await cache.value(for: "big", keep: { $0 < 2 }) { runs.next() } == 2)
        #expect(await cache.value(for: "big", keep: { $0 < 2 }) { runs.next() } == 3)
    }
}

import Foundation
import Testing
@testable import IDEOrchestrator

/// Claims come first: the pool refills once claims pause (`POOL_REFILL_DELAY`), not in the
/// middle of a run of claims (issue 11).
@Suite struct PoolRefillTests {
    @Test func aClaimsRefillWaitsForClaimsToPause() async throws {
        let lab = try LifecycleTests.Lab(["PRE_WARMED_QUEUE_SIZE": "2", "POOL_REFILL_DELAY": "3s", "POOL_CHECK_INTERVAL": "1h"])
        let pool = Task { try await lab.orchestrator.pool.run() }
        defer { pool.cancel() }
        try await lab.eventually("the pool to fill") { try await lab.store.poolCounts().ready == 2 }
        let claimed = Date()
        _ = try await lab.start("refill-bucket")
        try await Task.sleep(for: .milliseconds(300))
        if Date().timeIntervalSince(claimed) < 2.5 {
            #expect(lab.swarm.serviceNames.count == 2, "a refill started right after the claim")
        }
        try await lab.eventually("the refill after the pause") { lab.swarm.serviceNames.count == 3 }
        #expect(Date().timeIntervalSince(claimed) >= 3)
    }

    @Test func aPoolThatRanDryRefillsAtOnceWhateverTheDelay() async throws {
        let lab = try LifecycleTests.Lab(["PRE_WARMED_QUEUE_SIZE": "1", "POOL_REFILL_DELAY": "10s", "POOL_CHECK_INTERVAL": "1h"])
        let pool = Task { try await lab.orchestrator.pool.run() }
        defer { pool.cancel() }
        try await lab.eventually("the pool to fill") { try await lab.store.poolCounts().ready == 1 }
        let claimed = Date()
        _ = try await lab.start("refill-bucket")
        try await lab.eventually("the refill") { lab.swarm.serviceNames.count == 2 }
        #expect(Date().timeIntervalSince(claimed) < 5)
    }

    @Test func withoutADelayTheRefillStartsAtOnce() async throws {
        let lab = try LifecycleTests.Lab(["PRE_WARMED_QUEUE_SIZE": "1", "POOL_REFILL_DELAY": "0", "POOL_CHECK_INTERVAL": "1h"])
        let pool = Task { try await lab.orchestrator.pool.run() }
        defer { pool.cancel() }
        try await lab.eventually("the pool to fill") { try await lab.store.poolCounts().ready == 1 }
        let claimed = Date()
        _ = try await lab.start("refill-bucket")
        try await lab.eventually("the refill") { lab.swarm.serviceNames.count == 2 }
        #expect(Date().timeIntervalSince(claimed) < 3)
    }
}

import Foundation
import Testing
@testable import IDEOrchestrator

/// Claims come first: the pool refills once claims pause (`POOL_REFILL_DELAY`), not in the
/// middle of a run of claims (issue 11).
@Suite struct PoolRefillTests {
    @Test func aClaimsRefillWaitsForClaimsToPause() async throws {
        try await withFilledPool(size: 2, delay: "3s") { lab in
            let claimed = try await claimOne(lab)
            try await Task.sleep(for: .milliseconds(300))
            if Date().timeIntervalSince(claimed) < 2.5 {
                #expect(lab.swarm.serviceNames.count == 2, "a refill started right after the claim")
            }
            try await lab.eventually("the refill after the pause") { lab.swarm.serviceNames.count == 3 }
            #expect(Date().timeIntervalSince(claimed) >= 3)
        }
    }

    @Test func aPoolThatRanDryRefillsAtOnceWhateverTheDelay() async throws {
        try await withFilledPool(size: 1, delay: "10s") { lab in
            let seconds = try await secondsUntilOneClaimIsReplaced(lab)
            #expect(seconds < 5)
        }
    }

    @Test func withoutADelayTheRefillStartsAtOnce() async throws {
        try await withFilledPool(size: 1, delay: "0") { lab in
            let seconds = try await secondsUntilOneClaimIsReplaced(lab)
            #expect(seconds < 3)
        }
    }

    /// Runs `body` with a pool of `size` that runs with `POOL_REFILL_DELAY=delay` and is full.
    private func withFilledPool(size: Int, delay: String, _ body: (LifecycleTests.Lab) async throws -> Void) async throws {
        let lab = try LifecycleTests.Lab(["PRE_WARMED_QUEUE_SIZE": "\(size)", "POOL_REFILL_DELAY": delay, "POOL_CHECK_INTERVAL": "1h"])
        let pool = Task { try await lab.orchestrator.pool.run() }
        defer { pool.cancel() }
        try await lab.eventually("the pool to fill") { try await lab.store.poolCounts().ready == size }
        try await body(lab)
    }

    /// Claims a container; returns when the claim began.
    private func claimOne(_ lab: LifecycleTests.Lab) async throws -> Date {
        let claimed = Date()
        _ = try await lab.start("refill-bucket")
        return claimed
    }

    /// Claims the only container of a pool of one and waits for the refill's service.
    private func secondsUntilOneClaimIsReplaced(_ lab: LifecycleTests.Lab) async throws -> TimeInterval {
        let claimed = try await claimOne(lab)
        try await lab.eventually("the refill") { lab.swarm.serviceNames.count == 2 }
        return Date().timeIntervalSince(claimed)
    }
}

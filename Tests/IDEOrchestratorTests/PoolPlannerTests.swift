import Testing
@testable import IDEOrchestrator

/// How many containers the pool starts, given what it observed.
@Suite struct PoolPlannerTests {
    typealias Observation = PoolPlanner.Observation

    @Test func fullPoolStartsNothing() {
        #expect(PoolPlanner.plan(Observation(target: 5, pooled: 5, inFlight: 0, concurrency: 3)) == .nothing)
    }

    @Test func overfullPoolStartsNothing() {
        #expect(PoolPlanner.plan(Observation(target: 5, pooled: 8, inFlight: 0, concurrency: 3)) == .nothing)
    }

    @Test func fullPoolStartsNothingEvenWhenBlockedOrBackingOff() {
        #expect(PoolPlanner.plan(Observation(target: 2, pooled: 2, inFlight: 0, concurrency: 3, resourceBlock: "memory", backingOff: true)) == .nothing)
    }

    @Test func zeroTargetStartsNothing() {
        #expect(PoolPlanner.plan(Observation(target: 0, pooled: 0, inFlight: 0, concurrency: 3)) == .nothing)
        #expect(PoolPlanner.plan(Observation(target: 0, pooled: 0, inFlight: 0, concurrency: 3, resourceBlock: "memory")) == .nothing)
    }

    @Test func smallDeficitIsFilledInOneStep() {
        #expect(PoolPlanner.plan(Observation(target: 5, pooled: 3, inFlight: 0, concurrency: 3)) == .spawn(2))
    }

    @Test func deficitIsLimitedByConcurrency() {
        #expect(PoolPlanner.plan(Observation(target: 10, pooled: 0, inFlight: 0, concurrency: 3)) == .spawn(3))
    }

    @Test func deficitIsLimitedByLaunchesAlreadyInFlight() {
        #expect(PoolPlanner.plan(Observation(target: 10, pooled: 2, inFlight: 2, concurrency: 3)) == .spawn(1))
    }

    @Test func noSlotLeftWaitsNamingTheLaunchesUnderWay() {
        let decision = PoolPlanner.plan(Observation(target: 10, pooled: 3, inFlight: 3, concurrency: 3))
        guard case .wait(let reason) = decision else {
            Issue.record("expected wait, got \(decision)")
            return
        }
        #expect(reason.contains("3"))
    }

    @Test func moreInFlightThanConcurrencyNeverSpawnsANegativeCount() {
        let decision = PoolPlanner.plan(Observation(target: 10, pooled: 5, inFlight: 5, concurrency: 3))
        guard case .wait = decision else {
            Issue.record("expected wait, got \(decision)")
            return
        }
    }

    @Test func resourceBlockWaitsWithItsReason() {
        let reason = "node memory use 95% is at or above MAX_MEMORY_PERCENT 90%"
        #expect(PoolPlanner.plan(Observation(target: 5, pooled: 0, inFlight: 0, concurrency: 3, resourceBlock: reason)) == .wait(reason))
    }

    @Test func resourceBlockTakesPrecedenceOverBackoff() {
        #expect(PoolPlanner.plan(Observation(target: 5, pooled: 0, inFlight: 0, concurrency: 3, resourceBlock: "cpu", backingOff: true)) == .wait("cpu"))
    }

    @Test func backoffWaits() {
        let decision = PoolPlanner.plan(Observation(target: 5, pooled: 0, inFlight: 0, concurrency: 3, backingOff: true))
        guard case .wait(let reason) = decision else {
            Issue.record("expected wait, got \(decision)")
            return
        }
        #expect(reason.contains("backing off"))
    }

    @Test(arguments: 0...12)
    func neverSpawnsBeyondTargetOrConcurrency(pooled: Int) {
        for inFlight in 0...4 {
            let observation = Observation(target: 10, pooled: pooled, inFlight: inFlight, concurrency: 4)
            if case .spawn(let count) = PoolPlanner.plan(observation) {
                #expect(count > 0)
                #expect(count <= 10 - pooled)
                #expect(count + inFlight <= 4)
            }
        }
    }
}

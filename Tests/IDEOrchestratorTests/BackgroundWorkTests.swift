import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Issue 23 item 7: background removals and cold-start launches are bounded in number,
/// retried with backoff, and cancelled on graceful shutdown.
@Suite struct BackgroundWorkTests {
    /// Jobs that wait for a gate and record what happened.
    final class Jobs: Sendable {
        private let state = Mutex((started: [Int](), tries: [ContinuousClock.Instant](), cancelled: 0, open: false))

        var started: [Int] { state.withLock { $0.started } }
        var tries: [ContinuousClock.Instant] { state.withLock { $0.tries } }
        var cancelled: Int { state.withLock { $0.cancelled } }

        func open() { state.withLock { $0.open = true } }

        /// Runs until the gate opens (true) or the job is cancelled (false).
        func gated(_ number: Int) async -> Bool {
            state.withLock { $0.started.append(number) }
            while !state.withLock({ $0.open }) {
                do {
                    try await Task.sleep(for: .milliseconds(2))
                } catch {
                    state.withLock { $0.cancelled += 1 }
                    return false
                }
            }
            return true
        }

        /// Fails every time.
        func failing() async -> Bool {
            state.withLock { $0.tries.append(.now) }
            return false
        }
    }

    @Test func atMostTheWorkerCountRunAtOnceAndInTheOrderTheyCame() async throws {
        let work = BackgroundWork("test", workers: 2, retry: .once, logger: quietLogger())
        let jobs = Jobs()
        for number in 0..<6 { work.submit("job \(number)") { await jobs.gated(number) } }
        try await WaitingLineTests.eventually("two jobs under way") { jobs.started.count == 2 }
        #expect(work.pending == 6)
        jobs.open()
        try await WaitingLineTests.eventually("every job done") { work.pending == 0 }
        #expect(work.mostRunning == 2)
        #expect(jobs.started == Array(0..<6))
    }

    @Test func aFailingJobIsTriedAgainWithGrowingPausesThenGivenUp() async throws {
        let work = BackgroundWork("test", workers: 1, retry: .init(attempts: 4, initial: .milliseconds(20), maximum: .milliseconds(60)), logger: quietLogger())
        let jobs = Jobs()
        work.submit("failing") { await jobs.failing() }
        try await WaitingLineTests.eventually("the job given up") { work.pending == 0 }
        let tries = jobs.tries
        #expect(tries.count == 4)
        let pauses = zip(tries.dropFirst(), tries).map { $0 - $1 }
        #expect(pauses.count == 3)
        #expect(pauses[0] >= .milliseconds(20) && pauses[1] >= .milliseconds(40) && pauses[2] >= .milliseconds(60))
    }

    @Test func theGracefulShutdownCancelsJobsUnderWayAndDropsTheRest() async throws {
        let work = BackgroundWork("test", workers: 2, retry: .removal, logger: quietLogger())
        let jobs = Jobs()
        for number in 0..<5 { work.submit("job \(number)") { await jobs.gated(number) } }
        try await WaitingLineTests.eventually("two jobs under way") { jobs.started.count == 2 }
        let group = ServiceGroup(configuration: .init(services: [.init(service: work)], logger: quietLogger()))
        let running = Task { try await group.run() }
        await group.triggerGracefulShutdown()
        try await running.value
        try await WaitingLineTests.eventually("the jobs under way cancelled") { jobs.cancelled == 2 && work.pending == 0 }
        // Neither the dropped jobs nor new ones run after the shutdown.
        work.submit("late") { await jobs.gated(99) }
        #expect(work.pending == 0)
        #expect(jobs.started.count == 2)
    }

    @Test func aServiceRemovalThatFailsIsRetriedUntilTheServiceIsGone() async throws {
        let lab = try LifecycleTests.Lab()
        let record = try await lab.ready()
        let name = try #require(lab.swarm.serviceNames.first)
        lab.swarm.setUnreachable(true)
        await lab.orchestrator.launcher.fail(record.id, expected: [.ready], serviceId: record.serviceId, reason: "test")
        try await lab.eventually("a removal refused") { lab.swarm.refusals >= 1 }
        lab.swarm.setUnreachable(false)
        try await lab.eventually("the service removed by a retry") { !lab.swarm.serviceNames.contains(name) }
    }

    @Test func coldStartLaunchesRunInTheirBoundedQueue() async throws {
        let lab = try LifecycleTests.Lab(["MAX_CONCURRENT_COLD_STARTS": "2", "COLD_START_TIMEOUT": "20s"])
        lab.swarm.holdCreates(true)
        let requests = (0..<5).map { n in Task { try await lab.start("bucket-queue-\(n)") } }
        let launches = lab.orchestrator.claims.coldStarts.launches
        try await lab.eventually("two launches queued") { launches.pending == 2 }
        lab.swarm.releaseCreates()
        for request in requests { _ = try await request.value }
        #expect(launches.mostRunning == 2)
    }
}

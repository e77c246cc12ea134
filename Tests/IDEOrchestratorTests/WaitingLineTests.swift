import Foundation
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Issue 23 item 6: requests waiting for a container are served first come, first served,
/// one per ready container.
@Suite struct WaitingLineTests {
    typealias Lab = LifecycleTests.Lab

    /// Polls `condition` until it holds (at most 30 seconds).
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("timed out waiting for \(what)")
    }

    /// The claim loop of a waiting request over a pool of `available` containers: claims only
    /// when the line lets it, and counts the times it woke without being allowed to.
    final class Pool: Sendable {
        let line = ReadySignal()
        private let state = Mutex((available: 0, served: [Int](), idleWakes: 0))

        var served: [Int] { state.withLock { $0.served } }
        var idleWakes: Int { state.withLock { $0.idleWakes } }

        func add() {
            state.withLock { $0.available += 1 }
            line.notify()
        }

        func request(_ number: Int) async {
            var ticket: ReadySignal.Ticket?
            while true {
                let mayClaim = line.mayClaim(ticket)
                let took = mayClaim && state.withLock { state in
                    guard state.available > 0 else { return false }
                    state.available -= 1
                    state.served.append(number)
                    return true
                }
                if took {
                    if let ticket { line.leave(ticket) }
                    return
                }
                if ticket != nil, !mayClaim { state.withLock { $0.idleWakes += 1 } }
                let place = ticket ?? line.enter()
                ticket = place
                await line.wait(place, upTo: .seconds(60))
            }
        }
    }

    @Test func waitingRequestsAreServedInOrderOnePerReadyContainer() async throws {
        let pool = Pool()
        var requests: [Task<Void, Never>] = []
        for number in 0..<5 {
            requests.append(Task { await pool.request(number) })
            try await Self.eventually("request \(number) in line") { pool.line.waiting == number + 1 }
        }
        for served in 1...5 {
            pool.add()
            try await Self.eventually("\(served) served") { pool.served.count == served }
            // A newcomer while others wait queues behind them: nobody starves.
            if served == 2 {
                requests.append(Task { await pool.request(5) })
                try await Self.eventually("the newcomer in line") { pool.line.waiting == 4 }
            }
        }
        pool.add()
        for request in requests { await request.value }
        #expect(pool.served == [0, 1, 2, 3, 4, 5])
        // Only the first in line ever woke: the others were never woken to race.
        #expect(pool.idleWakes == 0)
    }

    @Test func aRequestWhoseTurnCameWhileItWasBusyDoesNotMissIt() async throws {
        let line = ReadySignal()
        let first = line.enter()
        let second = line.enter()
        #expect(line.mayClaim(first) && !line.mayClaim(second) && !line.mayClaim(nil))
        line.notify()
        // The turn was given while nobody waited: the next wait returns at once.
        await line.wait(first, upTo: .seconds(60))
        line.leave(first)
        // Leaving the front hands the turn on.
        await line.wait(second, upTo: .seconds(60))
        #expect(line.mayClaim(second))
        line.leave(second)
        #expect(line.mayClaim(nil))
    }

    @Test func aRequestPutBackKeepsItsPlaceAheadOfLaterOnes() {
        let line = ReadySignal()
        let first = line.enter()
        let second = line.enter()
        line.leave(first)
        #expect(line.mayClaim(second))
        line.rejoin(first)
        #expect(line.mayClaim(first) && !line.mayClaim(second))
    }

    /// Without the line, a request arriving while another waits took the container that
    /// became ready before the waiting one could, and the waiting one could starve.
    @Test func aNewRequestDoesNotTakeAContainerAheadOfOneAlreadyWaiting() async throws {
        let lab = try Lab(["COLD_START_TIMEOUT": "20s"])
        lab.swarm.holdCreates(true)
        let waiting = Task { try await lab.start("bucket-first") }
        try await Self.eventually("the first request waits") { lab.swarm.creates.now == 1 }
        // A container becomes ready without anyone being told (as between two wake-ups).
        let id = ContainerID.generate()
        let blueprint = ServiceBlueprint(settings: lab.orchestrator.settings)
        let serviceId = lab.swarm.plant(blueprint.spec(for: id, pooled: true))
        var record = ContainerRecord(id: id, isPreWarmed: true, cpuLimit: 1, memoryLimitBytes: 1 << 30, urls: RoutePlan(settings: lab.orchestrator.settings).urls(for: id), now: Date())
        record.status = .ready
        record.serviceId = serviceId
        record.taskAddress = lab.swarm.address(of: blueprint.spec(for: id, pooled: true).name)
        record.readyAt = Date()
        try await lab.store.insert(record, reason: "test")
        let newcomer = Task { try await lab.start("bucket-second") }
        #expect(try await waiting.value.record.id == id)
        lab.swarm.releaseCreates()
        #expect(try await newcomer.value.record.id != id)
    }

    @Test func requestsWaitingForColdStartsAreServedInTheOrderTheyCame() async throws {
        let lab = try Lab(["COLD_START_TIMEOUT": "20s", "MAX_CONCURRENT_COLD_STARTS": "1"])
        lab.swarm.holdCreates(true)
        let line = lab.orchestrator.launcher.readySignal
        var requests: [Task<StartResult, any Error>] = []
        for number in 0..<4 {
            requests.append(Task { try await lab.start("bucket-\(number)") })
            try await Self.eventually("request \(number) in line") { line.waiting == number + 1 }
        }
        for request in requests {
            // One container becomes ready: the earliest request gets it.
            let id = try await lab.plantReady()
            #expect(try await request.value.record.id == id)
        }
        lab.swarm.releaseCreates()
    }
}

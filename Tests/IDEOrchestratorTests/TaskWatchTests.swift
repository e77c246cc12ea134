import Foundation
import Testing
@testable import IDEOrchestrator

/// Launches share one task listing per tick instead of each polling the engine (issue 11).
@Suite struct TaskWatchTests {
    @Test func concurrentLaunchesShareTheEnginesTaskListings() async throws {
        let lab = try LifecycleTests.Lab()
        let records = try await withThrowingTaskGroup(of: ContainerRecord.self) { group in
            for _ in 0..<8 { group.addTask { try await lab.ready() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(records.count == 8 && records.allSatisfy { $0.status == .ready })
        // Each launch needs one look at its running task; eight launches polling on their own
        // make eight listings, a shared watch one or two (launches may straddle a tick).
        #expect(lab.swarm.taskListings <= 3, "\(lab.swarm.taskListings) task listings for 8 launches")
    }

    @Test func eachWaiterGetsItsOwnServicesTasksAndAnOutageReachesEveryWaiter() async throws {
        let swarm = FakeSwarm()
        let blueprint = ServiceBlueprint(settings: try testSettings())
        let ids = (0..<3).map { _ in swarm.plant(blueprint.spec(for: ContainerID.generate(), pooled: true)) }
        let watch = TaskWatch(engine: swarm, interval: .milliseconds(20))
        let seen = try await withThrowingTaskGroup(of: (String, [SwarmTask]).self) { group in
            for id in ids { group.addTask { (id, try await watch.nextTasks(of: id)) } }
            return try await group.reduce(into: [String: [SwarmTask]]()) { $0[$1.0] = $1.1 }
        }
        for id in ids { #expect(seen[id]?.map(\.serviceID) == [id]) }
        swarm.setUnreachable(true)
        await #expect(throws: DockerError.self) { try await watch.nextTasks(of: ids[0]) }
        swarm.setUnreachable(false)
        #expect(try await watch.nextTasks(of: ids[1]).count == 1)
    }
}

import Foundation
import Testing
@testable import IDEOrchestrator

@Suite struct ReconcilePlannerTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let urls = ContainerURLs(codeServer: "c", vnc: "v", webServer: "w")

    func record(_ id: String, _ status: ContainerStatus, serviceId: String? = "svc-\(UUID().uuidString.prefix(4))", age: TimeInterval = 600, address: String? = "10.0.0.2") -> ContainerRecord {
        var record = ContainerRecord(id: id, isPreWarmed: true, cpuLimit: 1, memoryLimitBytes: 1 << 30, urls: urls, now: now.addingTimeInterval(-age))
        record.status = status
        record.serviceId = serviceId
        record.taskAddress = address
        return record
    }

    func service(for record: ContainerRecord, failed: Int = 0, running: Bool = true, address: String? = "10.0.0.2", taskId: String? = nil, ended: Set<String> = []) -> ReconcilePlanner.ObservedService {
        .init(
            id: record.serviceId!, labels: [ServiceBlueprint.managedLabel: "true", ServiceBlueprint.idLabel: record.id], failedTasks: failed,
            hasRunningTask: running, runningAddress: running ? address : nil, runningTaskId: running ? (taskId ?? record.taskId) : nil, endedTaskIds: ended
        )
    }

    func plan(_ services: [ReconcilePlanner.ObservedService], _ records: [ContainerRecord]) -> [ReconcilePlanner.Action] {
        ReconcilePlanner.plan(services: services, records: Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) }), restartMaxAttempts: 3, now: now, grace: 120)
    }

    @Test func syncOnConvergedStateDoesNothing() {
        let ready = record("aaaaaaaaaaaa0001", .ready)
        let running = record("aaaaaaaaaaaa0002", .running)
        #expect(plan([service(for: ready), service(for: running)], [ready, running]).isEmpty)
    }

    @Test func serviceWithoutRecordIsAdoptedOnceItRunsWhenLabelsNameAnId() {
        let id = "bbbbbbbbbbbb0001"
        let orphan = ReconcilePlanner.ObservedService(id: "svc-x", labels: [ServiceBlueprint.managedLabel: "true", ServiceBlueprint.idLabel: id], runningAddress: "10.0.0.7", runningTaskId: "task-1")
        #expect(plan([orphan], []) == [.adopt(serviceId: "svc-x", containerId: id, address: "10.0.0.7", taskId: "task-1", pooled: true)])
        let starting = ReconcilePlanner.ObservedService(id: "svc-x", labels: orphan.labels, hasRunningTask: false)
        #expect(plan([starting], []).isEmpty, "adoption waits for a running task whose agent can be asked")
    }

    @Test(arguments: [
        [ServiceBlueprint.managedLabel: "true"],
        [ServiceBlueprint.managedLabel: "true", ServiceBlueprint.idLabel: "NOT-AN-ID"],
        [ServiceBlueprint.idLabel: "bbbbbbbbbbbb0001"],
    ])
    func serviceWithoutValidOwnershipIsRemoved(labels: [String: String]) {
        let stray = ReconcilePlanner.ObservedService(id: "svc-stray", labels: labels)
        guard case .removeService(let serviceId, _) = plan([stray], []).first else {
            Issue.record("expected a removal")
            return
        }
        #expect(serviceId == "svc-stray")
    }

    @Test func serviceOfAStoppedRecordIsRemoved() {
        let stopped = record("cccccccccccc0001", .stopped)
        #expect(plan([service(for: stopped)], [stopped]).count == 1)
    }

    @Test func runningRecordWhoseServiceIsGoneStopsWithReason() {
        let running = record("dddddddddddd0001", .running)
        #expect(plan([], [running]) == [.markGone(containerId: running.id, observed: .running, status: .stopped, reason: .serviceRemoved, detail: "its Swarm service is gone")])
    }

    @Test func warmRecordWhoseServiceIsGoneFails() {
        let ready = record("dddddddddddd0002", .ready)
        guard case .markGone(_, _, let status, _, _) = plan([], [ready]).first else {
            Issue.record("expected markGone")
            return
        }
        #expect(status == .failed)
    }

    @Test func youngCreatingRecordWithoutServiceIsLeftToItsLauncher() {
        let launching = record("eeeeeeeeeeee0001", .creating, serviceId: nil, age: 5)
        #expect(plan([], [launching]).isEmpty)
        let abandoned = record("eeeeeeeeeeee0002", .creating, serviceId: nil, age: 600)
        #expect(plan([], [abandoned]).count == 1)
    }

    @Test func warmContainerThatDiedIsFailed() {
        let ready = record("ffffffffffff0001", .ready)
        #expect(plan([service(for: ready, failed: 1)], [ready]) == [.fail(containerId: ready.id, serviceId: ready.serviceId!, observed: .ready, detail: "its container died while warm")])
    }

    @Test func runningServiceWhoseTasksKeepFailingIsFailed() {
        let running = record("ffffffffffff0002", .running)
        guard case .fail = plan([service(for: running, failed: 4, running: false)], [running]).first else {
            Issue.record("expected fail")
            return
        }
        #expect(plan([service(for: running, failed: 2, running: true)], [running]).isEmpty)
    }

    @Test func containerThatExitedForGoodIsFailedWhetherWarmOrRunning() {
        for status in [ContainerStatus.ready, .running] {
            let record = record("ffffffffffff000\(status == .ready ? 4 : 5)", status)
            var observed = service(for: record, running: false)
            observed.isDead = true
            #expect(plan([observed], [record]) == [.fail(containerId: record.id, serviceId: record.serviceId!, observed: status, detail: "its container exited and Swarm will not restart it")])
        }
    }

    @Test func onlyContainersThatExitedByThemselvesAreDead() {
        func task(_ state: String, desired: String = "shutdown") -> SwarmTask {
            SwarmTask(id: UUID().uuidString, serviceID: "svc", nodeID: nil, desiredState: desired, status: .init(state: state), networksAttachments: nil, createdAt: nil)
        }
        #expect(ReconcilePlanner.isDead([task("complete")]))
        #expect(ReconcilePlanner.isDead([task("failed"), task("failed"), task("failed"), task("failed")]))
        // Being removed by Swarm: still running, or shut down by it.
        #expect(!ReconcilePlanner.isDead([task("running")]))
        #expect(!ReconcilePlanner.isDead([task("shutdown")]))
        // Restarting after a crash.
        #expect(!ReconcilePlanner.isDead([task("failed"), task("starting", desired: "running")]))
        #expect(!ReconcilePlanner.isDead([]))
    }

    /// Issue 7, item 5: a restarted container is a new, empty one; the user's session ended.
    @Test func assignedContainerWhoseTaskChangedIsEndedAsRestarted() {
        for status in [ContainerStatus.running, .assigning] {
            var assigned = record("ffffffffffff0003", status, address: "10.0.0.2")
            assigned.taskId = "task-old"
            // The old task ended and the new one is not running yet ...
            guard case .endRestarted(let id, let observed, _) = plan([service(for: assigned, running: false, ended: ["task-old"])], [assigned]).first else {
                Issue.record("expected endRestarted while the new task starts")
                return
            }
            #expect(id == assigned.id && observed == status)
            // ... or already runs, even at the same address.
            guard case .endRestarted = plan([service(for: assigned, taskId: "task-new", ended: ["task-old"])], [assigned]).first else {
                Issue.record("expected endRestarted once the new task runs")
                return
            }
            #expect(plan([service(for: assigned)], [assigned]).isEmpty, "the same task still running is fine")
        }
        // Records from before task ids were kept: a new address means a new task.
        let legacy = record("ffffffffffff0006", .running, address: "10.0.0.2")
        guard case .endRestarted = plan([service(for: legacy, failed: 1, address: "10.0.0.9")], [legacy]).first else {
            Issue.record("expected endRestarted for a moved legacy record")
            return
        }
    }

    @Test func retirementKeepsTheTargetWhileReplacingStaleOnes() {
        #expect(PoolPlanner.retirements(target: 3, freshReady: 0, staleReady: 3) == (stale: 0, surplus: 0))
        #expect(PoolPlanner.retirements(target: 3, freshReady: 1, staleReady: 3) == (stale: 1, surplus: 0))
        #expect(PoolPlanner.retirements(target: 3, freshReady: 3, staleReady: 1) == (stale: 1, surplus: 0))
        #expect(PoolPlanner.retirements(target: 2, freshReady: 4, staleReady: 0) == (stale: 0, surplus: 2))
        #expect(PoolPlanner.retirements(target: 0, freshReady: 0, staleReady: 2) == (stale: 2, surplus: 0))
    }
}

@Suite struct HousekeepingAndRedactionTests {
    @Test func retentionPrunesOnlyOldStoppedRecords() async throws {
        let store = try AppDatabase.inMemory()
        let urls = ContainerURLs(codeServer: "c", vnc: "v", webServer: "w")
        let old = Date().addingTimeInterval(-30 * 86_400)
        for (id, status) in [("oldstopped0001", ContainerStatus.stopped), ("oldrunning0001", .running), ("newstopped0001", .stopped)] {
            var record = ContainerRecord(id: id, isPreWarmed: true, cpuLimit: 1, memoryLimitBytes: 1 << 30, urls: urls, now: old)
            record.status = status
            if status == .stopped { record.stoppedAt = id.hasPrefix("old") ? old : Date() }
            try await store.insert(record, reason: "test")
        }
        #expect(try await store.pruneStopped(before: Date().addingTimeInterval(-7 * 86_400)) == 1)
        #expect(try await store.container("oldstopped0001") == nil)
        #expect(try await store.events(of: "oldstopped0001").isEmpty)
        #expect(try await store.container("oldrunning0001") != nil)
        #expect(try await store.container("newstopped0001") != nil)
    }

    @Test func shortIdleTimeoutsAreSweptPromptly() throws {
        let store = try AppDatabase.inMemory()
        func housekeeper(_ env: [String: String]) throws -> Housekeeper {
            let settings = try Settings(environment: env.merging(["API_KEY": "k"]) { a, _ in a })
            let launcher = ContainerLauncher(store: store, engine: FakeDockerEngine(), agent: FakeAgent(), settings: settings, logger: quietLogger())
            return Housekeeper(store: store, stopper: ContainerStopper(store: store, launcher: launcher, epoch: Epoch()), settings: settings, logger: quietLogger())
        }
        #expect(try housekeeper(["IDLE_TIMEOUT_SECONDS": "6"]).interval == .seconds(3))
        #expect(try housekeeper(["IDLE_TIMEOUT_SECONDS": "3600"]).interval == .seconds(30))
        #expect(try housekeeper(["IDLE_TIMEOUT_SECONDS": "0", "HOUSEKEEPING_INTERVAL": "7s"]).interval == .seconds(7))
    }

    @Test func settingsNeverPrintTheirSecrets() throws {
        let settings = try Settings(environment: [
            "API_KEY": "api-secret-1", "S3_ENDPOINT": "http://127.0.0.1:9", "S3_ACCESS_KEY_ID": "AKID", "S3_SECRET_ACCESS_KEY": "s3-secret-2",
        ])
        var dumped = ""
        dump(settings, to: &dumped)
        for text in [String(describing: settings), String(reflecting: settings), "\(settings)", dumped, String(describing: [settings])] {
            #expect(!text.contains("api-secret-1"))
            #expect(!text.contains("s3-secret-2"))
        }
    }
}

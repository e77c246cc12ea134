import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Issue 7: one owner for every transition, intent before side effects, every state recovers.
/// Each test names the item it proves; each fails on the code before the lifecycle rework.
@Suite struct LifecycleTests {
    /// An orchestrator over the in-memory Swarm, a fault-injecting agent and a shared store;
    /// `restart()` gives a new run (epoch) over the same store, Swarm and agents.
    struct Lab {
        let store: AppDatabase
        let swarm: FakeSwarm
        let agent: FakeAgent
        let environment: [String: String]
        let gate: FixedResourceGate
        let reach: FakeReach
        var orchestrator: Orchestrator

        init(
            _ environment: [String: String] = [:], gate: FixedResourceGate = .allowing, store: AppDatabase? = nil, swarm: FakeSwarm = FakeSwarm(), agent: FakeAgent = FakeAgent(),
            reach: FakeReach = FakeReach()
        ) throws {
            self.store = try store ?? AppDatabase.inMemory()
            self.reach = reach
            self.swarm = swarm
            self.agent = agent
            self.environment = environment
            self.gate = gate
            orchestrator = Orchestrator.make(
                settings: try testSettings(environment), store: self.store, engine: swarm, agent: agent, resources: gate, reach: reach, logger: quietLogger()
            )
        }

        /// A new run of the service over the same state, as after `kill -9` and a restart.
        func restarted() throws -> Lab {
            try Lab(environment, gate: gate, store: store, swarm: swarm, agent: agent, reach: reach)
        }

        var claims: ClaimService { orchestrator.claims }
        var reconciler: Reconciler { Reconciler(orchestrator) }

        /// Launches a container to `ready` through the real launcher.
        @discardableResult
        func ready(pooled: Bool = true) async throws -> ContainerRecord {
            let record = try await orchestrator.launcher.newRecord(pooled: pooled)
            return try await orchestrator.launcher.start(record)
        }

        func start(_ bucket: String, userId: String? = nil) async throws(APIError) -> StartResult {
            try await claims.start(StartRequest(s3Bucket: bucket, userId: userId))
        }

        /// A container that becomes ready by another path than a launch of this run (its
        /// service planted in Swarm, its record stored ready), and the waiting line told.
        @discardableResult
        func plantReady() async throws -> String {
            let id = ContainerID.generate()
            let spec = ServiceBlueprint(settings: orchestrator.settings).spec(for: id, pooled: true)
            var record = ContainerRecord(id: id, isPreWarmed: true, cpuLimit: 1, memoryLimitBytes: 1 << 30, urls: RoutePlan(settings: orchestrator.settings).urls(for: id), now: Date())
            record.status = .ready
            record.serviceId = swarm.plant(spec)
            record.taskAddress = swarm.address(of: spec.name)
            record.readyAt = Date()
            try await store.insert(record, reason: "test")
            orchestrator.launcher.readySignal.notify()
            return id
        }

        func record(_ id: String) async throws -> ContainerRecord {
            try #require(try await store.container(id))
        }

        func live(holding bucket: String) async throws -> [ContainerRecord] {
            try await store.bucketHolders(bucket: bucket)
        }

        /// Waits for background service removals to land.
        func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("timed out waiting for \(what)")
        }
    }

    // MARK: - 1. Actions on stale observations

    @Test func item1_aFailureDecidedOnAReadyObservationCannotRemoveAClaimedContainer() async throws {
        let lab = try Lab()
        let seen = try await lab.ready()
        _ = try await lab.start("bucket-one")
        // The reconciler or health monitor saw it ready and now acts on that observation.
        let failed = await lab.orchestrator.launcher.fail(seen.id, expected: [seen.status], serviceId: seen.serviceId, reason: "stale plan")
        #expect(!failed)
        #expect(try await lab.record(seen.id).status == .running)
        #expect(lab.swarm.serviceNames.contains(seen.serviceName))
    }

    @Test func item1_aHealthRoundReadBeforeAClaimCountsNothingAgainstTheClaimedContainer() async throws {
        let lab = try Lab(["HEALTH_CHECK_RETRIES": "1"])
        let seen = try await lab.ready()
        _ = try await lab.start("bucket-one")
        let updated = try await lab.store.recordHealth([HealthResult(id: seen.id, observedStatus: .ready, ports: ["agent": false])])
        #expect(updated.isEmpty)
        #expect(try await lab.record(seen.id).consecutiveHealthFailures == 0)
    }

    @Test func item1_activityBetweenTheIdleReadAndTheStopKeepsTheContainer() async throws {
        let lab = try Lab(["IDLE_TIMEOUT_SECONDS": "60", "PUBLIC_API_URL": "http://orchestrator:3001"])
        _ = try await lab.ready()
        let running = try await lab.start("bucket-one").record
        let cutoff = Date().addingTimeInterval(60)
        let isIdle: @Sendable (ContainerRecord) -> Bool = { $0.activityTracked && ($0.lastActivityAt ?? .distantPast) < cutoff }
        #expect(isIdle(running), "the housekeeper's read says idle")
        try await lab.store.update(running.id) { $0.lastActivityAt = cutoff.addingTimeInterval(1) }
        try await lab.orchestrator.stopper.stop(running.id, reason: .inactivity, detail: "test", from: [.running], when: isIdle)
        #expect(try await lab.record(running.id).status == .running)
    }

    // MARK: - 2. Intent before side effects; every non-terminal status recovers

    @Test func item2_theClaimCommitsBucketUserAndTimeBeforeTheAgentAnswers() async throws {
        let lab = try Lab()
        let ready = try await lab.ready()
        lab.agent.set(.hang, at: try #require(ready.taskAddress))
        let request = Task { try await lab.start("bucket-one", userId: "user-1") }
        try await lab.eventually("the assignment to reach the agent") { lab.agent.hangingCount == 1 }
        let during = try await lab.record(ready.id)
        #expect(during.status == .assigning)
        #expect(during.s3Bucket == "bucket-one")
        #expect(during.userId == "user-1")
        #expect(during.assignedAt != nil)
        lab.agent.releaseHanging()
        #expect(try await request.value.record.status == .running)
    }

    @Test func item2_aCrashAfterTheAgentAcceptedIsRecoveredAsRunningAndTheRetryReusesIt() async throws {
        let lab = try Lab()
        let ready = try await lab.ready()
        try await lab.ready()
        let address = try #require(ready.taskAddress)
        lab.agent.set(.hang, at: address)
        _ = Task { try await lab.start("bucket-one") }
        try await lab.eventually("the assignment to reach the agent") { lab.agent.hangingCount == 1 }
        lab.agent.hold("bucket-one", at: address) // the agent took it; the process dies now

        let next = try lab.restarted()
        let retry = try await next.start("bucket-one")
        #expect(retry.record.id == ready.id)
        #expect(retry.isReused)
        #expect(try await next.live(holding: "bucket-one").map(\.id) == [ready.id])
        #expect(try await next.record(ready.id).status == .running)
    }

    @Test func item2_aCrashBeforeTheAgentAcceptedEndsWithOneContainerForTheBucket() async throws {
        let lab = try Lab()
        let ready = try await lab.ready()
        try await lab.ready()
        lab.agent.set(.hang, at: try #require(ready.taskAddress))
        _ = Task { try await lab.start("bucket-one") }
        try await lab.eventually("the assignment to reach the agent") { lab.agent.hangingCount == 1 }

        let next = try lab.restarted()
        let retry = try await next.start("bucket-one")
        #expect(retry.record.id != ready.id)
        #expect(try await next.live(holding: "bucket-one").map(\.id) == [retry.record.id])
        #expect(try await next.record(ready.id).status == .failed)
    }

    @Test func item2_recoveryAtStartLeavesNoRecordAssigning() async throws {
        let lab = try Lab()
        let ready = try await lab.ready()
        lab.agent.set(.hang, at: try #require(ready.taskAddress))
        _ = Task { try await lab.start("bucket-one") }
        try await lab.eventually("the assignment to reach the agent") { lab.agent.hangingCount == 1 }

        try await lab.restarted().reconciler.sync()
        #expect(try await lab.store.containers(in: [.assigning]).isEmpty)
    }

    @Test func item2_everyNonTerminalStatusHasARecoveryWithADeadline() {
        let epoch = Epoch(id: "now")
        let deadlines = RecoveryPlanner.Deadlines(poolLaunch: 90, coldLaunch: 60, assignment: 30)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func record(_ status: ContainerStatus, age: TimeInterval, pooled: Bool = true, owner: String? = "now") -> ContainerRecord {
            var record = ContainerRecord(id: "aaaaaaaaaaaaaaaa", isPreWarmed: pooled, cpuLimit: 1, memoryLimitBytes: 1, urls: .init(codeServer: "", vnc: "", webServer: ""), now: now.addingTimeInterval(-age))
            record.status = status
            record.ownerEpoch = owner
            return record
        }
        func due(_ record: ContainerRecord, stopping: Set<String> = ["aaaaaaaaaaaaaaaa"]) -> Bool {
            !RecoveryPlanner.plan([record], epoch: epoch, now: now, deadlines: deadlines, stopsUnderWay: stopping).isEmpty
        }
        #expect(!due(record(.creating, age: 100)) && due(record(.creating, age: 121)))
        #expect(!due(record(.warming, age: 80, pooled: false)) && due(record(.warming, age: 91, pooled: false)))
        #expect(!due(record(.assigning, age: 50)) && due(record(.assigning, age: 61)))
        #expect(due(record(.assigning, age: 1, owner: "earlier-run")))
        #expect(!due(record(.stopping, age: 10)) && due(record(.stopping, age: 31)))
        #expect(due(record(.stopping, age: 1, owner: "earlier-run")))
        #expect(due(record(.stopping, age: 1), stopping: []), "a stop this run gave up on (the engine was away) is finished at once")
        for status in [ContainerStatus.ready, .running, .stopped, .failed] {
            #expect(!due(record(status, age: 100_000, owner: nil)))
        }
    }

    @Test func item2_anInterruptedStopIsFinishedByTheNextRun() async throws {
        let lab = try Lab()
        let ready = try await lab.ready()
        // A stop that recorded its intent, then died before removing the service.
        _ = try await lab.store.transition(ready.id, from: [.ready], to: .stopping, kind: "stopping", epoch: Epoch(id: "dead-run")) { $0.shutdownReason = .manual }
        try await lab.restarted().reconciler.sync()
        #expect(try await lab.record(ready.id).status == .stopped)
        #expect(!lab.swarm.serviceNames.contains(ready.serviceName))
    }

    @Test func item2_aStoreThatFailsAfterTheAgentAcceptedLeavesARecoverableIntent() async throws {
        let lab = try Lab()
        let ready = try await lab.ready()
        try await lab.store.writer.write { db in
            try db.execute(sql: "CREATE TRIGGER injected_fault BEFORE UPDATE OF status ON container WHEN NEW.status = 'running' BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
        }
        await #expect(throws: APIError.self) { try await lab.start("bucket-one") }
        let stuck = try await lab.record(ready.id)
        #expect(stuck.status == .assigning && stuck.s3Bucket == "bucket-one", "the intent survives the failed write")
        await #expect(throws: APIError.bucketInUse("an assignment of this bucket is under way")) { try await lab.start("bucket-one") }

        try await lab.store.writer.write { db in try db.execute(sql: "DROP TRIGGER injected_fault") }
        await lab.reconciler.sync(now: Date().addingTimeInterval(3600))
        #expect(try await lab.record(ready.id).status == .running, "the agent holds the bucket, so recovery finishes the claim")
        let retry = try await lab.start("bucket-one")
        #expect(retry.isReused && retry.record.id == ready.id)
    }

    // MARK: - 3. already_assigned is a conflict

    @Test func item3_alreadyAssignedMeansTakenByOthersSoTheRequestGetsAnotherContainer() async throws {
        let lab = try Lab()
        let taken = try await lab.ready()
        try await Task.sleep(for: .milliseconds(5))
        let free = try await lab.ready()
        lab.agent.set(.alreadyAssigned, at: try #require(taken.taskAddress))
        let result = try await lab.start("bucket-one")
        #expect(result.record.id == free.id)
        #expect(try await lab.record(taken.id).status == .failed)
        try await lab.eventually("the taken container's service to go") { !lab.swarm.serviceNames.contains(taken.serviceName) }
    }

    // MARK: - 4. A network blip does not destroy the pool

    @Test func item4_anUnreachableAgentPutsItsContainerBackAsSuspect() async throws {
        let lab = try Lab()
        let blip = try await lab.ready()
        try await Task.sleep(for: .milliseconds(5))
        let other = try await lab.ready()
        lab.agent.set(.unreachable, at: try #require(blip.taskAddress))
        #expect(try await lab.start("bucket-one").record.id == other.id)
        let after = try await lab.record(blip.id)
        #expect(after.status == .ready)
        #expect(after.s3Bucket == nil)
        #expect(after.healthStatus == "unhealthy", "suspect until a health check clears it")
        #expect(lab.swarm.serviceNames.contains(blip.serviceName))
    }

    @Test func item4_attemptsPerRequestAreCapped() async throws {
        let lab = try Lab(["CLAIM_MAX_ATTEMPTS": "3"])
        for _ in 0..<5 {
            let ready = try await lab.ready()
            lab.agent.set(.refuse, at: try #require(ready.taskAddress))
        }
        await #expect(throws: APIError.self) { try await lab.start("bucket-one") }
        #expect(lab.agent.assignments.count == 3)
        #expect(try await lab.store.containers(in: [.ready]).count == 2)
    }

    @Test func item4_anUnreachableAgentIsToldApartFromARefusal() async {
        let client = HTTPAgentClient(timeout: .seconds(2), connectTimeout: .milliseconds(500))
        let assignment = AgentAssignment(bucket: "b", region: "us-east-1", containerId: "c")
        do {
            // Nothing listens on port 3000 of this loopback address.
            try await client.assign(address: "127.0.0.113", port: 3000, assignment: assignment)
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .unreachable)
        }
    }

    // MARK: - 5. A restarted container is a new one

    @Test func item5_anAssignedContainerWhoseTaskRestartedIsEndedAndNeverHandedBack() async throws {
        let lab = try Lab()
        let ready = try await lab.ready()
        try await lab.ready()
        let assigned = try await lab.start("bucket-one").record
        #expect(assigned.id == ready.id)
        lab.swarm.restartTask(of: ready.serviceName)
        await lab.reconciler.sync()
        let ended = try await lab.record(ready.id)
        #expect(ended.status == .stopped)
        #expect(ended.shutdownReason == .containerRestarted)
        #expect(!lab.swarm.serviceNames.contains(ready.serviceName))
        let retry = try await lab.start("bucket-one")
        #expect(retry.record.id != ready.id)
        #expect(!retry.isReused)
    }

    @Test func item5_restartMaxAttemptsZeroMeansNoRestartsNotUnlimited() throws {
        let spec = ServiceBlueprint(settings: try testSettings(["CONTAINER_RESTART_MAX_ATTEMPTS": "0"])).spec(for: "aaaaaaaaaaaaaaaa", pooled: true)
        #expect(spec.taskTemplate.restartPolicy?.condition == "none")
        let bounded = ServiceBlueprint(settings: try testSettings(["CONTAINER_RESTART_MAX_ATTEMPTS": "2"])).spec(for: "aaaaaaaaaaaaaaaa", pooled: true)
        #expect(bounded.taskTemplate.restartPolicy?.maxAttempts == 2)
    }

    // MARK: - 6. Adoption from what the service and its agent say

    @Test func item6_adoptionDecidesFromTheServiceLabelsNeverFromTheAgentsWord() async throws {
        let lab = try Lab(["IDLE_TIMEOUT_SECONDS": "60"])
        let blueprint = ServiceBlueprint(settings: lab.orchestrator.settings)
        var ids: [String] = []
        for n in 0..<4 {
            let id = ContainerID.generate()
            ids.append(id)
            var spec = blueprint.spec(for: id, pooled: true)
            if n == 0 { spec.labels.merge([AssignmentLabels.bucket: "users-bucket", AssignmentLabels.region: "eu-west-1", AssignmentLabels.user: "user-7"]) { _, new in new } }
            lab.swarm.plant(spec)
        }
        // The labelled one's agent lies that it is free; an unlabelled one claims someone's bucket.
        lab.agent.hold(nil, at: try #require(lab.swarm.address(of: "ide-\(ids[0])")))
        lab.agent.hold("someone-elses", at: try #require(lab.swarm.address(of: "ide-\(ids[2])")))
        lab.agent.setDown(true, at: try #require(lab.swarm.address(of: "ide-\(ids[3])")))

        await lab.reconciler.sync()
        await lab.reconciler.sync() // a second pass must not undo the first
        let labelled = try await lab.record(ids[0])
        #expect(labelled.status == .running)
        #expect(labelled.s3Bucket == "users-bucket" && labelled.s3Region == "eu-west-1" && labelled.userId == "user-7")
        let free = try await lab.record(ids[1])
        #expect(free.status == .stopped && free.shutdownReason == .orphaned, "a free answer without a label is retired, never pooled")
        #expect(!lab.swarm.serviceNames.contains("ide-\(ids[1])"))
        for id in ids[2...] {
            let kept = try await lab.record(id)
            #expect(kept.status == .running && kept.s3Bucket == nil && kept.activityTracked, "kept without a bucket and stopped when idle")
        }

        _ = try await lab.ready()
        let claim = try await lab.start("new-bucket")
        #expect(!ids.contains(claim.record.id))
        let reuse = try await lab.start("users-bucket", userId: "user-7")
        #expect(reuse.isReused && reuse.record.id == ids[0], "the user's next start is a reuse")
        #expect(try await lab.start("someone-elses").record.id != ids[2])

        let housekeeper = Housekeeper(store: lab.store, stopper: lab.orchestrator.stopper, settings: lab.orchestrator.settings, logger: quietLogger())
        await housekeeper.sweep(now: Date().addingTimeInterval(120))
        for id in ids[2...] { #expect(try await lab.record(id).shutdownReason == .inactivity) }
    }

    @Test func item6_anAssignmentIsWrittenOntoItsServiceLabelsAfterTheClaim() async throws {
        let lab = try Lab()
        let ready = try await lab.ready()
        _ = try await lab.start("labelled-bucket", userId: "user-3")
        try await lab.eventually("the labels") { lab.swarm.spec(named: ready.serviceName)?.labels[AssignmentLabels.bucket] == "labelled-bucket" }
        let labels = try #require(lab.swarm.spec(named: ready.serviceName)?.labels)
        #expect(labels[AssignmentLabels.user] == "user-3")
        #expect(labels[AssignmentLabels.region] != nil)
        #expect(!labels.values.contains { $0.contains("secret") || $0.contains("token") })
    }

    @Test func item6_aServiceWithoutRecordAndWithoutARunningTaskIsRemovedPastTheGrace() {
        let id = "bbbbbbbbbbbb0009"
        let stale = ReconcilePlanner.ObservedService(
            id: "svc-s", labels: [ServiceBlueprint.managedLabel: "true", ServiceBlueprint.idLabel: id], hasRunningTask: false, createdAt: Date().addingTimeInterval(-600)
        )
        let actions = ReconcilePlanner.plan(services: [stale], records: [:], restartMaxAttempts: 3, now: Date(), grace: 120)
        #expect(actions.count == 1)
        if case .removeService(let serviceId, _) = actions.first { #expect(serviceId == "svc-s") } else { Issue.record("expected a removal, got \(actions)") }
        let young = ReconcilePlanner.ObservedService(id: "svc-y", labels: stale.labels, hasRunningTask: false, createdAt: Date())
        #expect(ReconcilePlanner.plan(services: [young], records: [:], restartMaxAttempts: 3, now: Date(), grace: 120).isEmpty)
    }

    // MARK: - 7. Idle shutdown only with a way to learn of activity

    @Test func item7_noContainerIsStoppedForInactivityWhenActivityCannotBeLearned() async throws {
        let lab = try Lab(["IDLE_TIMEOUT_SECONDS": "60"])
        try await lab.ready()
        let running = try await lab.start("bucket-one").record
        let housekeeper = Housekeeper(store: lab.store, stopper: lab.orchestrator.stopper, settings: lab.orchestrator.settings, logger: quietLogger())
        await housekeeper.sweep(now: Date().addingTimeInterval(3600))
        #expect(try await lab.record(running.id).status == .running)
    }

    @Test func item7_activityIsPulledFromTheAgentOnEveryHealthRound() async throws {
        let lab = try Lab(["IDLE_TIMEOUT_SECONDS": "60"])
        try await lab.ready()
        let running = try await lab.start("bucket-one").record
        let address = try #require(running.taskAddress)
        let active = Date().addingTimeInterval(-5)
        lab.agent.reportActivity(active, at: address)
        let monitor = HealthMonitor(lab.orchestrator, probe: AgentOnlyProbe(agent: lab.agent))
        await monitor.checkAll()
        let after = try await lab.record(running.id)
        #expect(after.activityTracked)
        let housekeeper = Housekeeper(store: lab.store, stopper: lab.orchestrator.stopper, settings: lab.orchestrator.settings, logger: quietLogger())
        await housekeeper.sweep(now: active.addingTimeInterval(30))
        #expect(try await lab.record(running.id).status == .running, "active 30 s ago")
        await housekeeper.sweep(now: Date().addingTimeInterval(120))
        #expect(try await lab.record(running.id).shutdownReason == .inactivity)
    }

    @Test func item7_reuseRefreshesActivity() async throws {
        let lab = try Lab()
        try await lab.ready()
        let first = try await lab.start("bucket-one").record
        try await lab.store.update(first.id) { $0.lastActivityAt = Date(timeIntervalSince1970: 0) }
        let reused = try await lab.start("bucket-one")
        #expect(reused.isReused)
        #expect((reused.record.lastActivityAt ?? .distantPast) > Date().addingTimeInterval(-60))
    }

    // MARK: - 8. Reuse matches exactly

    @Test func item8_reuseMatchesTheUserExactlyAndNeverGivesABucketASecondContainer() async throws {
        let lab = try Lab()
        for _ in 0..<3 { try await lab.ready() }
        let anonymous = try await lab.start("bucket-one")
        #expect(try await lab.start("bucket-one").record.id == anonymous.record.id)
        await #expect(throws: APIError.bucketInUse("this bucket is held by another user's container")) {
            try await lab.start("bucket-one", userId: "user-2")
        }
        #expect(try await lab.live(holding: "bucket-one").count == 1)
    }

    @Test func item8_anUnhealthyContainerOfTheSameUserIsReplacedNotReused() async throws {
        let lab = try Lab()
        for _ in 0..<2 { try await lab.ready() }
        let sick = try await lab.start("bucket-one", userId: "user-1").record
        try await lab.store.update(sick.id) { $0.healthStatus = "unhealthy" }
        let fresh = try await lab.start("bucket-one", userId: "user-1")
        #expect(fresh.record.id != sick.id)
        #expect(!fresh.isReused)
        #expect(try await lab.record(sick.id).shutdownReason == .replaced)
        #expect(try await lab.live(holding: "bucket-one").map(\.id) == [fresh.record.id])
    }

    // MARK: - 9. Cold starts are bounded and race the pool

    @Test func item9_coldStartsAreBoundedAndEveryWaitingRequestIsServed() async throws {
        let lab = try Lab(["MAX_CONCURRENT_COLD_STARTS": "2", "COLD_START_TIMEOUT": "20s"])
        lab.swarm.holdCreates(true)
        let requests = (0..<8).map { n in Task { try await lab.start("bucket-\(n)") } }
        try await lab.eventually("two launches under way") { lab.swarm.creates.now == 2 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(lab.swarm.creates.most == 2)
        lab.swarm.releaseCreates()
        var served: Set<String> = []
        for request in requests { served.insert(try await request.value.record.id) }
        #expect(served.count == 8)
    }

    @Test func item9_aWaitingRequestTakesTheFirstReadyContainerAndTheColdStartJoinsThePool() async throws {
        let lab = try Lab(["COLD_START_TIMEOUT": "20s"])
        lab.swarm.holdCreates(true)
        let request = Task { try await lab.start("bucket-one") }
        try await lab.eventually("a cold launch under way") { lab.swarm.creates.now == 1 }
        // Meanwhile a container becomes ready by another path.
        let id = try await lab.plantReady()
        #expect(try await request.value.record.id == id)
        lab.swarm.releaseCreates()
        try await lab.eventually("the cold start to join the pool") { try await lab.store.containers(in: [.ready]).count == 1 }
    }

    // MARK: - 10. Health checks are bounded and blame nobody for our faults

    @Test func item10_probesRunAtMostTheConfiguredNumberAtOnce() async throws {
        let lab = try Lab(["HEALTH_CHECK_CONCURRENCY": "4"])
        for _ in 0..<20 { try await lab.ready() }
        let probe = CountingProbe()
        await HealthMonitor(lab.orchestrator, probe: probe).checkAll()
        #expect(probe.most <= 4)
        #expect(probe.calls == 20)
    }

    @Test func item10_anEndlessAnswerFromAContainerIsCutAtTheLimit() async throws {
        let router = Router()
        router.get("/health") { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                for _ in 0..<2048 { try await writer.write(ByteBuffer(repeating: UInt8(ascii: "a"), count: 64 * 1024)) }
                try await writer.finish(nil)
            })
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let request = HTTPClientRequest(endpoint: .tcp(baseURL: "http://127.0.0.1:\(port)"), path: "/health", timeout: .seconds(10), maxResponseBytes: 16 * 1024)
            await #expect(throws: HTTPClientError.self) { try await CurlHTTPClient().execute(request) }
            do {
                _ = try await CurlHTTPClient().execute(request)
            } catch let error as HTTPClientError {
                #expect(error.kind == .responseTooLarge)
            }
        }
    }

    @Test func item10_aRoundInWhichMostContainersFailTakesNoDestructiveAction() async throws {
        let lab = try Lab(["HEALTH_CHECK_RETRIES": "1"])
        var records: [ContainerRecord] = []
        for _ in 0..<6 { records.append(try await lab.ready()) }
        for record in records { lab.agent.setDown(true, at: record.taskAddress!) }
        let monitor = HealthMonitor(lab.orchestrator, probe: AgentOnlyProbe(agent: lab.agent))
        await monitor.checkAll()
        #expect(try await lab.store.containers(in: [.ready]).count == 6)
        // One of six failing is that container's fault.
        for record in records.dropFirst() { lab.agent.setDown(false, at: record.taskAddress!) }
        await monitor.checkAll()
        #expect(try await lab.record(records[0].id).status == .failed)
        #expect(try await lab.store.containers(in: [.ready]).count == 5)
    }
}

/// A probe that asks only the agent (ports follow it), so tests drive health through `FakeAgent`.
struct AgentOnlyProbe: HealthProbe {
    let agent: FakeAgent

    func check(address: String, agentPort: Int, containerId: String) async -> ProbeReport {
        let health = await agent.health(address: address, port: agentPort, containerId: containerId)
        let up = health != nil
        return ProbeReport(ports: ["agent": up, "code": up, "vnc": up, "web": up], agent: health)
    }
}

/// A probe that counts how many checks run at once.
final class CountingProbe: HealthProbe, Sendable {
    private let state = Mutex((now: 0, most: 0, calls: 0))

    var most: Int { state.withLock { $0.most } }
    var calls: Int { state.withLock { $0.calls } }

    func check(address: String, agentPort: Int, containerId: String) async -> ProbeReport {
        state.withLock { state in
            state.now += 1
            state.calls += 1
            state.most = max(state.most, state.now)
        }
        try? await Task.sleep(for: .milliseconds(20))
        state.withLock { $0.now -= 1 }
        return ProbeReport(ports: ["agent": true], agent: AgentHealth(assigned: false))
    }
}

import Foundation
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Issue 23 item 4: a broken image is not a network blip. "Our network is down" is judged
/// from agent reachability only; a container whose IDE ports fail is never handed out; a pool
/// whose every new container fails stops filling and says why.
@Suite struct BrokenImageTests {
    typealias Lab = LifecycleTests.Lab

    /// Asks the fake agent for the agent port; the IDE ports answer unless their address is broken.
    final class EditorProbe: HealthProbe, Sendable {
        let agent: FakeAgent
        private let broken = Mutex<Set<String>>([])

        init(agent: FakeAgent) { self.agent = agent }

        func breakEditor(at address: String) { broken.withLock { _ = $0.insert(address) } }

        func check(address: String, agentPort: Int, containerId: String) async -> ProbeReport {
            let health = await agent.health(address: address, port: agentPort, containerId: containerId)
            let up = health != nil
            let editor = up && !broken.withLock { $0.contains(address) }
            return ProbeReport(ports: ["agent": up, "code": editor, "vnc": up, "web": up], agent: health)
        }
    }

    @Test func everyEditorFailingIsTheImagesFaultNotTheNetworks() async throws {
        let lab = try Lab(["HEALTH_CHECK_RETRIES": "1", "PRE_WARMED_QUEUE_SIZE": "6"])
        let probe = EditorProbe(agent: lab.agent)
        var records: [ContainerRecord] = []
        for _ in 0..<6 { records.append(try await lab.ready()) }
        for record in records { probe.breakEditor(at: record.taskAddress!) }
        await HealthMonitor(lab.orchestrator, probe: probe).checkAll()
        for record in records { #expect(try await lab.record(record.id).status == .failed) }
        // Those were new containers failing: the pool backs off and says why.
        _ = await lab.orchestrator.pool.refill()
        let reason = try #require(await lab.orchestrator.pool.lastWaitReason)
        #expect(reason.contains("6 new containers failed in a row"), "\(reason)")
        #expect(reason.contains("unhealthy while warm"), "\(reason)")
    }

    @Test func aWarmContainerWhoseEditorFailsIsNotHandedOutBeforeItsRetriesRunOut() async throws {
        let lab = try Lab(["HEALTH_CHECK_RETRIES": "3", "COLD_START_TIMEOUT": "20s"])
        let probe = EditorProbe(agent: lab.agent)
        let broken = try await lab.ready()
        probe.breakEditor(at: broken.taskAddress!)
        await HealthMonitor(lab.orchestrator, probe: probe).checkAll()
        #expect(try await lab.record(broken.id).status == .ready)
        #expect(try await lab.start("bucket-editor").record.id != broken.id)
    }

    @Test func anEditorFailingWhileMostAgentsAreUnreachableStillCountsAgainstItsContainer() async throws {
        let lab = try Lab(["HEALTH_CHECK_RETRIES": "1", "COLD_START_TIMEOUT": "20s"])
        let probe = EditorProbe(agent: lab.agent)
        var records: [ContainerRecord] = []
        for _ in 0..<6 { records.append(try await lab.ready()) }
        // Our network fails five agents: nobody is blamed for that...
        for record in records.dropFirst() { lab.agent.setDown(true, at: record.taskAddress!) }
        // ...but the sixth answers, so its broken editor is its own.
        probe.breakEditor(at: records[0].taskAddress!)
        await HealthMonitor(lab.orchestrator, probe: probe).checkAll()
        #expect(try await lab.record(records[0].id).status == .failed)
        for record in records.dropFirst() { #expect(try await lab.record(record.id).status == .ready) }
    }

    @Test func aPoolWhoseLaunchesAllFailStopsFillingAndSaysWhy() async throws {
        let engine = FakeDockerEngine()
        let orchestrator = Orchestrator.make(
            settings: try testSettings(["PRE_WARMED_QUEUE_SIZE": "5", "POOL_SPAWN_CONCURRENCY": "2", "POOL_CHECK_INTERVAL": "1h"]),
            store: try AppDatabase.inMemory(), engine: engine, agent: FakeAgent(), resources: FixedResourceGate.allowing, reach: FakeReach(), logger: quietLogger()
        )
        let pool = Task { try await orchestrator.pool.run() }
        defer { pool.cancel() }
        let deadline = ContinuousClock.now + .seconds(30)
        var reason: String?
        while ContinuousClock.now < deadline {
            reason = await orchestrator.pool.lastWaitReason
            if reason?.contains("failed in a row") == true { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let said = try #require(reason)
        #expect(said.contains("new containers failed in a row"), "\(said)")
        #expect(said.contains("the fake engine creates nothing"), "\(said)")
    }

    @Test func healthWithTheKeySaysWhyThePoolCannotFillAndWithoutItSaysNothing() async throws {
        let router = try DirectRouter(["PRE_WARMED_QUEUE_SIZE": "2"])
        await router.orchestrator.pool.newContainerFailed("code not answering at 10.0.0.9")
        _ = await router.orchestrator.pool.refill()
        let detailed = try await router.send(.get, "/api/health", headers: InputBoundsTests.key)
        let reason = (detailed.json?["pool"] as? [String: Any])?["reason"] as? String
        #expect(reason?.contains("1 new container failed in a row (last: code not answering at 10.0.0.9)") == true, "\(detailed.body)")
        // Without the key the answer is the status alone (issue 23 item 9): no pool, no reason.
        let anonymous = try await router.send(.get, "/api/health")
        #expect(anonymous.json?["pool"] == nil, "\(anonymous.body)")
        #expect(!anonymous.body.contains("failed in a row"))
    }

    @Test func afterFailuresThePlannerLaunchesOneAtATimeAndNamesTheLastFailure() {
        let failing = PoolPlanner.Observation(target: 5, pooled: 0, inFlight: 0, concurrency: 3, failures: 4, lastFailure: "code port not answering")
        #expect(PoolPlanner.plan(failing) == .spawn(1))
        var probing = failing
        probing.inFlight = 1
        guard case .wait(let reason) = PoolPlanner.plan(probing) else {
            Issue.record("a second launch while new containers fail")
            return
        }
        #expect(reason.contains("4 new containers failed in a row (last: code port not answering)"))
        var backingOff = failing
        backingOff.backingOff = true
        #expect(PoolPlanner.plan(backingOff) == .wait(reason))
    }
}

import Foundation
import Testing
@testable import IDEOrchestrator

/// Issue 8, item 4: an engine outage takes no destructive action. The real binary through a
/// 30 s outage is Tests/faults/faults_test.py; these pin the launcher's part.
@Suite struct EngineOutageTests {
    @Test func noRecordIsStoredWhileTheEngineIsUnreachable() async throws {
        let lab = try LifecycleTests.Lab()
        lab.swarm.setUnreachable(true)
        await #expect(throws: DockerError.self) { try await lab.orchestrator.launcher.newRecord(pooled: true) }
        #expect(try await lab.store.containers(in: Set(ContainerStatus.allCases)).isEmpty)
    }

    @Test func startsAnswerEngineUnavailableEvenWithAReadyContainer() async throws {
        let lab = try LifecycleTests.Lab()
        let ready = try await lab.ready()
        lab.swarm.setUnreachable(true)
        await lab.orchestrator.engineState.sample()
        await #expect(throws: APIError.engineUnavailable("The Docker engine cannot be reached")) {
            try await lab.start("outage-bucket")
        }
        #expect(try await lab.record(ready.id).status == .ready)
        lab.swarm.setUnreachable(false)
        await lab.orchestrator.engineState.sample()
        #expect(try await lab.start("outage-bucket").record.id == ready.id)
    }

    @Test func aWarmingLaunchWaitsThroughAnOutageInsteadOfFailing() async throws {
        let lab = try LifecycleTests.Lab()
        let record = try await lab.orchestrator.launcher.newRecord(pooled: true)
        lab.swarm.holdCreates(true)
        let launch = Task { try await lab.orchestrator.launcher.start(record) }
        try await lab.eventually("the service create to be under way") { lab.swarm.creates.now == 1 }
        lab.swarm.setUnreachable(true)
        lab.swarm.releaseCreates()
        try await lab.eventually("probes refused during the outage") { lab.swarm.refusals >= 3 }
        #expect(try await lab.record(record.id).status == .warming)
        lab.swarm.setUnreachable(false)
        let ready = try await launch.value
        #expect(ready.status == .ready)
        #expect(lab.swarm.serviceNames.contains(record.serviceName))
    }

    @Test func aLaunchThatMeetsAnOutageBeforeItsServiceExistsWaitsInsteadOfFailing() async throws {
        let lab = try LifecycleTests.Lab()
        let record = try await lab.orchestrator.launcher.newRecord(pooled: true)
        lab.swarm.setUnreachable(true)
        let launch = Task { try await lab.orchestrator.launcher.start(record) }
        try await lab.eventually("the launch to try the engine again") { lab.swarm.refusals >= 2 }
        #expect(try await lab.record(record.id).status == .creating)
        lab.swarm.setUnreachable(false)
        let ready = try await launch.value
        #expect(ready.status == .ready)
        #expect(lab.swarm.serviceNames == [record.serviceName])
    }

    @Test func aServiceWhoseCreateAnswerWasLostIsFoundAgainNotMadeTwice() async throws {
        let lab = try LifecycleTests.Lab()
        let record = try await lab.orchestrator.launcher.newRecord(pooled: true)
        lab.swarm.loseCreateAnswers(1)
        let ready = try await lab.orchestrator.launcher.start(record)
        #expect(ready.status == .ready)
        #expect(lab.swarm.serviceNames == [record.serviceName])
        #expect(ready.serviceId == (try await lab.swarm.service(record.serviceName)).id)
    }

    @Test func aStopDuringAnOutageStaysStoppingUntilRecoveryRemovesTheService() async throws {
        let lab = try LifecycleTests.Lab()
        try await lab.ready()
        let running = try await lab.start("outage-bucket").record
        lab.swarm.setUnreachable(true)
        let answered = try #require(try await lab.orchestrator.stopper.stop(running.id, reason: .manual, detail: "deleted through the API"))
        #expect(answered.status == .stopping)
        #expect(answered.shutdownReason == .manual)
        #expect(lab.swarm.serviceNames.contains(running.serviceName))
        await lab.reconciler.sync(now: Date().addingTimeInterval(120))
        #expect(try await lab.record(running.id).status == .stopping)
        lab.swarm.setUnreachable(false)
        await lab.reconciler.sync(now: Date().addingTimeInterval(120))
        #expect(try await lab.record(running.id).status == .stopped)
        #expect(!lab.swarm.serviceNames.contains(running.serviceName))
    }
}

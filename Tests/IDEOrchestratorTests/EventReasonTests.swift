import Foundation
import Testing
@testable import IDEOrchestrator

/// Issue 23, item 9: a stored event reason is a stable code and our own sentence; the engine's,
/// curl's or an agent's text goes to the log only, with the container id.
@Suite struct EventReasonTests {
    static func reasons(of id: String, in store: AppDatabase) async throws -> [String] {
        try await store.recentEvents(limit: 1000).filter { $0.containerId == id }.compactMap(\.reason)
    }

    @Test func aLaunchTheEngineRefusesStoresACodeAndLogsTheEnginesText() async throws {
        let router = try DirectRouter()
        let launcher = router.orchestrator.launcher
        let record = try await launcher.newRecord(pooled: false)
        await #expect(throws: DockerError.self) { try await launcher.start(record) }
        let reasons = try await Self.reasons(of: record.id, in: router.store)
        #expect(reasons.contains("engine_error: the Docker engine refused a request"), "\(reasons)")
        #expect(!reasons.contains { $0.contains("the fake engine creates nothing") || $0.contains("Docker engineError") }, "\(reasons)")
        #expect(router.lines.all.contains { $0.contains("the fake engine creates nothing") && $0.contains(record.id) }, "the engine's text is logged with the container id")
    }

    @Test func anAgentsRefusalIsStoredInOurWordsNeverInTheTenants() async throws {
        let lab = try LifecycleTests.Lab()
        let ready = try await lab.ready()
        lab.agent.set(.refuse, at: try #require(ready.taskAddress))
        _ = try? await lab.start("bucket-one")
        #expect(try await lab.record(ready.id).status == .failed)
        let reasons = try await Self.reasons(of: ready.id, in: lab.store)
        #expect(reasons.contains("agent_refused: the agent refused the assignment (HTTP 400)"), "\(reasons)")
        #expect(!reasons.contains { $0.contains("refused by the fake") }, "\(reasons)")
    }

    @Test func anAssignmentThatNeverReachedTheAgentIsStoredWithoutTheClientsText() async throws {
        let lab = try LifecycleTests.Lab(["CLAIM_MAX_ATTEMPTS": "1"])
        let ready = try await lab.ready()
        lab.agent.set(.unreachable, at: try #require(ready.taskAddress))
        _ = try? await lab.start("bucket-one")
        let reasons = try await Self.reasons(of: ready.id, in: lab.store)
        #expect(reasons.contains("agent_unreachable: the assignment never reached the agent"), "\(reasons)")
        #expect(!reasons.contains { $0.contains("connection refused by the fake") }, "\(reasons)")
    }

    @Test func everyErrorMapsToACodeAndOurSentence() {
        let curl = "Couldn't connect to server: Failed to connect to /var/run/docker.sock port 80"
        #expect(FailureReason.of(DockerError(.engineUnreachable, message: curl)) == "engine_unreachable: the Docker engine did not answer")
        #expect(FailureReason.of(DockerError(.timedOut, message: curl)) == "engine_unreachable: the Docker engine did not answer")
        #expect(FailureReason.of(DockerError(.imageNotFound, status: 404, message: "No such image: x")) == "image_not_found: the Docker engine does not hold the IDE image")
        #expect(FailureReason.of(AgentError(.noAnswer, "timeout after 10 s")) == "agent_no_answer: the agent gave no usable answer to the assignment")
        #expect(FailureReason.of(AgentError(.alreadyAssigned, status: 409, "mine")) == "agent_taken: its agent already held an assignment nobody made here")
        #expect(FailureReason.of(LaunchError(message: "a service named ide-x exists and is not this instance's")) == "launch_failed: a service named ide-x exists and is not this instance's")
        struct Opaque: Error {}
        #expect(FailureReason.of(Opaque()) == "internal_error: an unexpected error; the log has its text")
        for error in [DockerError(.badRequest, message: curl), DockerError(.conflict, message: curl)] as [any Error] {
            let reason = FailureReason.of(error)
            #expect(!reason.contains(curl) && reason.contains(": ") && reason.prefix { $0 != ":" }.allSatisfy { $0.isLowercase || $0 == "_" })
        }
    }
}

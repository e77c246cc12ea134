import Foundation
import Synchronization
import Testing
@testable import IDEOrchestrator

/// Every stop of an assigned container asks its agent to flush the workspace first, records how
/// it went, and completes whatever the agent answers.
@Suite struct WorkspaceFlushTests {
    struct Lab {
        let store: AppDatabase
        let swarm = FakeSwarm()
        let agent = FakeAgent()
        let orchestrator: Orchestrator

        init(_ environment: [String: String] = [:]) throws {
            store = try AppDatabase.inMemory()
            orchestrator = Orchestrator.make(
                settings: try testSettings(environment), store: store, engine: swarm, agent: agent, resources: FixedResourceGate.allowing, reach: FakeReach(), logger: quietLogger()
            )
        }

        func running(_ bucket: String = "bucket-one") async throws -> ContainerRecord {
            try await orchestrator.claims.start(StartRequest(s3Bucket: bucket)).record
        }

        /// The container's event kinds, oldest first.
        func kinds(_ id: String) async throws -> [String] {
            try await store.events(of: id, limit: 100).reversed().map(\.kind)
        }

        func reason(_ kind: String, of id: String) async throws -> String? {
            try await store.events(of: id, limit: 100).first { $0.kind == kind }?.reason
        }
    }

    @Test(arguments: [ShutdownReason.manual, .inactivity, .inactivityRequest, .unhealthy, .replaced, .containerRestarted])
    func everyStopOfAnAssignedContainerFlushesBeforeItsServiceGoes(reason: ShutdownReason) async throws {
        let lab = try Lab()
        let record = try await lab.running()
        let stopped = try await lab.orchestrator.stopper.stop(record.id, reason: reason, detail: "test")
        #expect(stopped?.status == .stopped)
        #expect(lab.agent.flushes.map(\.containerId) == [record.id])
        #expect(lab.agent.flushes.first?.address == record.taskAddress)
        let kinds = try await lab.kinds(record.id)
        let (stopping, flushed, done) = (kinds.firstIndex(of: "stopping"), kinds.firstIndex(of: "flushed"), kinds.firstIndex(of: "stopped"))
        #expect(stopping != nil && flushed != nil && done != nil)
        #expect(stopping! < flushed! && flushed! < done!, "intent, then flush, then the service removed: \(kinds)")
        #expect(!lab.swarm.serviceNames.contains(record.serviceName))
    }

    @Test func theAPIDeleteFlushesToo() async throws {
        let lab = try Lab()
        let record = try await lab.running()
        try await lab.orchestrator.stopper.stop(record.id, reason: .manual, detail: "deleted through the API")
        #expect(try await lab.reason("flushed", of: record.id) == "the workspace was pushed to the bucket before the stop")
    }

    @Test(arguments: [FlushFailure.unreachable, .timeout(.seconds(60)), .notHydrated, .pushFailed, .refused(500), .badAnswer])
    func aFailedFlushIsRecordedWithItsCodeAndTheStopStillCompletes(failure: FlushFailure) async throws {
        let lab = try Lab()
        let record = try await lab.running()
        lab.agent.setFlush(.failed(failure), at: try #require(record.taskAddress))
        let stopped = try await lab.orchestrator.stopper.stop(record.id, reason: .manual, detail: "test")
        #expect(stopped?.status == .stopped)
        let reason = try #require(try await lab.reason("flush_failed", of: record.id))
        #expect(reason.hasPrefix("\(failure.code): "))
        #expect(!(try await lab.kinds(record.id)).contains("flushed"))
    }

    @Test func aContainerNeverAssignedIsNotFlushed() async throws {
        let lab = try Lab()
        let ready = try await lab.orchestrator.insertReadyPoolContainer()
        try await lab.orchestrator.stopper.stop(ready.id, reason: .expired, detail: "test")
        #expect(lab.agent.flushes.isEmpty)
        #expect(!(try await lab.kinds(ready.id)).contains { $0.hasPrefix("flush") })
    }

    @Test func aRecoveredStoppingRecordFlushesAgain() async throws {
        let lab = try Lab()
        let record = try await lab.running()
        // A stop whose run died after committing its intent (and maybe after a first flush).
        let stopping = try #require(try await lab.store.transition(record.id, from: [.running], to: .stopping, kind: "stopping", reason: "manual: test", epoch: Epoch()) {
            $0.shutdownReason = .manual
        })
        let restarted = Orchestrator.make(settings: lab.orchestrator.settings, store: lab.store, engine: lab.swarm, agent: lab.agent, resources: FixedResourceGate.allowing, reach: FakeReach(), logger: quietLogger())
        try await restarted.stopper.finish(stopping)
        try await restarted.stopper.finish(stopping)
        #expect(lab.agent.flushes.count == 2, "a flush is idempotent: recovery asks again")
        #expect(try await lab.store.container(record.id)?.status == .stopped)
    }

    @Test func aStopWhoseServiceCannotGoStaysStoppingAndFlushesAgainWhenFinished() async throws {
        let lab = try Lab()
        let record = try await lab.running()
        lab.swarm.setUnreachable(true)
        let stuck = try await lab.orchestrator.stopper.stop(record.id, reason: .manual, detail: "test")
        #expect(stuck?.status == .stopping)
        lab.swarm.setUnreachable(false)
        try await lab.orchestrator.stopper.finish(try #require(stuck))
        #expect(try await lab.store.container(record.id)?.status == .stopped)
        #expect(lab.agent.flushes.count == 2)
    }

    // MARK: - The HTTP call

    @Test(arguments: [
        (200, #"{"status":"flushed","lastPushAt":"2026-12-06T03:00:00Z"}"#, FlushOutcome.flushed),
        (200, #"{"status":"nothing_to_flush"}"#, .nothingToFlush),
        (200, #"{"status":"maybe"}"#, .failed(.badAnswer)),
        (409, #"{"status":"error","message":"workspace not hydrated"}"#, .failed(.notHydrated)),
        (502, #"{"status":"error","message":"rclone: exit status 7 <secret stuff>"}"#, .failed(.pushFailed)),
        (401, "unauthorized", .failed(.refused(401))),
    ])
    func flushAnswersMapToOutcomes(status: Int, body: String, outcome: FlushOutcome) async {
        let http = RecordingHTTPClient(reply: HTTPClientResponse(status: status, body: Data(body.utf8)))
        let tokens = AgentTokens(key: AgentAuthTests.key)
        let client = HTTPAgentClient(http: http, tokens: tokens, timeout: .seconds(1))
        #expect(await client.flush(address: "10.0.0.9", port: 3100, containerId: "c-flush", timeout: .seconds(7)) == outcome)
        let request = http.requests[0]
        #expect(request.method == "POST" && request.path == "/flush" && request.endpoint == .tcp(baseURL: "http://10.0.0.9:3100"))
        #expect(request.timeout == .seconds(7), "bounded by WORKSPACE_FLUSH_TIMEOUT, not AGENT_TIMEOUT")
        #expect(request.headers.contains { $0.name == "Authorization" && $0.value == "Bearer \(tokens.token(for: "c-flush")!)" })
    }

    @Test func transportFailuresBecomeOurOwnCodes() async {
        for (error, code) in [(HTTPClientError(.connectionFailed, "curl: (7) Failed to connect"), "unreachable"),
                              (HTTPClientError(.timedOut, "curl: (28) Operation timed out after 60000 ms"), "timeout")] {
            let client = HTTPAgentClient(http: ThrowingHTTPClient(error: error), timeout: .seconds(1))
            guard case .failed(let failure) = await client.flush(address: "10.0.0.9", port: 3000, containerId: "c", timeout: .seconds(60)) else {
                Issue.record("expected a failure")
                continue
            }
            #expect(failure.code == code)
            #expect(!failure.message.contains("curl"))
        }
    }
}

/// An HTTP client whose every request fails with one error.
struct ThrowingHTTPClient: HTTPClient {
    let error: HTTPClientError

    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse { throw error }

    func stream(_ request: HTTPClientRequest) async throws -> HTTPClientStreamResponse { throw error }
}

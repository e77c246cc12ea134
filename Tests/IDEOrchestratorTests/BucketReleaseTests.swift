import Foundation
import Testing
@testable import IDEOrchestrator

/// Issue 23 item 1: a bucket is held by every container whose service may still run. Each
/// test runs an in-memory Swarm whose removed services keep running until `settleRemovals`,
/// as Swarm's do until their containers stop, with a watcher over the agents throughout.
@Suite struct BucketReleaseTests {
    static func lab(_ environment: [String: String] = [:]) throws -> (LifecycleTests.Lab, BucketWatcher) {
        let swarm = FakeSwarm()
        swarm.lingerOnRemove(true)
        let lab = try LifecycleTests.Lab(["BUCKET_RELEASE_TIMEOUT": "20s"].merging(environment) { _, new in new }, swarm: swarm)
        return (lab, BucketWatcher(swarm: swarm, agent: lab.agent))
    }

    @Test func aStartAfterAStopWaitsUntilTheOldContainerIsGone() async throws {
        let (lab, watcher) = try Self.lab()
        try await lab.ready()
        try await lab.ready()
        let first = try await lab.start("bucket-one").record
        _ = try await lab.orchestrator.stopper.stop(first.id, reason: .manual, detail: "test")
        let again = Task { try await lab.start("bucket-one") }
        let lookups = lab.swarm.taskLookups
        try await lab.eventually("the start to look at the old task twice") { lab.swarm.taskLookups >= lookups + 2 }
        watcher.check()
        #expect(try await lab.record(first.id).serviceRemovedAt == nil, "the old container still runs")
        lab.swarm.settleRemovals()
        let second = try await again.value.record
        #expect(second.id != first.id)
        #expect(try await lab.record(first.id).serviceRemovedAt != nil)
        watcher.check()
        #expect(watcher.violations.isEmpty)
    }

    @Test func pastTheBoundTheStartIsRefusedWithBucketBusyAndRetryAfter() async throws {
        let (lab, watcher) = try Self.lab(["BUCKET_RELEASE_TIMEOUT": "200ms"])
        try await lab.ready()
        try await lab.ready()
        let first = try await lab.start("bucket-one").record
        _ = try await lab.orchestrator.stopper.stop(first.id, reason: .manual, detail: "test")
        let refusal = await #expect(throws: APIError.self) { try await lab.start("bucket-one") }
        #expect(refusal?.code == "BUCKET_BUSY")
        #expect(refusal?.status == .conflict)
        #expect(refusal?.retryAfter == 10)
        #expect(try await lab.store.containers(in: [.assigning, .running]).isEmpty, "a refused start changes nothing")
        watcher.check()
        #expect(watcher.violations.isEmpty)
    }

    @Test func anAgentThatAcceptedLateIsGoneBeforeTheBucketGoesToAnother() async throws {
        let (lab, watcher) = try Self.lab()
        let late = try await lab.ready()
        try await lab.ready()
        lab.agent.set(.acceptSilently, at: try #require(late.taskAddress))
        let request = Task { try await lab.start("bucket-one") }
        try await lab.eventually("the late container to fail and its service to be removed") {
            try await lab.record(late.id).status == .failed && !lab.swarm.serviceNames.contains(late.serviceName)
        }
        watcher.check()
        #expect(try await lab.record(late.id).serviceRemovedAt == nil, "its task still runs")
        lab.swarm.settleRemovals()
        let served = try await request.value.record
        #expect(served.id != late.id)
        watcher.check()
        #expect(watcher.violations.isEmpty)
    }

    @Test func aReconcilePassConfirmsWhatTheBackgroundCouldNot() async throws {
        let (lab, _) = try Self.lab()
        try await lab.ready()
        let first = try await lab.start("bucket-one").record
        _ = try await lab.orchestrator.stopper.stop(first.id, reason: .manual, detail: "test")
        #expect(try await lab.store.unreleased().map(\.id) == [first.id])
        lab.swarm.settleRemovals()
        await lab.reconciler.sync()
        #expect(try await lab.store.unreleased().isEmpty)
        #expect(try await lab.store.bucketHolders(bucket: "bucket-one").isEmpty)
    }
}

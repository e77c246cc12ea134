import Foundation
import Logging
import Testing
@testable import IDEOrchestrator

@Suite struct ReconcilerTests {
    @Test func lostEventStreamReconnectsAndResyncs() async throws {
        let engine = FakeDockerEngine()
        let settings = try testSettings(["RECONCILE_INTERVAL": "1h", "PRE_WARMED_QUEUE_SIZE": "0"])
        let store = try AppDatabase.inMemory()
        let orchestrator = Orchestrator.make(settings: settings, store: store, engine: engine, agent: FakeAgent(), resources: FixedResourceGate.allowing, reach: FakeReach(), logger: quietLogger())
        let reconciler = Reconciler(orchestrator)
        let running = Task { try await reconciler.run() }
        defer { running.cancel() }

        // The fake's stream ends at once: each loss must lead to a new subscription and a pass.
        let deadline = ContinuousClock.now + .seconds(30)
        func settled() -> Bool {
            let calls = engine.calls
            return calls.filter { $0 == "events" }.count >= 3 && calls.filter { $0 == "services" }.count >= 2
        }
        while !settled(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let calls = engine.calls
        #expect(calls.filter { $0 == "events" }.count >= 3)
        #expect(calls.filter { $0 == "services" }.count >= 2, "each lost stream triggers a full pass")
    }
}

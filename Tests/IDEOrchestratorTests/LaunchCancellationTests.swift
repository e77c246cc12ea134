import Foundation
import Logging
import Testing
@testable import IDEOrchestrator

/// A shutdown cancels the launches under way. A cancelled launch is not a failed container:
/// its record stays where it was, so the next start resumes it (`PoolMaintainer` resumes a
/// warming record with a service and fails a creating one), and nothing is logged as an error.
@Suite struct LaunchCancellationTests {
    @Test func aLaunchCancelledWhileWarmingStaysWarmingWithItsServiceAndLogsNoError() async throws {
        let store = try AppDatabase.inMemory()
        let swarm = FakeSwarm()
        let agent = FakeAgent()
        // The first task's address: its agent does not answer yet, so the launch keeps waiting.
        agent.setDown(true, at: "10.77.0.2")
        let lines = ObservabilityTests.CapturedLines()
        var logger = Logger(label: "ide-orchestrator") { label in OrchestratorLogHandler(label: label, format: .json) { lines.append($0) } }
        logger.logLevel = .debug
        let launcher = ContainerLauncher(store: store, engine: swarm, agent: agent, settings: try testSettings(), logger: logger, reach: FakeReach())
        let record = try await launcher.newRecord(pooled: true)
        let launch = Task { try await launcher.start(record) }
        let deadline = ContinuousClock.now + .seconds(30)
        while try await store.container(record.id)?.status != .warming, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(try await store.container(record.id)?.status == .warming)

        launch.cancel()
        await #expect(throws: CancellationError.self) { try await launch.value }

        let after = try #require(try await store.container(record.id))
        #expect(after.status == .warming)
        #expect(swarm.serviceNames.contains(after.serviceName))
        let errors = lines.objects.filter { ["error", "critical"].contains($0["level"] as? String) }
        #expect(errors.isEmpty, "logged: \(errors)")
        #expect(!lines.all.contains { $0.contains("Container failed") })
    }
}

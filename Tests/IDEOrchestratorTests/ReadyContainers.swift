import Foundation
import Testing
@testable import IDEOrchestrator

extension Orchestrator {
    /// Stores a ready pool container whose agent answers at a made-up address, through the
    /// store's own transitions.
    @discardableResult
    func insertReadyPoolContainer(address: String = "10.9.8.7") async throws -> ContainerRecord {
        let id = ContainerID.generate()
        let record = ContainerRecord(id: id, isPreWarmed: true, cpuLimit: 1, memoryLimitBytes: 1 << 30,
                                     urls: RoutePlan(settings: settings).urls(for: id), now: Date())
        try await store.insert(record, reason: "pool refill")
        _ = try await store.transition(id, from: [.creating], to: .warming, kind: "service_created") { $0.serviceId = "svc-\(id)" }
        return try #require(try await store.transition(id, from: [.warming], to: .ready, kind: "ready") {
            $0.taskAddress = address
            $0.readyAt = Date()
        })
    }
}

import Foundation
import Logging

/// Asks the agent of an assigned container to push its workspace to the bucket before the
/// container goes (`POST /flush`), bounded by `WORKSPACE_FLUSH_TIMEOUT`, and records how it
/// went as an event: `flushed`, or `flush_failed` with a stable code and a sentence of ours.
/// A failed flush never holds up the stop. A container never assigned holds nothing to flush.
public struct WorkspaceFlush: Sendable {
    let store: AppDatabase
    let agent: any AgentClient
    let timeout: Duration
    let logger: Logger

    /// Whether `record` may hold workspace changes: it was handed a bucket and has a task address.
    public static func applies(to record: ContainerRecord) -> Bool {
        record.s3Bucket != nil && record.assignedAt != nil && record.taskAddress != nil
    }

    /// Flushes `record`'s workspace (when it applies) and records the outcome; returns it, or
    /// nil when the container was never assigned.
    @discardableResult
    public func run(_ record: ContainerRecord) async -> FlushOutcome? {
        guard Self.applies(to: record), let address = record.taskAddress else { return nil }
        let outcome = await agent.flush(address: address, port: record.agentPort, containerId: record.id, timeout: timeout)
        let event: (kind: String, reason: String?)
        switch outcome {
        case .flushed:
            event = ("flushed", "the workspace was pushed to the bucket before the stop")
        case .nothingToFlush:
            event = ("flushed", "the agent held nothing to flush")
        case .failed(let failure):
            event = ("flush_failed", failure.description)
            logger.warning("Workspace flush failed; stopping anyway", metadata: ["container.id": "\(record.id)", "flush.code": "\(failure.code)"])
        }
        do {
            try await store.update(record.id, in: [.stopping], event: event) { _ in }
        } catch {
            logger.error("Recording a flush failed", metadata: ["container.id": "\(record.id)", "error": "\(error)"])
        }
        return outcome
    }
}

import Foundation
import Logging

/// Finishes an assignment that its run can no longer finish (the process died, or the call
/// outlived every deadline): the agent is asked what it holds. An agent that holds the
/// record's bucket makes the record `running`; anything else fails the container, since
/// nobody was ever told it was theirs.
public struct AssignmentResolver: Sendable {
    let store: AppDatabase
    let launcher: ContainerLauncher
    let agent: any AgentClient
    let logger: Logger

    /// Resolves an `assigning` record; returns it `running` when its agent holds its bucket.
    @discardableResult
    public func resolve(_ record: ContainerRecord) async -> ContainerRecord? {
        guard record.status == .assigning else { return nil }
        let owner = record.ownerEpoch
        let unchanged: @Sendable (ContainerRecord) -> Bool = { $0.ownerEpoch == owner }
        let health = await record.taskAddress.asyncFlatMap { await agent.health(address: $0, port: record.agentPort, containerId: record.id) }
        if let health, health.assigned == true, let bucket = record.s3Bucket, health.bucket == bucket {
            let running = try? await store.transition(record.id, from: [.assigning], to: .running, kind: "assigned", reason: "recovered: its agent holds bucket \(bucket)", when: .matching(unchanged)) {
                if let activity = health.lastActivityAt { $0.lastActivityAt = max($0.lastActivityAt ?? activity, min(activity, Date())) }
                $0.activityTracked = $0.activityTracked || health.lastActivityAt != nil
            }
            if let running {
                logger.info("Interrupted assignment recovered", metadata: ["container.id": "\(record.id)"])
                launcher.labelAssignmentInBackground(running)
            }
            return running
        }
        let why = health == nil ? "its agent does not answer" : "its agent does not hold the bucket"
        await launcher.fail(record.id, expected: [.assigning], serviceId: record.serviceId, reason: "interrupted assignment: \(why)", when: unchanged)
        return nil
    }
}

extension Optional where Wrapped: Sendable {
    func asyncFlatMap<T>(_ transform: (Wrapped) async -> T?) async -> T? {
        guard let value = self else { return nil }
        return await transform(value)
    }
}

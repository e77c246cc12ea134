import Foundation

/// Stops a container: `stopping`, its service removed, then `stopped` with a reason.
public struct ContainerStopper: Sendable {
    let store: AppDatabase
    let launcher: ContainerLauncher
    let pool: PoolMaintainer

    /// Creates a stopper.
    public init(store: AppDatabase, launcher: ContainerLauncher, pool: PoolMaintainer) {
        self.store = store
        self.launcher = launcher
        self.pool = pool
    }

    /// Stops container `id`; returns its final record, or nil when there is no such container.
    /// Stopping a stopped container changes nothing.
    public func stop(_ id: String, reason: ShutdownReason, detail: String) async throws -> ContainerRecord? {
        guard let record = try await store.container(id) else { return nil }
        guard record.status.isLive else { return record }
        let live: Set<ContainerStatus> = [.creating, .warming, .ready, .assigning, .running]
        let stopping = try await store.transition(id, from: live, to: .stopping, kind: "stopping", reason: "\(reason.rawValue): \(detail)") {
            $0.shutdownReason = reason
        }
        if let serviceId = (stopping ?? record).serviceId {
            await launcher.removeService(serviceId)
        }
        let stopped = try await store.transition(id, from: [.stopping], to: .stopped, kind: "stopped", reason: reason.rawValue)
        if record.isPreWarmed, ContainerStatus.pooled.contains(record.status) { pool.wakeUp() }
        if let stopped { return stopped }
        return try await store.container(id)
    }
}

import Foundation

/// Stops a container: `stopping`, its service removed, then `stopped` with a reason.
public struct ContainerStopper: Sendable {
    /// Statuses a container can be stopped from.
    public static let stoppable: Set<ContainerStatus> = [.creating, .warming, .ready, .assigning, .running]

    let store: AppDatabase
    let launcher: ContainerLauncher
    let onPoolShrunk: @Sendable () -> Void

    /// Creates a stopper; `onPoolShrunk` runs after a warm pool container is stopped.
    public init(store: AppDatabase, launcher: ContainerLauncher, onPoolShrunk: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.launcher = launcher
        self.onPoolShrunk = onPoolShrunk
    }

    /// Stops container `id` if it is in one of `allowed` (or half-stopped already); returns its
    /// final record, or nil when there is no such container. Stopping twice changes nothing,
    /// and a container that moved on meanwhile (say, claimed) is left alone.
    @discardableResult
    public func stop(_ id: String, reason: ShutdownReason, detail: String, from allowed: Set<ContainerStatus> = stoppable) async throws -> ContainerRecord? {
        guard let record = try await store.container(id) else { return nil }
        let stopping = try await store.transition(id, from: allowed, to: .stopping, kind: "stopping", reason: "\(reason.rawValue): \(detail)") {
            $0.shutdownReason = reason
        }
        guard let target = stopping ?? (record.status == .stopping ? record : nil) else {
            return try await store.container(id)
        }
        if let serviceId = target.serviceId {
            await launcher.removeService(serviceId)
        }
        let stopped = try await store.transition(id, from: [.stopping], to: .stopped, kind: "stopped", reason: reason.rawValue)
        if record.isPreWarmed, ContainerStatus.pooled.contains(record.status) { onPoolShrunk() }
        if let stopped { return stopped }
        return try await store.container(id)
    }
}

import Foundation
import Synchronization

/// Stops a container: `stopping` (the intent, owned by this run), its service removed, then
/// `stopped` with a reason, and its service confirmed gone in the background (until then the
/// container still holds its bucket). Every step is idempotent, so an interrupted stop is finished by
/// running `finish` again.
public struct ContainerStopper: Sendable {
    /// Statuses a container can be stopped from.
    public static let stoppable: Set<ContainerStatus> = [.creating, .warming, .ready, .assigning, .running]

    let store: AppDatabase
    let launcher: ContainerLauncher
    let epoch: Epoch
    let onPoolShrunk: @Sendable () -> Void
    /// The containers this run is stopping right now (recovery finishes any other `stopping` one).
    public let underWay = StopsUnderWay()

    /// Creates a stopper; `onPoolShrunk` runs after a ready or launching container is stopped.
    public init(store: AppDatabase, launcher: ContainerLauncher, epoch: Epoch, onPoolShrunk: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.launcher = launcher
        self.epoch = epoch
        self.onPoolShrunk = onPoolShrunk
    }

    /// Stops container `id` if it is in one of `allowed` and `condition` holds (or finishes a
    /// stop already under way); returns its latest record, or nil when there is no such
    /// container. A container that moved on meanwhile (say, was claimed) is left alone.
    @discardableResult
    public func stop(
        _ id: String, reason: ShutdownReason, detail: String, from allowed: Set<ContainerStatus> = stoppable,
        when condition: @escaping @Sendable (ContainerRecord) -> Bool = { _ in true }
    ) async throws -> ContainerRecord? {
        guard let record = try await store.container(id) else { return nil }
        underWay.insert(id)
        defer { underWay.remove(id) }
        let stopping = try await store.transition(id, from: allowed, to: .stopping, kind: "stopping", reason: "\(reason.rawValue): \(detail)", epoch: epoch, when: .matching(condition)) {
            $0.shutdownReason = reason
        }
        guard let target = stopping ?? (record.status == .stopping ? record : nil) else {
            return try await store.container(id)
        }
        let stopped = try await finish(target)
        if ContainerStatus.pooled.contains(record.status) { onPoolShrunk() }
        return stopped
    }

    /// Flushes the workspace of a `stopping` container that was assigned (`WorkspaceFlush`),
    /// removes its service and records it `stopped`. While the service cannot be removed (say,
    /// the engine is down) the container stays `stopping` and recovery finishes it later,
    /// flushing again (a flush is idempotent).
    @discardableResult
    public func finish(_ record: ContainerRecord) async throws -> ContainerRecord? {
        underWay.insert(record.id)
        defer { underWay.remove(record.id) }
        if record.serviceId != nil {
            await WorkspaceFlush(store: store, agent: launcher.agent, timeout: launcher.settings.workspace.flushTimeout, logger: launcher.logger).run(record)
        }
        if let serviceId = record.serviceId, !(await launcher.removeService(serviceId, of: record.id)) {
            return try await store.container(record.id)
        }
        let stopped = try await store.transition(record.id, from: [.stopping], to: .stopped, kind: "stopped", reason: record.shutdownReason?.rawValue)
        // The bucket stays held until the service's task has ended (`confirmGone`).
        if let stopped {
            launcher.releaseInBackground(stopped)
            return stopped
        }
        return try await store.container(record.id)
    }
}

/// Ids of the containers whose stop is running in this process; counted, since a stop and a
/// recovery's finish of the same container may overlap.
public final class StopsUnderWay: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Creates an empty set.
    public init() {}

    func insert(_ id: String) { counts.withLock { $0[id, default: 0] += 1 } }

    func remove(_ id: String) {
        counts.withLock { counts in
            let left = (counts[id] ?? 1) - 1
            counts[id] = left > 0 ? left : nil
        }
    }

    /// The ids now.
    public var ids: Set<String> { counts.withLock { Set($0.keys) } }
}

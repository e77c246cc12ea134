import Foundation
import Synchronization

/// A container that ended still holds its bucket until its Swarm service is gone with every
/// task (a removed service's task keeps running, and its agent syncing, until its container
/// stops). These steps remove the service and confirm it gone; each is idempotent.
extension ContainerLauncher {
    /// One look: removes the record's service if it still exists, then checks that every task
    /// it had has ended (Swarm deletes them once their containers stop), and if so records the
    /// service confirmed gone. Returns whether it is; false while the engine cannot be asked.
    @discardableResult
    public func confirmGone(_ record: ContainerRecord) async -> Bool {
        guard record.serviceRemovedAt == nil else { return true }
        guard let serviceId = record.serviceId else { return true }
        do {
            var taskIds = Set([record.taskId].compactMap { $0 })
            do {
                // Asked first, so a service already removed is not removed again.
                _ = try await engine.service(serviceId)
                taskIds.formUnion(try await engine.tasks(serviceID: serviceId, desiredState: nil).filter { !$0.hasEnded }.map(\.id))
                try await engine.removeService(serviceId)
            } catch let error as DockerError where error.code == .serviceNotFound {
            }
            taskIds.formUnion(removedTasks.take(serviceId))
            var running: Set<String> = []
            for id in taskIds {
                if let task = try await engine.task(id), !task.hasEnded { running.insert(id) }
            }
            guard running.isEmpty else {
                removedTasks.keep(running, of: serviceId)
                return false
            }
            try await store.confirmServiceRemoved(record.id)
            await secrets.remove(for: record.id)
            return true
        } catch {
            logger.debug("Service removal not confirmed yet", metadata: ["container.id": "\(record.id)", "error": "\(error)"])
            return false
        }
    }

    /// Confirms the record's service gone, looking again every quarter second until `deadline`.
    public func awaitGone(_ record: ContainerRecord, until deadline: ContinuousClock.Instant) async -> Bool {
        while true {
            if await confirmGone(record) { return true }
            guard ContinuousClock.now + Self.releasePoll < deadline else { return false }
            try? await Task.sleep(for: Self.releasePoll)
            if Task.isCancelled { return false }
        }
    }

    /// Removes the record's service and confirms it gone off the caller's path (`removals`,
    /// retried with backoff); the reconciler confirms what is left after that.
    public func releaseInBackground(_ record: ContainerRecord) {
        removals.submit("release the service of \(record.id)") { [self] in await confirmGone(record) }
    }

    static let releasePoll = Duration.milliseconds(250)
}

/// The tasks a removed service still had running, by service id: once the service is gone
/// they can no longer be listed by it, only looked up one by one.
final class RemovedTasks: Sendable {
    private let tasks = Mutex<[String: Set<String>]>([:])

    func keep(_ ids: Set<String>, of serviceId: String) {
        tasks.withLock { $0[serviceId, default: []].formUnion(ids) }
    }

    func take(_ serviceId: String) -> Set<String> {
        tasks.withLock { $0.removeValue(forKey: serviceId) ?? [] }
    }
}

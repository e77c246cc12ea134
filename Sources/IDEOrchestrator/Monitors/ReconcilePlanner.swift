import Foundation

/// Compares the store with the Swarm services of this instance and says what to do.
/// Pure: no I/O, so a converged state provably yields no actions.
public enum ReconcilePlanner {
    /// A service of this instance as observed in Swarm.
    public struct ObservedService: Sendable, Equatable {
        /// Service id.
        public var id: String
        /// Its labels.
        public var labels: [String: String]
        /// Failed, rejected or orphaned tasks so far.
        public var failedTasks: Int
        /// Whether a task is running now.
        public var hasRunningTask: Bool
        /// The running task's address on the IDE network, when known.
        public var runningAddress: String?
        /// The running task's id.
        public var runningTaskId: String?
        /// Tasks that have ended (their containers are gone for good).
        public var endedTaskIds: Set<String>
        /// Whether every task it ever had has ended and none is starting: Swarm will not
        /// bring it back (e.g. a clean exit under an on-failure restart policy).
        public var isDead: Bool
        /// When the service was created, when known.
        public var createdAt: Date?

        /// Creates an observation.
        public init(
            id: String, labels: [String: String], failedTasks: Int = 0, hasRunningTask: Bool = true, runningAddress: String? = nil,
            runningTaskId: String? = nil, endedTaskIds: Set<String> = [], isDead: Bool = false, createdAt: Date? = nil
        ) {
            self.createdAt = createdAt
            self.id = id
            self.labels = labels
            self.failedTasks = failedTasks
            self.hasRunningTask = hasRunningTask
            self.runningAddress = runningAddress
            self.runningTaskId = runningTaskId
            self.endedTaskIds = endedTaskIds
            self.isDead = isDead
        }

        /// The container id its labels claim, when it is a well-formed one of ours.
        var containerId: String? {
            guard labels[ServiceBlueprint.managedLabel] == "true", let id = labels[ServiceBlueprint.idLabel], ContainerID.isWellFormed(id) else { return nil }
            return id
        }
    }

    /// One corrective step. Each names the status it was planned on: performed as a
    /// compare-and-set on it, a step planned on data that has since changed does nothing.
    public enum Action: Sendable, Equatable {
        /// Take a running service with no record into the store, as what its agent says it is.
        case adopt(serviceId: String, containerId: String, address: String, taskId: String?, pooled: Bool)
        /// Remove a service nobody should own.
        case removeService(serviceId: String, reason: String)
        /// The record's service is gone: end the record.
        case markGone(containerId: String, observed: ContainerStatus, status: ContainerStatus, reason: ShutdownReason, detail: String)
        /// The container is broken: fail the record and remove its service.
        case fail(containerId: String, serviceId: String, observed: ContainerStatus, detail: String)
        /// An assigned container's task changed: the user's container is gone; end the record
        /// and remove the service.
        case endRestarted(containerId: String, observed: ContainerStatus, detail: String)
    }

    /// Whether a service's container is gone for good: every task has ended and one exited by
    /// itself. A service being removed has tasks still running, then shut down by Swarm, so it
    /// never counts as dead.
    public static func isDead(_ tasks: [SwarmTask]) -> Bool {
        !tasks.isEmpty && tasks.allSatisfy(\.hasEnded) && tasks.contains(where: \.endedOnItsOwn)
    }

    /// Plans the corrections. `records` are the container records for every live record and
    /// every service's id; `now` and `grace` protect launches still in progress.
    public static func plan(services: [ObservedService], records: [String: ContainerRecord], restartMaxAttempts: Int, now: Date, grace: TimeInterval) -> [Action] {
        var actions: [Action] = []
        var seen = Set<String>()
        for service in services {
            guard let id = service.containerId else {
                actions.append(.removeService(serviceId: service.id, reason: "carries this instance's label but no valid container id"))
                continue
            }
            guard let record = records[id] else {
                // Adopted once its task runs (`Reconciler+Adoption`); one that has no running task
                // past the launch grace period never will have one that anyone owns.
                if let address = service.runningAddress {
                    actions.append(.adopt(serviceId: service.id, containerId: id, address: address, taskId: service.runningTaskId, pooled: service.labels[ServiceBlueprint.pooledLabel] != "false"))
                } else if let created = service.createdAt, now.timeIntervalSince(created) > grace {
                    actions.append(.removeService(serviceId: service.id, reason: "no record and no running task \(Int(now.timeIntervalSince(created))) s after its creation"))
                }
                continue
            }
            guard record.status.isLive else {
                actions.append(.removeService(serviceId: service.id, reason: "its container is already \(record.status.rawValue)"))
                continue
            }
            if let known = record.serviceId, known != service.id {
                actions.append(.removeService(serviceId: service.id, reason: "duplicate service for container \(id)"))
                continue
            }
            seen.insert(id)
            if let action = judge(record, service, restartMaxAttempts: restartMaxAttempts) { actions.append(action) }
        }
        for record in records.values where record.status.isLive && !seen.contains(record.id) {
            if let action = missingService(record, now: now, grace: grace) { actions.append(action) }
        }
        return actions
    }

    private static func judge(_ record: ContainerRecord, _ service: ObservedService, restartMaxAttempts: Int) -> Action? {
        let observed = record.status
        if ContainerStatus.assigned.contains(observed), let changed = taskChange(record, service) {
            return .endRestarted(containerId: record.id, observed: observed, detail: changed)
        }
        if observed == .ready, service.failedTasks > 0 || taskChange(record, service) != nil {
            return .fail(containerId: record.id, serviceId: service.id, observed: observed, detail: "its container died while warm")
        }
        if [.ready, .assigning, .running].contains(observed), service.isDead {
            return .fail(containerId: record.id, serviceId: service.id, observed: observed, detail: "its container exited and Swarm will not restart it")
        }
        if service.failedTasks > restartMaxAttempts, !service.hasRunningTask, observed != .stopping {
            return .fail(containerId: record.id, serviceId: service.id, observed: observed, detail: "its tasks keep failing (\(service.failedTasks) failed)")
        }
        return nil
    }

    /// How the record's container was replaced, if it was: its task ended, or another task
    /// runs in its place (records from before task ids were kept compare addresses).
    static func taskChange(_ record: ContainerRecord, _ service: ObservedService) -> String? {
        if let taskId = record.taskId {
            if service.endedTaskIds.contains(taskId) { return "its task \(taskId.prefix(12)) ended: the container was killed or restarted" }
            if let running = service.runningTaskId, running != taskId { return "task \(running.prefix(12)) runs in place of \(taskId.prefix(12))" }
            return nil
        }
        if let address = service.runningAddress, let known = record.taskAddress, address != known {
            return "its task moved from \(known) to \(address)"
        }
        return nil
    }

    private static func missingService(_ record: ContainerRecord, now: Date, grace: TimeInterval) -> Action? {
        if record.serviceId == nil {
            guard now.timeIntervalSince(record.createdAt) > grace else { return nil }
            return .markGone(containerId: record.id, observed: record.status, status: .failed, reason: .failed, detail: "its service was never created")
        }
        switch record.status {
        case .running, .assigning, .stopping:
            return .markGone(containerId: record.id, observed: record.status, status: .stopped, reason: record.shutdownReason ?? .serviceRemoved, detail: "its Swarm service is gone")
        default:
            return .markGone(containerId: record.id, observed: record.status, status: .failed, reason: .serviceRemoved, detail: "its Swarm service is gone")
        }
    }
}

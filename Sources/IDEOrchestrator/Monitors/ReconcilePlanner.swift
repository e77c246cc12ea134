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
        /// Whether every task it ever had has ended and none is starting: Swarm will not
        /// bring it back (e.g. a clean exit under an on-failure restart policy).
        public var isDead: Bool

        /// Creates an observation.
        public init(id: String, labels: [String: String], failedTasks: Int = 0, hasRunningTask: Bool = true, runningAddress: String? = nil, isDead: Bool = false) {
            self.id = id
            self.labels = labels
            self.failedTasks = failedTasks
            self.hasRunningTask = hasRunningTask
            self.runningAddress = runningAddress
            self.isDead = isDead
        }

        /// The container id its labels claim, when it is a well-formed one of ours.
        var containerId: String? {
            guard labels[ServiceBlueprint.managedLabel] == "true", let id = labels[ServiceBlueprint.idLabel], ContainerID.isWellFormed(id) else { return nil }
            return id
        }
    }

    /// One corrective step.
    public enum Action: Sendable, Equatable {
        /// Take a service with no record into the store as a warm pool container.
        case adopt(serviceId: String, containerId: String)
        /// Remove a service nobody should own.
        case removeService(serviceId: String, reason: String)
        /// The record's service is gone: end the record.
        case markGone(containerId: String, status: ContainerStatus, reason: ShutdownReason, detail: String)
        /// The container is broken: fail the record and remove its service.
        case fail(containerId: String, serviceId: String, detail: String)
        /// A running container moved to a new task address.
        case updateAddress(containerId: String, address: String)
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
                actions.append(.adopt(serviceId: service.id, containerId: id))
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
        if record.status == .ready, service.failedTasks > 0 {
            return .fail(containerId: record.id, serviceId: service.id, detail: "its container died while warm")
        }
        if [.ready, .assigning, .running].contains(record.status), service.isDead {
            return .fail(containerId: record.id, serviceId: service.id, detail: "its container exited and Swarm will not restart it")
        }
        if service.failedTasks > restartMaxAttempts, !service.hasRunningTask {
            return .fail(containerId: record.id, serviceId: service.id, detail: "its tasks keep failing (\(service.failedTasks) failed)")
        }
        if record.status == .running, let address = service.runningAddress, address != record.taskAddress {
            return .updateAddress(containerId: record.id, address: address)
        }
        return nil
    }

    private static func missingService(_ record: ContainerRecord, now: Date, grace: TimeInterval) -> Action? {
        if record.serviceId == nil {
            guard now.timeIntervalSince(record.createdAt) > grace else { return nil }
            return .markGone(containerId: record.id, status: .failed, reason: .failed, detail: "its service was never created")
        }
        switch record.status {
        case .running, .assigning, .stopping:
            return .markGone(containerId: record.id, status: .stopped, reason: record.shutdownReason ?? .serviceRemoved, detail: "its Swarm service is gone")
        default:
            return .markGone(containerId: record.id, status: .failed, reason: .serviceRemoved, detail: "its Swarm service is gone")
        }
    }
}

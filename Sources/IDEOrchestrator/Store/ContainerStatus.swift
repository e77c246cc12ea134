import GRDB

/// Where a container is in its life.
///
/// `creating -> warming -> ready -> assigning -> running -> stopping -> stopped`, plus `failed`.
/// `successors` is the one table of allowed transitions; docs/lifecycle.md says who makes each.
public enum ContainerStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case creating, warming, ready, assigning, running, stopping, stopped, failed

    /// The statuses a container may move to from this one.
    public var successors: Set<ContainerStatus> {
        switch self {
        case .creating: [.warming, .stopping, .stopped, .failed]
        // A cold start is handed out as soon as it is ready, so warming may go straight to assigning.
        case .warming: [.ready, .assigning, .stopping, .stopped, .failed]
        case .ready: [.assigning, .stopping, .stopped, .failed]
        // Back to ready only when the assignment never reached the agent.
        case .assigning: [.running, .ready, .stopping, .stopped, .failed]
        case .running: [.stopping, .stopped, .failed]
        case .stopping: [.stopped, .failed]
        case .stopped, .failed: []
        }
    }

    /// Whether the container still holds (or may hold) a Swarm service.
    public var isLive: Bool { ![.stopped, .failed].contains(self) }

    /// Warm-pool statuses that count toward the pool's target.
    public static let pooled: Set<ContainerStatus> = [.creating, .warming, .ready]

    /// Statuses in which a container belongs to a user.
    public static let assigned: Set<ContainerStatus> = [.assigning, .running]

    /// Statuses that are not final.
    public static let live: Set<ContainerStatus> = [.creating, .warming, .ready, .assigning, .running, .stopping]
}

/// Why a container was stopped.
public enum ShutdownReason: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case manual, inactivity, unhealthy, failed, expired
    case serviceRemoved = "service_removed"
    case inactivityRequest = "inactivity_request"
    case orphaned
    /// A warm container beyond the pool's target (after adoption or a lowered target).
    case surplus
    /// The assigned container's task was restarted or replaced: a new task is a new, empty container.
    case containerRestarted = "container_restarted"
    /// Replaced by a new container for the same bucket and user (the old one was unhealthy).
    case replaced
}

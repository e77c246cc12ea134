import Foundation

/// One container's result in a health round, applied only while the container is still in the
/// status the round observed.
public struct HealthResult: Sendable, Equatable {
    /// The container.
    public var id: String
    /// Its status when the round read it.
    public var observedStatus: ContainerStatus
    /// Per-port results.
    public var ports: [String: Bool]
    /// Whether this failure counts toward `HEALTH_CHECK_RETRIES` (false for an unreachable
    /// agent in a round where most agents were unreachable at once: our network, not theirs).
    public var countsFailure: Bool
    /// The user's last activity as the agent reports it.
    public var agentActivity: Date?
    /// The agent's sync state (`WorkspaceSync.storedText`), when it reported one.
    public var workspaceSync: String?

    /// Creates a result.
    public init(
        id: String, observedStatus: ContainerStatus, ports: [String: Bool], countsFailure: Bool = true, agentActivity: Date? = nil, workspaceSync: String? = nil
    ) {
        self.id = id
        self.observedStatus = observedStatus
        self.ports = ports
        self.countsFailure = countsFailure
        self.agentActivity = agentActivity
        self.workspaceSync = workspaceSync
    }

    /// Whether every port answered.
    public var healthy: Bool { !ports.isEmpty && ports.values.allSatisfy { $0 } }

    func apply(to record: inout ContainerRecord, at now: Date) {
        record.lastHealthCheckAt = now
        record.healthPorts = (try? JSONEncoder().encode(ports)).map { String(decoding: $0, as: UTF8.self) }
        if healthy {
            record.consecutiveHealthFailures = 0
            record.healthStatus = "healthy"
            record.unhealthySince = nil
        } else if countsFailure {
            record.consecutiveHealthFailures += 1
            // A warm container whose own fault it is waits for a healthy round before any claim takes it.
            if record.status == .ready { record.healthStatus = "unhealthy" }
        }
        // Activity the agent reports moves forward only, and never past now.
        if let reported = agentActivity.map({ min($0, now) }) {
            record.activityTracked = true
            if reported > (record.lastActivityAt ?? .distantPast) { record.lastActivityAt = reported }
        }
        // Only a changed state changes the column (`save` writes changed columns only).
        if let workspaceSync { record.workspaceSync = workspaceSync }
    }
}

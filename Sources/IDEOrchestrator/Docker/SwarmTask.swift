/// One task (a scheduled replica) of a Swarm service.
public struct SwarmTask: Codable, Sendable {
    /// The task id.
    public var id: String
    /// The service it belongs to.
    public var serviceID: String
    /// The node it is scheduled on.
    public var nodeID: String?
    /// What Swarm wants: `running`, `shutdown`, ...
    public var desiredState: String
    /// What is happening now.
    public var status: Status
    /// Addresses on overlay networks.
    public var networksAttachments: [NetworkAttachment]?
    /// RFC 3339 creation time.
    public var createdAt: String?
    /// The part of its service's task template it was scheduled with that the service needs.
    public var spec: Spec? = nil

    enum CodingKeys: String, CodingKey {
        case id = "ID", serviceID = "ServiceID", nodeID = "NodeID", desiredState = "DesiredState", status = "Status"
        case networksAttachments = "NetworksAttachments", createdAt = "CreatedAt", spec = "Spec"
    }

    /// What a task was scheduled with (only the resources are read).
    public struct Spec: Codable, Sendable {
        /// Its CPU and memory limits and reservations.
        public var resources: ServiceSpec.Resources?

        enum CodingKeys: String, CodingKey { case resources = "Resources" }
    }

    /// The observed state of a task.
    public struct Status: Codable, Sendable {
        /// `new`, `pending`, `assigned`, `accepted`, `preparing`, `starting`, `running`, `complete`, `failed`, `shutdown`, `rejected`, `orphaned`, `remove`.
        public var state: String
        /// Swarm's summary.
        public var message: String?
        /// The error, for failed or rejected tasks.
        public var err: String?
        /// The container behind the task.
        public var containerStatus: ContainerStatus?

        enum CodingKeys: String, CodingKey {
            case state = "State", message = "Message", err = "Err", containerStatus = "ContainerStatus"
        }
    }

    /// The container of a task.
    public struct ContainerStatus: Codable, Sendable {
        /// The container id, once created.
        public var containerID: String?
        /// Its exit code, once exited.
        public var exitCode: Int?

        enum CodingKeys: String, CodingKey { case containerID = "ContainerID", exitCode = "ExitCode" }
    }

    /// A task's addresses on one network.
    public struct NetworkAttachment: Codable, Sendable {
        /// The network.
        public var network: AttachedNetwork
        /// CIDR addresses, e.g. `10.0.1.5/24`.
        public var addresses: [String]?

        enum CodingKeys: String, CodingKey { case network = "Network", addresses = "Addresses" }
    }

    /// The network of an attachment.
    public struct AttachedNetwork: Codable, Sendable {
        /// Its id.
        public var id: String?
        /// Its spec, for the name.
        public var spec: NamedSpec?

        enum CodingKeys: String, CodingKey { case id = "ID", spec = "Spec" }
    }

    /// A spec that carries only a name.
    public struct NamedSpec: Codable, Sendable {
        /// The name.
        public var name: String?
        enum CodingKeys: String, CodingKey { case name = "Name" }
    }

    /// Whether the task's container is up.
    public var isRunning: Bool { status.state == "running" }

    /// Whether the task is over, whoever ended it.
    public var hasEnded: Bool {
        ["complete", "failed", "rejected", "shutdown", "orphaned", "remove"].contains(status.state)
    }

    /// Whether its container exited by itself (rather than being stopped by Swarm).
    public var endedOnItsOwn: Bool {
        ["complete", "failed"].contains(status.state)
    }

    /// Whether the task ended badly.
    public var hasFailed: Bool { ["failed", "rejected", "orphaned"].contains(status.state) }
}

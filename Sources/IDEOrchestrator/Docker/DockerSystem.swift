/// `GET /version`.
public struct DockerVersion: Codable, Sendable {
    /// The engine's release, e.g. `20.10.24`.
    public var version: String
    /// The newest API version the engine speaks, e.g. `1.41`.
    public var apiVersion: String
    /// The oldest API version the engine speaks.
    public var minAPIVersion: String?

    enum CodingKeys: String, CodingKey {
        case version = "Version", apiVersion = "ApiVersion", minAPIVersion = "MinAPIVersion"
    }
}

/// `GET /info`, the parts the orchestrator reads.
public struct DockerInfo: Codable, Sendable {
    /// The engine's release.
    public var serverVersion: String
    /// Logical CPUs on this node.
    public var cpuCount: Int
    /// Total memory on this node in bytes.
    public var memoryTotal: Int64
    /// This node's Swarm membership.
    public var swarm: SwarmMembership

    enum CodingKeys: String, CodingKey {
        case serverVersion = "ServerVersion", cpuCount = "NCPU", memoryTotal = "MemTotal", swarm = "Swarm"
    }
}

/// The `Swarm` part of `GET /info`.
public struct SwarmMembership: Codable, Sendable {
    /// `active`, `inactive`, `pending`, `error` or `locked`.
    public var localNodeState: String
    /// This node's id in the Swarm.
    public var nodeID: String?
    /// Whether this node is a manager.
    public var controlAvailable: Bool?

    enum CodingKeys: String, CodingKey {
        case localNodeState = "LocalNodeState", nodeID = "NodeID", controlAvailable = "ControlAvailable"
    }
}

/// `GET /swarm`: the Swarm this manager belongs to.
public struct SwarmDetails: Codable, Sendable {
    /// The Swarm's id.
    public var id: String
    /// When the Swarm was created.
    public var createdAt: String?

    enum CodingKeys: String, CodingKey {
        case id = "ID", createdAt = "CreatedAt"
    }
}

/// `GET /images/{name}/json`, the parts the orchestrator reads.
public struct DockerImage: Codable, Sendable {
    /// The image id.
    public var id: String
    /// The tags pointing at it.
    public var repoTags: [String]?
    /// `repository@sha256:…` for each registry it was pulled from or pushed to.
    public var repoDigests: [String]?
    /// The image's configuration (its labels).
    public var config: Config?

    /// The part of an image's configuration the orchestrator reads.
    public struct Config: Codable, Sendable {
        /// The image's labels (`LABEL` lines): what it declares of itself, e.g. its agent port.
        public var labels: [String: String]?

        enum CodingKeys: String, CodingKey {
            case labels = "Labels"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests", config = "Config"
    }
}

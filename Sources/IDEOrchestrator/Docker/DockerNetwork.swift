/// A Docker network.
public struct DockerNetwork: Codable, Sendable {
    /// The network id.
    public var id: String
    /// The network name.
    public var name: String
    /// `bridge`, `overlay`, ...
    public var driver: String?
    /// `local` or `swarm`.
    public var scope: String?
    /// Whether standalone containers may attach.
    public var attachable: Bool?
    /// Labels.
    public var labels: [String: String]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", driver = "Driver", scope = "Scope", attachable = "Attachable", labels = "Labels"
    }
}

/// The body of `POST /networks/create`.
public struct NetworkCreateRequest: Codable, Sendable {
    /// The name.
    public var name: String
    /// `bridge` (host-reachable, swarm-scoped) or `overlay`.
    public var driver: String
    /// `swarm` for a network services may use.
    public var scope: String?
    /// Let standalone containers attach too.
    public var attachable: Bool
    /// Labels.
    public var labels: [String: String]

    /// Creates a request.
    public init(name: String, driver: String, scope: String?, attachable: Bool, labels: [String: String] = [:]) {
        self.name = name
        self.driver = driver
        self.scope = scope
        self.attachable = attachable
        self.labels = labels
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name", driver = "Driver", scope = "Scope", attachable = "Attachable", labels = "Labels"
    }
}

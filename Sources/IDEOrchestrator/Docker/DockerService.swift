/// A Swarm service as the engine reports it.
public struct DockerService: Codable, Sendable {
    /// The service id.
    public var id: String
    /// The object version, needed to update the service.
    public var version: ObjectVersion
    /// The current spec.
    public var spec: ServiceSpec
    /// RFC 3339 creation time.
    public var createdAt: String?
    /// RFC 3339 last update time.
    public var updatedAt: String?

    enum CodingKeys: String, CodingKey {
        case id = "ID", version = "Version", spec = "Spec", createdAt = "CreatedAt", updatedAt = "UpdatedAt"
    }
}

/// A Swarm object's version for optimistic concurrency.
public struct ObjectVersion: Codable, Sendable, Hashable {
    /// The version index.
    public var index: UInt64
    enum CodingKeys: String, CodingKey { case index = "Index" }
}

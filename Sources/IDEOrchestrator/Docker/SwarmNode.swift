/// A Swarm node with its capacity.
public struct SwarmNode: Codable, Sendable {
    /// The node id.
    public var id: String
    /// Its description: hostname and capacity.
    public var description: Description
    /// `ready`, `down`, ...
    public var status: Status
    /// Its role and availability.
    public var spec: Spec

    enum CodingKeys: String, CodingKey { case id = "ID", description = "Description", status = "Status", spec = "Spec" }

    /// Hostname and capacity.
    public struct Description: Codable, Sendable {
        /// The hostname.
        public var hostname: String?
        /// CPU and memory capacity.
        public var resources: ServiceSpec.Limits?
        enum CodingKeys: String, CodingKey { case hostname = "Hostname", resources = "Resources" }
    }

    /// Reported state.
    public struct Status: Codable, Sendable {
        /// `ready`, `down`, `unknown`, `disconnected`.
        public var state: String
        /// The node's address.
        public var addr: String?
        enum CodingKeys: String, CodingKey { case state = "State", addr = "Addr" }
    }

    /// Desired role and availability.
    public struct Spec: Codable, Sendable {
        /// `manager` or `worker`.
        public var role: String?
        /// `active`, `pause` or `drain`.
        public var availability: String?
        enum CodingKeys: String, CodingKey { case role = "Role", availability = "Availability" }
    }
}

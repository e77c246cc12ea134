/// `GET /containers/{id}/json`, the parts the orchestrator reads.
public struct DockerContainer: Codable, Sendable {
    /// The container id.
    public var id: String
    /// Runtime state.
    public var state: State
    /// Addresses per network.
    public var networkSettings: NetworkSettings

    enum CodingKeys: String, CodingKey { case id = "Id", state = "State", networkSettings = "NetworkSettings" }

    /// Runtime state.
    public struct State: Codable, Sendable {
        /// `created`, `running`, `exited`, ...
        public var status: String
        /// Whether it runs.
        public var running: Bool
        /// The main process's PID on the host.
        public var pid: Int?

        enum CodingKeys: String, CodingKey { case status = "Status", running = "Running", pid = "Pid" }
    }

    /// Network state.
    public struct NetworkSettings: Codable, Sendable {
        /// Endpoint per network name.
        public var networks: [String: Endpoint]?
        enum CodingKeys: String, CodingKey { case networks = "Networks" }
    }

    /// One network endpoint.
    public struct Endpoint: Codable, Sendable {
        /// The IPv4 address, empty when none.
        public var ipAddress: String?
        /// The network's id.
        public var networkID: String?
        enum CodingKeys: String, CodingKey { case ipAddress = "IPAddress", networkID = "NetworkID" }
    }

    /// The container's IPv4 address on the named network, if it has one.
    public func address(on network: String) -> String? {
        guard let ip = networkSettings.networks?[network]?.ipAddress, !ip.isEmpty else { return nil }
        return ip
    }
}

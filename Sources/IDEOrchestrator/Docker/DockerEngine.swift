/// What the orchestrator asks of a Docker engine in Swarm mode.
///
/// `CurlDockerEngine` talks to a real engine; unit tests use a recording fake.
public protocol DockerEngine: Sendable {
    /// Answers when the engine is up.
    func ping() async throws
    /// The engine's release and API versions.
    func version() async throws -> DockerVersion
    /// Node-level facts: CPUs, memory, Swarm state.
    func info() async throws -> DockerInfo
    /// The Swarm this engine manages.
    func swarm() async throws -> SwarmDetails
    /// An image by name; `imageNotFound` when absent.
    func image(_ name: String) async throws -> DockerImage
    /// Creates a service and returns its id.
    func createService(_ spec: ServiceSpec) async throws -> String
    /// A service by id or name; `serviceNotFound` when absent.
    func service(_ idOrName: String) async throws -> DockerService
    /// Services carrying all the given labels (`nil` value: the label with any value).
    func services(labels: [String: String?]) async throws -> [DockerService]
    /// Replaces a service's spec at the given version.
    func updateService(_ id: String, version: ObjectVersion, spec: ServiceSpec) async throws
    /// Removes a service; `serviceNotFound` when absent.
    func removeService(_ idOrName: String) async throws
    /// Creates a Swarm secret and returns its id; `conflict` when the name is taken.
    func createSecret(_ request: SecretCreateRequest) async throws -> String
    /// Secrets carrying all the given labels (their data is never returned).
    func secrets(labels: [String: String?]) async throws -> [DockerSecret]
    /// Removes a secret; `secretNotFound` when absent, `conflict` while a service uses it.
    func removeSecret(_ idOrName: String) async throws
    /// Tasks, optionally of one service, optionally with one desired state.
    func tasks(serviceID: String?, desiredState: String?) async throws -> [SwarmTask]
    /// The tasks of these services, whatever their state.
    func tasks(serviceIDs: [String]) async throws -> [SwarmTask]
    /// Adds (or replaces) labels on a service without touching anything else of its spec.
    func addServiceLabels(_ id: String, _ labels: [String: String]) async throws
    /// One task by id; nil once Swarm has deleted it.
    func task(_ id: String) async throws -> SwarmTask?
    /// A container by id; `containerNotFound` when absent.
    func container(_ id: String) async throws -> DockerContainer
    /// Networks, optionally filtered by exact name.
    func networks(named name: String?) async throws -> [DockerNetwork]
    /// Creates a network and returns its id.
    func createNetwork(_ request: NetworkCreateRequest) async throws -> String
    /// Removes a network.
    func removeNetwork(_ idOrName: String) async throws
    /// The Swarm's nodes.
    func nodes() async throws -> [SwarmNode]
    /// The engine's event stream, filtered by event type (`service`, `container`, ...).
    func events(types: [String]) async throws -> AsyncThrowingStream<DockerEvent, any Error>
}

extension DockerEngine {
    /// Reads the service, merges the labels into its spec and updates it.
    public func addServiceLabels(_ id: String, _ labels: [String: String]) async throws {
        let service = try await service(id)
        var spec = service.spec
        spec.labels.merge(labels) { _, new in new }
        try await updateService(id, version: service.version, spec: spec)
    }

    /// The task from the list of every task; engines that can ask for one do better.
    public func task(_ id: String) async throws -> SwarmTask? {
        try await tasks(serviceID: nil, desiredState: nil).first { $0.id == id }
    }

    /// Every task, kept when it belongs to one of the services; engines that can filter
    /// by several services at once do better.
    public func tasks(serviceIDs: [String]) async throws -> [SwarmTask] {
        let wanted = Set(serviceIDs)
        return try await tasks(serviceID: nil, desiredState: nil).filter { wanted.contains($0.serviceID) }
    }
}

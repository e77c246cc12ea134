/// A `DockerEngine` that times every call to another one, by operation, and counts failures.
public struct InstrumentedDockerEngine: DockerEngine {
    let base: any DockerEngine
    let metrics: OrchestratorMetrics

    /// Wraps `base`.
    public init(_ base: any DockerEngine, metrics: OrchestratorMetrics) {
        self.base = base
        self.metrics = metrics
    }

    private func measure<T>(_ operation: String, _ call: () async throws -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { metrics.engineDuration(operation).record(ContinuousClock.now - started) }
        do {
            return try await call()
        } catch {
            metrics.engineErrors(operation, code: (error as? DockerError)?.code.rawValue ?? "other").increment()
            throw error
        }
    }

    public func ping() async throws { try await measure("ping") { try await base.ping() } }
    public func version() async throws -> DockerVersion { try await measure("version") { try await base.version() } }
    public func info() async throws -> DockerInfo { try await measure("info") { try await base.info() } }
    public func swarm() async throws -> SwarmDetails { try await measure("swarm") { try await base.swarm() } }
    public func image(_ name: String) async throws -> DockerImage { try await measure("image") { try await base.image(name) } }
    public func createService(_ spec: ServiceSpec) async throws -> String { try await measure("create_service") { try await base.createService(spec) } }
    public func service(_ idOrName: String) async throws -> DockerService { try await measure("service") { try await base.service(idOrName) } }
    public func services(labels: [String: String?]) async throws -> [DockerService] { try await measure("services") { try await base.services(labels: labels) } }
    public func updateService(_ id: String, version: ObjectVersion, spec: ServiceSpec) async throws {
        try await measure("update_service") { try await base.updateService(id, version: version, spec: spec) }
    }
    public func removeService(_ idOrName: String) async throws { try await measure("remove_service") { try await base.removeService(idOrName) } }
    public func addServiceLabels(_ id: String, _ labels: [String: String]) async throws { try await measure("label_service") { try await base.addServiceLabels(id, labels) } }
    public func task(_ id: String) async throws -> SwarmTask? { try await measure("inspect_task") { try await base.task(id) } }
    public func createSecret(_ request: SecretCreateRequest) async throws -> String { try await measure("create_secret") { try await base.createSecret(request) } }
    public func secrets(labels: [String: String?]) async throws -> [DockerSecret] { try await measure("secrets") { try await base.secrets(labels: labels) } }
    public func removeSecret(_ idOrName: String) async throws { try await measure("remove_secret") { try await base.removeSecret(idOrName) } }
    public func tasks(serviceID: String?, desiredState: String?) async throws -> [SwarmTask] {
        try await measure("tasks") { try await base.tasks(serviceID: serviceID, desiredState: desiredState) }
    }
    public func tasks(serviceIDs: [String]) async throws -> [SwarmTask] { try await measure("tasks") { try await base.tasks(serviceIDs: serviceIDs) } }
    public func container(_ id: String) async throws -> DockerContainer { try await measure("container") { try await base.container(id) } }
    public func networks(named name: String?) async throws -> [DockerNetwork] { try await measure("networks") { try await base.networks(named: name) } }
    public func createNetwork(_ request: NetworkCreateRequest) async throws -> String { try await measure("create_network") { try await base.createNetwork(request) } }
    public func removeNetwork(_ idOrName: String) async throws { try await measure("remove_network") { try await base.removeNetwork(idOrName) } }
    public func nodes() async throws -> [SwarmNode] { try await measure("nodes") { try await base.nodes() } }
    /// Times opening the stream, not the stream's life.
    public func events(types: [String]) async throws -> AsyncThrowingStream<DockerEvent, any Error> {
        try await measure("events") { try await base.events(types: types) }
    }
}

import Foundation
import Synchronization
@testable import IDEOrchestrator

/// A Docker engine that keeps services and tasks in memory: a created service gets a running
/// task at a fresh address on the IDE network at once. Tests restart or kill tasks, remove
/// services behind the orchestrator's back, and make the engine unreachable.
final class FakeSwarm: DockerEngine, Sendable {
    struct Service {
        var service: DockerService
        var tasks: [SwarmTask]
    }

    private struct State {
        var services: [String: Service] = [:]
        var nextAddress = 1
        var nextId = 1
        var unreachable = false
        var refusals = 0
        var removals = 0
        var holdCreates = false
        var loseCreateAnswers = 0
        var taskListings = 0
        var creating = 0
        var mostCreating = 0
        var held: [CheckedContinuation<Void, Never>] = []
        var secrets: [String: (secret: DockerSecret, data: Data)] = [:]
        var journal: [String] = []
        var imageLabels: [String: String]?
        /// Tasks of removed services whose containers have not stopped yet.
        var lingering: [SwarmTask] = []
        var lingerOnRemove = false
        var labelUpdates = 0
        var taskLookups = 0
    }

    private let state = Mutex(State())
    let network: String

    init(network: String = "ide-network") {
        self.network = network
    }

    // MARK: - Test controls

    /// Makes every call fail as if the engine were down.
    func setUnreachable(_ down: Bool) { state.withLock { $0.unreachable = down } }
    /// Makes `createService` wait until `releaseCreates` (to count concurrent launches).
    func holdCreates(_ hold: Bool) { state.withLock { $0.holdCreates = hold } }
    /// Lets every held `createService` go on.
    func releaseCreates() {
        let waiters = state.withLock { state in
            defer { state.held = []; state.holdCreates = false }
            return state.held
        }
        for waiter in waiters { waiter.resume() }
    }
    /// Makes the next `count` service creations succeed on the engine but time out for the caller.
    func loseCreateAnswers(_ count: Int) { state.withLock { $0.loseCreateAnswers = count } }
    /// How many task listings were answered.
    var taskListings: Int { state.withLock { $0.taskListings } }
    /// `createService` calls under way now, and the most there ever were at once.
    var creates: (now: Int, most: Int) { state.withLock { ($0.creating, $0.mostCreating) } }
    /// Makes a removed service's running tasks go on running (desired state `remove`) until
    /// `settleRemovals`, as Swarm's do until their containers stop.
    func lingerOnRemove(_ linger: Bool) { state.withLock { $0.lingerOnRemove = linger } }
    /// Ends every task of removed services (their containers stopped); Swarm then deletes them.
    func settleRemovals() { state.withLock { $0.lingering = [] } }
    /// The addresses of every running task, removed services' lingering ones included.
    var runningAddresses: [String] {
        state.withLock { state in
            (state.services.values.flatMap(\.tasks) + state.lingering).filter { $0.status.state == "running" }
                .compactMap { $0.networksAttachments?.first?.addresses?.first.map { String($0.split(separator: "/")[0]) } }
        }
    }
    /// How many single tasks were looked up.
    var taskLookups: Int { state.withLock { $0.taskLookups } }
    /// How many label updates were made.
    var labelUpdates: Int { state.withLock { $0.labelUpdates } }
    /// Makes the image carry `labels` (what `docker inspect` shows under Config.Labels).
    func setImageLabels(_ labels: [String: String]?) { state.withLock { $0.imageLabels = labels } }
    /// The spec of the live service named `name`.
    func spec(named name: String) -> ServiceSpec? { state.withLock { $0.services.values.first { $0.service.spec.name == name }?.service.spec } }
    /// Live services by name.
    var serviceNames: Set<String> { state.withLock { Set($0.services.values.map(\.service.spec.name)) } }
    /// How many calls failed because the engine was unreachable.
    var refusals: Int { state.withLock { $0.refusals } }
    /// How many removals succeeded.
    var removals: Int { state.withLock { $0.removals } }
    /// Secret and service creations and removals, in order (`create secret NAME`, `create service NAME`, ...).
    var journal: [String] { state.withLock { $0.journal } }
    /// Secrets by name, with their data.
    var secretData: [String: Data] { state.withLock { Dictionary(uniqueKeysWithValues: $0.secrets.values.map { ($0.secret.spec.name, $0.data) }) } }

    /// Puts a secret into the engine as if made earlier (or by someone else); returns its id.
    @discardableResult
    func plantSecret(name: String, labels: [String: String], data: Data = Data("x".utf8), createdAt: Date) -> String {
        state.withLock { state in
            let id = "secret-\(state.nextId)"
            state.nextId += 1
            let created = ISO8601DateFormatter().string(from: createdAt)
            state.secrets[id] = (DockerSecret(id: id, createdAt: created, spec: .init(name: name, labels: labels)), data)
            return id
        }
    }

    /// Ends the running task of service `name` (as `failed`) and starts a new one at a new address.
    @discardableResult
    func restartTask(of name: String) -> String? {
        state.withLock { state in
            guard let key = state.services.first(where: { $0.value.service.spec.name == name })?.key else { return nil }
            for index in state.services[key]!.tasks.indices where state.services[key]!.tasks[index].status.state == "running" {
                state.services[key]!.tasks[index].status.state = "failed"
                state.services[key]!.tasks[index].desiredState = "shutdown"
            }
            let task = Self.newTask(&state, serviceID: key, network: network)
            state.services[key]!.tasks.append(task)
            return task.networksAttachments?.first?.addresses?.first.map { String($0.split(separator: "/")[0]) }
        }
    }

    /// The running task's address of service `name`.
    func address(of name: String) -> String? {
        state.withLock { state in
            state.services.values.first { $0.service.spec.name == name }?.tasks.first { $0.status.state == "running" }?
                .networksAttachments?.first?.addresses?.first.map { String($0.split(separator: "/")[0]) }
        }
    }

    /// Creates a service directly, as another deployment (or a lost database) would leave it.
    @discardableResult
    func plant(_ spec: ServiceSpec) -> String {
        state.withLock { Self.create(&$0, spec, network: network) }
    }

    // MARK: - DockerEngine

    private func reach() throws {
        let down = state.withLock { state in
            if state.unreachable { state.refusals += 1 }
            return state.unreachable
        }
        if down { throw DockerError(.engineUnreachable, message: "the fake engine is down") }
    }

    func ping() async throws { try reach() }
    func version() async throws -> DockerVersion {
        try reach()
        return DockerVersion(version: "fake-1.0", apiVersion: "1.41", minAPIVersion: "1.24")
    }
    func info() async throws -> DockerInfo {
        try reach()
        return DockerInfo(serverVersion: "fake-1.0", cpuCount: 2, memoryTotal: 1 << 30, swarm: .init(localNodeState: "active", nodeID: "node-1", controlAvailable: true))
    }
    func swarm() async throws -> SwarmDetails {
        try reach()
        return SwarmDetails(id: "swarm-1", createdAt: nil)
    }
    func image(_ name: String) async throws -> DockerImage {
        try reach()
        return DockerImage(id: "sha256:fake", repoTags: [name], config: .init(labels: state.withLock { $0.imageLabels }))
    }
    func createService(_ spec: ServiceSpec) async throws -> String {
        try reach()
        let hold = state.withLock { state in
            state.creating += 1
            state.mostCreating = max(state.mostCreating, state.creating)
            return state.holdCreates
        }
        if hold {
            await withCheckedContinuation { continuation in
                let parked = state.withLock { state in
                    guard state.holdCreates else { return false }
                    state.held.append(continuation)
                    return true
                }
                if !parked { continuation.resume() }
            }
        }
        return try state.withLock { state in
            state.creating -= 1
            // Like Swarm: a service cannot refer to a secret that does not exist.
            for secret in spec.taskTemplate.containerSpec.secrets ?? [] where state.secrets[secret.secretID] == nil {
                throw DockerError(.badRequest, status: 400, message: "secret not found: \(secret.secretName)")
            }
            guard !state.services.values.contains(where: { $0.service.spec.name == spec.name }) else {
                throw DockerError(.conflict, status: 409, message: "rpc error: code = AlreadyExists desc = name conflicts with an existing object")
            }
            let id = Self.create(&state, spec, network: network)
            if state.loseCreateAnswers > 0 {
                state.loseCreateAnswers -= 1
                throw DockerError(.timedOut, message: "the fake engine made the service and its answer was lost")
            }
            return id
        }
    }
    func service(_ idOrName: String) async throws -> DockerService {
        try reach()
        guard let found = state.withLock({ $0.services.values.first { $0.service.id == idOrName || $0.service.spec.name == idOrName } }) else {
            throw DockerError(.serviceNotFound, status: 404, message: "no such service")
        }
        return found.service
    }
    func services(labels: [String: String?]) async throws -> [DockerService] {
        try reach()
        return state.withLock { state in
            state.services.values.map(\.service).filter { service in
                labels.allSatisfy { key, value in value == nil ? service.spec.labels[key] != nil : service.spec.labels[key] == value }
            }
        }
    }
    func updateService(_ id: String, version: ObjectVersion, spec: ServiceSpec) async throws { try reach() }
    func removeService(_ idOrName: String) async throws {
        try reach()
        let removed = state.withLock { state in
            guard let key = state.services.first(where: { $0.key == idOrName || $0.value.service.spec.name == idOrName })?.key else { return false }
            state.journal.append("remove service \(state.services[key]!.service.spec.name)")
            if state.lingerOnRemove {
                state.lingering += state.services[key]!.tasks.filter { $0.status.state == "running" }.map { task in
                    var task = task
                    task.desiredState = "remove"
                    return task
                }
            }
            state.services[key] = nil
            state.removals += 1
            return true
        }
        if !removed { throw DockerError(.serviceNotFound, status: 404, message: "no such service") }
    }
    func createSecret(_ request: SecretCreateRequest) async throws -> String {
        try reach()
        return try state.withLock { state in
            guard !state.secrets.values.contains(where: { $0.secret.spec.name == request.name }) else {
                throw DockerError(.conflict, status: 409, message: "secret \(request.name) already exists")
            }
            let id = "secret-\(state.nextId)"
            state.nextId += 1
            state.secrets[id] = (DockerSecret(id: id, createdAt: ISO8601DateFormatter().string(from: Date()), spec: .init(name: request.name, labels: request.labels)), request.data)
            state.journal.append("create secret \(request.name)")
            return id
        }
    }
    func secrets(labels: [String: String?]) async throws -> [DockerSecret] {
        try reach()
        return state.withLock { state in
            state.secrets.values.map(\.secret).filter { secret in
                labels.allSatisfy { key, value in value == nil ? secret.spec.labels?[key] != nil : secret.spec.labels?[key] == value }
            }
        }
    }
    func removeSecret(_ idOrName: String) async throws {
        try reach()
        try state.withLock { state in
            guard let (id, entry) = state.secrets.first(where: { $0.key == idOrName || $0.value.secret.spec.name == idOrName }) else {
                throw DockerError(.secretNotFound, status: 404, message: "secret \(idOrName) not found")
            }
            // Like Swarm: a secret cannot go while a service refers to it.
            if state.services.values.contains(where: { $0.service.spec.taskTemplate.containerSpec.secrets?.contains { $0.secretID == id } ?? false }) {
                throw DockerError(.badRequest, status: 400, message: "secret \(entry.secret.spec.name) is in use")
            }
            state.secrets[id] = nil
            state.journal.append("remove secret \(entry.secret.spec.name)")
        }
    }
    func tasks(serviceID: String?, desiredState: String?) async throws -> [SwarmTask] {
        try reach()
        return state.withLock { state in
            state.taskListings += 1
            return state.services.values.flatMap(\.tasks).filter { task in
                (serviceID == nil || task.serviceID == serviceID || state.services[task.serviceID]?.service.spec.name == serviceID)
                    && (desiredState == nil || task.desiredState == desiredState)
            }
        }
    }
    func task(_ id: String) async throws -> SwarmTask? {
        try reach()
        return state.withLock { state in
            state.taskLookups += 1
            return (state.services.values.flatMap(\.tasks) + state.lingering).first { $0.id == id }
        }
    }
    func addServiceLabels(_ id: String, _ labels: [String: String]) async throws {
        try reach()
        try state.withLock { state in
            guard let key = state.services.first(where: { $0.key == id || $0.value.service.spec.name == id })?.key else {
                throw DockerError(.serviceNotFound, status: 404, message: "no such service")
            }
            state.services[key]!.service.spec.labels.merge(labels) { _, new in new }
            state.services[key]!.service.version.index += 1
            state.labelUpdates += 1
        }
    }
    func container(_ id: String) async throws -> DockerContainer {
        try reach()
        throw DockerError(.containerNotFound, status: 404, message: "the fake has task addresses, not containers")
    }
    func networks(named name: String?) async throws -> [DockerNetwork] {
        try reach()
        return []
    }
    func createNetwork(_ request: NetworkCreateRequest) async throws -> String {
        try reach()
        return "net-1"
    }
    func removeNetwork(_ idOrName: String) async throws { try reach() }
    func nodes() async throws -> [SwarmNode] {
        try reach()
        return []
    }
    func events(types: [String]) async throws -> AsyncThrowingStream<DockerEvent, any Error> {
        try reach()
        return AsyncThrowingStream { _ in }
    }

    // MARK: - Internals

    private static func create(_ state: inout State, _ spec: ServiceSpec, network: String) -> String {
        let id = "svc\(state.nextId)"
        state.nextId += 1
        let service = DockerService(id: id, version: ObjectVersion(index: 1), spec: spec, createdAt: nil, updatedAt: nil)
        state.journal.append("create service \(spec.name)")
        state.services[id] = Service(service: service, tasks: [newTask(&state, serviceID: id, network: network)])
        return id
    }

    private static func newTask(_ state: inout State, serviceID: String, network: String) -> SwarmTask {
        let n = state.nextAddress
        state.nextAddress += 1
        let attachment = SwarmTask.NetworkAttachment(network: .init(id: "net-1", spec: .init(name: network)), addresses: ["10.77.\(n / 250).\(n % 250 + 1)/24"])
        return SwarmTask(
            id: "task\(n)", serviceID: serviceID, nodeID: "node-1", desiredState: "running",
            status: .init(state: "running"), networksAttachments: [attachment], createdAt: nil
        )
    }
}

import Foundation
import Logging
import Synchronization
@testable import IDEOrchestrator

/// A Docker engine that records every call and creates nothing: creating a service fails,
/// so a path that should not launch anything cannot hang waiting for a task.
final class FakeDockerEngine: DockerEngine, Sendable {
    private let log = Mutex<[String]>([])
    private let createdSpecs = Mutex<[ServiceSpec]>([])

    /// Every method called, in order.
    var calls: [String] { log.withLock { $0 } }
    /// The specs passed to `createService`.
    var createServiceCalls: [ServiceSpec] { createdSpecs.withLock { $0 } }

    private func record(_ call: String) { log.withLock { $0.append(call) } }

    func ping() async throws { record("ping") }
    func version() async throws -> DockerVersion {
        record("version")
        return DockerVersion(version: "fake-1.0", apiVersion: "1.41", minAPIVersion: "1.24")
    }
    func info() async throws -> DockerInfo {
        record("info")
        return DockerInfo(serverVersion: "fake-1.0", cpuCount: 2, memoryTotal: 1 << 30, swarm: .init(localNodeState: "active", nodeID: "node-1", controlAvailable: true))
    }
    func swarm() async throws -> SwarmDetails {
        record("swarm")
        return SwarmDetails(id: "swarm-1", createdAt: nil)
    }
    func image(_ name: String) async throws -> DockerImage {
        record("image \(name)")
        return DockerImage(id: "sha256:fake", repoTags: [name])
    }
    func createService(_ spec: ServiceSpec) async throws -> String {
        record("createService \(spec.name)")
        createdSpecs.withLock { $0.append(spec) }
        throw DockerError(.engineError, status: 500, message: "the fake engine creates nothing")
    }
    func service(_ idOrName: String) async throws -> DockerService {
        record("service \(idOrName)")
        throw DockerError(.serviceNotFound, status: 404, message: "no such service")
    }
    func services(labels: [String: String?]) async throws -> [DockerService] {
        record("services")
        return []
    }
    func updateService(_ id: String, version: ObjectVersion, spec: ServiceSpec) async throws { record("updateService \(id)") }
    func removeService(_ idOrName: String) async throws { record("removeService \(idOrName)") }
    func createSecret(_ request: SecretCreateRequest) async throws -> String {
        record("createSecret \(request.name)")
        throw DockerError(.engineError, status: 500, message: "the fake engine creates nothing")
    }
    func secrets(labels: [String: String?]) async throws -> [DockerSecret] {
        record("secrets")
        return []
    }
    func removeSecret(_ idOrName: String) async throws { record("removeSecret \(idOrName)") }
    func tasks(serviceID: String?, desiredState: String?) async throws -> [SwarmTask] {
        record("tasks")
        return []
    }
    func container(_ id: String) async throws -> DockerContainer {
        record("container \(id)")
        throw DockerError(.containerNotFound, status: 404, message: "no such container")
    }
    func networks(named name: String?) async throws -> [DockerNetwork] {
        record("networks")
        return []
    }
    func createNetwork(_ request: NetworkCreateRequest) async throws -> String {
        record("createNetwork \(request.name)")
        throw DockerError(.engineError, status: 500, message: "the fake engine creates nothing")
    }
    func removeNetwork(_ idOrName: String) async throws { record("removeNetwork \(idOrName)") }
    func nodes() async throws -> [SwarmNode] {
        record("nodes")
        return []
    }
    func events(types: [String]) async throws -> AsyncThrowingStream<DockerEvent, any Error> {
        record("events")
        return AsyncThrowingStream { $0.finish() }
    }
}

/// An agent per address that accepts every assignment by default and remembers them; a
/// test can make an address refuse, answer `already_assigned`, time out after taking the
/// assignment, be unreachable, or report activity and assignments of its own.
final class FakeAgent: AgentClient, Sendable {
    /// What the agent at an address does with an assignment.
    enum Behaviour: Sendable {
        case accept, refuse, alreadyAssigned, unreachable
        /// Takes the assignment, then gives no answer (a timeout after the request arrived).
        case acceptSilently
        /// Waits for `release` before accepting.
        case hang
    }

    private struct State {
        var received: [(address: String, assignment: AgentAssignment)] = []
        var behaviours: [String: Behaviour] = [:]
        var held: [String: String] = [:]
        var activity: [String: Date] = [:]
        var legacy: Set<String> = []
        var down: Set<String> = []
        var hanging: [CheckedContinuation<Void, Never>] = []
        var ports: [Int] = []
        var flushes: [(address: String, port: Int, containerId: String)] = []
        var flushOutcomes: [String: FlushOutcome] = [:]
        var credentialUpdates: [(address: String, containerId: String, credentials: AgentCredentials)] = []
        var refuseCredentials: Set<String> = []
        var sync: [String: WorkspaceSync] = [:]
    }

    private let state = Mutex(State())

    /// The assignments received, in order.
    var assignments: [(address: String, assignment: AgentAssignment)] { state.withLock { $0.received } }

    /// Sets what the agent at `address` does with assignments.
    func set(_ behaviour: Behaviour, at address: String) { state.withLock { $0.behaviours[address] = behaviour } }
    /// Makes the agent at `address` hold `bucket` (nil: free), as if assigned behind our back.
    func hold(_ bucket: String?, at address: String) { state.withLock { $0.held[address] = bucket } }
    /// Makes the agent at `address` report user activity at `date`.
    func reportActivity(_ date: Date, at address: String) { state.withLock { $0.activity[address] = date } }
    /// Makes the agent at `address` answer health like a legacy agent: no assignment fields.
    func makeLegacy(_ address: String) { state.withLock { _ = $0.legacy.insert(address) } }
    /// Makes the agent at `address` stop answering health checks (or answer again).
    func setDown(_ down: Bool, at address: String) { state.withLock { if down { $0.down.insert(address) } else { $0.down.remove(address) } } }
    /// Lets every hanging assignment go on.
    func releaseHanging() { for waiter in state.withLock({ state in defer { state.hanging = [] }; return state.hanging }) { waiter.resume() } }
    /// Every port an agent call went to, in order.
    var ports: [Int] { state.withLock { $0.ports } }
    /// The flushes asked for, in order.
    var flushes: [(address: String, port: Int, containerId: String)] { state.withLock { $0.flushes } }
    /// Makes the agent at `address` answer flushes with `outcome` (default `.flushed`).
    func setFlush(_ outcome: FlushOutcome, at address: String) { state.withLock { $0.flushOutcomes[address] = outcome } }
    /// The credentials pushed, in order.
    var credentialUpdates: [(address: String, containerId: String, credentials: AgentCredentials)] { state.withLock { $0.credentialUpdates } }
    /// Makes the agent at `address` refuse (or accept again) pushed credentials.
    func setRefusesCredentials(_ refuses: Bool, at address: String) {
        state.withLock { if refuses { $0.refuseCredentials.insert(address) } else { $0.refuseCredentials.remove(address) } }
    }
    /// Makes the agent at `address` report `sync` in its health answer.
    func reportSync(_ sync: WorkspaceSync?, at address: String) { state.withLock { $0.sync[address] = sync } }
    /// The bucket each address's agent holds now.
    var heldBuckets: [String: String] { state.withLock { $0.held.compactMapValues { $0 } } }
    /// How many assignments are hanging.
    var hangingCount: Int { state.withLock { $0.hanging.count } }

    func health(address: String, port: Int, containerId: String) async -> AgentHealth? {
        state.withLock { state in
            state.ports.append(port)
            if state.down.contains(address) { return nil }
            if state.legacy.contains(address) { return AgentHealth() }
            let bucket = state.held[address] ?? nil
            return AgentHealth(assigned: bucket != nil, bucket: bucket, lastActivityAt: state.activity[address], sync: state.sync[address])
        }
    }

    func flush(address: String, port: Int, containerId: String, timeout: Duration) async -> FlushOutcome {
        state.withLock { state in
            state.ports.append(port)
            state.flushes.append((address, port, containerId))
            if state.down.contains(address) { return .failed(.unreachable) }
            return state.flushOutcomes[address] ?? .flushed
        }
    }

    func updateCredentials(address: String, port: Int, containerId: String, credentials: AgentCredentials) async throws(AgentError) {
        let refused = state.withLock { state in
            state.ports.append(port)
            state.credentialUpdates.append((address, containerId, credentials))
            return state.refuseCredentials.contains(address) || state.down.contains(address)
        }
        if refused { throw AgentError(.refused, status: 409, "refused by the fake") }
    }

    func assign(address: String, port: Int, assignment: AgentAssignment) async throws(AgentError) {
        let behaviour = state.withLock { state in
            state.ports.append(port)
            state.received.append((address, assignment))
            return state.behaviours[address] ?? .accept
        }
        switch behaviour {
        case .accept:
            state.withLock { $0.held[address] = assignment.bucket }
        case .refuse:
            throw AgentError(.refused, status: 400, "refused by the fake")
        case .alreadyAssigned:
            throw AgentError(.alreadyAssigned, status: 409, "the fake already holds an assignment")
        case .unreachable:
            throw AgentError(.unreachable, "connection refused by the fake")
        case .acceptSilently:
            state.withLock { $0.held[address] = assignment.bucket }
            throw AgentError(.noAnswer, "the fake timed out after taking the assignment")
        case .hang:
            await withCheckedContinuation { continuation in state.withLock { $0.hanging.append(continuation) } }
            state.withLock { $0.held[address] = assignment.bucket }
        }
    }
}

/// A resource gate that always answers the same snapshot.
struct FixedResourceGate: ResourceGate {
    let fixed: ResourceSnapshot

    func snapshot() async -> ResourceSnapshot { fixed }

    /// Spawning allowed: memory and CPU well below the ceilings.
    static let allowing = FixedResourceGate(fixed: .evaluate(memoryPercent: 20, cpuPercent: 10, maxMemoryPercent: 90, maxCpuPercent: 90, nodes: [], at: nil))
    /// Spawning forbidden: memory above the ceiling.
    static let forbidding = FixedResourceGate(fixed: .evaluate(memoryPercent: 97, cpuPercent: 10, maxMemoryPercent: 90, maxCpuPercent: 90, nodes: [], at: nil))
}

/// A bucket checker that accepts every bucket and remembers what it was asked.
final class AcceptingBucketChecker: BucketChecker, Sendable {
    private let checked = Mutex<[(bucket: String, credentials: S3Credentials?)]>([])

    /// The buckets checked, in order.
    var buckets: [String] { checked.withLock { $0.map(\.bucket) } }
    /// The credentials each check was signed with, in order.
    var credentials: [S3Credentials?] { checked.withLock { $0.map(\.credentials) } }

    func check(bucket: String, region: String, credentials: S3Credentials?) async throws(APIError) {
        checked.withLock { $0.append((bucket, credentials)) }
    }
}

/// Settings for unit tests: the given variables over a quiet, pool-less base.
func testSettings(_ environment: [String: String] = [:]) throws -> Settings {
    try Settings(environment: ["API_KEY": "key-one,key-two", "PRE_WARMED_QUEUE_SIZE": "0"].merging(environment) { _, new in new })
}

/// A logger that stays silent below critical.
func quietLogger() -> Logger {
    var logger = Logger(label: "ide-orchestrator-tests")
    logger.logLevel = .critical
    return logger
}

/// IDE ports and Traefik routes as a test sets them: every port answers and every route is
/// live unless the test breaks a port at an address or holds the routes back.
final class FakeReach: Reachability, Sendable {
    private let state = Mutex((broken: [String: Set<String>](), routing: true, routeChecks: 0))

    /// How many route checks were made.
    var routeChecks: Int { state.withLock { $0.routeChecks } }
    /// Makes `port` (`code`, `vnc` or `web`) at `address` stop answering.
    func breakPort(_ port: String, at address: String) { state.withLock { _ = $0.broken[address, default: []].insert(port) } }
    /// Makes Traefik route (or not yet route) every container.
    func setRouting(_ routing: Bool) { state.withLock { $0.routing = routing } }

    func idePorts(address: String) async -> [String: Bool] {
        let broken = state.withLock { $0.broken[address] ?? [] }
        return Dictionary(uniqueKeysWithValues: RoutePlan.routes.map { ($0.name, !broken.contains($0.name)) })
    }

    func routed(_ urls: ContainerURLs) async -> Bool {
        state.withLock { state in
            state.routeChecks += 1
            return state.routing
        }
    }
}

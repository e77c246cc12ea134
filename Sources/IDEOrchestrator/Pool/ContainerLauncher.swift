import Foundation
import Logging

/// Creates IDE containers and brings them to the point where their agent answers.
public struct ContainerLauncher: Sendable {
    let store: AppDatabase
    let engine: any DockerEngine
    let agent: any AgentClient
    let blueprint: ServiceBlueprint
    let routes: RoutePlan
    let settings: Settings
    let logger: Logger

    /// Creates a launcher.
    public init(store: AppDatabase, engine: any DockerEngine, agent: any AgentClient, settings: Settings, logger: Logger) {
        self.store = store
        self.engine = engine
        self.agent = agent
        self.blueprint = ServiceBlueprint(settings: settings)
        self.routes = RoutePlan(settings: settings)
        self.settings = settings
        self.logger = logger
    }

    /// Stores a new record in `creating`; the service comes with `start`.
    public func newRecord(pooled: Bool) async throws -> ContainerRecord {
        let id = ContainerID.generate()
        let record = ContainerRecord(
            id: id, isPreWarmed: pooled, cpuLimit: settings.containerCPULimit,
            memoryLimitBytes: settings.containerMemoryLimit, urls: routes.urls(for: id), now: Date()
        )
        try await store.insert(record, reason: pooled ? "pool refill" : "cold start")
        return record
    }

    /// Creates the record's Swarm service and waits until its agent answers.
    ///
    /// Pool containers end `ready`; cold starts stay `warming` with their address, for the
    /// caller to assign directly. On failure the service is removed and the record `failed`.
    public func start(_ record: ContainerRecord) async throws -> ContainerRecord {
        do {
            _ = try await engine.image(settings.ideImage)
            let serviceId = try await engine.createService(blueprint.spec(for: record.id, pooled: record.isPreWarmed))
            guard let warming = try await store.transition(record.id, from: [.creating], to: .warming, kind: "service_created", change: { $0.serviceId = serviceId }) else {
                try? await engine.removeService(serviceId)
                throw LaunchError(message: "container \(record.id) left creating while its service was made")
            }
            return try await waitUntilReady(warming, within: record.isPreWarmed ? settings.readyTimeout : settings.coldStartTimeout)
        } catch {
            await discard(record.id, serviceId: nil, reason: "\(error)")
            throw error
        }
    }

    /// Polls the service's task until its agent answers within `timeout`
    /// (`CONTAINER_READY_TIMEOUT` by default; cold starts pass `COLD_START_TIMEOUT`).
    public func waitUntilReady(_ record: ContainerRecord, within timeout: Duration? = nil) async throws -> ContainerRecord {
        guard let serviceId = record.serviceId else { throw LaunchError(message: "container \(record.id) has no service") }
        let timeout = timeout ?? settings.readyTimeout
        let deadline = ContinuousClock.now + timeout
        var lastProblem = "no running task yet"
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            switch try await probe(serviceId: serviceId) {
            case .ready(let address):
                if record.isPreWarmed {
                    guard let ready = try await store.transition(record.id, from: [.warming], to: .ready, kind: "ready", change: {
                        $0.taskAddress = address
                        $0.readyAt = Date()
                    }) else { throw LaunchError(message: "container \(record.id) left warming while starting") }
                    return ready
                }
                guard let warm = try await store.update(record.id, change: {
                    $0.taskAddress = address
                    $0.readyAt = Date()
                }) else { throw LaunchError(message: "container \(record.id) vanished while starting") }
                return warm
            case .failing(let problem):
                await discard(record.id, serviceId: serviceId, reason: problem)
                throw LaunchError(message: problem)
            case .pending(let problem):
                lastProblem = problem
            }
            try await Task.sleep(for: .milliseconds(150))
        }
        let reason = "not ready within \(timeout): \(lastProblem)"
        await discard(record.id, serviceId: serviceId, reason: reason)
        throw LaunchError(message: reason)
    }

    private enum Probe {
        case ready(address: String)
        case pending(String)
        case failing(String)
    }

    private func probe(serviceId: String) async throws -> Probe {
        let tasks = try await engine.tasks(serviceID: serviceId, desiredState: nil)
        let failures = tasks.filter(\.hasFailed)
        if failures.count > settings.restartMaxAttempts, !tasks.contains(where: \.isRunning) {
            return .failing("tasks keep failing: \(failures.last?.status.err ?? failures.last?.status.message ?? "unknown")")
        }
        guard let task = tasks.first(where: \.isRunning) else {
            return .pending(tasks.last.map { "task \($0.status.state)" } ?? "no task yet")
        }
        guard let address = try await address(of: task) else { return .pending("task has no address on \(settings.swarmNetwork)") }
        return await agent.isHealthy(address: address) ? .ready(address: address) : .pending("agent not answering at \(address)")
    }

    /// The task's IPv4 address on the IDE network: from the container on bridge networks,
    /// from the task's attachments on overlay networks.
    func address(of task: SwarmTask) async throws -> String? {
        let attached = task.networksAttachments?.first { $0.network.spec?.name == settings.swarmNetwork }?.addresses?.first
        if let attached, let ip = attached.split(separator: "/").first { return String(ip) }
        guard let containerID = task.status.containerStatus?.containerID else { return nil }
        return try await engine.container(containerID).address(on: settings.swarmNetwork)
    }

    /// Removes a container's service (if any) and records it as failed.
    public func discard(_ id: String, serviceId: String?, reason: String) async {
        logger.warning("Container discarded", metadata: ["container.id": "\(id)", "reason": "\(reason)"])
        let record = try? await store.transition(id, from: ContainerStopper.stoppable, to: .failed, kind: "failed", reason: reason) {
            $0.shutdownReason = .failed
        }
        if let serviceId = serviceId ?? record?.serviceId {
            await removeService(serviceId)
        }
    }

    /// Removes a Swarm service, treating "already gone" as success.
    public func removeService(_ serviceId: String) async {
        do {
            try await engine.removeService(serviceId)
        } catch let error as DockerError where error.code == .serviceNotFound {
        } catch {
            logger.error("Service removal failed", metadata: ["service.id": "\(serviceId)", "error": "\(error)"])
        }
    }
}

/// A container could not be brought up.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    /// Why.
    public var message: String
    public var description: String { message }
}

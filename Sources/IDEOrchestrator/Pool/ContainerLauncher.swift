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
    /// Each container's agent-token secret.
    public let secrets: AgentSecrets
    /// Rung whenever a container becomes ready.
    public let readySignal: ReadySignal
    /// Lists the tasks of every launch under way in one engine call per tick.
    let taskWatch: TaskWatch
    /// Checks the IDE ports and the Traefik routes before a container is called ready.
    let reach: any Reachability
    /// Containers that became ready before Traefik was seen routing them.
    let pendingRoutes = PendingRoutes()
    /// Service and secret removals off the request path: bounded, retried, cancelled on shutdown.
    public let removals: BackgroundWork
    /// Tasks of removed services not yet seen ended.
    let removedTasks = RemovedTasks()

    /// Creates a launcher.
    public init(
        store: AppDatabase, engine: any DockerEngine, agent: any AgentClient, settings: Settings, logger: Logger, readySignal: ReadySignal = ReadySignal(),
        tokens: AgentTokens = .disabled, reach: (any Reachability)? = nil
    ) {
        self.store = store
        self.engine = engine
        self.agent = agent
        self.blueprint = ServiceBlueprint(settings: settings)
        self.routes = RoutePlan(settings: settings)
        self.settings = settings
        self.logger = logger
        self.readySignal = readySignal
        self.taskWatch = TaskWatch(engine: engine)
        self.reach = reach ?? HTTPReachability(timeout: settings.healthCheckTimeout, connectTimeout: settings.agentConnectTimeout, traefik: settings.traefikProbeURL)
        self.secrets = AgentSecrets(engine: engine, tokens: tokens, instance: settings.instanceName, logger: logger)
        self.removals = BackgroundWork("removals", workers: Self.removalWorkers, retry: .removal, logger: logger)
    }

    /// Stores a new record in `creating`; the service comes with `start`. While the engine
    /// cannot be reached nothing is stored: the engine's error is thrown instead.
    public func newRecord(pooled: Bool) async throws -> ContainerRecord {
        try await engine.ping()
        let id = ContainerID.generate()
        let record = ContainerRecord(
            id: id, isPreWarmed: pooled, cpuLimit: settings.containerCPULimit,
            memoryLimitBytes: settings.containerMemoryLimit, urls: routes.urls(for: id), now: Date()
        )
        try await store.insert(record, reason: pooled ? "pool refill" : "cold start")
        return record
    }

    /// Creates the record's Swarm service and waits until it is reachable (`waitUntilReady`); the container
    /// ends `ready` (a cold start too: whoever waits for a container takes the first ready one).
    /// On failure the service is removed and the record `failed`; a cancelled launch (a
    /// shutdown) leaves the record as it was, for the next start to resume.
    /// An engine outage while the service is made is waited out until the launch timeout.
    public func start(_ record: ContainerRecord) async throws -> ContainerRecord {
        let deadline = ContinuousClock.now + launchTimeout(pooled: record.isPreWarmed)
        do {
            let (serviceId, agentPort) = try await throughOutages(until: deadline) { try await createService(for: record) }
            guard let warming = try await store.transition(record.id, from: [.creating], to: .warming, kind: "service_created", change: {
                $0.serviceId = serviceId
                $0.agentPort = agentPort
            }) else {
                removeServiceInBackground(serviceId, of: record.id)
                throw LaunchError(message: "container \(record.id) left creating while its service was made")
            }
            return try await waitUntilReady(warming)
        } catch where Task.isCancelled {
            // A shutdown, not a failure: the record stays for the next start to resume.
            throw error
        } catch {
            // The stored reason is a code and our sentence; the engine's or client's text only goes to the log.
            logger.warning("Launch failed", metadata: ["container.id": "\(record.id)", "error": "\(error)"])
            await fail(record.id, expected: [.creating, .warming], serviceId: nil, reason: FailureReason.of(error))
            throw error
        }
    }

    /// Makes the record's secret and service, or finds the ones an earlier attempt made
    /// (an attempt whose answer an outage swallowed): both are named after the record.
    /// Returns the service's id and its agent's port (from the image's labels).
    private func createService(for record: ContainerRecord) async throws -> (id: String, agentPort: Int) {
        let held = try await engine.image(settings.ideImage)
        let image = try await blueprint.imageReference(holding: held) { try await engine.nodes().count }
        let contract = ImageContract(image: held)
        // The secret before the service: a service whose secret is missing cannot start.
        let secret = try await secrets.ensure(for: record.id)
        let spec = blueprint.spec(for: record.id, pooled: record.isPreWarmed, agentSecret: secret, imageReference: image, contract: contract)
        do {
            return (try await engine.createService(spec), contract.agentPort)
        } catch let error as DockerError where error.code == .conflict {
            let existing = try await engine.service(spec.name)
            guard existing.spec.labels[ServiceBlueprint.idLabel] == record.id,
                  existing.spec.labels[ServiceBlueprint.instanceLabel] == settings.instanceName else {
                throw LaunchError(message: "a service named \(spec.name) exists and is not this instance's")
            }
            return (existing.id, ServiceBlueprint.agentPort(of: existing.spec.labels))
        }
    }

    /// Runs `step` again while the engine cannot be reached, until `deadline`.
    private func throughOutages<T: Sendable>(until deadline: ContinuousClock.Instant, _ step: () async throws -> T) async throws -> T {
        while true {
            do {
                return try await step()
            } catch let error as DockerError where error.isOutage && ContinuousClock.now + Self.outageRetry < deadline {
                logger.debug("Launch waits for the engine", metadata: ["error": "\(error)"])
                try await Task.sleep(for: Self.outageRetry)
            }
        }
    }

    private static let outageRetry = Duration.milliseconds(500)

    /// How long a launch of this record may take: `COLD_START_TIMEOUT` for cold starts,
    /// `CONTAINER_READY_TIMEOUT` for the pool's.
    public func launchTimeout(pooled: Bool) -> Duration {
        pooled ? settings.readyTimeout : settings.coldStartTimeout
    }

    /// Fails container `id` if it is still in one of `expected` (and `condition` holds), then
    /// removes its service in the background; returns whether it was failed. A container that
    /// moved on meanwhile (say, was claimed) is left alone.
    @discardableResult
    public func fail(
        _ id: String, expected: Set<ContainerStatus>, serviceId: String?, reason: String,
        when condition: @escaping @Sendable (ContainerRecord) -> Bool = { _ in true }
    ) async -> Bool {
        let record: ContainerRecord?
        do {
            record = try await store.transition(id, from: expected, to: .failed, kind: "failed", reason: reason, when: .matching(condition)) {
                $0.shutdownReason = .failed
            }
        } catch {
            logger.error("Recording a failure failed", metadata: ["container.id": "\(id)", "error": "\(error)"])
            return false
        }
        guard let record else { return false }
        logger.warning("Container failed", metadata: ["container.id": "\(id)", "reason": "\(reason)"])
        if let serviceId = serviceId ?? record.serviceId {
            var failed = record
            failed.serviceId = serviceId
            releaseInBackground(failed)
        } else {
            // A launch that failed before its service existed may have made the secret.
            removeSecretInBackground(of: id)
        }
        return true
    }

    /// Removals run at once, at most: the engine serialises service removals anyway.
    static let removalWorkers = 4

    /// Removes a service, then its container's agent-token secret, off the caller's path
    /// (`removals`: each retried with backoff). Idempotent; if the process dies first, the
    /// reconciler removes the service of a record that is no longer live, and then the
    /// orphaned secret.
    public func removeServiceInBackground(_ serviceId: String, of containerId: String?) {
        removals.submit("remove service \(serviceId)") { [self] in
            guard await removeService(serviceId, of: nil) else { return false }
            if let containerId { removeSecretInBackground(of: containerId) }
            return true
        }
    }

    /// Removes container `id`'s agent-token secret off the caller's path, retried while its
    /// service is still going.
    public func removeSecretInBackground(of containerId: String) {
        removals.submit("remove the secret of \(containerId)") { [secrets] in await secrets.remove(for: containerId) }
    }

    /// Removes a Swarm service, treating "already gone" as success, then the agent-token
    /// secret of `containerId` (a secret cannot go while a service uses it); returns whether
    /// the service is gone.
    @discardableResult
    public func removeService(_ serviceId: String, of containerId: String?) async -> Bool {
        do {
            try await engine.removeService(serviceId)
        } catch let error as DockerError where error.code == .serviceNotFound {
        } catch {
            logger.error("Service removal failed", metadata: ["service.id": "\(serviceId)", "error": "\(error)"])
            return false
        }
        if let containerId { await secrets.remove(for: containerId) }
        return true
    }
}

/// A container could not be brought up.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    /// Why, as a stored event reason: a stable code and our own sentence.
    public var reason: String
    /// Why, in our own words (code `launch_failed`).
    public init(message: String) { reason = "launch_failed: \(message)" }
    /// Why, as a reason that already carries its code.
    init(reason: String) { self.reason = reason }
    public var description: String { reason }
}

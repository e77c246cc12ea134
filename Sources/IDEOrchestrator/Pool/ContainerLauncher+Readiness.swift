import Foundation
import Synchronization

extension ContainerLauncher {
    /// Watches the service's task (each `TaskWatch` tick) until the container is reachable,
    /// within the record's launch timeout: its agent answers (and holds no assignment), its
    /// code, vnc and web ports answer, and Traefik routes its URLs (`TRAEFIK_PROBE_URL`). The
    /// route is awaited at most `ROUTE_WAIT_TIMEOUT` once the ports answer; a container still
    /// unrouted then becomes ready with its route pending (the start's answer says so).
    public func waitUntilReady(_ record: ContainerRecord) async throws -> ContainerRecord {
        guard let serviceId = record.serviceId else { throw LaunchError(message: "container \(record.id) has no service") }
        let timeout = launchTimeout(pooled: record.isPreWarmed)
        let deadline = ContinuousClock.now + timeout
        var lastProblem = "no running task yet"
        var reachableSince: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            switch try await probeThroughOutages(serviceId: serviceId, containerId: record.id, agentPort: record.agentPort) {
            case .reachable(let address, let taskId):
                let since = reachableSince ?? .now
                reachableSince = since
                let routed = await reach.routed(record.urls)
                // Past the route's bound (or the launch's), ready anyway: the ports answer.
                let waitedEnough = ContinuousClock.now >= min(since + settings.routeWaitTimeout, deadline - .seconds(1))
                guard routed || waitedEnough else {
                    lastProblem = "Traefik does not route it yet"
                    continue
                }
                guard let ready = try await store.transition(record.id, from: [.warming], to: .ready, kind: "ready", reason: routed ? nil : "route still pending", change: {
                    $0.taskAddress = address
                    $0.taskId = taskId
                    $0.readyAt = Date()
                }) else { throw LaunchError(message: "container \(record.id) left warming while starting") }
                if !routed {
                    pendingRoutes.insert(record.id)
                    logger.warning("Container ready before Traefik routes it", metadata: ["container.id": "\(record.id)"])
                }
                readySignal.notify()
                return ready
            case .failing(let problem):
                await fail(record.id, expected: [.warming], serviceId: serviceId, reason: problem)
                throw LaunchError(reason: problem)
            case .pending(let problem):
                reachableSince = nil
                lastProblem = problem
            }
        }
        let reason = "not_ready: not ready within \(timeout): \(lastProblem)"
        await fail(record.id, expected: [.warming], serviceId: serviceId, reason: reason)
        throw LaunchError(reason: reason)
    }

    /// Whether Traefik is still not seen routing the container: asked again once for a
    /// container that became ready before its route.
    public func routePending(_ record: ContainerRecord) async -> Bool {
        guard pendingRoutes.contains(record.id) else { return false }
        guard await reach.routed(record.urls) else { return true }
        pendingRoutes.remove(record.id)
        return false
    }

    /// `pending` says in our own words what is awaited; `failing` is a stored reason (`FailureReason`).
    private enum Probe {
        case reachable(address: String, taskId: String)
        case pending(String)
        case failing(String)
    }

    /// An engine that cannot be reached says nothing about the container: keep waiting.
    private func probeThroughOutages(serviceId: String, containerId: String, agentPort: Int) async throws -> Probe {
        do {
            return try await probe(serviceId: serviceId, containerId: containerId, agentPort: agentPort)
        } catch let error as DockerError where error.isOutage {
            logger.debug("Readiness waits for the engine", metadata: ["container.id": "\(containerId)", "error": "\(error)"])
            return .pending("the Docker engine did not answer")
        }
    }

    private func probe(serviceId: String, containerId: String, agentPort: Int) async throws -> Probe {
        let tasks = try await taskWatch.nextTasks(of: serviceId)
        let failures = tasks.filter(\.hasFailed)
        if failures.count > settings.restartMaxAttempts, !tasks.contains(where: \.isRunning) {
            logger.warning("Container tasks keep failing", metadata: [
                "container.id": "\(containerId)", "error": "\(failures.last?.status.err ?? failures.last?.status.message ?? "unknown")",
            ])
            return .failing("tasks_failing: its tasks keep failing (\(failures.count) failed)")
        }
        guard let task = tasks.first(where: \.isRunning) else {
            return .pending(tasks.last.map { "task \($0.status.state)" } ?? "no task yet")
        }
        guard let address = try await address(of: task) else { return .pending("task has no address on \(settings.swarmNetwork)") }
        guard let health = await agent.health(address: address, port: agentPort, containerId: containerId) else {
            return .pending("agent not answering at \(address):\(agentPort)")
        }
        // A container assigned before we ever handed it out was taken by someone else.
        if health.assigned == true { return .failing("agent_taken: its agent reports an assignment nobody made through this service") }
        let silent = await reach.idePorts(address: address).filter { !$0.value }.keys.sorted()
        guard silent.isEmpty else { return .pending("\(silent.joined(separator: ", ")) not answering at \(address)") }
        return .reachable(address: address, taskId: task.id)
    }

    /// The task's IPv4 address on the IDE network: from the container on bridge networks,
    /// from the task's attachments on overlay networks.
    func address(of task: SwarmTask) async throws -> String? {
        let attached = task.networksAttachments?.first { $0.network.spec?.name == settings.swarmNetwork }?.addresses?.first
        if let attached, let ip = attached.split(separator: "/").first { return String(ip) }
        guard let containerID = task.status.containerStatus?.containerID else { return nil }
        return try await engine.container(containerID).address(on: settings.swarmNetwork)
    }
}

/// The ids of containers that became ready before Traefik was seen routing them.
public final class PendingRoutes: Sendable {
    private let ids = Mutex<Set<String>>([])

    /// Creates an empty set.
    public init() {}

    func insert(_ id: String) { ids.withLock { _ = $0.insert(id) } }
    func remove(_ id: String) { ids.withLock { _ = $0.remove(id) } }
    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
}

import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle

/// Keeps the store true to Swarm, like a controller's reconcile loop: at start, on a timer
/// and whenever the engine's event stream reports a change, it compares the two and acts.
public actor Reconciler: Service {
    private let store: AppDatabase
    private let engine: any DockerEngine
    private let launcher: ContainerLauncher
    private let pool: PoolMaintainer
    private let settings: Settings
    private let logger: Logger
    private let triggers: AsyncStream<Void>
    private let triggerSink: AsyncStream<Void>.Continuation
    private var adopting: Set<String> = []
    private let metrics: OrchestratorMetrics?

    /// Creates a reconciler.
    public init(store: AppDatabase, engine: any DockerEngine, launcher: ContainerLauncher, pool: PoolMaintainer, settings: Settings, logger: Logger, metrics: OrchestratorMetrics? = nil) {
        self.metrics = metrics
        self.store = store
        self.engine = engine
        self.launcher = launcher
        self.pool = pool
        self.settings = settings
        self.logger = logger
        (triggers, triggerSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a pass soon.
    public nonisolated func trigger() {
        triggerSink.yield()
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { [settings] in
                for try await _ in AsyncTimerSequence(interval: settings.reconcileInterval, clock: .continuous) { self.trigger() }
            }
            group.addTask { await self.watchEvents() }
            trigger()
            for await _ in triggers.cancelOnGracefulShutdown() {
                for adoption in await sync() {
                    group.addTask { await self.finishAdoption(adoption) }
                }
            }
            group.cancelAll()
        }
    }

    /// One level-triggered pass; returns adopted records whose readiness is still to be awaited.
    @discardableResult
    public func sync() async -> [ContainerRecord] {
        let started = ContinuousClock.now
        defer { metrics?.reconcilePassed(in: ContinuousClock.now - started) }
        do {
            // Records first, then services: a record made after this read is simply not judged.
            let live = try await store.containers(in: [.creating, .warming, .ready, .assigning, .running, .stopping])
            let services = try await observeServices()
            var records = Dictionary(live.map { ($0.id, $0) }) { a, _ in a }
            let unknownIds = services.compactMap(\.containerId).filter { records[$0] == nil }
            if !unknownIds.isEmpty {
                records.merge(try await store.containers(ids: unknownIds)) { a, _ in a }
            }
            let actions = ReconcilePlanner.plan(
                services: services.filter { !adopting.contains($0.containerId ?? "") },
                records: records, restartMaxAttempts: settings.restartMaxAttempts, now: Date(),
                grace: Double(settings.readyTimeout.milliseconds) / 1000 + 30
            )
            var adopted: [ContainerRecord] = []
            for action in actions {
                if let record = try await perform(action) { adopted.append(record) }
            }
            if !actions.isEmpty { pool.wakeUp() }
            return adopted
        } catch {
            logger.warning("Reconcile pass failed", metadata: ["error": "\(error)"])
            return []
        }
    }

    private func observeServices() async throws -> [ReconcilePlanner.ObservedService] {
        let services = try await engine.services(labels: [ServiceBlueprint.instanceLabel: settings.instanceName])
        guard !services.isEmpty else { return [] }
        let tasks = Dictionary(grouping: try await engine.tasks(serviceID: nil, desiredState: nil), by: \.serviceID)
        var observed: [ReconcilePlanner.ObservedService] = []
        for service in services {
            let serviceTasks = tasks[service.id] ?? []
            let running = serviceTasks.first(where: \.isRunning)
            var address: String?
            if let running { address = try? await launcher.address(of: running) }
            observed.append(.init(
                id: service.id, labels: service.spec.labels, failedTasks: serviceTasks.filter(\.hasFailed).count,
                hasRunningTask: running != nil, runningAddress: address,
                isDead: ReconcilePlanner.isDead(serviceTasks)
            ))
        }
        return observed
    }

    private func perform(_ action: ReconcilePlanner.Action) async throws -> ContainerRecord? {
        logger.info("Reconciling", metadata: ["action": "\(action)"])
        switch action {
        case .removeService(let serviceId, _):
            await launcher.removeService(serviceId)
        case .markGone(let id, let status, let reason, let detail):
            try await store.transition(id, from: [.creating, .warming, .ready, .assigning, .running, .stopping], to: status, kind: status == .stopped ? "stopped" : "failed", reason: "\(reason.rawValue): \(detail)") {
                $0.shutdownReason = $0.shutdownReason ?? reason
            }
        case .fail(let id, let serviceId, let detail):
            await launcher.discard(id, serviceId: serviceId, reason: detail)
        case .updateAddress(let id, let address):
            try await store.update(id, event: (kind: "address_changed", reason: "task restarted at \(address)")) { $0.taskAddress = address }
        case .adopt(let serviceId, let id):
            var record = ContainerRecord(id: id, isPreWarmed: true, cpuLimit: settings.containerCPULimit, memoryLimitBytes: settings.containerMemoryLimit, urls: RoutePlan(settings: settings).urls(for: id), now: Date())
            record.status = .warming
            record.serviceId = serviceId
            try await store.insert(record, reason: "adopted service \(serviceId) found in Swarm without a record")
            adopting.insert(id)
            return record
        }
        return nil
    }

    private func finishAdoption(_ record: ContainerRecord) async {
        _ = try? await launcher.waitUntilReady(record)
        adopting.remove(record.id)
        pool.wakeUp()
    }

    /// Follows the engine's events and triggers a pass on each relevant one; reconnects with backoff.
    private func watchEvents() async {
        var delay = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                let events = try await engine.events(types: ["service", "container"])
                for try await event in events {
                    // Only a stream that delivers resets the backoff; one the engine keeps
                    // closing at once is retried ever more slowly.
                    delay = .milliseconds(250)
                    if isRelevant(event) { triggerNowAndAfterSettling() }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("Event stream lost; reconnecting", metadata: ["error": "\(error)", "retry.in": "\(delay)"])
            }
            trigger()
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(10))
        }
    }

    /// A container's `die` arrives before Swarm records its task as ended, so a pass right
    /// away may see nothing wrong; passes shortly after catch the settled state.
    private nonisolated func triggerNowAndAfterSettling() {
        trigger()
        Task {
            for delay in [Duration.seconds(1), .seconds(4)] {
                try? await Task.sleep(for: delay)
                trigger()
            }
        }
    }

    private nonisolated func isRelevant(_ event: DockerEvent) -> Bool {
        let attributes = event.actor.attributes ?? [:]
        if event.type == "container" {
            return attributes[ServiceBlueprint.instanceLabel] == settings.instanceName && ["die", "kill", "oom", "destroy"].contains(event.action)
        }
        return attributes["name"]?.hasPrefix("ide-") ?? false
    }
}


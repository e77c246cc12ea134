import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle

/// Keeps the store true to Swarm, like a controller's reconcile loop: at start, on a timer
/// and whenever the engine's event stream reports a change, it compares the two and acts, and
/// it recovers every record stuck in a non-terminal status (`RecoveryPlanner`).
public actor Reconciler: Service {
    let store: AppDatabase
    let engine: any DockerEngine
    let launcher: ContainerLauncher
    let stopper: ContainerStopper
    let agent: any AgentClient
    private let resolver: AssignmentResolver
    private let pool: PoolMaintainer
    let settings: Settings
    let epoch: Epoch
    let logger: Logger
    private let triggers: AsyncStream<Void>
    private let triggerSink: AsyncStream<Void>.Continuation
    private let metrics: OrchestratorMetrics

    /// Creates a reconciler over the orchestrator's parts.
    public init(_ orchestrator: Orchestrator) {
        self.store = orchestrator.store
        self.engine = orchestrator.engine
        self.launcher = orchestrator.launcher
        self.stopper = orchestrator.stopper
        self.agent = orchestrator.agent
        self.resolver = AssignmentResolver(store: orchestrator.store, launcher: orchestrator.launcher, agent: orchestrator.agent, logger: orchestrator.logger)
        self.pool = orchestrator.pool
        self.settings = orchestrator.settings
        self.epoch = orchestrator.epoch
        self.logger = orchestrator.logger
        self.metrics = orchestrator.metrics
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
                await sync()
            }
            group.cancelAll()
        }
    }

    /// One level-triggered pass: recoveries first, then the store against Swarm.
    public func sync(now: Date = Date()) async {
        let started = ContinuousClock.now
        defer { metrics.reconcilePassed(in: ContinuousClock.now - started) }
        do {
            // Records first, then services: a record made after this read is simply not judged.
            let live = try await store.containers(in: ContainerStatus.live)
            for recovery in RecoveryPlanner.plan(live, epoch: epoch, now: now, deadlines: .init(settings: settings), stopsUnderWay: stopper.underWay.ids) {
                try await perform(recovery)
            }
            var records = Dictionary(live.map { ($0.id, $0) }) { a, _ in a }
            let services = try await observeServices(known: records)
            let unknownIds = services.compactMap(\.containerId).filter { records[$0] == nil }
            if !unknownIds.isEmpty {
                records.merge(try await store.containers(ids: unknownIds)) { a, _ in a }
            }
            let actions = ReconcilePlanner.plan(
                services: services, records: records, restartMaxAttempts: settings.restartMaxAttempts, now: now,
                grace: settings.readyTimeout.seconds + RecoveryPlanner.margin
            )
            for action in actions {
                try await perform(action)
            }
            if !actions.isEmpty { pool.wakeUp() }
            try await confirmReleases()
            try await sweepSecrets(services: services, live: live, now: now)
        } catch {
            logger.warning("Reconcile pass failed", metadata: ["error": "\(error)"])
        }
    }

    /// Confirms the services of ended containers gone (removing any left): until then each
    /// still holds its bucket. One look each; what is still stopping is looked at next pass.
    private func confirmReleases() async throws {
        for record in try await store.unreleased() where record.status != .stopping {
            await launcher.confirmGone(record)
        }
    }

    /// Removes agent-token secrets whose container has neither a live record nor a service.
    private func sweepSecrets(services: [ReconcilePlanner.ObservedService], live: [ContainerRecord], now: Date) async throws {
        let secrets = launcher.secrets
        let orphans = SecretSweep.orphans(
            try await secrets.all(), serviceContainerIds: Set(services.compactMap { $0.labels[ServiceBlueprint.idLabel] }),
            liveRecordIds: Set(live.map(\.id)), now: now, grace: settings.readyTimeout.seconds + RecoveryPlanner.margin
        )
        for orphan in orphans {
            logger.info("Removing orphaned agent token secret", metadata: ["secret.name": "\(orphan.spec.name)"])
            await secrets.remove(secretId: orphan.id)
        }
    }

    /// This instance's services and their tasks (only theirs, not every task on the engine).
    /// A running task the store already knows keeps its recorded address; only new tasks are
    /// inspected, so a pass over hundreds of settled containers makes two engine calls.
    private func observeServices(known records: [String: ContainerRecord]) async throws -> [ReconcilePlanner.ObservedService] {
        let services = try await engine.services(labels: [ServiceBlueprint.instanceLabel: settings.instanceName])
        guard !services.isEmpty else { return [] }
        let tasks = Dictionary(grouping: try await engine.tasks(serviceIDs: services.map(\.id)), by: \.serviceID)
        var observed: [ReconcilePlanner.ObservedService] = []
        for service in services {
            let serviceTasks = tasks[service.id] ?? []
            let running = serviceTasks.first(where: \.isRunning)
            var address: String?
            if let running {
                let record = service.spec.labels[ServiceBlueprint.idLabel].flatMap { records[$0] }
                if let record, record.taskId == running.id, let known = record.taskAddress {
                    address = known
                } else {
                    address = try? await launcher.address(of: running)
                }
            }
            observed.append(.init(
                id: service.id, labels: service.spec.labels, failedTasks: serviceTasks.filter(\.hasFailed).count,
                hasRunningTask: running != nil, runningAddress: address, runningTaskId: running?.id,
                endedTaskIds: Set(serviceTasks.filter(\.hasEnded).map(\.id)),
                isDead: ReconcilePlanner.isDead(serviceTasks), createdAt: service.createdAt.flatMap(RFC3339.date)
            ))
        }
        return observed
    }

    private func perform(_ recovery: RecoveryPlanner.Action) async throws {
        logger.info("Recovering", metadata: ["action": "\(recovery)"])
        switch recovery {
        case .failLaunch(let record, let detail):
            let since = record.statusSince
            await launcher.fail(record.id, expected: [record.status], serviceId: record.serviceId, reason: detail) { $0.statusSince == since }
        case .resolveAssignment(let record):
            await resolver.resolve(record)
        case .finishStop(let record):
            try await stopper.finish(record)
        }
    }

    private func perform(_ action: ReconcilePlanner.Action) async throws {
        logger.info("Reconciling", metadata: ["action": "\(action)"])
        switch action {
        case .removeService(let serviceId, _):
            // Its agent-token secret goes with the sweep once the service is gone.
            await launcher.removeService(serviceId, of: nil)
        case .markGone(let id, let observed, let status, let reason, let detail):
            try await store.transition(id, from: [observed], to: status, kind: status == .stopped ? "stopped" : "failed", reason: "\(reason.rawValue): \(detail)") {
                $0.shutdownReason = $0.shutdownReason ?? reason
            }
        case .fail(let id, let serviceId, let observed, let detail):
            await launcher.fail(id, expected: [observed], serviceId: serviceId, reason: detail)
        case .endRestarted(let id, let observed, let detail):
            try await stopper.stop(id, reason: .containerRestarted, detail: detail, from: [observed])
        case .adopt(let serviceId, let id, let address, let taskId, let pooled):
            try await adopt(serviceId: serviceId, id: id, address: address, taskId: taskId, pooled: pooled)
        }
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
                    if await isRelevant(event) { triggerNowAndAfterSettling() }
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

    /// Whether an engine event may concern a live container of this instance (see
    /// `EventRelevance`): one store read for events of ours, none for anyone else's.
    private func isRelevant(_ event: DockerEvent) async -> Bool {
        switch EventRelevance.subject(of: event, instance: settings.instanceName) {
        case .none:
            return false
        case .unnamed:
            return true
        case .container(let id):
            do {
                return EventRelevance.matters(try await store.container(id))
            } catch {
                return true
            }
        }
    }
}


import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle

/// Brings the metrics up to date from the store and the resource monitor: pool gauges from
/// the live counts, lifecycle counters from the audit events written since the last pass.
///
/// `/metrics` collects before rendering; the timer keeps counting between scrapes, so events
/// are tallied long before retention could prune them.
public actor MetricsCollector: Service {
    private let metrics: OrchestratorMetrics
    private let store: AppDatabase
    private let resources: any ResourceGate
    private let settings: Settings
    private let logger: Logger
    private var lastEventID: Int64 = 0

    /// Creates a collector that counts every event in the store until told where to start.
    public init(metrics: OrchestratorMetrics, store: AppDatabase, resources: any ResourceGate, settings: Settings, logger: Logger) {
        self.metrics = metrics
        self.store = store
        self.resources = resources
        self.settings = settings
        self.logger = logger
    }

    /// Counts only events after `id`: the newest at start, so counters begin at zero with the
    /// process, as Prometheus expects.
    public func startCounting(after id: Int64) {
        lastEventID = max(lastEventID, id)
    }

    public func run() async throws {
        for try await _ in AsyncTimerSequence(interval: .seconds(15), clock: .continuous).cancelOnGracefulShutdown() {
            await collect()
        }
    }

    /// Updates every gauge and tallies new events.
    public func collect() async {
        metrics.poolTarget.set(Double(settings.poolSize))
        if let counts = try? await store.poolCounts(staleBefore: PoolMaintainer.staleCutoff(ttl: settings.warmTTL)) {
            metrics.poolReady.set(Double(counts.freshReady))
            metrics.poolWarming.set(Double(counts.creating + counts.warming))
            metrics.poolAssigned.set(Double(counts.assigned))
        }
        if let syncCounts = try? await store.workspaceSyncCounts() {
            for (state, count) in syncCounts { metrics.workspaceSync(state).set(Double(count)) }
        }
        let snapshot = await resources.snapshot()
        metrics.nodeMemory.set(snapshot.memoryPercent.map { $0 / 100 } ?? .nan)
        metrics.nodeCPU.set(snapshot.cpuPercent.map { $0 / 100 } ?? .nan)
        metrics.spawnAllowed.set(snapshot.spawnAllowed ? 1.0 : 0.0)
        await tallyNewEvents()
    }

    private func tallyNewEvents() async {
        do {
            let events = try await store.lifecycleEvents(after: lastEventID)
            // Another collection may have run while this one read: count each event once.
            for event in events where event.id > lastEventID {
                for tally in LifecycleTally.of(event) { apply(tally) }
                lastEventID = event.id
            }
        } catch {
            logger.warning("Metrics collection failed", metadata: ["error": "\(error)"])
        }
    }

    private func apply(_ tally: LifecycleTally) {
        switch tally {
        case .created(let origin): metrics.created(origin).increment()
        case .claimed(let start, let duration):
            metrics.claimed(start).increment()
            if let duration { (start == .warm ? metrics.claimDuration : metrics.coldStartDuration).record(duration) }
        case .warmedUp(let duration): metrics.warmupDuration.record(duration)
        case .replaced: metrics.replaced.increment()
        case .failed: metrics.failed.increment()
        case .stopped(let reason): metrics.stopped(reason).increment()
        }
    }
}

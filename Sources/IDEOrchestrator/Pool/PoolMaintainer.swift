import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps `PRE_WARMED_QUEUE_SIZE` containers ready: refills on every claim and on a timer,
/// launches several at once, respects the resource gate and backs off after failures.
/// Claims come first: while they keep coming and a container is still ready, a refill waits
/// for them to pause (`POOL_REFILL_DELAY`), so launches do not compete with a run of claims
/// for the CPU; a pool that ran dry refills at once.
public actor PoolMaintainer: Service {
    private let store: AppDatabase
    private let launcher: ContainerLauncher
    private let stopper: ContainerStopper
    private let resources: any ResourceGate
    private let target: Int
    private let concurrency: Int
    private let interval: Duration
    private let backoffMax: Duration
    private let warmTTL: Duration?
    private let refillDelay: Duration
    private let lastClaim = Mutex<ContinuousClock.Instant?>(nil)
    private var waitingForClaimsSince: ContinuousClock.Instant?
    private let logger: Logger
    private let wakeups: AsyncStream<Void>
    private let wakeupSink: AsyncStream<Void>.Continuation

    private var inFlight = 0
    private var consecutiveFailures = 0
    private var lastFailure: String?
    private var backoffUntil: ContinuousClock.Instant?
    /// The latest reason the pool could not fill, for `/api/queue`.
    public private(set) var lastWaitReason: String?

    /// Creates a maintainer.
    public init(store: AppDatabase, launcher: ContainerLauncher, resources: any ResourceGate, settings: Settings, epoch: Epoch, logger: Logger) {
        self.store = store
        self.launcher = launcher
        self.stopper = ContainerStopper(store: store, launcher: launcher, epoch: epoch)
        self.resources = resources
        self.target = settings.poolSize
        self.concurrency = settings.spawnConcurrency
        self.interval = settings.poolInterval
        self.backoffMax = settings.spawnBackoffMax
        self.warmTTL = settings.warmTTL
        self.refillDelay = settings.refillDelay
        self.logger = logger
        (wakeups, wakeupSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for an immediate check.
    public nonisolated func wakeUp() {
        wakeupSink.yield()
    }

    /// A claim took a ready container: refill once claims pause.
    public nonisolated func claimed() {
        lastClaim.withLock { $0 = .now }
        wakeupSink.yield()
    }

    /// Until when a refill should wait because claims are coming: until none has come for
    /// `refillDelay`, but no longer than ten times that since the refill began to wait; nil
    /// when it should go ahead.
    private func claimsActiveUntil() -> ContinuousClock.Instant? {
        let now = ContinuousClock.now
        guard refillDelay > .zero, let last = lastClaim.withLock({ $0 }), last + refillDelay > now else {
            waitingForClaimsSince = nil
            return nil
        }
        let since = waitingForClaimsSince ?? now
        waitingForClaimsSince = since
        let latest = since + refillDelay * 10
        return latest > now ? min(last + refillDelay, latest) : nil
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { [interval] in
                for try await _ in AsyncTimerSequence(interval: interval, clock: .continuous) { self.wakeUp() }
            }
            for launch in await resumeInterruptedLaunches() {
                group.addTask { await self.finish(launch) }
            }
            wakeUp()
            for await _ in wakeups.cancelOnGracefulShutdown() {
                for launch in await refill() {
                    group.addTask { await self.finish(launch) }
                }
            }
            group.cancelAll()
        }
    }

    /// When warm containers turn stale: ready since before this instant.
    public nonisolated static func staleCutoff(ttl: Duration?, now: Date = Date()) -> Date? {
        ttl.map { now.addingTimeInterval(-Double($0.milliseconds) / 1000) }
    }

    /// Plans and stores the records of the launches to start now; retires stale and surplus
    /// ready containers.
    func refill() async -> [ContainerRecord] {
        do {
            let cutoff = Self.staleCutoff(ttl: warmTTL)
            let counts = try await store.poolCounts(staleBefore: cutoff)
            try await retire(counts, cutoff: cutoff)
            let snapshot = await resources.snapshot()
            let backingOff = backoffUntil.map { ContinuousClock.now < $0 } ?? false
            let observation = PoolPlanner.Observation(
                target: target, pooled: counts.pooled, inFlight: inFlight, concurrency: concurrency,
                resourceBlock: snapshot.spawnAllowed ? nil : snapshot.reason, backingOff: backingOff,
                failures: consecutiveFailures, lastFailure: lastFailure
            )
            let decision = PoolPlanner.plan(observation)
            switch decision {
            case .nothing:
                lastWaitReason = nil
                return []
            case .wait(let reason):
                lastWaitReason = reason
                return []
            case .spawn(let count):
                // Claims first while a container is still ready; a pool that ran dry refills
                // at once (requests are waiting). The pass after the pause plans afresh.
                if counts.ready > 0, let until = claimsActiveUntil() {
                    try? await Task.sleep(until: until, clock: .continuous)
                    wakeUp()
                    return []
                }
                waitingForClaimsSince = nil
                lastWaitReason = observation.failureReason
                var records: [ContainerRecord] = []
                for _ in 0..<count {
                    records.append(try await launcher.newRecord(pooled: true))
                    inFlight += 1
                }
                return records
            }
        } catch let error as DockerError where error.code == .engineUnreachable {
            lastWaitReason = "Docker engine unreachable"
            logger.warning("Pool refill waits for the engine", metadata: ["error": "\(error)"])
            return []
        } catch {
            logger.error("Pool refill failed", metadata: ["error": "\(error)"])
            return []
        }
    }

    private func retire(_ counts: PoolCounts, cutoff: Date?) async throws {
        let plan = PoolPlanner.retirements(target: target, freshReady: counts.freshReady, staleReady: counts.staleReady)
        if plan.stale > 0, let cutoff {
            for record in try await store.readyPoolContainers(readyBefore: cutoff).prefix(plan.stale) {
                await retire(record, reason: .expired, detail: "warm longer than WARM_CONTAINER_TTL_SECONDS")
            }
        }
        if plan.surplus > 0 {
            for record in try await store.readyPoolContainers(readyBefore: nil).prefix(plan.surplus) {
                await retire(record, reason: .surplus, detail: "more ready containers than PRE_WARMED_QUEUE_SIZE")
            }
        }
    }

    /// Stops a ready container unless a claim took it first.
    private func retire(_ record: ContainerRecord, reason: ShutdownReason, detail: String) async {
        do {
            guard try await stopper.stop(record.id, reason: reason, detail: detail, from: [.ready])?.status == .stopped else { return }
            logger.info("Warm container retired", metadata: ["container.id": "\(record.id)", "reason": "\(reason.rawValue)"])
        } catch {
            logger.error("Retiring a warm container failed", metadata: ["container.id": "\(record.id)", "error": "\(error)"])
        }
    }

    /// Launches left creating or warming by an earlier run, of either origin: resume waiting
    /// for those with a service (they join the pool), fail those without (the reconciler
    /// removes any service they may have).
    private func resumeInterruptedLaunches() async -> [ContainerRecord] {
        let stale = (try? await store.containers(in: [.creating, .warming])) ?? []
        var resumed: [ContainerRecord] = []
        for record in stale {
            if record.status == .warming, record.serviceId != nil {
                inFlight += 1
                resumed.append(record)
            } else {
                await launcher.fail(record.id, expected: [.creating], serviceId: record.serviceId, reason: "interrupted before its service was recorded")
            }
        }
        return resumed
    }

    private func finish(_ record: ContainerRecord) async {
        let outcome: Result<ContainerRecord, any Error>
        do {
            outcome = .success(record.status == .creating ? try await launcher.start(record) : try await launcher.waitUntilReady(record))
        } catch {
            outcome = .failure(error)
        }
        launchEnded(outcome)
    }

    private func launchEnded(_ outcome: Result<ContainerRecord, any Error>) {
        inFlight -= 1
        switch outcome {
        case .success(let record):
            consecutiveFailures = 0
            lastFailure = nil
            backoffUntil = nil
            logger.info("Warm container ready", metadata: ["container.id": "\(record.id)"])
        case .failure where Task.isCancelled:
            logger.info("Warm container launch interrupted by the shutdown: the next start resumes it")
            return
        case .failure(let error):
            let delay = failed("\(error)")
            logger.warning("Warm container launch failed", metadata: ["error": "\(error)", "failures": "\(consecutiveFailures)", "backoff": "\(delay)"])
        }
        wakeUp()
    }

    /// A warm container failed before any claim took it (its IDE broke): it counts like a
    /// failed launch, so a pool whose every new container fails stops filling.
    public func newContainerFailed(_ reason: String) {
        let delay = failed(reason)
        logger.warning("Warm container failed before use", metadata: ["failures": "\(consecutiveFailures)", "backoff": "\(delay)"])
    }

    /// Counts a failure and backs off; returns the delay.
    private func failed(_ reason: String) -> Duration {
        consecutiveFailures += 1
        lastFailure = reason
        let delay = min(backoffMax, .milliseconds(500) * (1 << min(consecutiveFailures, 16)))
        backoffUntil = .now + delay
        return delay
    }
}

import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle

/// Checks every warm and running container at `HEALTH_CHECK_INTERVAL`. After
/// `HEALTH_CHECK_RETRIES` consecutive failures a warm one is replaced; a running one is marked
/// unhealthy, and stopped once it has stayed so for `UNHEALTHY_GRACE_PERIOD`.
public struct HealthMonitor: Service {
    let store: AppDatabase
    let probe: any HealthProbe
    let launcher: ContainerLauncher
    let stopper: ContainerStopper
    let pool: PoolMaintainer
    let settings: Settings
    let logger: Logger

    /// Creates a monitor.
    public init(store: AppDatabase, probe: any HealthProbe, launcher: ContainerLauncher, stopper: ContainerStopper, pool: PoolMaintainer, settings: Settings, logger: Logger) {
        self.store = store
        self.probe = probe
        self.launcher = launcher
        self.stopper = stopper
        self.pool = pool
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        for try await _ in AsyncTimerSequence(interval: settings.healthCheckInterval, clock: .continuous).cancelOnGracefulShutdown() {
            await checkAll()
        }
    }

    /// One round over every warm and running container, concurrently.
    public func checkAll() async {
        guard let records = try? await store.containers(in: [.ready, .running]) else { return }
        await withTaskGroup(of: Void.self) { group in
            for record in records {
                guard let address = record.taskAddress else { continue }
                group.addTask { await check(record, address: address) }
            }
        }
    }

    private func check(_ record: ContainerRecord, address: String) async {
        let ports = await probe.check(address: address)
        let healthy = !ports.isEmpty && ports.values.allSatisfy { $0 }
        let portsJSON = (try? JSONEncoder().encode(ports)).map { String(decoding: $0, as: UTF8.self) }
        let now = Date()
        let failing = healthy ? nil : ports.filter { !$0.value }.keys.sorted().joined(separator: ", ")
        do {
            guard let updated = try await store.update(record.id, change: {
                $0.lastHealthCheckAt = now
                $0.healthPorts = portsJSON
                if healthy {
                    $0.consecutiveHealthFailures = 0
                    $0.healthStatus = "healthy"
                    $0.unhealthySince = nil
                } else {
                    $0.consecutiveHealthFailures += 1
                }
            }) else { return }
            guard !healthy, updated.consecutiveHealthFailures >= settings.healthCheckRetries else { return }
            try await actOnFailure(updated, failing: failing ?? "", now: now)
        } catch {
            logger.error("Health bookkeeping failed", metadata: ["container.id": "\(record.id)", "error": "\(error)"])
        }
    }

    private func actOnFailure(_ record: ContainerRecord, failing: String, now: Date) async throws {
        let detail = "\(record.consecutiveHealthFailures) consecutive failed health checks (\(failing))"
        switch record.status {
        case .ready:
            await launcher.discard(record.id, serviceId: record.serviceId, reason: "unhealthy while warm: \(detail)")
            pool.wakeUp()
        case .running:
            if let since = record.unhealthySince {
                if now.timeIntervalSince(since) >= Double(settings.unhealthyGracePeriod.milliseconds) / 1000 {
                    try await stopper.stop(record.id, reason: .unhealthy, detail: detail)
                }
            } else {
                try await store.update(record.id, event: (kind: "unhealthy", reason: detail), at: now) {
                    $0.healthStatus = "unhealthy"
                    $0.unhealthySince = now
                }
                logger.warning("Running container unhealthy", metadata: ["container.id": "\(record.id)", "detail": "\(detail)"])
            }
        default:
            break
        }
    }
}

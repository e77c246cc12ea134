import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle

/// Stops running containers idle longer than `IDLE_TIMEOUT_SECONDS` (reason `inactivity`)
/// and prunes stopped records older than `RECORD_RETENTION_DAYS`. A container is idle only
/// if the service can learn of its activity (`activityTracked`): one whose agent never
/// reports activity and has no URL to push it to is never stopped for inactivity.
public struct Housekeeper: Service {
    let store: AppDatabase
    let stopper: ContainerStopper
    let settings: Settings
    let logger: Logger

    /// Creates a housekeeper.
    public init(store: AppDatabase, stopper: ContainerStopper, settings: Settings, logger: Logger) {
        self.store = store
        self.stopper = stopper
        self.settings = settings
        self.logger = logger
    }

    /// The sweep cadence: `HOUSEKEEPING_INTERVAL`, but at least every half idle timeout, so a
    /// short timeout is honoured promptly (a sweep is one indexed query).
    var interval: Duration {
        guard let idle = settings.idleTimeout else { return settings.housekeepingInterval }
        return max(.milliseconds(100), min(settings.housekeepingInterval, idle / 2))
    }

    public func run() async throws {
        for try await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            await sweep(now: Date())
        }
    }

    /// One pass: idle shutdowns, then retention.
    public func sweep(now: Date) async {
        do {
            if let idle = settings.idleTimeout {
                let cutoff = now.addingTimeInterval(-Double(idle.milliseconds) / 1000)
                let isIdle: @Sendable (ContainerRecord) -> Bool = { $0.activityTracked && ($0.lastActivityAt ?? $0.assignedAt ?? $0.createdAt) < cutoff }
                for record in try await store.containers(in: [.running]) where isIdle(record) {
                    // Decided again inside the transaction: activity reported since this read wins.
                    let stopped = try await stopper.stop(record.id, reason: .inactivity, detail: "no activity for \(idle)", from: [.running], when: isIdle)
                    if stopped?.shutdownReason == .inactivity { logger.info("Stopped idle container", metadata: ["container.id": "\(record.id)"]) }
                }
            }
            let pruned = try await store.pruneStopped(before: now.addingTimeInterval(-Double(settings.retention.milliseconds) / 1000))
            if pruned > 0 { logger.info("Pruned stopped records", metadata: ["count": "\(pruned)"]) }
        } catch {
            logger.error("Housekeeping failed", metadata: ["error": "\(error)"])
        }
    }
}

import Foundation
import Logging

/// Launches containers for start requests that found none ready, at most
/// `MAX_CONCURRENT_COLD_STARTS` at once and never more than there are waiting requests. A
/// launch ends `ready` like a pool launch: the first waiting request takes it, or it joins the
/// pool if every waiter was served by another container first.
public actor ColdStarter {
    private let launcher: ContainerLauncher
    private let resources: any ResourceGate
    private let limit: Int
    private let logger: Logger
    /// The launches under way: bounded, cancelled on shutdown.
    public nonisolated let launches: BackgroundWork
    private var waiting = 0
    private var launching = 0
    private var failures: [(at: ContinuousClock.Instant, error: any Error)] = []

    /// Creates a starter.
    public init(launcher: ContainerLauncher, resources: any ResourceGate, settings: Settings, logger: Logger) {
        self.launcher = launcher
        self.resources = resources
        self.limit = settings.coldStartConcurrency
        self.logger = logger
        self.launches = BackgroundWork("cold starts", workers: settings.coldStartConcurrency, retry: .once, logger: logger)
    }

    /// Counts a request as waiting while `body` runs.
    public func whileWaiting<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        waiting += 1
        defer { waiting -= 1 }
        return try await body()
    }

    /// Starts launches until each waiting request has one (within the limit); throws when
    /// nothing may be created and nothing is on its way.
    public func ensureLaunches() async throws(APIError) {
        guard launching < min(limit, waiting) else { return }
        let snapshot = await resources.snapshot()
        guard snapshot.spawnAllowed else {
            if launching == 0 { throw APIError.resourceLimit(snapshot.reason ?? "resource limit reached") }
            return
        }
        while launching < min(limit, waiting) {
            launching += 1
            launches.submit("cold start") {
                await self.launch()
                return true
            }
        }
    }

    /// Launch failures since `instant`, newest last.
    public func failures(since instant: ContinuousClock.Instant) -> [any Error] {
        failures.filter { $0.at >= instant }.map(\.error)
    }

    private func launch() async {
        do {
            let record = try await launcher.newRecord(pooled: false)
            _ = try await launcher.start(record)
        } catch {
            logger.warning("Cold start failed", metadata: ["error": "\(error)"])
            failures.append((.now, error))
            if failures.count > 32 { failures.removeFirst(failures.count - 32) }
            // Wake the waiters so they see the failure at once.
            launcher.readySignal.notifyAll()
        }
        launching -= 1
    }
}

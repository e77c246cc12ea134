import AsyncAlgorithms
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Samples memory and CPU at an interval and gates spawning at the configured ceilings.
public final class ResourceMonitor: ResourceGate, Service {
    private let maxMemoryPercent: Double
    private let maxCpuPercent: Double
    private let interval: Duration
    private let engine: (any DockerEngine)?
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var latest: ResourceSnapshot?
        var lastCPU: (busy: Double, total: Double)?
    }

    /// Creates a monitor; `engine` adds Swarm node figures when given.
    public init(settings: Settings, engine: (any DockerEngine)?, logger: Logger) {
        self.maxMemoryPercent = settings.maxMemoryPercent
        self.maxCpuPercent = settings.maxCPUPercent
        self.interval = settings.resourceSampleInterval
        self.engine = engine
        self.logger = logger
    }

    public func snapshot() async -> ResourceSnapshot {
        if let latest = state.withLock({ $0.latest }) { return latest }
        return await sample()
    }

    public func run() async throws {
        for try await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
            _ = await sample()
        }
    }

    /// Takes fresh figures now.
    @discardableResult
    public func sample() async -> ResourceSnapshot {
        let memory = HostResources.read("/proc/meminfo").flatMap(HostResources.memoryPercent)
        let times = HostResources.read("/proc/stat").flatMap(HostResources.cpuTimes)
        let nodes = await nodeResources()
        let (snapshot, wasAllowed) = state.withLock { state in
            var cpu: Double?
            if let times, let last = state.lastCPU, times.total > last.total {
                cpu = (times.busy - last.busy) / (times.total - last.total) * 100
            }
            if let times { state.lastCPU = times }
            let snapshot = ResourceSnapshot.evaluate(
                memoryPercent: memory, cpuPercent: cpu, maxMemoryPercent: maxMemoryPercent,
                maxCpuPercent: maxCpuPercent, nodes: nodes, at: Date()
            )
            let wasAllowed = state.latest?.spawnAllowed ?? true
            state.latest = snapshot
            return (snapshot, wasAllowed)
        }
        // Said once when the verdict changes, not on every sample.
        if snapshot.spawnAllowed != wasAllowed {
            if let reason = snapshot.reason {
                logger.notice("Spawning paused by resources", metadata: ["reason": "\(reason)"])
            } else {
                logger.notice("Spawning allowed again")
            }
        }
        return snapshot
    }

    private func nodeResources() async -> [NodeResources] {
        guard let engine else { return [] }
        do {
            // Each task carries the reservations it was scheduled with: no listing (and decoding)
            // of every service on the engine at every sample.
            async let nodes = engine.nodes()
            async let tasks = engine.tasks(serviceID: nil, desiredState: "running")
            var reserved: [String: (memory: Int64, cpu: Int64)] = [:]
            for task in try await tasks {
                guard let node = task.nodeID, let limits = task.spec?.resources?.reservations else { continue }
                reserved[node, default: (0, 0)].memory += limits.memoryBytes ?? 0
                reserved[node, default: (0, 0)].cpu += limits.nanoCPUs ?? 0
            }
            return try await nodes.map { node in
                NodeResources(
                    id: node.id, hostname: node.description.hostname, state: node.status.state,
                    memoryBytes: node.description.resources?.memoryBytes ?? 0, nanoCPUs: node.description.resources?.nanoCPUs ?? 0,
                    reservedMemoryBytes: reserved[node.id]?.memory ?? 0, reservedNanoCPUs: reserved[node.id]?.cpu ?? 0
                )
            }
        } catch {
            logger.debug("Node figures unavailable", metadata: ["error": "\(error)"])
            return []
        }
    }
}

import Foundation

/// The latest resource figures and whether they allow a new container.
public struct ResourceSnapshot: Sendable, Codable, Equatable {
    /// Node memory use in percent, when known.
    public var memoryPercent: Double?
    /// Node CPU use in percent, when known.
    public var cpuPercent: Double?
    /// The memory ceiling from the settings.
    public var maxMemoryPercent: Double
    /// The CPU ceiling from the settings.
    public var maxCpuPercent: Double
    /// Whether a new container may be created now.
    public var spawnAllowed: Bool
    /// Why not, when it may not.
    public var reason: String?
    /// When the figures were taken.
    public var sampledAt: Date?
    /// Swarm nodes' capacity and what services reserve on them.
    public var nodes: [NodeResources]

    /// Applies the ceilings to measured figures.
    static func evaluate(memoryPercent: Double?, cpuPercent: Double?, maxMemoryPercent: Double, maxCpuPercent: Double, nodes: [NodeResources], at: Date?) -> ResourceSnapshot {
        var reason: String?
        // A ceiling of 100 turns that check off: use cannot exceed it, and saturation alone
        // (a CPU busy for a moment) is no reason to refuse a container.
        if let memory = memoryPercent, maxMemoryPercent < 100, memory >= maxMemoryPercent {
            reason = "node memory use \(rounded(memory))% is at or above MAX_MEMORY_PERCENT \(rounded(maxMemoryPercent))%"
        } else if let cpu = cpuPercent, maxCpuPercent < 100, cpu >= maxCpuPercent {
            reason = "node CPU use \(rounded(cpu))% is at or above MAX_CPU_PERCENT \(rounded(maxCpuPercent))%"
        }
        return ResourceSnapshot(
            memoryPercent: memoryPercent.map(rounded), cpuPercent: cpuPercent.map(rounded),
            maxMemoryPercent: maxMemoryPercent, maxCpuPercent: maxCpuPercent,
            spawnAllowed: reason == nil, reason: reason, sampledAt: at, nodes: nodes
        )
    }

    private static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}

/// One Swarm node's capacity and the resources services reserve on it.
public struct NodeResources: Sendable, Codable, Equatable {
    /// The node id.
    public var id: String
    /// Its hostname.
    public var hostname: String?
    /// `ready`, `down`, ...
    public var state: String
    /// Total memory in bytes.
    public var memoryBytes: Int64
    /// Total CPU in billionths.
    public var nanoCPUs: Int64
    /// Memory reserved by running tasks.
    public var reservedMemoryBytes: Int64
    /// CPU reserved by running tasks.
    public var reservedNanoCPUs: Int64
}

/// Tells the pool and the claim path whether a new container may be created.
public protocol ResourceGate: Sendable {
    /// The latest figures and verdict.
    func snapshot() async -> ResourceSnapshot
}

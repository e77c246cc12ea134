import Foundation

// The bodies of /api/health and /api/queue. Optional fields are written as explicit nulls,
// so every field the document marks required is always present.

/// The engine as `/api/health` and `/api/nodes` show it.
struct EngineView: Encodable {
    var reachable: Bool
    var version: String?
    var error: String?
    enum CodingKeys: CodingKey { case reachable, version, error }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reachable, forKey: .reachable)
        try c.encode(version, forKey: .version)
        try c.encode(error, forKey: .error)
    }
}

/// The answer of `/api/health`.
struct HealthResponse: Encodable {
    typealias Engine = EngineView
    struct Store: Encodable { var ok: Bool }
    struct Pool: Encodable {
        var target: Int
        var ready: Int
        var warming: Int
        var assigned: Int
        /// Why the pool cannot fill; only with the API key, and only when it cannot.
        var reason: String?

        enum CodingKeys: CodingKey { case target, ready, warming, assigned, reason }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(target, forKey: .target)
            try c.encode(ready, forKey: .ready)
            try c.encode(warming, forKey: .warming)
            try c.encode(assigned, forKey: .assigned)
            try c.encodeIfPresent(reason, forKey: .reason)
        }
    }
    /// The spawn gate's figures; `nodes` only for a caller with the API key.
    struct Resources: Encodable {
        var snapshot: ResourceSnapshot
        var nodes: [NodeResources]
        init(_ snapshot: ResourceSnapshot, nodes: [NodeResources]) {
            self.snapshot = snapshot
            self.nodes = nodes
        }
        enum CodingKeys: CodingKey { case memoryPercent, cpuPercent, maxMemoryPercent, maxCpuPercent, spawnAllowed, reason, sampledAt, nodes }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(snapshot.memoryPercent, forKey: .memoryPercent)
            try c.encode(snapshot.cpuPercent, forKey: .cpuPercent)
            try c.encode(snapshot.maxMemoryPercent, forKey: .maxMemoryPercent)
            try c.encode(snapshot.maxCpuPercent, forKey: .maxCpuPercent)
            try c.encode(snapshot.spawnAllowed, forKey: .spawnAllowed)
            try c.encode(snapshot.reason, forKey: .reason)
            try c.encode(snapshot.sampledAt, forKey: .sampledAt)
            try c.encode(nodes.map(Node.init), forKey: .nodes)
        }
    }
    struct Node: Encodable {
        var node: NodeResources
        init(_ node: NodeResources) { self.node = node }
        enum CodingKeys: CodingKey { case id, hostname, state, memoryBytes, nanoCPUs, reservedMemoryBytes, reservedNanoCPUs }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(node.id, forKey: .id)
            try c.encode(node.hostname, forKey: .hostname)
            try c.encode(node.state, forKey: .state)
            try c.encode(node.memoryBytes, forKey: .memoryBytes)
            try c.encode(node.nanoCPUs, forKey: .nanoCPUs)
            try c.encode(node.reservedMemoryBytes, forKey: .reservedMemoryBytes)
            try c.encode(node.reservedNanoCPUs, forKey: .reservedNanoCPUs)
        }
    }
    var status: String
    var engine: Engine
    var store: Store
    var pool: Pool
    var resources: Resources
    var timestamp: Date
}

/// The answer of `/api/queue`.
struct QueueResponse: Encodable {
    struct Claim: Encodable {
        var id: String
        var serviceName: String
        var bucket: String?
        var isPreWarmed: Bool
        var claimedAt: Date?
        var claimMillis: Double?
        enum CodingKeys: CodingKey { case id, serviceName, bucket, isPreWarmed, claimedAt, claimMillis }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(serviceName, forKey: .serviceName)
            try c.encode(bucket, forKey: .bucket)
            try c.encode(isPreWarmed, forKey: .isPreWarmed)
            try c.encode(claimedAt, forKey: .claimedAt)
            try c.encode(claimMillis, forKey: .claimMillis)
        }
    }
    struct Minute: Encodable {
        var minute: Date
        var warm: Int
        var cold: Int
    }
    var target: Int
    var ready: Int
    var warming: Int
    var creating: Int
    var assigned: Int
    var spawnAllowed: Bool
    var reason: String?
    var recentClaims: [Claim]
    /// Records per status, stopped and failed included.
    var byStatus: [String: Int]
    /// Claims in each of the last 30 minutes, oldest first.
    var claimsPerMinute: [Minute]

    enum CodingKeys: CodingKey { case target, ready, warming, creating, assigned, spawnAllowed, reason, recentClaims, byStatus, claimsPerMinute }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(target, forKey: .target)
        try c.encode(ready, forKey: .ready)
        try c.encode(warming, forKey: .warming)
        try c.encode(creating, forKey: .creating)
        try c.encode(assigned, forKey: .assigned)
        try c.encode(spawnAllowed, forKey: .spawnAllowed)
        try c.encode(reason, forKey: .reason)
        try c.encode(recentClaims, forKey: .recentClaims)
        try c.encode(byStatus, forKey: .byStatus)
        try c.encode(claimsPerMinute, forKey: .claimsPerMinute)
    }
}

import Foundation
import Hummingbird

/// `/api/nodes`: the engine, this host's figures and the Swarm nodes with what our containers hold.
struct NodeRoutes {
    let orchestrator: Orchestrator

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("/nodes", use: nodes)
    }

    /// Always 200: an unreachable engine is part of the answer, with no nodes.
    @Sendable func nodes(_ request: Request, context: AppRequestContext) async throws -> Response {
        let resources = await orchestrator.resources.snapshot()
        var engine = NodesResponse.Engine(reachable: false, version: nil, error: nil)
        var nodes: [NodeView] = []
        do {
            let engineClient = orchestrator.engine
            async let version = engineClient.version()
            async let swarmNodes = engineClient.nodes()
            async let ours = engineClient.services(labels: [ServiceBlueprint.instanceLabel: orchestrator.settings.instanceName])
            async let tasks = engineClient.tasks(serviceID: nil, desiredState: "running")
            engine.version = try await version.version
            engine.reachable = true
            let limits = Dictionary(try await ours.map { ($0.id, $0.spec.taskTemplate.resources?.limits) }) { a, _ in a }
            var held: [String: NodeView.Held] = [:]
            for task in try await tasks {
                guard let node = task.nodeID, let limit = limits[task.serviceID] else { continue }
                held[node, default: .init()].containers += 1
                held[node, default: .init()].memoryBytes += limit?.memoryBytes ?? 0
                held[node, default: .init()].nanoCPUs += limit?.nanoCPUs ?? 0
            }
            let reserved = Dictionary(resources.nodes.map { ($0.id, $0) }) { a, _ in a }
            nodes = try await swarmNodes.map { node in
                NodeView(node, reserved: reserved[node.id], ours: held[node.id] ?? .init())
            }.sorted { ($0.hostname ?? $0.id) < ($1.hostname ?? $1.id) }
        } catch {
            engine.error = (error as? DockerError).map { "\($0.code.rawValue): \($0.message)" } ?? "\(error)"
        }
        let host = NodesResponse.Host(
            memoryPercent: resources.memoryPercent, cpuPercent: resources.cpuPercent,
            maxMemoryPercent: resources.maxMemoryPercent, maxCpuPercent: resources.maxCpuPercent,
            spawnAllowed: resources.spawnAllowed, reason: resources.reason, sampledAt: resources.sampledAt
        )
        return try JSON.response(NodesResponse(engine: engine, host: host, nodes: nodes))
    }
}

/// The answer of `/api/nodes`.
struct NodesResponse: Encodable {
    typealias Engine = EngineView

    struct Host: Encodable {
        var memoryPercent: Double?
        var cpuPercent: Double?
        var maxMemoryPercent: Double
        var maxCpuPercent: Double
        var spawnAllowed: Bool
        var reason: String?
        var sampledAt: Date?
        enum CodingKeys: CodingKey { case memoryPercent, cpuPercent, maxMemoryPercent, maxCpuPercent, spawnAllowed, reason, sampledAt }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(memoryPercent, forKey: .memoryPercent)
            try c.encode(cpuPercent, forKey: .cpuPercent)
            try c.encode(maxMemoryPercent, forKey: .maxMemoryPercent)
            try c.encode(maxCpuPercent, forKey: .maxCpuPercent)
            try c.encode(spawnAllowed, forKey: .spawnAllowed)
            try c.encode(reason, forKey: .reason)
            try c.encode(sampledAt, forKey: .sampledAt)
        }
    }

    var engine: Engine
    var host: Host
    var nodes: [NodeView]
}

/// One Swarm node: state, role, capacity, Swarm reservations and what our containers hold there.
struct NodeView: Encodable {
    /// Our running containers on a node and the limits they carry.
    struct Held: Encodable {
        var containers = 0
        var memoryBytes: Int64 = 0
        var nanoCPUs: Int64 = 0
    }

    var id: String
    var hostname: String?
    var role: String?
    var availability: String?
    var state: String
    var address: String?
    var memoryBytes: Int64
    var nanoCPUs: Int64
    var reservedMemoryBytes: Int64
    var reservedNanoCPUs: Int64
    var ours: Held

    init(_ node: SwarmNode, reserved: NodeResources?, ours: Held) {
        id = node.id
        hostname = node.description.hostname
        role = node.spec.role
        availability = node.spec.availability
        state = node.status.state
        address = node.status.addr
        memoryBytes = node.description.resources?.memoryBytes ?? 0
        nanoCPUs = node.description.resources?.nanoCPUs ?? 0
        reservedMemoryBytes = reserved?.reservedMemoryBytes ?? 0
        reservedNanoCPUs = reserved?.reservedNanoCPUs ?? 0
        self.ours = ours
    }

    enum CodingKeys: String, CodingKey {
        case id, hostname, role, availability, state, address, memoryBytes, nanoCPUs, reservedMemoryBytes, reservedNanoCPUs, ours
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(hostname, forKey: .hostname)
        try c.encode(role, forKey: .role)
        try c.encode(availability, forKey: .availability)
        try c.encode(state, forKey: .state)
        try c.encode(address, forKey: .address)
        try c.encode(memoryBytes, forKey: .memoryBytes)
        try c.encode(nanoCPUs, forKey: .nanoCPUs)
        try c.encode(reservedMemoryBytes, forKey: .reservedMemoryBytes)
        try c.encode(reservedNanoCPUs, forKey: .reservedNanoCPUs)
        try c.encode(ours, forKey: .ours)
    }
}

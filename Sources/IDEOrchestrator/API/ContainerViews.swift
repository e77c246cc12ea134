import Foundation

/// A container as the list endpoint shows it.
struct ContainerSummary: Encodable {
    var id: String
    var serviceName: String
    var serviceId: String?
    var status: ContainerStatus
    var s3Bucket: String?
    var s3Region: String?
    var userId: String?
    var isPreWarmed: Bool
    var createdAt: Date
    var readyAt: Date?
    var assignedAt: Date?
    var stoppedAt: Date?
    var lastActivityAt: Date?
    var shutdownReason: ShutdownReason?
    var healthStatus: String
    var urls: ContainerURLs

    init(_ record: ContainerRecord) {
        id = record.id
        serviceName = record.serviceName
        serviceId = record.serviceId
        status = record.status
        s3Bucket = record.s3Bucket
        s3Region = record.s3Region
        userId = record.userId
        isPreWarmed = record.servedPreWarmed
        createdAt = record.createdAt
        readyAt = record.readyAt
        assignedAt = record.assignedAt
        stoppedAt = record.stoppedAt
        lastActivityAt = record.lastActivityAt
        shutdownReason = record.shutdownReason
        healthStatus = record.healthStatus
        urls = record.urls
    }

    enum CodingKeys: String, CodingKey {
        case id, serviceName, serviceId, status, s3Bucket, s3Region, userId, isPreWarmed, createdAt, readyAt, assignedAt, stoppedAt, lastActivityAt, shutdownReason, healthStatus, urls
    }

    // Explicit nulls, so every field is always present.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(serviceName, forKey: .serviceName)
        try c.encode(serviceId, forKey: .serviceId)
        try c.encode(status, forKey: .status)
        try c.encode(s3Bucket, forKey: .s3Bucket)
        try c.encode(s3Region, forKey: .s3Region)
        try c.encode(userId, forKey: .userId)
        try c.encode(isPreWarmed, forKey: .isPreWarmed)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(readyAt, forKey: .readyAt)
        try c.encode(assignedAt, forKey: .assignedAt)
        try c.encode(stoppedAt, forKey: .stoppedAt)
        try c.encode(lastActivityAt, forKey: .lastActivityAt)
        try c.encode(shutdownReason, forKey: .shutdownReason)
        try c.encode(healthStatus, forKey: .healthStatus)
        try c.encode(urls, forKey: .urls)
    }
}

/// Everything about one container.
struct ContainerDetail: Encodable {
    struct Limits: Encodable {
        var cpus: Double
        var memoryBytes: Int64
    }

    struct Health: Encodable {
        var status: String
        var lastCheckAt: Date?
        var consecutiveFailures: Int
        var ports: [String: Bool?]
        enum CodingKeys: CodingKey { case status, lastCheckAt, consecutiveFailures, ports }
        // Explicit nulls, so every field is always present.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(status, forKey: .status)
            try c.encode(lastCheckAt, forKey: .lastCheckAt)
            try c.encode(consecutiveFailures, forKey: .consecutiveFailures)
            try c.encode(ports, forKey: .ports)
        }
    }

    struct Event: Encodable {
        var at: Date
        var kind: String
        var fromStatus: ContainerStatus?
        var toStatus: ContainerStatus?
        var reason: String?
        enum CodingKeys: CodingKey { case at, kind, fromStatus, toStatus, reason }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(at, forKey: .at)
            try c.encode(kind, forKey: .kind)
            try c.encode(fromStatus, forKey: .fromStatus)
            try c.encode(toStatus, forKey: .toStatus)
            try c.encode(reason, forKey: .reason)
        }
    }

    var summary: ContainerSummary
    var limits: Limits
    var health: Health
    var taskAddress: String?
    var workspace: WorkspaceView
    var events: [Event]

    init(_ record: ContainerRecord, events: [ContainerEvent]) {
        summary = ContainerSummary(record)
        limits = Limits(cpus: record.cpuLimit, memoryBytes: record.memoryLimitBytes)
        let ports = record.healthPorts.flatMap { try? JSONDecoder().decode([String: Bool?].self, from: Data($0.utf8)) }
        health = Health(status: record.healthStatus, lastCheckAt: record.lastHealthCheckAt, consecutiveFailures: record.consecutiveHealthFailures,
                        ports: ports ?? ["agent": nil, "code": nil, "vnc": nil, "web": nil])
        taskAddress = record.taskAddress
        workspace = WorkspaceView(record)
        self.events = events.map { Event(at: $0.at, kind: $0.kind, fromStatus: $0.fromStatus, toStatus: $0.toStatus, reason: $0.reason) }
    }

    enum CodingKeys: String, CodingKey { case limits, health, taskAddress, workspace, events }

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(limits, forKey: .limits)
        try c.encode(health, forKey: .health)
        try c.encode(taskAddress, forKey: .taskAddress)
        try c.encode(workspace, forKey: .workspace)
        try c.encode(events, forKey: .events)
    }
}

/// The answer to a start request.
struct StartResponse: Encodable {
    var id: String
    var serviceName: String
    var status: ContainerStatus
    var urls: ContainerURLs
    /// `urls` with a one-time launch token each; absent with `IDE_ROUTE_AUTH=false`.
    var launchUrls: ContainerURLs?
    var isPreWarmed: Bool
    var isReused: Bool
    var routePending: Bool
    var message: String

    init(_ result: StartResult, access: RouteAccess? = nil) {
        id = result.record.id
        serviceName = result.record.serviceName
        status = result.record.status
        urls = result.record.urls
        launchUrls = access?.launchURLs(for: result.record)
        isPreWarmed = result.isPreWarmed
        isReused = result.isReused
        routePending = result.routePending
        message = result.isReused ? "This bucket already has a running container"
            : result.isPreWarmed ? "Warm container assigned" : "Container cold-started and assigned"
    }
}

import Foundation
import GRDB

/// One IDE container: its Swarm service, assignment, timestamps, limits, URLs and health.
public struct ContainerRecord: Codable, Sendable, Equatable {
    /// The unguessable id, also in the service name and URLs.
    public var id: String
    /// `ide-<id>`.
    public var serviceName: String
    /// The Swarm service id, once created.
    public var serviceId: String?
    /// Lifecycle status.
    public var status: ContainerStatus
    /// The assigned bucket.
    public var s3Bucket: String?
    /// The assigned bucket's region.
    public var s3Region: String?
    /// The platform's user id, if given.
    public var userId: String?
    /// Whether it came from the warm pool (false: cold start).
    public var isPreWarmed: Bool
    /// When the record was created.
    public var createdAt: Date
    /// When its agent first answered.
    public var readyAt: Date?
    /// When it was handed out.
    public var assignedAt: Date?
    /// When it stopped.
    public var stoppedAt: Date?
    /// Last reported or assigned activity.
    public var lastActivityAt: Date?
    /// Why it stopped.
    public var shutdownReason: ShutdownReason?
    /// CPUs it may use.
    public var cpuLimit: Double
    /// Bytes of memory it may use.
    public var memoryLimitBytes: Int64
    /// Public URL of the code editor.
    public var codeUrl: String
    /// Public URL of the VNC desktop.
    public var vncUrl: String
    /// Public URL of the web port.
    public var webUrl: String
    /// The task's IP address on the IDE network.
    public var taskAddress: String?
    /// How long the claim took, in milliseconds.
    public var claimMillis: Double?
    /// `unknown`, `healthy` or `unhealthy`.
    public var healthStatus: String
    /// When health was last checked.
    public var lastHealthCheckAt: Date?
    /// Consecutive failed health checks.
    public var consecutiveHealthFailures: Int
    /// Per-port results of the last check, as JSON.
    public var healthPorts: String?
    /// When it first became unhealthy while running.
    public var unhealthySince: Date?
    /// SHA-256 of the per-container activity token; the token itself is never stored.
    public var activityTokenHash: String?
    /// When the container entered its current status (recovery deadlines count from here).
    public var statusSince: Date?
    /// The run of this service (see `Epoch`) that owns an in-flight step (`assigning`, `stopping`).
    public var ownerEpoch: String?
    /// The Swarm task whose container is (or was) this record's; a different task is a new container.
    public var taskId: String?
    /// Whether the service can learn of this container's activity (the agent reports it, or
    /// was given the push URL); idle shutdown applies only then.
    public var activityTracked: Bool
    /// Whether its claim found it ready (true) or had to wait for a launch (false); nil until
    /// claimed. The pool a container came from is `isPreWarmed`.
    public var servedWarm: Bool?
    /// The port its agent answers on (the image's `ide-orchestrator.agent-port`, else 3000).
    public var agentPort: Int
    /// The key prefix inside the bucket the workspace syncs with; nil: the whole bucket.
    public var workspacePrefix: String?
    /// When the temporary credentials its agent holds expire; nil when they do not (or it has none).
    public var credentialsExpireAt: Date?
    /// The agent's latest sync state (`WorkspaceSync` as JSON), written only when it changes.
    public var workspaceSync: String?
    /// When its Swarm service was confirmed gone, every task ended: until then an ended
    /// container still holds its bucket (its agent may still be syncing).
    public var serviceRemovedAt: Date?

    /// Creates a new record in `creating`.
    public init(id: String, isPreWarmed: Bool, cpuLimit: Double, memoryLimitBytes: Int64, urls: ContainerURLs, now: Date) {
        self.id = id
        self.serviceName = "ide-\(id)"
        self.status = .creating
        self.isPreWarmed = isPreWarmed
        self.createdAt = now
        self.cpuLimit = cpuLimit
        self.memoryLimitBytes = memoryLimitBytes
        self.codeUrl = urls.codeServer
        self.vncUrl = urls.vnc
        self.webUrl = urls.webServer
        self.healthStatus = "unknown"
        self.consecutiveHealthFailures = 0
        self.statusSince = now
        self.activityTracked = false
        self.agentPort = ImageContract.defaultAgentPort
    }

    /// How its user was served: warm unless the claim waited; before a claim, its origin.
    public var servedPreWarmed: Bool {
        servedWarm ?? isPreWarmed
    }

    /// The container's public URLs.
    public var urls: ContainerURLs {
        ContainerURLs(codeServer: codeUrl, vnc: vncUrl, webServer: webUrl)
    }
}

/// The three public URLs of a container.
public struct ContainerURLs: Codable, Sendable, Equatable {
    /// The code editor.
    public var codeServer: String
    /// The VNC desktop.
    public var vnc: String
    /// The web port.
    public var webServer: String
}

extension ContainerRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "container"

    /// Typed column names for queries.
    public enum Columns {
        static let id = Column(CodingKeys.id)
        static let serviceId = Column(CodingKeys.serviceId)
        static let status = Column(CodingKeys.status)
        static let s3Bucket = Column(CodingKeys.s3Bucket)
        static let userId = Column(CodingKeys.userId)
        static let isPreWarmed = Column(CodingKeys.isPreWarmed)
        static let createdAt = Column(CodingKeys.createdAt)
        static let readyAt = Column(CodingKeys.readyAt)
        static let assignedAt = Column(CodingKeys.assignedAt)
        static let stoppedAt = Column(CodingKeys.stoppedAt)
        static let lastActivityAt = Column(CodingKeys.lastActivityAt)
        static let healthStatus = Column(CodingKeys.healthStatus)
        static let statusSince = Column(CodingKeys.statusSince)
    }
}

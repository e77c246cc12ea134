/// The desired state of a Swarm service, as sent to `POST /services/create` and `/update`.
public struct ServiceSpec: Codable, Sendable, Equatable {
    /// The service name.
    public var name: String
    /// Labels on the service itself (Traefik reads these in Swarm mode).
    public var labels: [String: String]
    /// What each task runs.
    public var taskTemplate: TaskTemplate
    /// Replicated with a replica count.
    public var mode: Mode
    /// How the service is reached; `dnsrr` avoids the VIP, which needs IPVS.
    public var endpointSpec: EndpointSpec?

    /// Creates a spec.
    public init(name: String, labels: [String: String], taskTemplate: TaskTemplate, replicas: Int = 1, endpointMode: String? = "dnsrr") {
        self.name = name
        self.labels = labels
        self.taskTemplate = taskTemplate
        self.mode = Mode(replicated: .init(replicas: replicas))
        self.endpointSpec = endpointMode.map { EndpointSpec(mode: $0) }
    }

    enum CodingKeys: String, CodingKey {
        case name = "Name", labels = "Labels", taskTemplate = "TaskTemplate", mode = "Mode", endpointSpec = "EndpointSpec"
    }

    /// The per-task part of the spec.
    public struct TaskTemplate: Codable, Sendable, Equatable {
        /// The container each task runs.
        public var containerSpec: ContainerSpec
        /// CPU and memory limits.
        public var resources: Resources?
        /// When Swarm restarts a task.
        public var restartPolicy: RestartPolicy?
        /// Networks each task joins.
        public var networks: [NetworkAttachment]?
        /// Bumped to force a redeploy.
        public var forceUpdate: Int?

        /// Creates a task template.
        public init(containerSpec: ContainerSpec, resources: Resources? = nil, restartPolicy: RestartPolicy? = nil, networks: [NetworkAttachment]? = nil) {
            self.containerSpec = containerSpec
            self.resources = resources
            self.restartPolicy = restartPolicy
            self.networks = networks
        }

        enum CodingKeys: String, CodingKey {
            case containerSpec = "ContainerSpec", resources = "Resources", restartPolicy = "RestartPolicy", networks = "Networks", forceUpdate = "ForceUpdate"
        }
    }

    /// The container of a task.
    public struct ContainerSpec: Codable, Sendable, Equatable {
        /// The image reference.
        public var image: String
        /// `NAME=value` entries.
        public var env: [String]?
        /// Labels on each task's container.
        public var labels: [String: String]?
        /// The signal sent to stop the container.
        public var stopSignal: String?
        /// Nanoseconds between the stop signal and a kill.
        public var stopGracePeriod: Int64?
        /// Swarm secrets mounted as files under `/run/secrets`.
        public var secrets: [SecretReference]?
        /// Kernel capabilities taken away from the container (API 1.41), e.g. `CAP_NET_RAW`.
        public var capabilityDrop: [String]?

        /// Creates a container spec.
        public init(
            image: String, env: [String]? = nil, labels: [String: String]? = nil, stopSignal: String? = nil, stopGracePeriod: Int64? = nil,
            secrets: [SecretReference]? = nil, capabilityDrop: [String]? = nil
        ) {
            self.image = image
            self.env = env
            self.labels = labels
            self.stopSignal = stopSignal
            self.stopGracePeriod = stopGracePeriod
            self.secrets = secrets
            self.capabilityDrop = capabilityDrop
        }

        enum CodingKeys: String, CodingKey {
            case image = "Image", env = "Env", labels = "Labels", stopSignal = "StopSignal", stopGracePeriod = "StopGracePeriod"
            case secrets = "Secrets", capabilityDrop = "CapabilityDrop"
        }
    }

    /// A Swarm secret mounted into a task's container as a file.
    public struct SecretReference: Codable, Sendable, Equatable {
        /// The file: name under `/run/secrets`, owner and mode.
        public var file: File
        /// The secret's id.
        public var secretID: String
        /// The secret's name.
        public var secretName: String

        /// Creates a reference.
        public init(file: File, secretID: String, secretName: String) {
            self.file = file
            self.secretID = secretID
            self.secretName = secretName
        }

        enum CodingKeys: String, CodingKey { case file = "File", secretID = "SecretID", secretName = "SecretName" }

        /// Where and how the secret appears in the container.
        public struct File: Codable, Sendable, Equatable {
            /// The file name under `/run/secrets`.
            public var name: String
            /// Owner user id.
            public var uid: String
            /// Owner group id.
            public var gid: String
            /// Permission bits.
            public var mode: UInt32

            /// Creates a file target.
            public init(name: String, uid: String, gid: String, mode: UInt32) {
                self.name = name
                self.uid = uid
                self.gid = gid
                self.mode = mode
            }

            enum CodingKeys: String, CodingKey { case name = "Name", uid = "UID", gid = "GID", mode = "Mode" }
        }
    }

    /// Resource limits and reservations.
    public struct Resources: Codable, Sendable, Equatable {
        /// Hard limits.
        public var limits: Limits?
        /// What the scheduler sets aside.
        public var reservations: Limits?

        /// Creates resources.
        public init(limits: Limits? = nil, reservations: Limits? = nil) {
            self.limits = limits
            self.reservations = reservations
        }

        enum CodingKeys: String, CodingKey { case limits = "Limits", reservations = "Reservations" }
    }

    /// CPU in units of 1e-9 CPUs, memory in bytes and (limits only, API 1.41) processes.
    public struct Limits: Codable, Sendable, Equatable {
        /// Billionths of a CPU.
        public var nanoCPUs: Int64?
        /// Bytes.
        public var memoryBytes: Int64?
        /// Processes and threads (the container's `pids.max`); 0 or absent means unlimited.
        public var pids: Int64?

        /// Creates limits.
        public init(nanoCPUs: Int64?, memoryBytes: Int64?, pids: Int64? = nil) {
            self.nanoCPUs = nanoCPUs
            self.memoryBytes = memoryBytes
            self.pids = pids
        }

        enum CodingKeys: String, CodingKey { case nanoCPUs = "NanoCPUs", memoryBytes = "MemoryBytes", pids = "Pids" }
    }

    /// When and how often Swarm restarts a task.
    public struct RestartPolicy: Codable, Sendable, Equatable {
        /// `none`, `on-failure` or `any`.
        public var condition: String
        /// Nanoseconds between restarts.
        public var delay: Int64?
        /// Restarts before giving up; 0 means unbounded.
        public var maxAttempts: Int?
        /// Nanoseconds over which restarts are counted.
        public var window: Int64?

        /// Creates a restart policy.
        public init(condition: String, delay: Int64? = nil, maxAttempts: Int? = nil, window: Int64? = nil) {
            self.condition = condition
            self.delay = delay
            self.maxAttempts = maxAttempts
            self.window = window
        }

        enum CodingKeys: String, CodingKey { case condition = "Condition", delay = "Delay", maxAttempts = "MaxAttempts", window = "Window" }
    }

    /// A network a task joins.
    public struct NetworkAttachment: Codable, Sendable, Equatable {
        /// The network's name or id.
        public var target: String
        /// Extra DNS names on that network.
        public var aliases: [String]?

        /// Creates an attachment.
        public init(target: String, aliases: [String]? = nil) {
            self.target = target
            self.aliases = aliases
        }

        enum CodingKeys: String, CodingKey { case target = "Target", aliases = "Aliases" }
    }

    /// Replicated mode.
    public struct Mode: Codable, Sendable, Equatable {
        /// The replica count.
        public var replicated: Replicated?

        enum CodingKeys: String, CodingKey { case replicated = "Replicated" }

        /// The replica count.
        public struct Replicated: Codable, Sendable, Equatable {
            /// How many tasks.
            public var replicas: Int?
            enum CodingKeys: String, CodingKey { case replicas = "Replicas" }
        }
    }

    /// The endpoint mode.
    public struct EndpointSpec: Codable, Sendable, Equatable {
        /// `vip` or `dnsrr`.
        public var mode: String?
        enum CodingKeys: String, CodingKey { case mode = "Mode" }
    }
}

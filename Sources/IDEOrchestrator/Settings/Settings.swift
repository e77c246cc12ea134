import Foundation
import Logging

/// Every configuration value of the service, read once from the environment at start.
public struct Settings: Sendable {
    /// TCP port of the HTTP API.
    public var port: Int
    /// Bind address of the HTTP API.
    public var host: String
    /// Accepted bearer keys.
    public var apiKeys: [String]
    /// The Docker engine's endpoint.
    public var dockerHost: HTTPEndpoint
    /// The SQLite file.
    public var databasePath: String
    /// The IDE image.
    public var ideImage: String
    /// Whether IDE services name the image by digest or id instead of `ideImage`'s tag.
    public var pinImage: Bool
    /// Ready containers the pool keeps.
    public var poolSize: Int
    /// CPUs per container.
    public var containerCPULimit: Double
    /// Bytes of memory per container.
    public var containerMemoryLimit: Int64
    /// Processes and threads per container; 0 means unlimited.
    public var containerPidsLimit: Int
    /// Node memory use (percent) at which spawning stops.
    public var maxMemoryPercent: Double
    /// Node CPU use (percent) at which spawning stops.
    public var maxCPUPercent: Double
    /// Public host name for URLs and Traefik rules.
    public var domain: String
    /// The Swarm network containers join.
    public var swarmNetwork: String
    /// The network Traefik routes over (SWARM_NETWORK unless TRAEFIK_NETWORK is set).
    public var traefikNetwork: String
    /// Port of Traefik's plain-HTTP entrypoint.
    public var httpPort: Int
    /// Log level.
    public var logLevel: Logger.Level
    /// Text or JSON log lines.
    public var logFormat: LogFormat
    /// Whether `/metrics` is served without the API key.
    public var metricsPublic: Bool
    /// This deployment's name in service labels.
    public var instanceName: String
    /// Containers created at once by the pool.
    public var spawnConcurrency: Int
    /// How long a new container may take to become ready.
    public var readyTimeout: Duration
    /// How long a start request waits for a cold start.
    public var coldStartTimeout: Duration
    /// How long a start waits for the bucket's previous container to be gone.
    public var bucketReleaseTimeout: Duration
    /// Traefik's internal URL, to see it route a new container before it is ready; nil: not checked.
    public var traefikProbeURL: String?
    /// How long a new container whose ports answer waits for its Traefik route.
    public var routeWaitTimeout: Duration
    /// The pool maintainer's idle interval.
    public var poolInterval: Duration
    /// Longest spawn backoff.
    public var spawnBackoffMax: Duration
    /// `POOL_REFILL_DELAY`: after a claim, how long the pool waits for claims to pause before refilling.
    public var refillDelay: Duration
    /// When Swarm restarts a container's task: `on-failure`, `any` or `none`.
    public var restartCondition: String
    /// Swarm restarts per container before giving up.
    public var restartMaxAttempts: Int
    /// Deadline for agent calls.
    public var agentTimeout: Duration
    /// Deadline for connecting to an agent.
    public var agentConnectTimeout: Duration
    /// Whether agents get a token and every agent call carries it.
    public var agentAuth: Bool
    /// The file the agent tokens' key is kept in.
    public var agentTokenKeyFile: String
    /// Containers one start request tries.
    public var claimMaxAttempts: Int
    /// Cold starts launched at once for waiting requests.
    public var coldStartConcurrency: Int
    /// Containers probed at once in a health round.
    public var healthCheckConcurrency: Int
    /// Requests per key per minute; 0 disables limiting.
    public var rateLimitPerMinute: Int
    /// Requests per client address per minute without a valid API key; 0 disables the limit.
    public var publicRateLimitPerMinute: Int
    /// Proxies whose `X-Forwarded-For` names the client.
    public var trustedProxies: [IPRange]
    /// Largest request body accepted, in bytes.
    public var maxRequestBodyBytes: Int
    /// How often resources are sampled.
    public var resourceSampleInterval: Duration
    /// Where containers reach this API, if configured.
    public var publicAPIURL: String?
    /// Health check cadence.
    public var healthCheckInterval: Duration
    /// Deadline per health probe.
    public var healthCheckTimeout: Duration
    /// Failed checks before acting.
    public var healthCheckRetries: Int
    /// How long a running container may stay unhealthy.
    public var unhealthyGracePeriod: Duration
    /// Idle time before a running container is stopped; nil disables.
    public var idleTimeout: Duration?
    /// Age at which a warm container is recycled; nil disables.
    public var warmTTL: Duration?
    /// Full reconciliation cadence.
    public var reconcileInterval: Duration
    /// Idle and retention cadence.
    public var housekeepingInterval: Duration
    /// How long stopped records are kept.
    public var retention: Duration
    /// Static files of the dashboard.
    public var publicDirectory: String
    /// How often the event stream reads new events.
    public var eventPollInterval: Duration
    /// How often the event stream sends a keep-alive.
    public var eventHeartbeatInterval: Duration
    /// Traefik certresolver for real domains.
    public var traefikCertResolver: String
    /// Bucket checking against S3, when configured.
    public var s3: S3Settings?
    /// The service's AWS identity and the credentials containers get.
    public var aws: AWSSettings
    /// How workspaces sync: the S3 endpoint containers reach, the flush deadline at stops.
    public var workspace: WorkspaceSettings
    /// The `.env` file the values were read over, if any.
    public var envFile: String?
    /// Protected IDE routes: launch links, the forwardAuth check, route mode and hosts.
    public var routeAccess: RouteAccessSettings

    /// Reads and validates every variable; throws naming the first bad one.
    public init(environment: [String: String]) throws(SettingsError) {
        try self.init(reader: EnvironmentReader(environment: environment))
    }

    init(reader env: EnvironmentReader) throws(SettingsError) {
        try env.checkAliases()
        port = try env.integer(.port, in: 1...65535)
        host = env.string(.host)
        apiKeys = env.list(.apiKey) + env.list(.apiKeys) + (try env.fileList(.apiKeyFile))
        guard !apiKeys.isEmpty else {
            throw SettingsError(variable: SettingKey.apiKey.name, expected: "one key or a comma-separated list of keys (or set API_KEYS or API_KEY_FILE)", found: nil)
        }
        let docker = env.string(.dockerHost)
        guard let endpoint = DockerEndpoint.parse(docker) else {
            throw SettingsError(variable: SettingKey.dockerHost.name, expected: "unix:///path/to/docker.sock or tcp://host:port", found: docker)
        }
        dockerHost = endpoint
        databasePath = env.string(.databasePath)
        ideImage = env.string(.ideImage)
        pinImage = try env.boolean(.pinImage)
        poolSize = try env.integer(.poolSize, in: 0...1000)
        containerCPULimit = try env.number(.cpuLimit, in: 0.01...1024)
        containerMemoryLimit = try env.byteSize(.memoryLimit)
        containerPidsLimit = try env.integer(.pidsLimit, in: 0...4_194_304)
        maxMemoryPercent = try env.number(.maxMemoryPercent, in: 1...100)
        maxCPUPercent = try env.number(.maxCPUPercent, in: 1...100)
        domain = env.string(.domain)
        guard Self.isValidHostName(domain) else {
            throw SettingsError(variable: SettingKey.domain.name, expected: "a host name such as ide.example.com, localhost or an IP address", found: domain)
        }
        swarmNetwork = env.string(.swarmNetwork)
        traefikNetwork = env.string(.traefikNetwork).nilIfEmpty ?? swarmNetwork
        httpPort = try env.integer(.httpPort, in: 1...65535)
        logLevel = try env.logLevel(.logLevel)
        logFormat = try env.choice(.logFormat, of: LogFormat.self)
        metricsPublic = try env.boolean(.metricsPublic)
        instanceName = env.string(.instanceName)
        guard (1...63).contains(instanceName.count), instanceName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) else {
            throw SettingsError(variable: SettingKey.instanceName.name, expected: "1 to 63 letters, digits, dots, hyphens or underscores", found: instanceName)
        }
        spawnConcurrency = try env.integer(.spawnConcurrency, in: 1...64)
        readyTimeout = try env.duration(.readyTimeout, minimum: .seconds(1))
        coldStartTimeout = try env.duration(.coldStartTimeout, minimum: .seconds(1))
        bucketReleaseTimeout = try env.duration(.bucketReleaseTimeout, minimum: .zero)
        traefikProbeURL = env.string(.traefikProbeURL).nilIfEmpty.map { $0.trimmingSuffix("/") }
        if let url = traefikProbeURL, !url.hasPrefix("http://") && !url.hasPrefix("https://") {
            throw SettingsError(variable: SettingKey.traefikProbeURL.name, expected: "an http:// or https:// URL, or empty", found: url)
        }
        routeWaitTimeout = try env.duration(.routeWaitTimeout, minimum: .zero)
        poolInterval = try env.duration(.poolInterval, minimum: .milliseconds(100))
        spawnBackoffMax = try env.duration(.spawnBackoffMax, minimum: .milliseconds(100))
        refillDelay = try env.duration(.refillDelay, minimum: .zero, maximum: .seconds(10))
        restartCondition = try env.restartCondition(.restartPolicy)
        restartMaxAttempts = try env.integer(.restartMaxAttempts, in: 0...100)
        agentTimeout = try env.duration(.agentTimeout, minimum: .milliseconds(100))
        agentConnectTimeout = try env.duration(.agentConnectTimeout, minimum: .milliseconds(50))
        agentAuth = try env.boolean(.agentAuth)
        agentTokenKeyFile = env.string(.agentTokenKeyFile).nilIfEmpty
            ?? (URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent("agent-token.key").path)
        claimMaxAttempts = try env.integer(.claimMaxAttempts, in: 1...20)
        coldStartConcurrency = try env.integer(.coldStartConcurrency, in: 1...256)
        healthCheckConcurrency = try env.integer(.healthCheckConcurrency, in: 1...1024)
        rateLimitPerMinute = try env.integer(.rateLimit, in: 0...1_000_000)
        publicRateLimitPerMinute = try env.integer(.publicRateLimit, in: 0...1_000_000)
        trustedProxies = try env.ranges(.trustedProxies)
        maxRequestBodyBytes = try env.integer(.maxRequestBodyBytes, in: 1024...16 * 1024 * 1024)
        resourceSampleInterval = try env.duration(.resourceSampleInterval, minimum: .milliseconds(100))
        publicAPIURL = env.string(.publicAPIURL).nilIfEmpty.map { $0.trimmingSuffix("/") }
        healthCheckInterval = try env.duration(.healthCheckInterval, minimum: .milliseconds(100), maximum: .seconds(3600))
        healthCheckTimeout = try env.duration(.healthCheckTimeout, minimum: .milliseconds(50), maximum: .seconds(300))
        healthCheckRetries = try env.integer(.healthCheckRetries, in: 1...100)
        unhealthyGracePeriod = try env.duration(.unhealthyGracePeriod, minimum: .zero)
        let idle = try env.integer(.idleTimeout, in: 0...31_536_000)
        idleTimeout = idle == 0 ? nil : .seconds(idle)
        let ttl = try env.integer(.warmTTL, in: 0...31_536_000)
        warmTTL = ttl == 0 ? nil : .seconds(ttl)
        reconcileInterval = try env.duration(.reconcileInterval, minimum: .milliseconds(100))
        housekeepingInterval = try env.duration(.housekeepingInterval, minimum: .milliseconds(100))
        retention = .seconds(try env.integer(.retentionDays, in: 1...3650) * 86_400)
        publicDirectory = env.string(.publicDirectory)
        eventPollInterval = try env.duration(.eventPollInterval, minimum: .milliseconds(50))
        eventHeartbeatInterval = try env.duration(.eventHeartbeatInterval, minimum: .milliseconds(100))
        traefikCertResolver = env.string(.traefikCertResolver)
        s3 = try S3Settings(env)
        aws = try AWSSettings(env)
        workspace = try WorkspaceSettings(env, s3Endpoint: s3?.endpoint)
        envFile = env.filePath
        routeAccess = try RouteAccessSettings(env, domain: domain, domainIsPublic: domain != "localhost" && !IPAddress.isIPAddress(domain), databasePath: databasePath, port: port)
    }
}

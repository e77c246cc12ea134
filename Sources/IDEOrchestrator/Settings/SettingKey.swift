/// One environment variable the service reads, with its default and meaning.
///
/// `SettingKey.all` is the catalog ENVIRONMENT_VARIABLES.md must list exactly.
public struct SettingKey: Sendable, Hashable {
    /// The variable's name.
    public let name: String
    /// The default as written in the docs; `nil` when the variable is required.
    public let defaultValue: String?
    /// What it controls, for the docs.
    public let meaning: String

    init(_ name: String, _ defaultValue: String?, _ meaning: String) {
        self.name = name
        self.defaultValue = defaultValue
        self.meaning = meaning
    }
}

extension SettingKey {
    static let port = SettingKey("PORT", "3001", "TCP port the HTTP API listens on.")
    static let host = SettingKey("HOST", "0.0.0.0", "Address the HTTP API binds to.")
    static let apiKey = SettingKey("API_KEY", nil, "Bearer key for the API: one key or a comma-separated list. Required unless API_KEYS is set.")
    static let apiKeys = SettingKey("API_KEYS", "", "Alternative name for API_KEY; keys from both are accepted.")
    static let dockerHost = SettingKey("DOCKER_HOST", "unix:///var/run/docker.sock", "Docker engine endpoint: unix:///path or tcp://host:port.")
    static let databasePath = SettingKey("DATABASE_PATH", "data/containers.db", "SQLite database file; its directory is created if missing.")
    static let ideImage = SettingKey("IDE_CONTAINER_IMAGE", "classla-ide-container:latest", "Image every IDE container runs.")
    static let poolSize = SettingKey("PRE_WARMED_QUEUE_SIZE", "10", "How many ready containers the pool keeps (0 disables pre-warming).")
    static let cpuLimit = SettingKey("CONTAINER_CPU_LIMIT", "2", "CPU limit per IDE container, in CPUs (fractions allowed).")
    static let memoryLimit = SettingKey("CONTAINER_MEMORY_LIMIT", "4GB", "Memory limit per IDE container: bytes, or a number with K/KB/M/MB/G/GB/T/TB (powers of 1024).")
    static let maxMemoryPercent = SettingKey("MAX_MEMORY_PERCENT", "90", "No new container is created while node memory use is at or above this percentage; 100 turns the check off.")
    static let maxCPUPercent = SettingKey("MAX_CPU_PERCENT", "90", "No new container is created while node CPU use is at or above this percentage; 100 turns the check off.")
    static let domain = SettingKey("DOMAIN", "localhost", "Public host name in container URLs and Traefik rules; localhost or an IP address means plain HTTP without a Host rule.")
    static let swarmNetwork = SettingKey("SWARM_NETWORK", "ide-network", "Swarm network IDE containers join and Traefik routes over.")
    static let logLevel = SettingKey("LOG_LEVEL", "info", "trace, debug, info, notice, warning, error or critical.")
    static let logFormat = SettingKey("LOG_FORMAT", "text", "text: one readable line per entry; json: one JSON object per line (time, level, label, message, source and metadata such as container.id, service.name, request.id), for log collectors.")
    static let metricsPublic = SettingKey("METRICS_PUBLIC", "false", "true serves GET /metrics without the API key (for a scrape network); false requires it.")
    static let instanceName = SettingKey("INSTANCE_NAME", "ide-orchestrator", "Names this deployment in a label on every service it creates; it manages only services carrying its own name, so several deployments can share one Swarm.")
    static let spawnConcurrency = SettingKey("POOL_SPAWN_CONCURRENCY", "3", "How many containers the pool creates at once.")
    static let readyTimeout = SettingKey("CONTAINER_READY_TIMEOUT", "90s", "How long a new container may take to answer on its agent before it is removed and replaced.")
    static let coldStartTimeout = SettingKey("COLD_START_TIMEOUT", "60s", "How long a start request waits for a cold-started container.")
    static let poolInterval = SettingKey("POOL_CHECK_INTERVAL", "5s", "How often the pool maintainer checks its figures when nothing else wakes it.")
    static let spawnBackoffMax = SettingKey("POOL_BACKOFF_MAX", "60s", "Longest pause between spawn attempts after repeated failures.")
    static let restartMaxAttempts = SettingKey("CONTAINER_RESTART_MAX_ATTEMPTS", "3", "How often Swarm restarts a failed IDE container before giving up.")
    static let agentTimeout = SettingKey("AGENT_TIMEOUT", "10s", "Deadline for a call to a container's agent.")
    static let rateLimit = SettingKey("RATE_LIMIT_PER_MINUTE", "1200", "Requests per API key per minute, with bursts up to the same number, before 429 (0 disables the limit).")
    static let resourceSampleInterval = SettingKey("RESOURCE_SAMPLE_INTERVAL", "5s", "How often node memory and CPU are sampled for the spawn gate and /api/health.")
    static let publicAPIURL = SettingKey("PUBLIC_API_URL", "", "URL at which IDE containers reach this API to report activity, e.g. http://orchestrator:3001; empty leaves the activity URL out of assignments.")
    static let healthCheckInterval = SettingKey("HEALTH_CHECK_INTERVAL", "30s", "How often each warm and running container's agent and code, vnc and web ports are checked.")
    static let healthCheckTimeout = SettingKey("HEALTH_CHECK_TIMEOUT", "5s", "Deadline for each health probe.")
    static let healthCheckRetries = SettingKey("HEALTH_CHECK_RETRIES", "3", "Consecutive failed checks before a warm container is replaced or a running one is marked unhealthy.")
    static let unhealthyGracePeriod = SettingKey("UNHEALTHY_GRACE_PERIOD", "5m", "How long a running container may stay unhealthy before it is stopped with reason unhealthy.")
    static let idleTimeout = SettingKey("IDLE_TIMEOUT_SECONDS", "1800", "Seconds without reported activity after which a running container is stopped with reason inactivity (0 disables).")
    static let warmTTL = SettingKey("WARM_CONTAINER_TTL_SECONDS", "3600", "Seconds a warm container may wait in the pool before it is recycled (0 disables).")
    static let reconcileInterval = SettingKey("RECONCILE_INTERVAL", "30s", "How often the full store-versus-Swarm reconciliation runs besides the event-driven passes.")
    static let housekeepingInterval = SettingKey("HOUSEKEEPING_INTERVAL", "30s", "How often idle containers are stopped and old records pruned; at least every half IDLE_TIMEOUT_SECONDS.")
    static let retentionDays = SettingKey("RECORD_RETENTION_DAYS", "7", "Days stopped and failed container records (and their events) are kept before they are pruned.")
    static let publicDirectory = SettingKey("PUBLIC_DIR", "Public", "Folder of the status page's static files, served at /; missing means no page.")
    static let traefikCertResolver = SettingKey("TRAEFIK_CERT_RESOLVER", "letsencrypt", "Traefik certresolver for routers when DOMAIN is a real domain name.")
    static let s3Endpoint = SettingKey("S3_ENDPOINT", "", "S3 endpoint used to check buckets before assignment, e.g. http://127.0.0.1:5000; empty disables checking.")
    static let s3Region = SettingKey("S3_REGION", "us-east-1", "Region the bucket check is signed for when the request gives none.")
    static let s3AccessKeyId = SettingKey("S3_ACCESS_KEY_ID", "", "Access key id for the bucket check.")
    static let s3SecretAccessKey = SettingKey("S3_SECRET_ACCESS_KEY", "", "Secret access key for the bucket check; never logged.")

    /// Every variable the settings read, in documentation order.
    public static let all: [SettingKey] = [
        .port, .host, .apiKey, .apiKeys, .dockerHost, .databasePath, .ideImage, .poolSize,
        .cpuLimit, .memoryLimit, .maxMemoryPercent, .maxCPUPercent, .domain, .swarmNetwork, .logLevel, .logFormat, .metricsPublic,
        .instanceName, .spawnConcurrency, .readyTimeout, .coldStartTimeout, .poolInterval, .spawnBackoffMax,
        .restartMaxAttempts, .agentTimeout, .rateLimit, .resourceSampleInterval, .publicAPIURL,
        .healthCheckInterval, .healthCheckTimeout, .healthCheckRetries, .unhealthyGracePeriod, .idleTimeout, .warmTTL,
        .reconcileInterval, .housekeepingInterval, .retentionDays, .publicDirectory, .traefikCertResolver,
        .s3Endpoint, .s3Region, .s3AccessKeyId, .s3SecretAccessKey,
    ]
}

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
    /// Other names accepted for it (the original orchestrator's, or older ones of this service).
    public let aliases: [String]

    init(_ name: String, _ defaultValue: String?, _ meaning: String, aliases: [String] = []) {
        self.name = name
        self.defaultValue = defaultValue
        self.meaning = meaning
        self.aliases = aliases
    }

    /// The canonical name followed by the aliases.
    var names: [String] { [name] + aliases }
}

extension SettingKey {
    static let port = SettingKey("PORT", "3001", "TCP port the HTTP API listens on.")
    static let host = SettingKey("HOST", "0.0.0.0", "Address the HTTP API binds to.")
    static let apiKey = SettingKey("API_KEY", nil, "Bearer key for the API: one key or a comma-separated list. Required unless API_KEYS is set.")
    static let apiKeys = SettingKey("API_KEYS", "", "Alternative name for API_KEY; keys from both are accepted.")
    static let apiKeyFile = SettingKey("API_KEY_FILE", "", "File holding more keys, comma- or newline-separated, e.g. a Docker secret at /run/secrets/api_key; accepted besides API_KEY and API_KEYS.")
    static let dockerHost = SettingKey("DOCKER_HOST", "unix:///var/run/docker.sock", "Docker engine endpoint: unix:///path or tcp://host:port.")
    static let databasePath = SettingKey("DATABASE_PATH", "data/containers.db", "SQLite database file; its directory is created if missing.")
    static let ideImage = SettingKey("IDE_CONTAINER_IMAGE", "classla-ide-container:latest", "Image every IDE container runs.")
    static let pinImage = SettingKey("IDE_CONTAINER_IMAGE_PINNED", "true", "true creates every IDE service with the image the engine holds under IDE_CONTAINER_IMAGE pinned, so no task start asks a registry what the tag means: by its registry digest, or, for an image from no registry, by its image id on a one-node swarm (on more nodes it keeps the tag: each node's import has its own id); false always passes the name as given.")
    static let poolSize = SettingKey("PRE_WARMED_QUEUE_SIZE", "10", "How many ready containers the pool keeps (0 disables pre-warming).")
    static let cpuLimit = SettingKey("CONTAINER_CPU_LIMIT", "2", "CPU limit per IDE container, in CPUs (fractions allowed).", aliases: ["RESOURCE_CPU_LIMIT"])
    static let memoryLimit = SettingKey("CONTAINER_MEMORY_LIMIT", "4GB", "Memory limit per IDE container: bytes, or a number with K/KB/M/MB/G/GB/T/TB (powers of 1024).", aliases: ["RESOURCE_MEMORY_LIMIT"])
    static let pidsLimit = SettingKey("CONTAINER_PIDS_LIMIT", "2048", "Most processes and threads one IDE container may hold at once (its pids cgroup, Swarm's Resources.Limits.Pids), so a fork bomb stays inside its container instead of exhausting the node's process table; 0 means unlimited. 2048 leaves room for an editor server, a desktop with a browser, notebook kernels and a parallel build.")
    static let maxMemoryPercent = SettingKey("MAX_MEMORY_PERCENT", "90", "No new container is created while node memory use is at or above this percentage; 100 turns the check off.", aliases: ["RESOURCE_MEMORY_THRESHOLD"])
    static let maxCPUPercent = SettingKey("MAX_CPU_PERCENT", "90", "No new container is created while node CPU use is at or above this percentage; 100 turns the check off.", aliases: ["RESOURCE_CPU_THRESHOLD"])
    static let domain = SettingKey("DOMAIN", "localhost", "Public host name in container URLs and Traefik rules; localhost or an IP address means plain HTTP without a Host rule.")
    static let swarmNetwork = SettingKey("SWARM_NETWORK", "ide-network", "Swarm network IDE containers join; this service reaches their agents on it, and Traefik routes over it unless TRAEFIK_NETWORK is set.")
    static let traefikNetwork = SettingKey("TRAEFIK_NETWORK", "", "Overlay network Traefik routes over when it is not SWARM_NETWORK; IDE containers then join both (local runs: the host reaches only bridge addresses, Traefik's Swarm provider only overlay ones).")
    static let httpPort = SettingKey("HTTP_PORT", "80", "Port of Traefik's plain-HTTP entrypoint; container URLs for a localhost or IP DOMAIN carry it unless it is 80.")
    static let logLevel = SettingKey("LOG_LEVEL", "info", "trace, debug, info, notice, warning (or warn), error or critical.")
    static let logFormat = SettingKey("LOG_FORMAT", "text", "text: one readable line per entry; json: one JSON object per line (time, level, label, message, source and metadata such as container.id, service.name, request.id), for log collectors.")
    static let metricsPublic = SettingKey("METRICS_PUBLIC", "false", "true serves GET /metrics without the API key (for a scrape network); false requires it.")
    static let instanceName = SettingKey("INSTANCE_NAME", "ide-orchestrator", "Names this deployment in a label on every service it creates; it manages only services carrying its own name, so several deployments can share one Swarm.")
    static let spawnConcurrency = SettingKey("POOL_SPAWN_CONCURRENCY", "3", "How many containers the pool creates at once.")
    static let readyTimeout = SettingKey("CONTAINER_READY_TIMEOUT", "90s", "How long a new container may take to answer on its agent before it is removed and replaced.")
    static let traefikProbeURL = SettingKey("TRAEFIK_PROBE_URL", "", "Traefik's URL inside the deployment (e.g. http://tasks.traefik): a new container becomes ready only once its code, vnc and web URLs, asked there with their public host, answer through Traefik (neither 404 nor 5xx); empty skips the check.")
    static let routeWaitTimeout = SettingKey("ROUTE_WAIT_TIMEOUT", "30s", "How long a new container whose ports answer waits for Traefik to route it (TRAEFIK_PROBE_URL); past it, it becomes ready anyway and a start handing it out answers routePending: true.")
    static let coldStartTimeout = SettingKey("COLD_START_TIMEOUT", "60s", "How long a start request waits for a cold-started container.")
    static let bucketReleaseTimeout = SettingKey("BUCKET_RELEASE_TIMEOUT", "30s", "How long a start request waits for the bucket's previous container (stopping, failed or stopped) to be gone, its workspace flushed and its Swarm task ended; past it the start answers 409 BUCKET_BUSY with Retry-After.")
    static let poolInterval = SettingKey("POOL_CHECK_INTERVAL", "5s", "How often the pool maintainer checks its figures when nothing else wakes it.")
    static let refillDelay = SettingKey("POOL_REFILL_DELAY", "100ms", "After a claim, how long the pool waits for claims to pause before it refills, so refills do not slow a run of claims; it waits at most ten times this long, and not at all once no container is ready. 0 refills at once.")
    static let spawnBackoffMax = SettingKey("POOL_BACKOFF_MAX", "60s", "Longest pause between spawn attempts after repeated failures.")
    static let restartPolicy = SettingKey("CONTAINER_RESTART_POLICY", "on-failure", "When Swarm restarts an IDE container's task: on-failure, any (always and unless-stopped mean the same) or none (also no).")
    static let restartMaxAttempts = SettingKey("CONTAINER_RESTART_MAX_ATTEMPTS", "3", "How often Swarm restarts a failed IDE container before giving up; 0 means never. A restarted container is a new, empty one: an assigned container whose task changes is ended with reason container_restarted.")
    static let agentTimeout = SettingKey("AGENT_TIMEOUT", "10s", "Deadline for a call to a container's agent.")
    static let agentConnectTimeout = SettingKey("AGENT_CONNECT_TIMEOUT", "1s", "Deadline for connecting to a container's agent; a claim whose assignment never connected puts the container back as suspect and tries the next.")
    static let agentAuth = SettingKey("AGENT_AUTH", "true", "true gives every IDE container its own agent token (a Swarm secret at /run/secrets/ide-agent-token) and sends it on every agent call; false is for legacy images whose agent checks nothing: no secret, no header, and a warning at start.")
    static let agentTokenKeyFile = SettingKey("AGENT_TOKEN_KEY_FILE", "", "File holding the key every agent token is derived from (kept outside the database, so a restart or a lost database still reaches the agents); created with 32 random bytes and mode 0600 when missing; empty means agent-token.key next to DATABASE_PATH.")
    static let claimMaxAttempts = SettingKey("CLAIM_MAX_ATTEMPTS", "3", "Containers one start request tries before it answers 503 CONTAINER_START_FAILED.")
    static let coldStartConcurrency = SettingKey("MAX_CONCURRENT_COLD_STARTS", "4", "Containers launched at once for start requests that found none ready (besides the pool's own launches); further requests wait for the first container to become ready.")
    static let healthCheckConcurrency = SettingKey("HEALTH_CHECK_CONCURRENCY", "64", "Containers probed at once in a health round.")
    static let rateLimit = SettingKey("RATE_LIMIT_PER_MINUTE", "1200", "Requests per API key per minute, with bursts up to the same number, before 429 (0 disables the limit).")
    static let publicRateLimit = SettingKey("PUBLIC_RATE_LIMIT_PER_MINUTE", "600", "Requests per client address per minute without a valid API key (health, liveness, readiness, static files, container callbacks with a wrong token), with bursts up to the same number, before 429 (0 disables the limit); a container callback with its valid container token is limited per container to the same number instead.")
    static let trustedProxies = SettingKey("TRUSTED_PROXIES", "", "Comma-separated CIDR ranges (IPv4 or IPv6, e.g. 10.231.0.0/24 or fd00::/8; a bare address is a range of one) of the proxies in front of the API, such as Traefik's network. Only for a connection from one of them is the client taken from X-Forwarded-For (its right-most address that is not itself a trusted proxy) for PUBLIC_RATE_LIMIT_PER_MINUTE; empty trusts no proxy: every request counts as its connection's peer.")
    static let maxRequestBodyBytes = SettingKey("MAX_REQUEST_BODY_BYTES", "65536", "Largest request body accepted, in bytes; a larger one gets 413 before it is read whole.")
    static let resourceSampleInterval = SettingKey("RESOURCE_SAMPLE_INTERVAL", "5s", "How often node memory and CPU are sampled for the spawn gate and /api/health.")
    static let publicAPIURL = SettingKey("PUBLIC_API_URL", "", "URL at which IDE containers reach this API to report activity, e.g. http://orchestrator:3001; empty leaves the activity URL out of assignments.")
    static let healthCheckInterval = SettingKey("HEALTH_CHECK_INTERVAL", "30s", "How often each warm and running container's agent and code, vnc and web ports are checked; at most 1h (the original orchestrator's milliseconds need the unit: 30000ms).")
    static let healthCheckTimeout = SettingKey("HEALTH_CHECK_TIMEOUT", "5s", "Deadline for each health probe; at most 5m (write milliseconds as 5000ms).")
    static let healthCheckRetries = SettingKey("HEALTH_CHECK_RETRIES", "3", "Consecutive failed checks before a warm container is replaced or a running one is marked unhealthy.")
    static let unhealthyGracePeriod = SettingKey("UNHEALTHY_GRACE_PERIOD", "5m", "How long a running container may stay unhealthy before it is stopped with reason unhealthy.")
    static let idleTimeout = SettingKey("IDLE_TIMEOUT_SECONDS", "1800", "Seconds without reported activity after which a running container is stopped with reason inactivity (0 disables).")
    static let warmTTL = SettingKey("WARM_CONTAINER_TTL_SECONDS", "3600", "Seconds a warm container may wait in the pool before it is recycled (0 disables).")
    static let reconcileInterval = SettingKey("RECONCILE_INTERVAL", "30s", "How often the full store-versus-Swarm reconciliation runs besides the event-driven passes.")
    static let housekeepingInterval = SettingKey("HOUSEKEEPING_INTERVAL", "30s", "How often idle containers are stopped and old records pruned; at least every half IDLE_TIMEOUT_SECONDS.")
    static let retentionDays = SettingKey("RECORD_RETENTION_DAYS", "7", "Days stopped and failed container records (and their events) are kept before they are pruned.")
    static let publicDirectory = SettingKey("PUBLIC_DIR", "Public", "Folder of the dashboard's static files (served at /dashboard/); missing means no dashboard.")
    static let eventPollInterval = SettingKey("EVENT_STREAM_POLL_INTERVAL", "1s", "How often new container events are read from the store and sent to every /api/events client.")
    static let eventHeartbeatInterval = SettingKey("EVENT_STREAM_HEARTBEAT_INTERVAL", "15s", "How often /api/events sends a keep-alive comment to every client.")
    static let traefikCertResolver = SettingKey("TRAEFIK_CERT_RESOLVER", "letsencrypt", "Traefik certresolver for routers when DOMAIN is a real domain name.")
    static let s3Endpoint = SettingKey("S3_ENDPOINT", "", "S3 endpoint used to check buckets before assignment, e.g. http://127.0.0.1:5000; empty disables checking.")
    static let awsRegion = SettingKey("AWS_REGION", "us-east-1", "Region of buckets whose start request gives none; also the region STS requests are signed for.", aliases: ["S3_REGION"])
    static let awsAccessKeyId = SettingKey("AWS_ACCESS_KEY_ID", "", "The service's own AWS access key id: signs the bucket check and STS requests and, without AWS_ASSIGNMENT_ROLE_ARN, is handed to containers whose start request carries no credentials.", aliases: ["S3_ACCESS_KEY_ID"])
    static let awsSecretAccessKey = SettingKey("AWS_SECRET_ACCESS_KEY", "", "The secret of AWS_ACCESS_KEY_ID; required with it; never logged.", aliases: ["S3_SECRET_ACCESS_KEY"])
    static let awsSessionToken = SettingKey("AWS_SESSION_TOKEN", "", "Session token when AWS_ACCESS_KEY_ID is temporary; sent with every signed request and handed on with the key; never logged.")
    static let assignmentRoleARN = SettingKey("AWS_ASSIGNMENT_ROLE_ARN", "", "IAM role assumed through STS for every assignment without credentials: the container gets temporary credentials limited to its bucket instead of the service's own; empty hands out the service's credentials (with a warning at start).")
    static let assignmentDuration = SettingKey("AWS_ASSIGNMENT_DURATION", "1h", "Lifetime of the temporary credentials of an assignment, 15m to 12h; at most the role's maximum session duration.")
    static let stsEndpoint = SettingKey("AWS_ENDPOINT_URL_STS", "", "STS endpoint for AssumeRole, e.g. http://127.0.0.1:5000; empty means https://sts.<AWS_REGION>.amazonaws.com.")
    static let awsSecretAccessKeyFile = SettingKey("AWS_SECRET_ACCESS_KEY_FILE", "", "File holding AWS_SECRET_ACCESS_KEY (e.g. a Docker secret), read when that variable is empty.", aliases: ["S3_SECRET_ACCESS_KEY_FILE"])
    static let workspaceFlushTimeout = SettingKey("WORKSPACE_FLUSH_TIMEOUT", "60s", "How long a stop waits for an assigned container's agent to push every workspace change (POST /flush) before its service is removed, 1s to 30m; a flush that fails or runs out of time is recorded as event flush_failed and the stop goes on. Each IDE service's stop grace period is this plus 15s.")
    static let workspaceS3Endpoint = SettingKey("WORKSPACE_S3_ENDPOINT", "", "S3 endpoint the IDE containers sync with, sent in every assignment as s3Endpoint, when they reach S3 at another address than this service (e.g. http://moto:5000 on the IDE network); empty means S3_ENDPOINT, and both empty means AWS (no s3Endpoint sent).")
    static let envFile = SettingKey("ENV_FILE", ".env", "File of KEY=VALUE lines read at start, relative to the working directory; a missing .env is skipped, a missing file named here stops the service. The real environment takes precedence.")

    /// Every variable the settings read, in documentation order.
    public static let all: [SettingKey] = [
        .port, .host, .apiKey, .apiKeys, .apiKeyFile, .dockerHost, .databasePath, .ideImage, .pinImage, .poolSize,
        .cpuLimit, .memoryLimit, .pidsLimit, .maxMemoryPercent, .maxCPUPercent, .domain, .swarmNetwork, .traefikNetwork, .httpPort, .logLevel, .logFormat, .metricsPublic,
        .instanceName, .spawnConcurrency, .readyTimeout, .coldStartTimeout, .bucketReleaseTimeout, .traefikProbeURL, .routeWaitTimeout, .poolInterval, .refillDelay, .spawnBackoffMax,
        .restartPolicy, .restartMaxAttempts, .agentTimeout, .agentConnectTimeout, .agentAuth, .agentTokenKeyFile, .claimMaxAttempts, .coldStartConcurrency,
        .rateLimit, .publicRateLimit, .trustedProxies, .maxRequestBodyBytes, .resourceSampleInterval, .publicAPIURL,
        .healthCheckInterval, .healthCheckTimeout, .healthCheckRetries, .healthCheckConcurrency, .unhealthyGracePeriod, .idleTimeout, .warmTTL,
        .reconcileInterval, .housekeepingInterval, .retentionDays, .publicDirectory, .eventPollInterval, .eventHeartbeatInterval, .traefikCertResolver,
        .s3Endpoint, .awsRegion, .awsAccessKeyId, .awsSecretAccessKey, .awsSecretAccessKeyFile, .awsSessionToken,
        .assignmentRoleARN, .assignmentDuration, .stsEndpoint, .workspaceFlushTimeout, .workspaceS3Endpoint, .envFile,
    ] + routeAccessKeys
}

import Prometheus

/// The service's Prometheus metrics, in a registry of its own: every built application has
/// its own, so tests that build many never share counts (see `Observability.bootstrap`).
public final class OrchestratorMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry

    /// Containers per pool state, set from the store at each collection.
    let poolTarget, poolReady, poolWarming, poolAssigned: Gauge
    /// Node figures from the resource monitor, as ratios (0 to 1).
    let nodeMemory, nodeCPU, spawnAllowed: Gauge
    /// Containers taken out of the warm pool unclaimed (expired, unhealthy, died), which the pool replaces.
    let replaced: Counter
    /// Containers that ended `failed`.
    let failed: Counter
    /// Start requests answered with the bucket's existing container.
    let reused: Counter
    /// Warm claims: from the request's claim to the container `running`.
    let claimDuration: DurationHistogram
    /// Cold starts: from the request's claim to the new container `running`.
    let coldStartDuration: DurationHistogram
    /// Pool containers: from record creation to `ready`.
    let warmupDuration: DurationHistogram
    /// Full reconciliation passes.
    let reconcilePasses: Counter
    /// How long each reconciliation pass took.
    let reconcileDuration: DurationHistogram

    static let prefix = "ide_orchestrator_"
    /// Warm claims take milliseconds.
    static let claimBuckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000].map { .milliseconds($0) }
    /// Cold starts and warm-ups take seconds.
    static let startBuckets: [Duration] = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120].map { .milliseconds($0 * 1000) }
    /// Engine, agent and HTTP calls, from a millisecond to half a minute.
    static let requestBuckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000].map { .milliseconds($0) }

    /// Creates the metrics in a fresh registry, with every fixed label set present at zero.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let p = Self.prefix
        poolTarget = registry.makeGauge(name: p + "pool_target_containers", help: "Ready containers the pool keeps (PRE_WARMED_QUEUE_SIZE).")
        poolReady = registry.makeGauge(name: p + "pool_ready_containers", help: "Warm pool containers ready to be claimed.")
        poolWarming = registry.makeGauge(name: p + "pool_warming_containers", help: "Pool containers being created or waiting for their agent.")
        poolAssigned = registry.makeGauge(name: p + "pool_assigned_containers", help: "Containers being assigned or running for a bucket.")
        nodeMemory = registry.makeGauge(name: p + "node_memory_used_ratio", help: "Memory in use on this node (0 to 1); NaN until sampled.")
        nodeCPU = registry.makeGauge(name: p + "node_cpu_used_ratio", help: "CPU busy on this node between the last two samples (0 to 1); NaN until sampled.")
        spawnAllowed = registry.makeGauge(name: p + "spawn_allowed", help: "1 while resources allow new containers, 0 while they do not.")
        replaced = registry.makeCounter(name: p + "containers_replaced_total", help: "Warm pool containers taken out unclaimed (expired, unhealthy or dead), for the pool to replace.")
        failed = registry.makeCounter(name: p + "containers_failed_total", help: "Containers that ended failed.")
        reused = registry.makeCounter(name: p + "containers_reused_total", help: "Start requests answered with the container their bucket already has.")
        claimDuration = registry.makeDurationHistogram(name: p + "claim_duration_seconds", buckets: Self.claimBuckets, help: "Warm claims: from claiming a ready container to it running for the bucket.")
        coldStartDuration = registry.makeDurationHistogram(name: p + "cold_start_duration_seconds", buckets: Self.startBuckets, help: "Cold starts: from the claim finding no ready container to the new one running for the bucket.")
        warmupDuration = registry.makeDurationHistogram(name: p + "container_warmup_duration_seconds", buckets: Self.startBuckets, help: "Pool containers: from creation to ready.")
        reconcilePasses = registry.makeCounter(name: p + "reconcile_passes_total", help: "Store-versus-Swarm reconciliation passes.")
        reconcileDuration = registry.makeDurationHistogram(name: p + "reconcile_duration_seconds", buckets: Self.requestBuckets, help: "How long each reconciliation pass took.")
        for origin in ContainerOrigin.allCases { _ = created(origin) }
        for start in ClaimStart.allCases { _ = claimed(start) }
        for reason in ShutdownReason.allCases { _ = stopped(reason.rawValue) }
        for operation in ["health", "assign"] { _ = agentErrors(operation) }
    }

    /// Containers created, by origin.
    func created(_ origin: ContainerOrigin) -> Counter {
        registry.makeCounter(name: Self.prefix + "containers_created_total", labels: [("origin", origin.rawValue)], help: "Containers created: for the pool, cold for a request, or adopted from Swarm.")
    }

    /// Containers handed out for a bucket, by how they were started.
    func claimed(_ start: ClaimStart) -> Counter {
        registry.makeCounter(name: Self.prefix + "containers_claimed_total", labels: [("start", start.rawValue)], help: "Containers assigned to a bucket: warm from the pool or cold-started for the request.")
    }

    /// Containers stopped, by shutdown reason.
    func stopped(_ reason: String) -> Counter {
        registry.makeCounter(name: Self.prefix + "containers_stopped_total", labels: [("reason", reason)], help: "Containers stopped, by shutdown reason.")
    }

    /// Times one Docker Engine API call.
    func engineDuration(_ operation: String) -> DurationHistogram {
        registry.makeDurationHistogram(name: Self.prefix + "engine_request_duration_seconds", labels: [("operation", operation)], buckets: Self.requestBuckets, help: "Docker Engine API calls, by operation.")
    }

    /// Counts failed Docker Engine API calls.
    func engineErrors(_ operation: String, code: String) -> Counter {
        registry.makeCounter(name: Self.prefix + "engine_request_errors_total", labels: [("operation", operation), ("code", code)], help: "Docker Engine API calls that failed, by operation and error code.")
    }

    /// Times one call to a container's agent.
    func agentDuration(_ operation: String) -> DurationHistogram {
        registry.makeDurationHistogram(name: Self.prefix + "agent_request_duration_seconds", labels: [("operation", operation)], buckets: Self.requestBuckets, help: "Calls to container agents, by operation.")
    }

    /// Counts failed agent calls (refusals, errors, unhealthy answers).
    func agentErrors(_ operation: String) -> Counter {
        registry.makeCounter(name: Self.prefix + "agent_request_errors_total", labels: [("operation", operation)], help: "Agent calls that failed or were refused, by operation.")
    }

    /// Counts one HTTP request by route template, method and status.
    func httpRequests(route: String, method: String, status: Int) -> Counter {
        registry.makeCounter(name: Self.prefix + "http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))], help: "HTTP requests served, by route template, method and status.")
    }

    /// Times HTTP requests by route template and method.
    func httpDuration(route: String, method: String) -> DurationHistogram {
        registry.makeDurationHistogram(name: Self.prefix + "http_request_duration_seconds", labels: [("route", route), ("method", method)], buckets: Self.requestBuckets, help: "HTTP request handling time, by route template and method.")
    }

    /// Records one finished reconciliation pass.
    public func reconcilePassed(in duration: Duration) {
        reconcilePasses.increment()
        reconcileDuration.record(duration)
    }

    /// Records a start request answered with an existing container.
    func startReused() {
        reused.increment()
    }

    /// The exposition text.
    public func render() -> String {
        registry.emitToString()
    }
}

/// Where a container came from, for `containers_created_total`.
enum ContainerOrigin: String, CaseIterable, Sendable {
    case pool, cold, adopted
}

/// How a claimed container was started, for `containers_claimed_total`.
enum ClaimStart: String, CaseIterable, Sendable {
    case warm, cold
}

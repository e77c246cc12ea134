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

    /// Every family's namespace.
    static let namespace = "ide_orchestrator"

    /// `ide_orchestrator_<base>_<unit>` with its help text.
    static func name(_ base: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: namespace, metricName: base, unitName: unit, helpText: help)
    }
    /// Warm claims take milliseconds.
    static let claimBuckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000].map { .milliseconds($0) }
    /// Cold starts and warm-ups take seconds.
    static let startBuckets: [Duration] = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120].map { .milliseconds($0 * 1000) }
    /// Engine, agent and HTTP calls, from a millisecond to half a minute.
    static let requestBuckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000].map { .milliseconds($0) }

    /// Creates the metrics in a fresh registry, with every fixed label set present at zero.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        poolTarget = registry.makeGauge(descriptor: Self.name("pool_target", unit: "containers", help: "Ready containers the pool keeps (PRE_WARMED_QUEUE_SIZE)."))
        poolReady = registry.makeGauge(descriptor: Self.name("pool_ready", unit: "containers", help: "Warm pool containers ready to be claimed."))
        poolWarming = registry.makeGauge(descriptor: Self.name("pool_warming", unit: "containers", help: "Pool containers being created or waiting for their agent."))
        poolAssigned = registry.makeGauge(descriptor: Self.name("pool_assigned", unit: "containers", help: "Containers being assigned or running for a bucket."))
        nodeMemory = registry.makeGauge(descriptor: Self.name("node_memory_used", unit: "ratio", help: "Memory in use on this node (0 to 1); NaN until sampled."))
        nodeCPU = registry.makeGauge(descriptor: Self.name("node_cpu_used", unit: "ratio", help: "CPU busy on this node between the last two samples (0 to 1); NaN until sampled."))
        spawnAllowed = registry.makeGauge(descriptor: Self.name("spawn_allowed", unit: "", help: "1 while resources allow new containers, 0 while they do not."))
        replaced = registry.makeCounter(descriptor: Self.name("containers_replaced", unit: "total", help: "Warm pool containers taken out unclaimed (expired, unhealthy or dead), for the pool to replace."))
        failed = registry.makeCounter(descriptor: Self.name("containers_failed", unit: "total", help: "Containers that ended failed."))
        reused = registry.makeCounter(descriptor: Self.name("containers_reused", unit: "total", help: "Start requests answered with the container their bucket already has."))
        claimDuration = registry.makeDurationHistogram(descriptor: Self.name("claim_duration", unit: "seconds", help: "Warm claims: from claiming a ready container to it running for the bucket."), buckets: Self.claimBuckets)
        coldStartDuration = registry.makeDurationHistogram(descriptor: Self.name("cold_start_duration", unit: "seconds", help: "Cold starts: from the claim finding no ready container to the new one running for the bucket."), buckets: Self.startBuckets)
        warmupDuration = registry.makeDurationHistogram(descriptor: Self.name("container_warmup_duration", unit: "seconds", help: "Pool containers: from creation to ready."), buckets: Self.startBuckets)
        reconcilePasses = registry.makeCounter(descriptor: Self.name("reconcile_passes", unit: "total", help: "Store-versus-Swarm reconciliation passes."))
        reconcileDuration = registry.makeDurationHistogram(descriptor: Self.name("reconcile_duration", unit: "seconds", help: "How long each reconciliation pass took."), buckets: Self.requestBuckets)
        for origin in ContainerOrigin.allCases { _ = created(origin) }
        for start in ClaimStart.allCases { _ = claimed(start) }
        for reason in ShutdownReason.allCases { _ = stopped(reason.rawValue) }
        for operation in ["health", "assign", "flush", "credentials"] { _ = agentErrors(operation) }
        for state in WorkspaceSync.State.allCases.map(\.rawValue) + ["unknown"] { workspaceSync(state).set(Double(0)) }
    }

    /// Containers created, by origin.
    func created(_ origin: ContainerOrigin) -> Counter {
        registry.makeCounter(descriptor: Self.name("containers_created", unit: "total", help: "Containers created: for the pool, cold for a request, or adopted from Swarm."), labels: [("origin", origin.rawValue)])
    }

    /// Containers handed out for a bucket, by how they were started.
    func claimed(_ start: ClaimStart) -> Counter {
        registry.makeCounter(descriptor: Self.name("containers_claimed", unit: "total", help: "Containers assigned to a bucket: warm from the pool or cold-started for the request."), labels: [("start", start.rawValue)])
    }

    /// Running containers in one workspace sync state (`unknown`: the agent reports none).
    func workspaceSync(_ state: String) -> Gauge {
        registry.makeGauge(descriptor: Self.name("workspace_sync", unit: "containers", help: "Running containers by the workspace sync state their agent last reported: idle, hydrating, ready, error, or unknown when it reports none."), labels: [("state", state)])
    }

    /// Containers stopped, by shutdown reason.
    func stopped(_ reason: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("containers_stopped", unit: "total", help: "Containers stopped, by shutdown reason."), labels: [("reason", reason)])
    }

    /// Times one Docker Engine API call.
    func engineDuration(_ operation: String) -> DurationHistogram {
        registry.makeDurationHistogram(descriptor: Self.name("engine_request_duration", unit: "seconds", help: "Docker Engine API calls, by operation."), labels: [("operation", operation)], buckets: Self.requestBuckets)
    }

    /// Counts failed Docker Engine API calls.
    func engineErrors(_ operation: String, code: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("engine_request_errors", unit: "total", help: "Docker Engine API calls that failed, by operation and error code."), labels: [("operation", operation), ("code", code)])
    }

    /// Times one call to a container's agent.
    func agentDuration(_ operation: String) -> DurationHistogram {
        registry.makeDurationHistogram(descriptor: Self.name("agent_request_duration", unit: "seconds", help: "Calls to container agents, by operation."), labels: [("operation", operation)], buckets: Self.requestBuckets)
    }

    /// Counts failed agent calls (refusals, errors, unhealthy answers).
    func agentErrors(_ operation: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("agent_request_errors", unit: "total", help: "Agent calls that failed or were refused, by operation."), labels: [("operation", operation)])
    }

    /// Counts one HTTP request by route template, method and status.
    func httpRequests(route: String, method: String, status: Int) -> Counter {
        registry.makeCounter(descriptor: Self.name("http_requests", unit: "total", help: "HTTP requests served, by route template, method and status."), labels: [("route", route), ("method", method), ("status", String(status))])
    }

    /// Times HTTP requests by route template and method.
    func httpDuration(route: String, method: String) -> DurationHistogram {
        registry.makeDurationHistogram(descriptor: Self.name("http_request_duration", unit: "seconds", help: "HTTP request handling time, by route template and method."), labels: [("route", route), ("method", method)], buckets: Self.requestBuckets)
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

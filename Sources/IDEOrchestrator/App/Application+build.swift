import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the whole service from its settings: store, engine client, loops and HTTP server.
public func buildApplication(settings: Settings, metrics: OrchestratorMetrics = OrchestratorMetrics()) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "ide-orchestrator")
    logger.logLevel = settings.logLevel
    AssignmentCredentials(settings: settings).announce(to: logger)
    let engine = InstrumentedDockerEngine(CurlDockerEngine(endpoint: settings.dockerHost), metrics: metrics)
    let store = try AppDatabase.open(path: settings.databasePath)
    let tokens = try AgentTokens.load(settings: settings)
    if !tokens.isEnabled {
        logger.warning("AGENT_AUTH=false: IDE agents get no token and accept assignments from anyone on the IDE network; use only with legacy images")
    }
    let access = RouteAccess(settings: settings.routeAccess, signer: try SessionSigner.load(settings: settings))
    RouteAccess.announce(settings.routeAccess, to: logger)
    let monitor = ResourceMonitor(settings: settings, engine: engine, logger: logger)
    let orchestrator = Orchestrator.make(settings: settings, store: store, engine: engine, resources: monitor, tokens: tokens, access: access, metrics: metrics, logger: logger)
    await orchestrator.collector.startCounting(after: try await store.latestEventID())
    var app = Application(
        router: buildRouter(orchestrator),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "ide-orchestrator"),
        logger: logger
    )
    let reconciler = Reconciler(orchestrator)
    let agent = InstrumentedAgentClient(HTTPAgentClient(tokens: tokens, timeout: settings.healthCheckTimeout, connectTimeout: settings.agentConnectTimeout), metrics: metrics)
    let probe = HTTPHealthProbe(agent: agent, timeout: settings.healthCheckTimeout, connectTimeout: settings.agentConnectTimeout)
    let health = HealthMonitor(orchestrator, probe: probe)
    let housekeeper = Housekeeper(store: store, stopper: orchestrator.stopper, settings: settings, logger: logger)
    let checkpointer = WALCheckpointer(store: store, logger: logger)
    // Services start in this order and stop in reverse; the HTTP server comes last. The
    // background queues stop last of all: their jobs are cancelled once every loop has stopped.
    app.addServices(orchestrator.launcher.removals, orchestrator.claims.coldStarts.launches, checkpointer, monitor, reconciler, orchestrator.pool, health, housekeeper, orchestrator.events, orchestrator.collector, orchestrator.engineState)
    app.addServices(RevocationWatcher(store: store, access: access, logger: logger), AccessCheckServer.application(access: access, host: settings.host, logger: logger))
    if settings.aws.assignmentRoleARN != nil {
        app.addServices(CredentialsRefresher(
            store: store, agent: orchestrator.agent, credentials: AssignmentCredentials(settings: settings, logger: logger),
            lifetime: settings.aws.assignmentDuration, clock: ContinuousClock(), logger: logger
        ))
    }
    return app
}

extension Orchestrator {
    /// Wires the parts over a store and an engine; tests pass their own fakes where they need them.
    public static func make(
        settings: Settings, store: AppDatabase, engine: any DockerEngine, agent: (any AgentClient)? = nil, resources: (any ResourceGate)? = nil,
        bucketChecker: (any BucketChecker)? = nil, tokens: AgentTokens = .disabled, reach: (any Reachability)? = nil, access: RouteAccess? = nil,
        metrics: OrchestratorMetrics = OrchestratorMetrics(), logger: Logger
    ) -> Orchestrator {
        let access = access ?? RouteAccess(settings: settings.routeAccess, signer: SessionSigner(key: Data(Hex.random(bytes: 32).utf8)))
        let reach = reach ?? HTTPReachability(
            timeout: settings.healthCheckTimeout, connectTimeout: settings.agentConnectTimeout, traefik: settings.traefikProbeURL,
            probeToken: { access.probeToken(forURL: $0) }
        )
        let agent = InstrumentedAgentClient(agent ?? HTTPAgentClient(tokens: tokens, timeout: settings.agentTimeout, connectTimeout: settings.agentConnectTimeout), metrics: metrics)
        let resources = resources ?? ResourceMonitor(settings: settings, engine: engine, logger: logger)
        let bucketChecker = bucketChecker ?? settings.s3.map { S3BucketChecker(settings: $0) }
        let epoch = Epoch()
        let launcher = ContainerLauncher(store: store, engine: engine, agent: agent, settings: settings, logger: logger, tokens: tokens, reach: reach)
        let pool = PoolMaintainer(store: store, launcher: launcher, resources: resources, settings: settings, epoch: epoch, logger: logger)
        let stopper = ContainerStopper(store: store, launcher: launcher, epoch: epoch) { pool.wakeUp() }
        let engineState = HealthState(engine: engine)
        let claims = ClaimService(
            store: store, launcher: launcher, stopper: stopper, agent: agent, resources: resources, bucketChecker: bucketChecker,
            pool: pool, engineState: engineState, settings: settings, epoch: epoch, logger: logger
        )
        let events = EventBroadcaster(store: store, settings: settings, logger: logger)
        let collector = MetricsCollector(metrics: metrics, store: store, resources: resources, settings: settings, logger: logger)
        return Orchestrator(
            settings: settings, store: store, engine: engine, agent: agent, claims: claims, launcher: launcher, stopper: stopper, pool: pool,
            resources: resources, epoch: epoch, events: events, engineState: engineState, logger: logger, metrics: metrics, collector: collector,
            access: access
        )
    }
}

/// The API's routes and middleware; `/api/health` and `/ready` answer from `healthState`, by
/// default the orchestrator's `engineState` (its sampling loop runs as a service of the application).
func buildRouter(_ orchestrator: Orchestrator, healthState: HealthState? = nil) -> Router<AppRequestContext> {
    let settings = orchestrator.settings
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: HTTPMetricsMiddleware(metrics: orchestrator.metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorMiddleware(logger: orchestrator.logger, maxBodyBytes: settings.maxRequestBodyBytes))
    let routes = RouteTable()
    router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
    router.add(middleware: BodyLimitMiddleware(maxBytes: settings.maxRequestBodyBytes))
    let limits = PublicLimits(perMinute: settings.publicRateLimitPerMinute, trustedProxies: settings.trustedProxies)
    router.add(middleware: ClientRateLimitMiddleware(limits: limits, keys: settings.apiKeys))
    router.add(middleware: FileMiddleware(orchestrator.settings.publicDirectory, searchForIndexHtml: true, logger: orchestrator.logger))
    router.get("/") { _, _ in Response.redirect(to: "/dashboard/", type: .found) }
    let state = healthState ?? orchestrator.engineState
    let system = SystemRoutes(orchestrator: orchestrator, state: state, keys: APIKeys(settings.apiKeys))
    system.registerPublic(on: router)
    MetricsRoutes(orchestrator: orchestrator).register(on: router)
    let api = router.group("/api")
        .add(middleware: APIKeyMiddleware(keys: orchestrator.settings.apiKeys))
        .add(middleware: RateLimitMiddleware(perMinute: orchestrator.settings.rateLimitPerMinute))
    system.registerProtected(on: api)
    ContainerRoutes(orchestrator: orchestrator).register(on: api.group("/containers"))
    NodeRoutes(orchestrator: orchestrator).register(on: api)
    EventStreamRoutes(orchestrator: orchestrator).register(on: api.group("/events"))
    ActivityRoutes(orchestrator: orchestrator, limits: limits).register(on: router)
    routes.load(router.routes.map { ($0.method.rawValue, $0.path.description) })
    return router
}

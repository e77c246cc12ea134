import Logging

/// The parts the routes use, wired once by `buildApplication`.
public struct Orchestrator: Sendable {
    /// The settings.
    public let settings: Settings
    /// The state.
    public let store: AppDatabase
    /// The Docker engine.
    public let engine: any DockerEngine
    /// The containers' agents.
    public let agent: any AgentClient
    /// The request path for starts.
    public let claims: ClaimService
    /// Creates and removes containers.
    public let launcher: ContainerLauncher
    /// Stops containers with a reason.
    public let stopper: ContainerStopper
    /// The warm pool.
    public let pool: PoolMaintainer
    /// The spawn gate.
    public let resources: any ResourceGate
    /// This run of the service.
    public let epoch: Epoch
    /// Fans container events out to `/api/events` clients.
    public let events: EventBroadcaster
    /// Whether the engine answers, sampled in the background.
    public let engineState: HealthState
    /// The root logger.
    public let logger: Logger
    /// The Prometheus metrics.
    public let metrics: OrchestratorMetrics
    /// Brings the metrics up to date from the store.
    public let collector: MetricsCollector
    /// Launch links, session checks and their revocation for the IDE routes.
    public let access: RouteAccess
}

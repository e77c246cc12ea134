/// An `AgentClient` that times every call to another one and counts failures: an unhealthy
/// answer to `health`, a refusal or error to `assign`.
public struct InstrumentedAgentClient: AgentClient {
    let base: any AgentClient
    let metrics: OrchestratorMetrics

    /// Wraps `base`.
    public init(_ base: any AgentClient, metrics: OrchestratorMetrics) {
        self.base = base
        self.metrics = metrics
    }

    public func health(address: String, containerId: String) async -> AgentHealth? {
        let started = ContinuousClock.now
        let health = await base.health(address: address, containerId: containerId)
        metrics.agentDuration("health").record(ContinuousClock.now - started)
        if health == nil { metrics.agentErrors("health").increment() }
        return health
    }

    public func assign(address: String, assignment: AgentAssignment) async throws(AgentError) {
        let started = ContinuousClock.now
        defer { metrics.agentDuration("assign").record(ContinuousClock.now - started) }
        do {
            try await base.assign(address: address, assignment: assignment)
        } catch {
            metrics.agentErrors("assign").increment()
            throw error
        }
    }
}

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

    public func isHealthy(address: String) async -> Bool {
        let started = ContinuousClock.now
        let healthy = await base.isHealthy(address: address)
        metrics.agentDuration("health").record(ContinuousClock.now - started)
        if !healthy { metrics.agentErrors("health").increment() }
        return healthy
    }

    public func assign(address: String, assignment: AgentAssignment) async throws -> AgentAssignmentOutcome {
        let started = ContinuousClock.now
        defer { metrics.agentDuration("assign").record(ContinuousClock.now - started) }
        do {
            return try await base.assign(address: address, assignment: assignment)
        } catch {
            metrics.agentErrors("assign").increment()
            throw error
        }
    }
}

/// An `AgentClient` that times every call to another one and counts failures: an unhealthy
/// answer to `health`, a refusal or error to `assign` and `credentials`, a failed `flush`.
public struct InstrumentedAgentClient: AgentClient {
    let base: any AgentClient
    let metrics: OrchestratorMetrics

    /// Wraps `base`.
    public init(_ base: any AgentClient, metrics: OrchestratorMetrics) {
        self.base = base
        self.metrics = metrics
    }

    public func health(address: String, port: Int, containerId: String) async -> AgentHealth? {
        let started = ContinuousClock.now
        let health = await base.health(address: address, port: port, containerId: containerId)
        metrics.agentDuration("health").record(ContinuousClock.now - started)
        if health == nil { metrics.agentErrors("health").increment() }
        return health
    }

    public func assign(address: String, port: Int, assignment: AgentAssignment) async throws(AgentError) {
        let started = ContinuousClock.now
        defer { metrics.agentDuration("assign").record(ContinuousClock.now - started) }
        do {
            try await base.assign(address: address, port: port, assignment: assignment)
        } catch {
            metrics.agentErrors("assign").increment()
            throw error
        }
    }

    public func flush(address: String, port: Int, containerId: String, timeout: Duration) async -> FlushOutcome {
        let started = ContinuousClock.now
        let outcome = await base.flush(address: address, port: port, containerId: containerId, timeout: timeout)
        metrics.agentDuration("flush").record(ContinuousClock.now - started)
        if case .failed = outcome { metrics.agentErrors("flush").increment() }
        return outcome
    }

    public func updateCredentials(address: String, port: Int, containerId: String, credentials: AgentCredentials) async throws(AgentError) {
        let started = ContinuousClock.now
        defer { metrics.agentDuration("credentials").record(ContinuousClock.now - started) }
        do {
            try await base.updateCredentials(address: address, port: port, containerId: containerId, credentials: credentials)
        } catch {
            metrics.agentErrors("credentials").increment()
            throw error
        }
    }
}

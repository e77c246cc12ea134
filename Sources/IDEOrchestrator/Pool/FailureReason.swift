/// The reason stored in a container's event when something failed: a stable code and our own
/// sentence (`engine_unreachable: the Docker engine did not answer`). Never the text of the
/// engine, the HTTP client or an agent: an agent's answer is the tenant's to write, and engine
/// and curl messages carry internals. That text goes to the log with the container id only.
enum FailureReason {
    /// `code: sentence` for a failed launch, assignment or engine call.
    static func of(_ error: any Error) -> String {
        switch error {
        case let error as DockerError: of(error)
        case let error as AgentError: of(error)
        case let error as LaunchError: error.reason
        default: "internal_error: an unexpected error; the log has its text"
        }
    }

    static func of(_ error: DockerError) -> String {
        switch error.code {
        case .engineUnreachable, .timedOut: "engine_unreachable: the Docker engine did not answer"
        case .imageNotFound: "image_not_found: the Docker engine does not hold the IDE image"
        case .networkNotFound: "network_not_found: the IDE network does not exist"
        case .secretNotFound: "secret_not_found: the container's agent-token secret is missing"
        case .notSwarmManager: "not_swarm_manager: the Docker engine is not a Swarm manager"
        case .conflict: "engine_conflict: the Docker engine refused a change that conflicts with its state"
        default: "engine_error: the Docker engine refused a request"
        }
    }

    static func of(_ error: AgentError) -> String {
        switch error.kind {
        case .unreachable: "agent_unreachable: the assignment never reached the agent"
        case .alreadyAssigned: "agent_taken: its agent already held an assignment nobody made here"
        case .refused: "agent_refused: the agent refused the assignment\(error.status.map { " (HTTP \($0))" } ?? "")"
        case .noAnswer: "agent_no_answer: the agent gave no usable answer to the assignment"
        }
    }
}

import Foundation

/// Talks to the agent inside an IDE container (see docs/agent-contract.md).
public protocol AgentClient: Sendable {
    /// Whether the agent answers its health endpoint.
    func isHealthy(address: String) async -> Bool
    /// Hands the container its bucket (and credentials); throws `AgentError` when refused.
    func assign(address: String, assignment: AgentAssignment) async throws -> AgentAssignmentOutcome
}

/// What the agent is told at assignment. Encoded only into the request to the agent.
public struct AgentAssignment: Encodable, Sendable {
    /// The bucket.
    public var bucket: String
    /// Its region.
    public var region: String
    /// Access key id, if the platform gave one.
    public var accessKeyId: String?
    /// Secret access key, if the platform gave one.
    public var secretAccessKey: String?
    /// Session token of temporary credentials.
    public var sessionToken: String?
    /// The container's id.
    public var containerId: String
    /// VNC password, if given.
    public var vncPassword: String?
    /// The platform's user id, if given.
    public var userId: String?
    /// Token the container uses to report activity.
    public var activityToken: String?
    /// Where the container reports activity.
    public var activityUrl: String?
}

/// How an agent accepted an assignment.
public enum AgentAssignmentOutcome: Sendable, Equatable {
    /// Newly assigned.
    case assigned
    /// It already had this bucket.
    case alreadyAssigned
}

/// An agent refused or failed an assignment.
public struct AgentError: Error, Sendable, CustomStringConvertible {
    /// The agent's HTTP status, when it answered.
    public var status: Int?
    /// What went wrong.
    public var message: String
    public var description: String { "agent \(status.map { "HTTP \($0)" } ?? "unreachable"): \(message)" }
}

/// The `AgentClient` over HTTP on port 3000 of the task's address.
public struct HTTPAgentClient: AgentClient {
    let http: any HTTPClient
    let timeout: Duration

    /// Creates a client.
    public init(http: any HTTPClient = CurlHTTPClient(), timeout: Duration) {
        self.http = http
        self.timeout = timeout
    }

    public func isHealthy(address: String) async -> Bool {
        let request = HTTPClientRequest(endpoint: .tcp(baseURL: "http://\(address):3000"), path: "/health", timeout: timeout, connectTimeout: timeout)
        return (try? await http.execute(request).isSuccess) ?? false
    }

    public func assign(address: String, assignment: AgentAssignment) async throws -> AgentAssignmentOutcome {
        let request = HTTPClientRequest(
            method: "POST", endpoint: .tcp(baseURL: "http://\(address):3000"), path: "/assign-s3-bucket",
            headers: [(name: "Content-Type", value: "application/json")],
            body: try JSONEncoder().encode(assignment), timeout: timeout, connectTimeout: timeout
        )
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw AgentError(status: nil, message: "\(error)")
        }
        let reply = try? JSONDecoder().decode(Reply.self, from: response.body)
        guard response.status == 200 else {
            throw AgentError(status: response.status, message: reply?.message ?? reply?.status ?? "refused")
        }
        switch reply?.status {
        case "success": return .assigned
        case "already_assigned": return .alreadyAssigned
        default: throw AgentError(status: response.status, message: "unexpected answer \(reply?.status ?? "<none>")")
        }
    }

    private struct Reply: Decodable {
        var status: String?
        var message: String?
    }
}

import Foundation

/// Talks to the agent inside an IDE container (see docs/agent-contract.md). Containers are
/// run by their users: every answer is read with a size limit and believed only as far as it
/// concerns that container.
///
/// Every call goes to `http://<address>:<port>`, the port being the agent port the container's
/// image declares (`ImageContract`, 3000 for images that do not say).
public protocol AgentClient: Sendable {
    /// The health answer of container `containerId`'s agent, or nil when it does not answer healthy.
    func health(address: String, port: Int, containerId: String) async -> AgentHealth?
    /// Hands the container `assignment.containerId` its bucket (and credentials); the error
    /// says whether the request ever reached the agent.
    func assign(address: String, port: Int, assignment: AgentAssignment) async throws(AgentError)
    /// Asks the agent to push every workspace change now (`POST /flush`), waiting at most `timeout`.
    func flush(address: String, port: Int, containerId: String, timeout: Duration) async -> FlushOutcome
    /// Hands the agent fresh temporary credentials (`POST /credentials`).
    func updateCredentials(address: String, port: Int, containerId: String, credentials: AgentCredentials) async throws(AgentError)
}

extension AgentClient {
    /// Whether the agent answers its health endpoint.
    public func isHealthy(address: String, port: Int, containerId: String) async -> Bool {
        await health(address: address, port: port, containerId: containerId) != nil
    }
}

/// What an agent says of itself on `GET /health`. Each field is nil when a (legacy)
/// agent does not say: unknown, never "free".
public struct AgentHealth: Sendable, Equatable {
    /// Whether it holds an assignment.
    public var assigned: Bool?
    /// The bucket it syncs.
    public var bucket: String?
    /// The user's last activity.
    public var lastActivityAt: Date?
    /// Its workspace sync, when it reports one.
    public var sync: WorkspaceSync?

    /// Creates an answer.
    public init(assigned: Bool? = nil, bucket: String? = nil, lastActivityAt: Date? = nil, sync: WorkspaceSync? = nil) {
        self.assigned = assigned
        self.bucket = bucket
        self.lastActivityAt = lastActivityAt
        self.sync = sync
    }

    /// A verified free container: the agent says it holds no assignment.
    public var isVerifiedFree: Bool { assigned == false }
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
    /// The S3 endpoint the container syncs with; nil (left out) means AWS.
    public var s3Endpoint: String? = nil
    /// The key prefix inside the bucket; nil (left out) means the whole bucket.
    public var workspacePrefix: String? = nil
    /// When temporary credentials expire (RFC 3339); nil when they do not.
    public var credentialsExpireAt: String? = nil
}

/// An assignment that did not succeed, and whether it ever reached the agent.
public struct AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// How it failed.
    public enum Kind: String, Sendable {
        /// The request never reached the agent (no connection): the container is untouched.
        case unreachable
        /// The agent answered and refused.
        case refused
        /// The agent already holds an assignment: someone else got there first.
        case alreadyAssigned
        /// The agent was reached but gave no usable answer (timeout, garbage): it may or may
        /// not have taken the assignment.
        case noAnswer
    }

    /// How it failed.
    public var kind: Kind
    /// The agent's HTTP status, when it answered.
    public var status: Int?
    /// What went wrong.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, status: Int? = nil, _ message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }

    public var description: String { "agent \(kind.rawValue)\(status.map { " (HTTP \($0))" } ?? ""): \(message)" }
}

/// The `AgentClient` over HTTP on the agent port of the task's address. Every call carries the
/// container's agent token as `Authorization: Bearer <token>` when tokens are enabled.
public struct HTTPAgentClient: AgentClient {
    /// The most of an agent's answer ever read.
    static let maxAnswerBytes = 16 * 1024

    let http: any HTTPClient
    let tokens: AgentTokens
    let timeout: Duration
    let connectTimeout: Duration

    /// Creates a client.
    public init(http: any HTTPClient = CurlHTTPClient(), tokens: AgentTokens = .disabled, timeout: Duration, connectTimeout: Duration = .seconds(1)) {
        self.http = http
        self.tokens = tokens
        self.timeout = timeout
        self.connectTimeout = min(connectTimeout, timeout)
    }

    /// The `Authorization` header for container `id`'s agent, when tokens are enabled.
    func authorization(for containerId: String) -> [(name: String, value: String)] {
        tokens.token(for: containerId).map { [(name: "Authorization", value: "Bearer \($0)")] } ?? []
    }

    public func health(address: String, port: Int, containerId: String) async -> AgentHealth? {
        let request = HTTPClientRequest(
            endpoint: .tcp(baseURL: "http://\(address):\(port)"), path: "/health", headers: authorization(for: containerId),
            timeout: timeout, connectTimeout: connectTimeout, maxResponseBytes: Self.maxAnswerBytes
        )
        guard let response = try? await http.execute(request), response.isSuccess else { return nil }
        guard let answer = try? JSONDecoder().decode(HealthAnswer.self, from: response.body) else { return AgentHealth() }
        return AgentHealth(
            assigned: answer.assigned,
            bucket: answer.bucket.flatMap { BucketName.problem(with: $0) == nil ? $0 : nil },
            lastActivityAt: answer.lastActivityAt.flatMap(RFC3339.date),
            sync: answer.sync?.value
        )
    }

    public func assign(address: String, port: Int, assignment: AgentAssignment) async throws(AgentError) {
        let body: Data
        do { body = try JSONEncoder().encode(assignment) } catch { throw AgentError(.unreachable, "the assignment could not be encoded") }
        let request = HTTPClientRequest(
            method: "POST", endpoint: .tcp(baseURL: "http://\(address):\(port)"), path: "/assign-s3-bucket",
            headers: [(name: "Content-Type", value: "application/json")] + authorization(for: assignment.containerId),
            body: body, timeout: timeout, connectTimeout: connectTimeout, maxResponseBytes: Self.maxAnswerBytes
        )
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPClientError where error.kind == .connectionFailed {
            throw AgentError(.unreachable, error.message)
        } catch {
            throw AgentError(.noAnswer, "\(error)")
        }
        let reply = try? JSONDecoder().decode(Reply.self, from: response.body)
        if reply?.status == "already_assigned" { throw AgentError(.alreadyAssigned, status: response.status, "the agent already holds an assignment") }
        guard response.status == 200 else {
            throw AgentError(.refused, status: response.status, String((reply?.message ?? reply?.status ?? "refused").prefix(200)))
        }
        guard reply?.status == "success" else {
            throw AgentError(.noAnswer, status: response.status, "unexpected answer \(String((reply?.status ?? "<none>").prefix(40)))")
        }
    }

    /// The `status` and `message` of an agent's answer to a POST.
    struct Reply: Decodable {
        var status: String?
        var message: String?
    }

    private struct HealthAnswer: Decodable {
        var assigned: Bool?
        var bucket: String?
        var lastActivityAt: String?
        var sync: LenientSync?
    }
}

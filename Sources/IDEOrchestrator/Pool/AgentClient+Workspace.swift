import Foundation

/// How an agent's `POST /flush` ended. Failures carry a stable code and a sentence of ours,
/// never the transport's or the agent's raw text.
public enum FlushOutcome: Sendable, Equatable {
    /// The bucket holds every change.
    case flushed
    /// The agent holds no assignment: there was nothing to push.
    case nothingToFlush
    /// The flush did not happen or did not finish.
    case failed(FlushFailure)
}

/// Why a flush failed.
public struct FlushFailure: Sendable, Equatable, CustomStringConvertible {
    /// Stable code: `unreachable`, `timeout`, `not_hydrated`, `push_failed`, `refused`, `bad_answer`.
    public var code: String
    /// One sentence of ours.
    public var message: String

    /// Creates a failure.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The agent could not be connected to.
    public static let unreachable = FlushFailure(code: "unreachable", message: "the agent could not be reached")
    /// No answer within the deadline.
    public static func timeout(_ limit: Duration) -> FlushFailure {
        FlushFailure(code: "timeout", message: "the agent did not finish within WORKSPACE_FLUSH_TIMEOUT (\(limit))")
    }
    /// 409: the workspace was never hydrated, so nothing was pushed.
    public static let notHydrated = FlushFailure(code: "not_hydrated", message: "the workspace was not hydrated, so nothing was pushed")
    /// 502: the push to the bucket failed.
    public static let pushFailed = FlushFailure(code: "push_failed", message: "the agent could not push the workspace to the bucket")
    /// Another HTTP status.
    public static func refused(_ status: Int) -> FlushFailure {
        FlushFailure(code: "refused", message: "the agent refused the flush (HTTP \(status))")
    }
    /// A 200 whose body is not the contract's.
    public static let badAnswer = FlushFailure(code: "bad_answer", message: "the agent's answer was not one the contract defines")

    public var description: String { "\(code): \(message)" }
}

/// Fresh temporary credentials for `POST /credentials`. Encoded only into that request.
public struct AgentCredentials: Encodable, Sendable {
    /// Access key id.
    public var accessKeyId: String
    /// Secret access key.
    public var secretAccessKey: String
    /// Session token.
    public var sessionToken: String?
    /// When they expire (RFC 3339).
    public var expiration: String

    /// Creates the body from STS credentials expiring at `expiration`.
    public init(_ credentials: S3Credentials, expiration: Date) {
        accessKeyId = credentials.accessKeyId
        secretAccessKey = credentials.secretAccessKey
        sessionToken = credentials.sessionToken
        self.expiration = Timestamp.string(expiration)
    }
}

extension HTTPAgentClient {
    public func flush(address: String, port: Int, containerId: String, timeout: Duration) async -> FlushOutcome {
        let request = HTTPClientRequest(
            method: "POST", endpoint: .tcp(baseURL: "http://\(address):\(port)"), path: "/flush",
            headers: [(name: "Content-Type", value: "application/json")] + authorization(for: containerId),
            body: Data("{}".utf8), timeout: timeout, connectTimeout: connectTimeout, maxResponseBytes: Self.maxAnswerBytes
        )
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPClientError where error.kind == .connectionFailed {
            return .failed(.unreachable)
        } catch let error as HTTPClientError where error.kind == .timedOut {
            return .failed(.timeout(timeout))
        } catch {
            return .failed(.badAnswer)
        }
        let reply = try? JSONDecoder().decode(Reply.self, from: response.body)
        switch response.status {
        case 200 where reply?.status == "flushed": return .flushed
        case 200 where reply?.status == "nothing_to_flush": return .nothingToFlush
        case 200: return .failed(.badAnswer)
        case 409: return .failed(.notHydrated)
        case 502: return .failed(.pushFailed)
        default: return .failed(.refused(response.status))
        }
    }

    public func updateCredentials(address: String, port: Int, containerId: String, credentials: AgentCredentials) async throws(AgentError) {
        let body: Data
        do { body = try JSONEncoder().encode(credentials) } catch { throw AgentError(.unreachable, "the credentials could not be encoded") }
        let request = HTTPClientRequest(
            method: "POST", endpoint: .tcp(baseURL: "http://\(address):\(port)"), path: "/credentials",
            headers: [(name: "Content-Type", value: "application/json")] + authorization(for: containerId),
            body: body, timeout: timeout, connectTimeout: connectTimeout, maxResponseBytes: Self.maxAnswerBytes
        )
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch let error as HTTPClientError where error.kind == .connectionFailed {
            throw AgentError(.unreachable, "the agent could not be reached")
        } catch {
            throw AgentError(.noAnswer, "the agent gave no answer")
        }
        let reply = try? JSONDecoder().decode(Reply.self, from: response.body)
        guard response.status == 200, reply?.status == "updated" else {
            throw AgentError(.refused, status: response.status, response.status == 409 ? "the agent holds no assignment" : "the agent refused the credentials")
        }
    }
}

import Foundation
import Synchronization

/// A `DockerEngine` over the Engine API, through libcurl, on a unix socket or TCP.
public final class CurlDockerEngine: DockerEngine {
    /// API versions this client's models are written for.
    public static let supportedAPIVersions = APIVersion(1, 41)...APIVersion(1, 47)

    private let endpoint: HTTPEndpoint
    private let client: any HTTPClient
    private let requestTimeout: Duration
    private let negotiated = Mutex<APIVersion?>(nil)

    /// Creates a client; the API version is negotiated on first use.
    public init(endpoint: HTTPEndpoint, client: any HTTPClient = CurlHTTPClient(), requestTimeout: Duration = .seconds(30)) {
        self.endpoint = endpoint
        self.client = client
        self.requestTimeout = requestTimeout
    }

    /// The API version in use, negotiating it when needed.
    public func apiVersion() async throws -> APIVersion {
        if let version = negotiated.withLock({ $0 }) { return version }
        let response = try await send("GET", "/version", versioned: false)
        let engine: DockerVersion = try decode(response)
        guard let offered = APIVersion(engine.apiVersion) else {
            throw DockerError(.invalidResponse, message: "engine reported API version '\(engine.apiVersion)'")
        }
        let chosen = min(offered, Self.supportedAPIVersions.upperBound)
        guard Self.supportedAPIVersions.contains(chosen) else {
            throw DockerError(.unsupportedAPIVersion, message: "engine speaks API \(offered); this client needs \(Self.supportedAPIVersions.lowerBound) or newer")
        }
        negotiated.withLock { $0 = chosen }
        return chosen
    }

    public func ping() async throws {
        _ = try await send("GET", "/_ping", versioned: false)
    }

    public func version() async throws -> DockerVersion {
        try decode(try await send("GET", "/version"))
    }

    public func info() async throws -> DockerInfo {
        try decode(try await send("GET", "/info"))
    }

    public func swarm() async throws -> SwarmDetails {
        try decode(try await send("GET", "/swarm"))
    }

    public func image(_ name: String) async throws -> DockerImage {
        try decode(try await send("GET", "/images/\(name.pathEscaped)/json", notFound: .imageNotFound))
    }

    public func createService(_ spec: ServiceSpec) async throws -> String {
        let response = try await send("POST", "/services/create", body: try JSONEncoder().encode(spec), notFound: .imageNotFound)
        let created: IDResponse = try decode(response)
        return created.id
    }

    public func service(_ idOrName: String) async throws -> DockerService {
        try decode(try await send("GET", "/services/\(idOrName.pathEscaped)", notFound: .serviceNotFound))
    }

    public func services(labels: [String: String?]) async throws -> [DockerService] {
        let filter = labels.map { key, value in value.map { "\(key)=\($0)" } ?? key }
        return try decode(try await send("GET", "/services" + query(filters: ["label": filter])))
    }

    public func updateService(_ id: String, version: ObjectVersion, spec: ServiceSpec) async throws {
        _ = try await send("POST", "/services/\(id.pathEscaped)/update?version=\(version.index)", body: try JSONEncoder().encode(spec), notFound: .serviceNotFound)
    }

    public func removeService(_ idOrName: String) async throws {
        _ = try await send("DELETE", "/services/\(idOrName.pathEscaped)", notFound: .serviceNotFound)
    }

    public func createSecret(_ request: SecretCreateRequest) async throws -> String {
        let created: IDResponse = try decode(try await send("POST", "/secrets/create", body: try JSONEncoder().encode(request)))
        return created.id
    }

    public func secrets(labels: [String: String?]) async throws -> [DockerSecret] {
        let filter = labels.map { key, value in value.map { "\(key)=\($0)" } ?? key }
        return try decode(try await send("GET", "/secrets" + query(filters: ["label": filter])))
    }

    public func removeSecret(_ idOrName: String) async throws {
        _ = try await send("DELETE", "/secrets/\(idOrName.pathEscaped)", notFound: .secretNotFound)
    }

    public func tasks(serviceID: String?, desiredState: String?) async throws -> [SwarmTask] {
        var filters: [String: [String]] = [:]
        if let serviceID { filters["service"] = [serviceID] }
        if let desiredState { filters["desired-state"] = [desiredState] }
        return try decode(try await send("GET", "/tasks" + query(filters: filters)))
    }

    public func tasks(serviceIDs: [String]) async throws -> [SwarmTask] {
        guard !serviceIDs.isEmpty else { return [] }
        // Several `service` filters match any of them.
        return try decode(try await send("GET", "/tasks" + query(filters: ["service": serviceIDs])))
    }

    public func task(_ id: String) async throws -> SwarmTask? {
        do {
            return try decode(try await send("GET", "/tasks/\(id.pathEscaped)", notFound: .taskNotFound))
        } catch let error as DockerError where error.code == .taskNotFound {
            return nil
        }
    }

    public func container(_ id: String) async throws -> DockerContainer {
        try decode(try await send("GET", "/containers/\(id.pathEscaped)/json", notFound: .containerNotFound))
    }

    public func networks(named name: String?) async throws -> [DockerNetwork] {
        let all: [DockerNetwork] = try decode(try await send("GET", "/networks" + query(filters: name.map { ["name": [$0]] } ?? [:])))
        // The engine's name filter matches substrings; keep exact matches only.
        return name.map { wanted in all.filter { $0.name == wanted } } ?? all
    }

    public func createNetwork(_ request: NetworkCreateRequest) async throws -> String {
        let created: IDResponse = try decode(try await send("POST", "/networks/create", body: try JSONEncoder().encode(request)))
        return created.id
    }

    public func removeNetwork(_ idOrName: String) async throws {
        _ = try await send("DELETE", "/networks/\(idOrName.pathEscaped)", notFound: .networkNotFound)
    }

    public func nodes() async throws -> [SwarmNode] {
        try decode(try await send("GET", "/nodes"))
    }

    public func events(types: [String]) async throws -> AsyncThrowingStream<DockerEvent, any Error> {
        let path = try await "/v\(apiVersion())/events" + query(filters: types.isEmpty ? [:] : ["type": types])
        let request = HTTPClientRequest(endpoint: endpoint, path: path, timeout: nil)
        let response: HTTPClientStreamResponse
        do {
            response = try await client.stream(request)
        } catch let error as HTTPClientError {
            throw Self.translate(error)
        }
        guard (200..<300).contains(response.status) else {
            var body = Data()
            for try await chunk in response.body { body.append(chunk) }
            throw Self.error(status: response.status, body: body, notFound: .engineError)
        }
        return EventDecoder.decode(response.body)
    }

    // MARK: - Plumbing

    func send(_ method: String, _ path: String, body: Data? = nil, versioned: Bool = true, notFound: DockerError.Code = .engineError) async throws -> HTTPClientResponse {
        let fullPath = versioned ? "/v\(try await apiVersion())\(path)" : path
        var headers: [(name: String, value: String)] = []
        if body != nil { headers.append((name: "Content-Type", value: "application/json")) }
        let request = HTTPClientRequest(method: method, endpoint: endpoint, path: fullPath, headers: headers, body: body, timeout: requestTimeout)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request)
        } catch let error as HTTPClientError {
            throw Self.translate(error)
        }
        guard response.isSuccess else {
            throw Self.error(status: response.status, body: response.body, notFound: notFound)
        }
        return response
    }

    private func decode<T: Decodable>(_ response: HTTPClientResponse) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw DockerError(.invalidResponse, status: response.status, message: "could not decode \(T.self): \(error)")
        }
    }

    private func query(filters: [String: [String]]) -> String {
        guard !filters.isEmpty, let json = try? JSONEncoder().encode(filters) else { return "" }
        return "?filters=" + String(decoding: json, as: UTF8.self).queryEscaped
    }

    static func translate(_ error: HTTPClientError) -> DockerError {
        switch error.kind {
        case .connectionFailed: DockerError(.engineUnreachable, message: error.message)
        case .timedOut: DockerError(.timedOut, message: error.message)
        case .cancelled, .transport, .responseTooLarge: DockerError(.engineUnreachable, message: error.message)
        }
    }

    static func error(status: Int, body: Data, notFound: DockerError.Code) -> DockerError {
        let message = (try? JSONDecoder().decode(EngineMessage.self, from: body).message)
            ?? String(decoding: body, as: UTF8.self)
        let code: DockerError.Code = switch status {
        case 400: .badRequest
        case 404 where message.localizedCaseInsensitiveContains("no such image"): .imageNotFound
        case 404: notFound
        case 409: .conflict
        case 503 where message.localizedCaseInsensitiveContains("swarm"): .notSwarmManager
        default: .engineError
        }
        return DockerError(code, status: status, message: message)
    }
}

private struct EngineMessage: Decodable {
    var message: String
}

private struct IDResponse: Decodable {
    var id: String
    enum CodingKeys: String, CodingKey { case id = "ID", altID = "Id" }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? container.decode(String.self, forKey: .altID)
    }
}

extension String {
    /// Percent-escaped for one URL path segment.
    var pathEscaped: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? self
    }

    /// Percent-escaped for a query value.
    var queryEscaped: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? self
    }
}

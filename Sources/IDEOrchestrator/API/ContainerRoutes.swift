import Foundation
import Hummingbird

/// `/api/containers`: start, list, inspect and remove IDE containers.
struct ContainerRoutes {
    let orchestrator: Orchestrator
    /// Encoded list pages, reused until the store changes (the dashboard polls the same few):
    /// at most 16 pages of at most 64 KiB (about 120 records) each.
    private let pages: RevisionCache<PageQuery, ByteBuffer>
    static let largestKeptPage = 64 * 1024

    init(orchestrator: Orchestrator) {
        self.orchestrator = orchestrator
        pages = RevisionCache(revision: orchestrator.store.revision, capacity: 16, maxAge: .seconds(1))
    }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("/start", use: start)
        group.get("", use: list)
        group.get("/:id", use: detail)
        group.delete("/:id", use: remove)
        group.delete("/:id/record", use: forget)
        group.post("/:id/launch", use: launch)
    }

    @Sendable func start(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSON.decodeBody(StartRequest.self, from: request, maxBytes: orchestrator.settings.maxRequestBodyBytes)
        let result = try await orchestrator.claims.start(body, arrived: context.arrived)
        if result.isReused { orchestrator.metrics.startReused() }
        return try JSON.response(StartResponse(result, access: orchestrator.access), status: result.isReused ? .ok : .created)
    }

    /// Fresh launch links of a running container, for the operator (the dashboard's "open").
    @Sendable func launch(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.containerID(context)
        guard let record = try await orchestrator.store.container(id) else { throw APIError.containerNotFound(id) }
        guard record.status == .running else { throw APIError.notRunning(id) }
        return try JSON.response(LaunchAnswer(id: id, urls: record.urls, launchUrls: orchestrator.access.launchURLs(for: record)))
    }

    /// The answer of `POST /api/containers/:id/launch`.
    struct LaunchAnswer: Encodable {
        var id: String
        var urls: ContainerURLs
        var launchUrls: ContainerURLs?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var status: ContainerStatus?
        if let text = query.get("status") {
            guard let parsed = ContainerStatus(rawValue: text) else {
                throw APIError.invalidQuery("status must be one of \(ContainerStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        let limit = try Self.integer(query.get("limit"), name: "limit", default: 50, range: 1...500)
        let offset = try Self.integer(query.get("offset"), name: "offset", default: 0, range: 0...Self.maxOffset)
        let search = query.get("q").map { $0.trimmingCharacters(in: .whitespaces) }
        if let search, search.count > 128 { throw APIError.invalidQuery("q must be at most 128 characters") }
        let selection = PageQuery(status: status, search: search, limit: limit, offset: offset)
        let body = try await pages.value(for: selection, keep: { $0.readableBytes <= Self.largestKeptPage }) {
            let page = try await orchestrator.store.containers(status: status, search: search, limit: limit, offset: offset)
            let list = ListResponse(containers: page.records.map(ContainerSummary.init), total: page.total, limit: limit, offset: offset)
            return ByteBuffer(bytes: ContainerListJSON.encode(list))
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }

    /// What selects a page of the list.
    struct PageQuery: Hashable, Sendable {
        var status: ContainerStatus?
        var search: String?
        var limit: Int
        var offset: Int
    }

    @Sendable func detail(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.containerID(context)
        guard let record = try await orchestrator.store.container(id) else { throw APIError.containerNotFound(id) }
        // The store gives the latest first; the API lists them oldest first.
        let events = Array(try await orchestrator.store.events(of: id, limit: 50).reversed())
        return try JSON.response(ContainerDetail(record, events: events))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.containerID(context)
        // Sessions end before the stop begins; a container that does not exist has none.
        if try await orchestrator.store.container(id).map({ ContainerStopper.stoppable.contains($0.status) }) == true { orchestrator.access.revoke(id) }
        guard let record = try await orchestrator.stopper.stop(id, reason: .manual, detail: "deleted through the API") else {
            throw APIError.containerNotFound(id)
        }
        let message = record.status == .stopping
            ? "Container stopping: its service is removed as soon as the engine answers" : "Container stopped and its service removed"
        return try StopAnswer.response(record, message: message)
    }

    /// Deletes the record (and events) of a stopped or failed container; a live one must be stopped first.
    @Sendable func forget(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.containerID(context)
        switch try await orchestrator.store.forget(id) {
        case .forgotten: return try JSON.response(["id": id, "message": "Container record deleted"])
        case .live(let status): throw APIError.containerLive(id, status: status)
        case .notFound: throw APIError.containerNotFound(id)
        }
    }

    /// The path's container id; one that cannot be ours is not found without asking the store.
    static func containerID(_ context: AppRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard ContainerID.isWellFormed(id) else { throw APIError.containerNotFound(id) }
        return id
    }

    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.invalidQuery("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// The largest `offset` accepted.
    static let maxOffset = 1_000_000

    struct ListResponse: Encodable {
        var containers: [ContainerSummary]
        var total: Int
        var limit: Int
        var offset: Int
    }
}

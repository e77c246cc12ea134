import HTTPTypes
import Hummingbird
import ServiceLifecycle

/// `/api/events`: container events as a server-sent-events stream, and the recent ones as JSON.
struct EventStreamRoutes {
    /// Events replayed to a client that connects without `Last-Event-ID`.
    static let backlog = 20
    /// Most events replayed after a reconnect.
    static let replayLimit = 500
    /// How long a client waits before reconnecting, sent in the stream's first frame.
    static let retryMillis = 2000

    let orchestrator: Orchestrator

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get("", use: stream)
        group.get("/recent", use: recent)
    }

    /// Opens the stream: the events after `Last-Event-ID` (or the latest few), then every new
    /// event as it is stored, with heartbeats; it ends when the service shuts down.
    @Sendable func stream(_ request: Request, context: AppRequestContext) async throws -> Response {
        let lastSeen = request.headers[.lastEventID].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        let store = orchestrator.store
        let broadcaster = orchestrator.events
        let logger = orchestrator.logger
        let body = ResponseBody { writer in
            // Subscribe before reading the backlog so nothing falls between the two; ids dedupe.
            let subscription = broadcaster.subscribe()
            defer { broadcaster.unsubscribe(subscription.id) }
            try await writer.write(EventStreamFrame.opening(retryMillis: Self.retryMillis).bytes)
            var seen = lastSeen ?? 0
            do {
                let backlog = if let lastSeen { try await store.events(after: lastSeen, limit: Self.replayLimit) } else { try await store.recentEvents(limit: Self.backlog) }
                for event in backlog {
                    try await writer.write(EventStreamFrame.event(event).bytes)
                    seen = max(seen, event.id ?? 0)
                }
            } catch {
                logger.warning("Event stream backlog unavailable", metadata: ["error": "\(error)"])
            }
            for try await frame in subscription.frames.cancelOnGracefulShutdown() {
                if let id = frame.eventID {
                    guard id > seen else { continue }
                    seen = id
                }
                try await writer.write(frame.bytes)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: "text/event-stream; charset=utf-8",
            .cacheControl: "no-store",
            HTTPField.Name("X-Accel-Buffering")!: "no",
        ], body: body)
    }

    /// The events after `after` (oldest first), or the latest `limit` when `after` is absent:
    /// what a client polls when it cannot stream.
    @Sendable func recent(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = try ContainerRoutes.integer(query.get("limit"), name: "limit", default: 50, range: 1...Self.replayLimit)
        let events: [ContainerEvent]
        if let text = query.get("after") {
            guard let after = Int64(text), after >= 0 else { throw APIError.invalidQuery("after must be a non-negative event id") }
            events = try await orchestrator.store.events(after: after, limit: limit)
        } else {
            events = try await orchestrator.store.recentEvents(limit: limit)
        }
        let latest = try await orchestrator.store.latestEventID()
        return try JSON.response(RecentEvents(events: events.map(EventView.init), latestId: latest))
    }

    struct RecentEvents: Encodable {
        var events: [EventView]
        var latestId: Int64
    }
}

extension HTTPField.Name {
    /// `Last-Event-ID`, sent by a reconnecting event-stream client.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

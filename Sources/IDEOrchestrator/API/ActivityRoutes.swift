import Crypto
import Foundation
import Hummingbird

/// Routes a container calls about itself, authenticated with the per-container token it
/// received with its assignment (never the API key). A call with a valid token is limited per
/// container; one with a wrong token (or none) per client address, like any anonymous request.
struct ActivityRoutes {
    /// The last path segment of each callback, under `/api/containers/<id>/`.
    static let callbacks: Set<String> = ["activity", "inactivity-shutdown"]

    /// Reports this close to the stored time change nothing: no write per report. A tenth of the
    /// idle timeout when that is shorter, so coalescing never makes an active container look idle.
    static func coalescingWindow(idleTimeout: Duration?) -> TimeInterval {
        let tenth = idleTimeout.map { Double($0.components.seconds) / 10 } ?? 5
        return min(5, tenth)
    }

    let orchestrator: Orchestrator
    let limits: PublicLimits

    func register(on router: Router<AppRequestContext>) {
        router.post("/api/containers/:id/activity", use: activity)
        router.post("/api/containers/:id/inactivity-shutdown", use: inactivityShutdown)
    }

    @Sendable func activity(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await authenticate(request, context: context)
        guard record.status == .running else { throw APIError.notRunning(record.id) }
        let now = Date()
        if let stored = record.lastActivityAt, record.activityTracked, abs(now.timeIntervalSince(stored)) < Self.coalescingWindow(idleTimeout: orchestrator.settings.idleTimeout) {
            return try JSON.response(ActivityResponse(id: record.id, lastActivityAt: stored))
        }
        guard try await orchestrator.store.update(record.id, in: [.running], change: {
            $0.lastActivityAt = now
            $0.activityTracked = true
        }) != nil else { throw APIError.notRunning(record.id) }
        return try JSON.response(ActivityResponse(id: record.id, lastActivityAt: now))
    }

    @Sendable func inactivityShutdown(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await authenticate(request, context: context)
        let stopped = try await orchestrator.stopper.stop(record.id, reason: .inactivityRequest, detail: "the container asked to be stopped") ?? record
        return try StopAnswer.response(stopped, message: "Container stopped at its own request")
    }

    /// The container named in the path, if the bearer token is its own.
    private func authenticate(_ request: Request, context: AppRequestContext) async throws -> ContainerRecord {
        let record: ContainerRecord
        do {
            record = try await verify(request, context: context)
        } catch let error as APIError {
            // Without a token the request already paid at the door (ClientRateLimitMiddleware).
            if ClientRateLimitMiddleware.isTokenCallback(request) { try limits.chargeClient(request, context: context) }
            throw error
        }
        try limits.chargeContainer(record.id)
        return record
    }

    private func verify(_ request: Request, context: AppRequestContext) async throws -> ContainerRecord {
        let id = try context.parameters.require("id")
        guard let token = BearerToken.from(request) else { throw APIError.invalidActivityToken }
        guard ContainerID.isWellFormed(id) else { throw APIError.containerNotFound(id) }
        guard let record = try await orchestrator.store.container(id) else { throw APIError.containerNotFound(id) }
        guard let stored = record.activityTokenHash,
              ConstantTime.equal(Array(stored.utf8), Array(ClaimService.hash(token).utf8))
        else { throw APIError.invalidActivityToken }
        return record
    }

    struct ActivityResponse: Encodable {
        var id: String
        var lastActivityAt: Date
    }
}

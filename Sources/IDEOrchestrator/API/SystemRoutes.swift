import Foundation
import Hummingbird

/// Health, liveness, readiness, the pool's figures and the OpenAPI document.
struct SystemRoutes {
    let orchestrator: Orchestrator
    let state: HealthState
    let keys: APIKeys

    func registerPublic(on router: Router<AppRequestContext>) {
        router.get("/live") { _, _ in try JSON.response(["status": "ok"]) }
        router.get("/ready", use: ready)
        router.get("/api/health", use: health)
        router.get("/api/openapi.yaml", use: openAPI)
    }

    func registerProtected(on group: RouterGroup<AppRequestContext>) {
        group.get("/queue", use: queue)
    }

    /// The engine from the sampled state (no engine call per request), the store asked directly.
    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard await state.current().engineReachable else {
            return try JSON.response(["status": "not_ready", "reason": "Docker engine unreachable"], status: .serviceUnavailable)
        }
        do {
            try await orchestrator.store.check()
        } catch {
            return try JSON.response(["status": "not_ready", "reason": "database unavailable"], status: .serviceUnavailable)
        }
        return try JSON.response(["status": "ready"])
    }

    /// From the sampled state. Without the API key only the status: no engine version, no
    /// figures, no node and no error text for anonymous callers.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        let sample = await state.current()
        let resources = await orchestrator.resources.snapshot()
        let counts = try? await orchestrator.store.poolCounts()
        let waitReason = await orchestrator.pool.lastWaitReason
        let healthy = sample.engineReachable && counts != nil && resources.spawnAllowed
        let status: HTTPResponse.Status = healthy ? .ok : .serviceUnavailable
        guard keys.fingerprint(of: request) != nil else {
            return try JSON.response(["status": healthy ? "ok" : "degraded"], status: status)
        }
        let body = HealthResponse(
            status: healthy ? "ok" : "degraded",
            engine: .init(reachable: sample.engineReachable, version: sample.engineVersion, error: sample.engineReachable ? nil : sample.engineError),
            store: .init(ok: counts != nil),
            pool: .init(
                target: orchestrator.settings.poolSize, ready: counts?.ready ?? 0, warming: (counts?.warming ?? 0) + (counts?.creating ?? 0), assigned: counts?.assigned ?? 0,
                reason: resources.reason ?? waitReason
            ),
            resources: .init(resources, nodes: resources.nodes),
            timestamp: Date()
        )
        return try JSON.response(body, status: status)
    }

    @Sendable func queue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let counts = try await orchestrator.store.poolCounts()
        let resources = await orchestrator.resources.snapshot()
        let claims = try await orchestrator.store.recentClaims(limit: 20)
        let waitReason = await orchestrator.pool.lastWaitReason
        let byStatus = try await orchestrator.store.statusCounts()
        let perMinute = try await orchestrator.store.claimsPerMinute(minutes: 30)
        return try JSON.response(QueueResponse(
            target: orchestrator.settings.poolSize, ready: counts.ready, warming: counts.warming, creating: counts.creating,
            assigned: counts.assigned, spawnAllowed: resources.spawnAllowed, reason: resources.reason ?? waitReason,
            recentClaims: claims.map { .init(id: $0.id, serviceName: $0.serviceName, bucket: $0.s3Bucket, isPreWarmed: $0.servedPreWarmed, claimedAt: $0.assignedAt, claimMillis: $0.claimMillis) },
            byStatus: Dictionary(uniqueKeysWithValues: byStatus.map { ($0.key.rawValue, $0.value) }),
            claimsPerMinute: perMinute.map { .init(minute: $0.minute, warm: $0.warm, cold: $0.cold) }
        ))
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let data = try? Data(contentsOf: url) else {
            throw APIError.internalError
        }
        return Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

import Foundation
import Hummingbird

/// Health, liveness, readiness, the pool's figures and the OpenAPI document.
struct SystemRoutes {
    let orchestrator: Orchestrator

    func registerPublic(on router: Router<AppRequestContext>) {
        router.get("/live") { _, _ in try JSON.response(["status": "ok"]) }
        router.get("/ready", use: ready)
        router.get("/api/health", use: health)
        router.get("/api/openapi.yaml", use: openAPI)
    }

    func registerProtected(on group: RouterGroup<AppRequestContext>) {
        group.get("/queue", use: queue)
    }

    @Sendable func ready(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            try await orchestrator.engine.ping()
        } catch {
            return try JSON.response(["status": "not_ready", "reason": "Docker engine unreachable"], status: .serviceUnavailable)
        }
        do {
            try await orchestrator.store.check()
        } catch {
            return try JSON.response(["status": "not_ready", "reason": "database unavailable"], status: .serviceUnavailable)
        }
        return try JSON.response(["status": "ready"])
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        var engine = HealthResponse.Engine(reachable: false, version: nil, error: nil)
        do {
            engine.version = try await orchestrator.engine.version().version
            engine.reachable = true
        } catch {
            engine.error = (error as? DockerError).map { "\($0.code.rawValue): \($0.message)" } ?? "\(error)"
        }
        let counts = try? await orchestrator.store.poolCounts()
        let resources = await orchestrator.resources.snapshot()
        let healthy = engine.reachable && counts != nil && resources.spawnAllowed
        let body = HealthResponse(
            status: healthy ? "ok" : "degraded",
            engine: engine,
            store: .init(ok: counts != nil),
            pool: .init(target: orchestrator.settings.poolSize, ready: counts?.ready ?? 0, warming: (counts?.warming ?? 0) + (counts?.creating ?? 0), assigned: counts?.assigned ?? 0),
            resources: resources,
            timestamp: Date()
        )
        return try JSON.response(body, status: healthy ? .ok : .serviceUnavailable)
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

    struct HealthResponse: Encodable {
        struct Engine: Encodable {
            var reachable: Bool
            var version: String?
            var error: String?
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(reachable, forKey: .reachable)
                try c.encode(version, forKey: .version)
                try c.encode(error, forKey: .error)
            }
            enum CodingKeys: CodingKey { case reachable, version, error }
        }
        struct Store: Encodable { var ok: Bool }
        struct Pool: Encodable {
            var target: Int
            var ready: Int
            var warming: Int
            var assigned: Int
        }
        var status: String
        var engine: Engine
        var store: Store
        var pool: Pool
        var resources: ResourceSnapshot
        var timestamp: Date
    }

    struct QueueResponse: Encodable {
        struct Claim: Encodable {
            var id: String
            var serviceName: String
            var bucket: String?
            var isPreWarmed: Bool
            var claimedAt: Date?
            var claimMillis: Double?
        }
        var target: Int
        var ready: Int
        var warming: Int
        var creating: Int
        var assigned: Int
        var spawnAllowed: Bool
        var reason: String?
        var recentClaims: [Claim]
        /// Records per status, stopped and failed included.
        var byStatus: [String: Int]
        /// Claims in each of the last 30 minutes, oldest first.
        var claimsPerMinute: [Minute]

        struct Minute: Encodable {
            var minute: Date
            var warm: Int
            var cold: Int
        }
    }
}

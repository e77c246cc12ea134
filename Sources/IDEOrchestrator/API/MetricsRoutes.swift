import Hummingbird

/// `GET /metrics`: the Prometheus text exposition, behind the API key unless `METRICS_PUBLIC`.
struct MetricsRoutes {
    let orchestrator: Orchestrator

    func register(on router: Router<AppRequestContext>) {
        if orchestrator.settings.metricsPublic {
            router.get("/metrics", use: metrics)
        } else {
            router.group("/metrics").add(middleware: APIKeyMiddleware(keys: orchestrator.settings.apiKeys)).get("", use: metrics)
        }
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        await orchestrator.collector.collect()
        let text = orchestrator.metrics.render()
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

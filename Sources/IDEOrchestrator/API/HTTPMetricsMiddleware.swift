import Hummingbird

/// Counts and times requests by route template (never the raw path, which holds ids),
/// method and status.
struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: OrchestratorMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let method = HTTPMethods.known.contains(request.method.rawValue) ? request.method.rawValue : "OTHER"
        do {
            let response = try await next(request, context)
            record(context, method: method, status: response.status.code, since: started)
            return response
        } catch {
            record(context, method: method, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
    }

    private func record(_ context: Context, method: String, status: Int, since started: ContinuousClock.Instant) {
        // The router resolves the route before any middleware runs, so the template is known.
        let route = Self.route(context.endpointPath)
        metrics.httpRequests(route: route, method: method, status: status).increment()
        metrics.httpDuration(route: route, method: method).record(ContinuousClock.now - started)
    }

    /// The route label: the matched template, `static` for the status page's files,
    /// `unmatched` for everything else.
    static func route(_ endpointPath: String?) -> String {
        switch endpointPath {
        case nil, "NotFound": "unmatched"
        case "FileMiddleware": "static"
        case let path?: path
        }
    }
}

/// Methods counted by name; any other is counted as `OTHER`, so clients cannot mint label values.
enum HTTPMethods {
    static let known: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
}

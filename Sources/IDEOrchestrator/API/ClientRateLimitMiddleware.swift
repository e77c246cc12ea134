import Hummingbird

/// Limits requests that carry no valid API key (health, liveness, readiness, container
/// callbacks, static files, unknown paths) per client address, the connection's peer; 429 with
/// `Retry-After` beyond it. Requests with a valid key are limited per key instead.
struct ClientRateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    private let buckets: TokenBuckets
    private let keys: APIKeys

    init(perMinute: Int, keys: [String]) {
        buckets = TokenBuckets(perMinute: perMinute)
        self.keys = APIKeys(keys)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard buckets.isEnabled, keys.fingerprint(of: request) == nil else { return try await next(request, context) }
        if let wait = buckets.take(Self.client(context), now: .now) { throw APIError.rateLimited(retryAfter: wait) }
        return try await next(request, context)
    }

    /// The bucket key: the peer's IP address, or its description for other kinds of socket.
    static func client(_ context: Context) -> String {
        guard let address = context.remoteAddress else { return "unknown" }
        return address.ipAddress ?? address.description
    }
}

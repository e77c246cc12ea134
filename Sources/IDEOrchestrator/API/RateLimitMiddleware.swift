import Hummingbird

/// Limits requests per API key per minute with a token bucket; 429 with `Retry-After` beyond it.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    private let buckets: TokenBuckets

    init(perMinute: Int) {
        buckets = TokenBuckets(perMinute: perMinute)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard buckets.isEnabled, let key = context.keyFingerprint else { return try await next(request, context) }
        if let wait = take(key, now: .now) { throw APIError.rateLimited(retryAfter: wait) }
        return try await next(request, context)
    }

    /// Takes one token for `key`; returns the seconds to wait when none is left.
    func take(_ key: String, now: ContinuousClock.Instant) -> Int? {
        buckets.take(key, now: now)
    }
}

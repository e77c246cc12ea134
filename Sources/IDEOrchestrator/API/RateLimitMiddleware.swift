import Hummingbird
import Synchronization

/// Limits requests per API key per minute with a token bucket; 429 with `Retry-After` beyond it.
final class RateLimitMiddleware: RouterMiddleware, Sendable {
    typealias Context = AppRequestContext
    private let perMinute: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard perMinute > 0, let key = context.keyFingerprint else { return try await next(request, context) }
        if let wait = take(key, now: .now) { throw APIError.rateLimited(retryAfter: wait) }
        return try await next(request, context)
    }

    /// Takes one token for `key`; returns the seconds to wait when none is left.
    func take(_ key: String, now: ContinuousClock.Instant) -> Int? {
        let capacity = Double(perMinute)
        let perSecond = capacity / 60
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = Double((now - bucket.updated).milliseconds) / 1000
            bucket.tokens = min(capacity, bucket.tokens + elapsed * perSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}

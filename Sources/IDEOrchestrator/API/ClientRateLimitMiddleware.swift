import Hummingbird

/// Limits requests that carry no valid API key (health, liveness, readiness, static files,
/// unknown paths) per client address (`ClientAddress`); 429 with `Retry-After` beyond it.
/// Requests with a valid key are limited per key instead; a container callback carrying a
/// token is left to its route, which charges the container (valid token) or the client.
struct ClientRateLimitMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    private let limits: PublicLimits
    private let keys: APIKeys

    init(limits: PublicLimits, keys: [String]) {
        self.limits = limits
        self.keys = APIKeys(keys)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard limits.isEnabled, keys.fingerprint(of: request) == nil, !Self.isTokenCallback(request) else { return try await next(request, context) }
        try limits.chargeClient(request, context: context)
        return try await next(request, context)
    }

    /// `POST /api/containers/<id>/activity` or `/inactivity-shutdown` with a bearer token.
    static func isTokenCallback(_ request: Request) -> Bool {
        guard request.method == .post, BearerToken.from(request) != nil else { return false }
        let parts = request.uri.path.split(separator: "/")
        return parts.count == 4 && parts[0] == "api" && parts[1] == "containers" && ActivityRoutes.callbacks.contains(String(parts[3]))
    }
}

/// The budgets of requests without an API key: one per client address, and one per container
/// for its own callbacks with a valid container token (so a client sending wrong keys never
/// starves the containers' activity reports), each `PUBLIC_RATE_LIMIT_PER_MINUTE`.
final class PublicLimits: Sendable {
    private let clients: TokenBuckets
    private let containers: TokenBuckets
    private let address: ClientAddress

    init(perMinute: Int, trustedProxies: [IPRange]) {
        clients = TokenBuckets(perMinute: perMinute)
        containers = TokenBuckets(perMinute: perMinute)
        address = ClientAddress(trusted: trustedProxies)
    }

    /// Whether limiting is on.
    var isEnabled: Bool { clients.isEnabled }

    /// The bucket key of the request's client.
    func client(_ request: Request, context: AppRequestContext) -> String {
        address.of(request, peer: context.remoteAddress)
    }

    /// Takes a token from the client's budget; throws 429 when none is left.
    func chargeClient(_ request: Request, context: AppRequestContext) throws {
        guard isEnabled, let wait = clients.take(client(request, context: context), now: .now) else { return }
        throw APIError.rateLimited(retryAfter: wait)
    }

    /// Takes a token from container `id`'s budget; throws 429 when none is left.
    func chargeContainer(_ id: String) throws {
        guard isEnabled, let wait = containers.take(id, now: .now) else { return }
        throw APIError.rateLimited(retryAfter: wait)
    }
}

import Hummingbird

/// The per-request context: Hummingbird's core, the authenticated key's fingerprint and the
/// moment the request arrived.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A non-secret fingerprint of the API key that authenticated the request.
    public var keyFingerprint: String?
    /// When the request arrived (the router made its context as its head was read).
    public let arrived: ContinuousClock.Instant

    public init(source: Source) {
        coreContext = .init(source: source)
        arrived = .now
    }
}

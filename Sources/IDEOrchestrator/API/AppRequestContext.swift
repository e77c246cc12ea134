import Hummingbird

/// The per-request context: Hummingbird's core plus the authenticated key's fingerprint.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A non-secret fingerprint of the API key that authenticated the request.
    public var keyFingerprint: String?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

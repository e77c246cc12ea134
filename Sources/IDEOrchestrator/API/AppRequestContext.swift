import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core, the connection's peer, the authenticated key's
/// fingerprint and the moment the request arrived.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A non-secret fingerprint of the API key that authenticated the request.
    public var keyFingerprint: String?
    /// The address of the connection's peer (never a forwarded header, which a client could forge).
    public let remoteAddress: SocketAddress?
    /// When the request arrived (the router made its context as its head was read).
    public let arrived: ContinuousClock.Instant

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        arrived = .now
    }
}

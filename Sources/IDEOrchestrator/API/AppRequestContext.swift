import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core, the connection's peer and the authenticated key's fingerprint.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A non-secret fingerprint of the API key that authenticated the request.
    public var keyFingerprint: String?
    /// The address of the connection's peer (never a forwarded header, which a client could forge).
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
